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


def utc_clock_time(at: str, zone: str, now: datetime) -> tuple[int, int]:
    """Hour and minute in UTC of `at` (HH:MM) in `zone` on `now`'s date.

    Beat's crontabs run in UTC; entries are remade every `REFRESH` seconds, so a change of
    summer time moves the UTC time with it.
    """
    hour, minute = (int(part) for part in at.split(":"))
    local = now.astimezone(ZoneInfo(zone)).replace(hour=hour, minute=minute, second=0,
                                                   microsecond=0)  # fmt: skip
    moment = local.astimezone(UTC)
    return moment.hour, moment.minute


def tenant_entries(
    tenant: registry.Tenant, base_url: str, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """The beat entries of one tenant; a config that no longer loads schedules nothing."""
    sync = tenant_settings(tenant, base_url, secrets=False).sync
    every = timedelta(minutes=sync.interval_minutes)
    now = now or datetime.now(UTC)
    hour, minute = utc_clock_time(sync.full_rescore_at, sync.timezone, now)
    return {
        f"cycle:{tenant.name}": {
            "task": "leadsync.cycle", "schedule": every, "args": (tenant.name,),
            "options": {"expires": every.total_seconds()},
            # A tenant new to this beat gets its first cycle at once, not one interval later.
            "last_run_at": now - every,
        },
        f"nightly:{tenant.name}": {
            "task": "leadsync.nightly", "args": (tenant.name,),
            "schedule": crontab(hour=hour, minute=minute),
        },
    }  # fmt: skip


def all_entries(
    tenants: list[registry.Tenant], base_url: str, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for tenant in tenants:
        try:
            entries.update(tenant_entries(tenant, base_url, now))
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
