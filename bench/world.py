"""Generation speed and memory of the sandbox world: `python -m bench.world [contacts] [seed]`.

Prints contacts per second, events per contact and peak RSS. Not run by the tests.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime

from leadsync.sandbox.world import generate


def main(contacts: int = 100_000, seed: int = 1) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    world = generate(contacts, seed, now=datetime(2025, 6, 1, tzinfo=UTC))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    counts = world.summary()
    hubspot = counts["hubspot"]
    events = sum(count for name, count in hubspot.items() if name not in ("contacts", "forms"))
    records = sum(counts["salesforce"].values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{contacts:,} contacts in {elapsed:.2f} s: {contacts / elapsed:,.0f} contacts/s")
    print(f"CPU time: {cpu:.2f} s (wall time suffers when other processes share the cores)")
    print(f"HubSpot events: {events:,} ({events / max(contacts, 1):.1f} per contact)")
    print(f"Salesforce records: {records:,}")
    print(f"peak RSS: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
