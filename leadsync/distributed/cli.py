"""`leadsync tenants add|list|remove|status|export|sync|backfill`, `leadsync worker`,
`leadsync beat`. The fleet's services come from the environment (see `settings`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from leadsync.sync.cli import report_errors

console = Console(highlight=False)


def _control() -> Any:
    from leadsync.distributed.registry import open_registry
    from leadsync.distributed.settings import fleet_settings

    fleet = fleet_settings()
    return fleet, open_registry(fleet.tenants_database_url)


@click.group()
def tenants() -> None:
    """Many portals and orgs: one tenant = one HubSpot portal + one Salesforce org + a config."""


@tenants.command("add")
@click.argument("name")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option("--secrets", "secrets_file", type=click.Path(dir_okay=False),
              help="TOML file of [hubspot]/[salesforce] secrets (else the environment).")  # fmt: skip
@report_errors
def add(name: str, config_path: str, secrets_file: str | None) -> None:
    """Register a tenant: check its config, make and migrate its schema."""
    from leadsync.distributed import registry, schemas
    from leadsync.distributed.tenant import secret_variables, tenant_settings
    from leadsync.sync.config import read_text

    fleet, control = _control()
    path = Path(config_path).resolve()
    secrets = str(Path(secrets_file).resolve()) if secrets_file else None
    tenant = registry.Tenant(registry.check_name(name), str(path), read_text(path), secrets,
                             datetime.now(UTC))  # fmt: skip
    tenant_settings(tenant, fleet.tenants_database_url, secrets=False)  # the file alone
    registry.ensure_absent(control, name)
    schemas.create(control, tenant.schema)
    registry.add(control, tenant)
    where = f"the secrets file {secrets}" if secrets else "the workers' environment"
    console.print(f"tenant {name} added: data in schema {tenant.schema}; secrets from {where}"
                  + ("" if secrets else f" ({', '.join([v for v in secret_variables(name) if 'ACCESS_TOKEN' in v])}, ...)"))  # fmt: skip


@tenants.command("update")
@click.argument("name")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@report_errors
def update(name: str, config_path: str) -> None:
    """Replace a tenant's config (checked first); its next task uses it, its data stays."""
    from dataclasses import replace

    from leadsync.distributed import registry
    from leadsync.distributed.tenant import tenant_settings
    from leadsync.sync.config import read_text

    fleet, control = _control()
    path = Path(config_path).resolve()
    tenant = replace(
        registry.get(control, name), config_path=str(path), config_text=read_text(path)
    )
    tenant_settings(tenant, fleet.tenants_database_url, secrets=False)  # the file alone
    registry.replace_config(control, name, tenant.config_path, tenant.config_text)
    console.print(f"tenant {name}: config replaced from {path}")


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
@report_errors
def list_(as_json: bool) -> None:
    """The registered tenants."""
    from leadsync.distributed.registry import all_tenants

    _, control = _control()
    rows = [{"name": t.name, "schema": t.schema, "config": t.config_path,
             "added_at": t.added_at.isoformat()} for t in all_tenants(control)]  # fmt: skip
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        console.print(f"{row['name']}\t{row['schema']}\t{row['config']}")
    if not rows:
        console.print("no tenants yet: leadsync tenants add NAME --config FILE")


@tenants.command("remove")
@click.argument("name")
@click.option("--drop-data", is_flag=True, help="Also drop the tenant's schema and all its data.")
@report_errors
def remove(name: str, drop_data: bool) -> None:
    """Stop scheduling a tenant; its data stays unless --drop-data."""
    from leadsync.distributed import registry, schemas

    _, control = _control()
    tenant = registry.get(control, name)
    registry.delete(control, name)
    if drop_data:
        schemas.drop(control, tenant.schema)
        console.print(f"tenant {name} removed and schema {tenant.schema} dropped")
    else:
        console.print(f"tenant {name} removed; its data stays in schema {tenant.schema} "
                      "(drop it with `remove --drop-data` after adding it back, or DROP SCHEMA)")  # fmt: skip


@tenants.command("status")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
@report_errors
def status(name: str | None, as_json: bool) -> None:
    """How each tenant's latest work ended, and when it last synced well."""
    from leadsync.distributed.status import status_rows

    _, control = _control()
    rows = status_rows(control, name)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table()
    for column in ("tenant", "status", "last good", "last run", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["tenant"], row["status"] or "never run", row["last_good_ago"] or "-",
                      str(row["last_run_id"] or "-"), (row["error"] or "")[:120])  # fmt: skip
    console.print(table)
    for row in rows:
        if row["advice"]:
            console.print(f"{row['tenant']}: {row['advice']}")


@tenants.command("export")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False))
@report_errors
def export(name: str, file: str) -> None:
    """Write the tenant's schema (tables and data) to FILE as SQL, with pg_dump."""
    from leadsync.distributed import registry
    from leadsync.distributed.status import dump_schema

    fleet, control = _control()
    tenant = registry.get(control, name)
    dump_schema(fleet.tenants_database_url, tenant.schema, Path(file))
    console.print(f"schema {tenant.schema} written to {file}")


@tenants.command("sync")
@click.argument("names", nargs=-1)
@report_errors
def sync_now(names: tuple[str, ...]) -> None:
    """Queue a cycle now for the named tenants (all when none are named)."""
    from leadsync.distributed import registry
    from leadsync.distributed.tasks import cycle

    fleet, control = _control()
    chosen = [registry.get(control, n).name for n in names] or [
        t.name for t in registry.all_tenants(control)
    ]
    for tenant in chosen:
        cycle.apply_async((tenant,), queue=fleet.queue)
    console.print(f"queued a cycle for {len(chosen)} tenant(s)")


@tenants.command("backfill")
@click.argument("name")
@click.option("--since", required=True, help="Start of history to pull (YYYY-MM-DD).")
@report_errors
def backfill(name: str, since: str) -> None:
    """Queue a tenant's history as monthly windows per CRM and stream, spread over workers."""
    from leadsync.distributed.status import queue_backfill

    fleet, control = _control()
    start = datetime.fromisoformat(since)
    count = queue_backfill(control, fleet.tenants_database_url, name,
                           start if start.tzinfo else start.replace(tzinfo=UTC),
                           queue=fleet.queue)  # fmt: skip
    console.print(f"queued {count} backfill windows for {name}")


@click.command()
@click.option("--concurrency", "-c", type=int, default=None, help="Processes (default: cores).")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork")
@click.option("--metrics-port", type=int, default=None,
              help="Port of /healthz and /metrics (default $LEADSYNC_METRICS_PORT or 9808; 0: none).")  # fmt: skip
@click.option("--hostname", "-n", default=None, help="Celery node name (default celery@HOST).")
@report_errors
def worker(
    concurrency: int | None, pool: str, metrics_port: int | None, hostname: str | None
) -> None:
    """A Celery worker running tenants' cycles, rescore shards and backfill windows."""
    from leadsync.distributed.workerproc import run_worker

    run_worker(concurrency=concurrency, pool=pool, metrics_port=metrics_port, hostname=hostname)


@click.command()
@report_errors
def beat() -> None:
    """Celery beat: every tenant's cycles and nightly rescore, from each tenant's config."""
    from leadsync.distributed.workerproc import run_beat

    run_beat()


COMMANDS = [tenants, worker, beat]
