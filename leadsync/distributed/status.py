"""What `leadsync tenants status|export|backfill` read and do, apart from printing."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from leadsync.distributed import registry
from leadsync.distributed.tenant import env_prefix, tenant_settings
from leadsync.errors import LeadsyncError
from leadsync.sync.backfill import month_windows
from leadsync.sync.cycle import ordered_streams

# What an admin should do about each way a tenant's work can end.
ADVICE = {
    "auth": "the CRM refused the tenant's credentials: set new ones in its environment "
            "({prefix}...) or secrets file; the next cycle picks them up",
    "quota": "the daily API allowance is spent; work resumes after it resets",
    "config": "the tenant's config does not load: fix the file, then `tenants remove` and `add`",
    "crashed": "a bug: the worker's log has the tenant's line; report it",
}  # fmt: skip


def _ago(at: datetime | None, now: datetime) -> str | None:
    if at is None:
        return None
    seconds = int((now - at).total_seconds())
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"


def _advice(tenant: registry.Tenant) -> str | None:
    advice = ADVICE.get(tenant.last_status or "")
    return advice.replace("{prefix}", env_prefix(tenant.name)) if advice else None


def status_rows(control: Engine, name: str | None = None) -> list[dict[str, Any]]:
    tenants = [registry.get(control, name)] if name else registry.all_tenants(control)
    now = datetime.now(UTC)
    return [
        {
            "tenant": t.name, "schema": t.schema, "status": t.last_status,
            "last_finished_at": t.last_finished_at, "last_ok_at": t.last_ok_at,
            "last_good_ago": _ago(t.last_ok_at, now), "last_run_id": t.last_run_id,
            "error": t.last_error, "advice": _advice(t),
        }
        for t in tenants
    ]  # fmt: skip


def dump_schema(base_url: str, schema: str, file: Path) -> None:
    """The tenant's schema as SQL, by pg_dump (only that schema: no other tenant's data)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise LeadsyncError("pg_dump is not installed; install the PostgreSQL client tools "
                            "(apt-get install postgresql-client) and run again")  # fmt: skip
    url = make_url(base_url).set(drivername="postgresql")
    done = subprocess.run(
        [pg_dump, "--schema", schema, "--no-owner", "--file", str(file),
         url.render_as_string(hide_password=False)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise LeadsyncError(f"pg_dump of schema {schema} failed: {done.stderr.strip()[:300]}")


def queue_backfill(
    control: Engine, base_url: str, name: str, since: datetime, *, queue: str
) -> int:
    """Queue one task per (CRM, stream, month) of the tenant's history; return how many."""
    from celery import chain

    from leadsync.distributed.tasks import backfill_window
    from leadsync.sync.runtime import build_runtime
    from leadsync.sync.wiring import build_connectors

    tenant = registry.get(control, name)
    rt = build_runtime(tenant_settings(tenant, base_url), actor="backfill")
    try:
        connectors = build_connectors(rt)
        end = rt.clock()
        windows = [
            backfill_window.si(name, system, stream, w.start.isoformat(), w.end.isoformat()).set(
                queue=queue
            )
            for system, connector in connectors.items()
            for stream in ordered_streams(connector)
            for w in month_windows(since, end)
        ]
        # One after another (they share the tenant's lock and API limits), each on whichever
        # worker is free; a failed window is recorded and the chain goes on.
        chain(*windows).apply_async()
        return len(windows)
    finally:
        rt.close()
