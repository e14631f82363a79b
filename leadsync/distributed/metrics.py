"""Prometheus metrics per tenant and CRM.

Counters and histograms are written by whichever worker process ran the task. A prefork
worker's children share them through prometheus-client's multiprocess mode (the worker sets
`PROMETHEUS_MULTIPROC_DIR` before any child starts); `exposition` merges them. The time since
each tenant's last good cycle is read from the registry when scraped, so every worker and the
console report the same figure whichever process ran the cycle.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

PULLED = Counter("leadsync_records_pulled", "Records read from a CRM", ["tenant", "crm"])
WRITES = Counter("leadsync_writes", "Changes written to a CRM", ["tenant", "crm"])
ERRORS = Counter("leadsync_errors", "Failed work by kind", ["tenant", "crm", "type"])
API_CALLS = Counter("leadsync_api_calls", "Calls made to a CRM's API", ["tenant", "crm"])
THROTTLED = Counter("leadsync_api_throttled", "429 answers from a CRM", ["tenant", "crm"])
CYCLE_SECONDS = Histogram(
    "leadsync_cycle_seconds", "Wall time of one tenant's cycle", ["tenant", "kind"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200),
)  # fmt: skip


def count_cycle(tenant: str, result: Any) -> None:
    """A finished cycle's records pulled and writes sent, per CRM."""
    for key, count in result.ingest.by_stream.items():
        PULLED.labels(tenant, key.split(".", 1)[0]).inc(count)
    for crm, count in (result.apply.by_system if result.apply else {}).items():
        WRITES.labels(tenant, crm).inc(count)


def count_calls(tenant: str, connectors: Mapping[str, Any]) -> None:
    """API calls and 429s as each connector's client counted them during the task."""
    for crm, connector in connectors.items():
        client = getattr(connector, "client", None)
        budget, policy = getattr(client, "budget", None), getattr(client, "policy", None)
        if budget is not None:
            API_CALLS.labels(tenant, crm).inc(budget.calls)
        if policy is not None:
            THROTTLED.labels(tenant, crm).inc(getattr(policy, "rate_limited", 0))


def count_error(tenant: str, kind: str, crm: str = "") -> None:
    ERRORS.labels(tenant, crm, kind).inc()


class LastGoodCycle:
    """`leadsync_seconds_since_last_good_cycle{tenant}`, read from the registry when scraped."""

    def __init__(self, read_last_ok: Any) -> None:
        self.read_last_ok = read_last_ok

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "leadsync_seconds_since_last_good_cycle",
            "Seconds since the tenant's last cycle that ended ok (absent: none yet)",
            labels=["tenant"],
        )
        now = time.time()
        for name, at in self.read_last_ok().items():
            if at is not None:
                family.add_metric([name], max(0.0, now - at.timestamp()))
        yield family


def exposition(read_last_ok: Any = None) -> bytes:
    """The text a scrape gets: this process's (or every worker child's) metrics, plus ages."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    text = generate_latest(registry)
    if read_last_ok is not None:
        ages = CollectorRegistry()
        ages.register(LastGoodCycle(read_last_ok))
        text += generate_latest(ages)
    return text
