"""Beat's schedule comes from each tenant's own config; a broken config schedules nothing
for that tenant and everything for the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadsync.distributed.beat import all_entries
from leadsync.distributed.registry import Tenant

BASE = "postgresql+psycopg://fleet@127.0.0.1/fleet"
CONFIG = """
[hubspot]
base_url = "http://127.0.0.1:9"
[salesforce]
instance_url = "https://127.0.0.1:9"
auth = "session"
[sync]
interval_minutes = 7
full_rescore_at = "03:15"
timezone = "Europe/Berlin"
"""


def _tenant(name: str, text: str) -> Tenant:
    return Tenant(name, f"/etc/leadsync/{name}.toml", text, None, datetime.now(UTC))


@pytest.mark.parametrize(("day", "utc"), [("2027-01-15", (2, 15)), ("2027-07-15", (1, 15))])
def test_each_tenant_gets_its_interval_and_its_nightly_rescore_in_its_time_zone(day, utc):
    now = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    tenants = [_tenant("acme", CONFIG), _tenant("broken", "[sync]\ninterval_minutes = 0\n")]
    entries = all_entries(tenants, BASE, now)
    assert set(entries) == {"cycle:acme", "nightly:acme"}
    cycle = entries["cycle:acme"]
    assert (cycle["task"], cycle["args"]) == ("leadsync.cycle", ("acme",))
    assert cycle["schedule"] == timedelta(minutes=7)
    assert cycle["options"]["expires"] == 420  # a stale cycle never waits in the queue
    # 03:15 in Berlin: 02:15 UTC in winter, 01:15 UTC in summer.
    nightly = entries["nightly:acme"]["schedule"]
    assert (nightly.hour, nightly.minute) == ({utc[0]}, {utc[1]})
