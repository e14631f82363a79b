"""`leadsync backfill` and `leadsync run`."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from leadsync.errors import ConfigError
from leadsync.mapping.catalog import catalog
from leadsync.sync.backfill import backfill as run_backfill
from leadsync.sync.cli import DEBUG_ENV, config_option, load, report_errors
from leadsync.sync.config import resolve_path
from leadsync.sync.lock import cycle_lock
from leadsync.sync.progress import StreamProgress
from leadsync.sync.redact import RedactingFilter
from leadsync.sync.runtime import build_runtime
from leadsync.sync.wiring import build_connectors

console = Console(highlight=False)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command()
@config_option
@click.option(
    "--system",
    type=click.Choice([*catalog().systems, "all"]),
    default="all",
    show_default=True,
)
@click.option("--since", help="Start of history to pull (YYYY-MM-DD); default: all of it.")
@click.option("--resume", is_flag=True, help="Finish the interrupted backfill's windows.")
@click.option("--json", "as_json", is_flag=True)
@report_errors
def backfill(
    config_path: str | None, system: str, since: str | None, resume: bool, as_json: bool
) -> None:
    """Pull history in explicit windows; resumable; a bounded one never moves live cursors."""
    rt = build_runtime(load(config_path))
    connectors = build_connectors(rt)
    if system != "all":
        connectors = {system: _configured(connectors, system, config_path)}
    with cycle_lock(rt.sessions.kw["bind"]), StreamProgress(disable=as_json) as progress:
        result = run_backfill(rt, connectors, since=_date(since), resume=resume,
                              progress=progress.advance)  # fmt: skip
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
        return
    table = Table(title=f"backfill run {result.run_id}")
    table.add_column("stream")
    table.add_column("records", justify="right")
    for stream, count in sorted(result.ingest.by_stream.items()):
        table.add_row(stream, str(count))
    console.print(table)
    console.print(
        f"{result.ingest.pulled} records in {result.windows_done} windows "
        f"({result.windows_skipped} already done); {result.ingest.quarantined} to the error queue"
    )


def _configured(connectors: Mapping[str, Any], system: str, config_path: str | None) -> Any:
    """The connector of `system`, which must have its table in the config: an installed
    connector without one is not synced."""
    if system not in connectors:
        raise ConfigError(
            f"{resolve_path(config_path)}: no [{system}] table, so {system} is not synced "
            f"and cannot be backfilled; add the table, or choose one of: "
            f"{', '.join(sorted(connectors))}"
        )
    return connectors[system]


@click.command()
@config_option
@report_errors
def run(config_path: str | None) -> None:
    """Run the scheduler until SIGTERM or SIGINT: a cycle every few minutes, nightly rescore."""
    from leadsync.sync.scheduler import run_forever

    debug = bool(os.environ.get(DEBUG_ENV))
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")  # fmt: skip
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    run_forever(config_path)


COMMANDS = [backfill, run]
