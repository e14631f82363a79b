"""`leadsync beat`: each tenant's schedule from its own config, re-read from the registry.

Per tenant: a cycle every `sync.interval_minutes` (its messages expire after one interval, so
a stopped fleet does not come back to a pile of stale cycles), and the nightly rescore at
`sync.full_rescore_at` in `sync.timezone`. Tenants added or removed, and configs replaced, are
picked up within `REFRESH` seconds without restarting beat.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.beat import Scheduler
from celery.schedules import crontab

from leadsync.distributed import registry
from leadsync.distributed.logs import log
from leadsync.distributed.settings import fleet_settings
from leadsync.distributed.tenant import tenant_settings
from leadsync.errors import LeadsyncError

REFRESH = 30.0


def tenant_entries(tenant: registry.Tenant, base_url: str) -> dict[str, dict[str, Any]]:
    """The beat entries of one tenant; a config that no longer loads schedules nothing."""
    sync = tenant_settings(tenant, base_url, secrets=False).sync
    every = timedelta(minutes=sync.interval_minutes)
    hour, minute = (int(part) for part in sync.full_rescore_at.split(":"))
    zone = ZoneInfo(sync.timezone)
    return {
        f"cycle:{tenant.name}": {
            "task": "leadsync.cycle", "schedule": every, "args": (tenant.name,),
            "options": {"expires": every.total_seconds()},
            # A tenant new to this beat gets its first cycle at once, not one interval later.
            "last_run_at": datetime.now(UTC) - every,
        },
        f"nightly:{tenant.name}": {
            "task": "leadsync.nightly", "args": (tenant.name,),
            "schedule": crontab(hour=hour, minute=minute, nowfun=lambda: datetime.now(zone)),
        },
    }  # fmt: skip


def all_entries(tenants: list[registry.Tenant], base_url: str) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for tenant in tenants:
        try:
            entries.update(tenant_entries(tenant, base_url))
        except LeadsyncError as exc:
            log.warning("not scheduled", tenant=tenant.name, error=str(exc))
    return entries


class TenantScheduler(Scheduler):
    """Celery's in-memory scheduler, its entries made from the registry."""

    _refreshed = 0.0

    def setup_schedule(self) -> None:
        self.fleet = fleet_settings()
        self.control = registry.open_registry(self.fleet.tenants_database_url)
        self._refresh()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if time.monotonic() - self._refreshed > REFRESH:
            self._refresh()
        return min(super().tick(*args, **kwargs), REFRESH)

    def _refresh(self) -> None:
        tenants = registry.all_tenants(self.control)
        self.merge_inplace(all_entries(tenants, self.fleet.tenants_database_url))
        self._refreshed = time.monotonic()
