"""The `leadsync` command line.

Exit codes: 0 ok, 1 failure, 2 usage or config error (the message names file and key),
3 finished with records in the error queue. Expected errors print their message, never a
traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from leadsync.errors import ConfigError, LeadsyncError
from leadsync.sync.redact import redact, remember_environment

DEBUG_ENV = "LEADSYNC_DEBUG"

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG, EXIT_QUARANTINE = 0, 1, 2, 3

err_console = Console(stderr=True, highlight=False)


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `--config FILE` (default ./config.toml, then $LEADSYNC_CONFIG) to a command."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Config file (default ./config.toml, then $LEADSYNC_CONFIG).",
    )(func)


def load(config_path: str | None, *, secrets: bool = True):
    """Resolve and load the config; `ConfigError` propagates to `main` (exit 2).

    `secrets=False`: the file alone is checked; the result must not reach a CRM.
    """
    from leadsync.sync.config import load_settings, resolve_path

    return load_settings(resolve_path(config_path), secrets=secrets)


def report_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Expected errors print their message; anything else one redacted line (see `DEBUG_ENV`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for line in exc.problems:
                _say("config error", line)
            sys.exit(EXIT_CONFIG)
        except LeadsyncError as exc:
            _say("error", str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _say("stopped", "interrupted; everything committed so far stands")
            sys.exit(130)
        except Exception as exc:  # a bug: say so without a traceback that could hold a secret
            if os.environ.get(DEBUG_ENV):
                _say("traceback", traceback.format_exc())
            _say(
                "unexpected error",
                f"{type(exc).__name__}: {exc}. This is a bug in leadsync; run again with "
                f"{DEBUG_ENV}=1 for the (redacted) traceback and report it.",
            )
            sys.exit(EXIT_FAILURE)

    return wrapper


def _say(label: str, text: str) -> None:
    err_console.print(f"[red]{label}[/red] {escape(redact(text))}", soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadsync")
def cli() -> None:
    """Keep marketing's and sales' CRMs in step on one explicit definition of a qualified lead."""


def _register() -> None:
    from leadsync.sandbox import cli as sandbox_cli
    from leadsync.sandbox import demo
    from leadsync.sync import (
        cli_calibrate,
        cli_config,
        cli_console,
        cli_errors,
        cli_mapping,
        cli_moves,
        cli_preview,
        cli_push,
        cli_report,
        cli_run,
        cli_shadow,
        cli_status,
        cli_sync,
    )

    cli.add_command(cli_mapping.mapping)
    cli.add_command(sandbox_cli.sandbox)
    commands = (cli_sync, cli_status, cli_preview, cli_moves, cli_report, cli_run, demo,
                cli_console, cli_config, cli_errors, cli_shadow, cli_push,
                cli_calibrate)  # fmt: skip
    for module in commands:
        for command in module.COMMANDS:
            cli.add_command(command)
    # Many tenants (`tenants`, `worker`, `beat`): imports Celery only when one of them runs.
    from leadsync.distributed import cli as fleet_cli

    for command in fleet_cli.COMMANDS:
        cli.add_command(command)


def main() -> None:
    remember_environment()
    _register()
    report_errors(cli.main)(standalone_mode=True)
