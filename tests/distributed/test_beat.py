"""Beat's schedule comes from each tenant's own config; a broken config schedules nothing
for that tenant and everything for the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_each_tenant_gets_its_interval_and_its_nightly_rescore_in_its_time_zone():
    entries = all_entries([_tenant("acme", CONFIG), _tenant("broken", "[sync]\ninterval_minutes = 0\n")], BASE)  # fmt: skip
    assert set(entries) == {"cycle:acme", "nightly:acme"}
    cycle = entries["cycle:acme"]
    assert (cycle["task"], cycle["args"]) == ("leadsync.cycle", ("acme",))
    assert cycle["schedule"] == timedelta(minutes=7)
    assert cycle["options"]["expires"] == 420  # a stale cycle never waits in the queue
    nightly = entries["nightly:acme"]["schedule"]
    assert (nightly.hour, nightly.minute) == ({3}, {15})
    assert str(nightly.nowfun().tzinfo) == "Europe/Berlin"
