"""`leadsync push serve`: the webhook receivers (one per CRM that pushes) and their worker."""

from __future__ import annotations

import logging
import os

import click
import uvicorn
from rich.console import Console

from leadsync.errors import ConfigError
from leadsync.sync.cli import DEBUG_ENV, config_option, load, report_errors
from leadsync.sync.redact import RedactingFilter
from leadsync.sync.runtime import build_runtime

console = Console(highlight=False)


@click.group()
def push() -> None:
    """Changes pushed by the CRMs: webhooks, change streams (polling stays as reconciliation)."""


@push.command("serve")
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; put a TLS proxy in front for the CRMs to reach it.",
)
@click.option("--port", default=8710, show_default=True, type=click.IntRange(1, 65535))
@report_errors
def serve(config_path: str | None, host: str, port: int) -> None:  # fmt: skip
    """Receive webhooks at /webhooks/<crm> and sync what they name within seconds."""
    from leadsync.sync.push.receiver import PushService, no_secret

    _logging()
    rt = build_runtime(load(config_path), actor="push")
    service = PushService(rt)
    if not service.configured and service.cdc is None:
        raise ConfigError(no_secret(rt).replace("restart", "run again")
                          + ", or turn on push.change_streams")  # fmt: skip
    service.worker.wake()  # notices queued before a restart are processed now
    if service.cdc is not None:
        service.cdc.start()
        console.print(f"{service.cdc.system} change events: {', '.join(service.cdc.topics)}")
    for path in service.paths:
        console.print(f"leadsync push on http://{host}:{port}{path} (Ctrl-C stops it)")
    config = uvicorn.Config(service.app(), host=host, port=port, server_header=False,
                            proxy_headers=False, log_level="warning")  # fmt: skip
    try:
        uvicorn.Server(config).run()
    finally:
        if service.cdc is not None:
            service.cdc.stop()
        service.worker.stop()


def _logging() -> None:
    debug = bool(os.environ.get(DEBUG_ENV))
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")  # fmt: skip
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


COMMANDS = [push]
