"""`leadsync sandbox serve`: run both CRM emulators until SIGINT/SIGTERM.

The first stdout line is one JSON object (`hubspot_url`, `salesforce_url`, `sandbox_url`,
`ca_bundle`, `hubspot_token`, `salesforce_token`) so scripts can read it and go.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from leadsync.sandbox.hubspot import TIERS
from leadsync.sandbox.server import Sandbox


@click.group("sandbox")
def sandbox() -> None:
    """Local HubSpot and Salesforce emulators with synthetic data."""


@sandbox.command("serve")
@click.option(
    "--port", type=int, default=0, show_default=True, help="Port of the sandbox API (0 = free)."
)
@click.option("--contacts", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--tier", type=click.Choice(sorted(TIERS)), default="professional", show_default=True)
@click.option(
    "--write-config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a config.toml pointing at this sandbox (tokens go to stderr, not the file).",
)
def serve(port: int, contacts: int, seed: int, tier: str, config_path: Path | None) -> None:
    """Serve until interrupted; print the connection details as one JSON line first."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Sandbox(contacts=contacts, seed=seed, tier=tier, port=port) as running:
        info = running.info()
        # The config first: whoever reads the JSON line may use the config at once.
        if config_path is not None:
            config_path.write_text(sandbox_config(info, tier, config_path.parent), encoding="utf-8")
            click.echo(f"wrote {config_path}", err=True)
        click.echo(json.dumps(info), nl=True)
        sys.stdout.flush()
        for line in token_environment(info):
            click.echo(line, err=True)
        stop.wait()


def sandbox_config(info: dict[str, Any], tier: str, directory: Path) -> str:
    """A ready config.toml for the running sandbox; secrets stay in the environment."""
    database = (directory / "leadsync.db").resolve()
    lines = [
        "# Written by `leadsync sandbox serve`. Tokens come from the environment:",
        "# LEADSYNC_HUBSPOT__ACCESS_TOKEN and LEADSYNC_SALESFORCE__ACCESS_TOKEN.",
        f"database_url = {_toml(f'sqlite:///{database}')}",
        "",
        "[hubspot]",
        f"base_url = {_toml(info['hubspot_url'])}",
        f"tier = {_toml(tier)}",
        "",
        "[salesforce]",
        f"instance_url = {_toml(info['salesforce_url'] or '')}",
        'auth = "session"',
    ]
    if info.get("ca_bundle"):
        lines.append(f"ca_bundle = {_toml(info['ca_bundle'])}")
    if info.get("pubsub_url"):
        lines.append(f"pubsub_url = {_toml(info['pubsub_url'])}")
    return "\n".join(lines) + "\n"


def token_environment(info: dict[str, Any]) -> list[str]:
    lines = [f"LEADSYNC_HUBSPOT__ACCESS_TOKEN={info['hubspot_token']}"]
    if info.get("salesforce_token"):
        lines.append(f"LEADSYNC_SALESFORCE__ACCESS_TOKEN={info['salesforce_token']}")
    return lines


def _toml(text: str) -> str:
    return json.dumps(str(text))
