"""The benchmark's phases against one sandbox: backfill, write-back, 1% change, quiet cycles,
then a preview of a rule change and the rescore of everyone, which call no CRM.

Each phase resets the sandbox's counters, runs leadsync in this process and returns a
`Phase`: per system the calls made (by stream and route) next to the minimum, the time spent
next to the rate-limit floor, and the records moved; always wall and CPU seconds of this
process (leadsync's, the sandbox's apart) and its peak RSS.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import changes, report
from bench.meter import Metered, Stopwatch, StreamTally, SystemTally, Usage, route_counter
from bench.minimum import Limits, Minimum
from bench.preview import candidate_rules
from bench.sandbox import SYSTEMS, SandboxProcess
from leadsync.sync.backfill import backfill
from leadsync.sync.config import load_settings
from leadsync.sync.cycle import run_cycle
from leadsync.sync.preview import preview
from leadsync.sync.rescore import review_rescore
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import PersonRow
from leadsync.sync.wiring import build_connectors

# Routes that move no records and that no connector can avoid: a Salesforce describe says
# which fields the integration user may read (a query naming a hidden one fails whole), and
# userinfo who that user is (its own edits coming back are not news).
OVERHEAD_ROUTES = ("/properties/", "/oauth2/token", "/describe", "/limits", "/userinfo")
# (system, stream) of the objects leadsync writes, for its own writes coming back.
WRITTEN_STREAM = {
    ("hubspot", "contact"): "contacts",
    ("salesforce", "Lead"): "Lead",
    ("salesforce", "Contact"): "Contact",
}


@dataclass
class StreamCost:
    stream: str
    calls: int
    minimum: int
    overhead: int
    records: int
    needed: int
    routes: dict[str, int]
    seconds: float  # its read, first record asked for to last read (ingest overlaps it)


@dataclass
class SystemCost:
    reads: int
    writes: int
    calls: int
    minimum: int
    overhead: int
    wall: float
    floor: float
    records: int
    throttled: int
    errors: int
    streams: list[StreamCost]
    write_calls: int
    write_minimum: int
    other_calls: dict[str, int]
    sent: dict[str, int]

    @property
    def ratio(self) -> float:
        return self.calls / max(1, self.minimum + self.overhead)


@dataclass
class Phase:
    key: str
    title: str
    usage: Usage
    systems: dict[str, SystemCost] = field(default_factory=dict)
    records: int = 0
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    store: str = "sqlite"

    @property
    def floor(self) -> float:
        return sum(s.floor for s in self.systems.values())


class Bench:
    """leadsync wired to a running sandbox, with a fresh store: SQLite in a temp directory, or
    the empty database at `database_url`."""

    def __init__(self, sandbox: SandboxProcess, database_url: str | None = None) -> None:
        self.sandbox = sandbox
        self.workdir = tempfile.TemporaryDirectory(prefix="leadsync-bench-")
        self.config = sandbox.configure(Path(self.workdir.name))
        if database_url:
            text = self.config.read_text(encoding="utf-8")
            self.config.write_text(re.sub(r"(?m)^database_url = .*$",
                                          f'database_url = "{database_url}"', text, count=1),
                                   encoding="utf-8")  # fmt: skip
        self.store = "postgresql" if database_url else "sqlite"
        self.rt: Runtime = build_runtime(load_settings(self.config))
        wired = build_connectors(self.rt)
        self.connectors = {
            name: Metered(wired[name], route_counter(sandbox.stats, name)) for name in SYSTEMS
        }
        self.records = {s: v["records"] for s, v in sandbox.stats().items()}
        hubspot = self.connectors["hubspot"].inner.settings
        salesforce = self.connectors["salesforce"].inner.settings
        query_page = sandbox.settings()["salesforce"]["query_batch_size"]
        forms = self.records["hubspot"].get("forms", 0)
        self.limits = Limits(hubspot, salesforce, query_page=query_page, forms=forms)
        self.own_writes: Counter[tuple[str, str]] = Counter()
        self.last_cycle_end = 0.0

    def close(self) -> None:
        self.rt.close()
        self.workdir.cleanup()

    # --- phases ------------------------------------------------------------------------

    def backfill(self) -> Phase:
        phase = self._measure("backfill", "Backfill: full history of both CRMs", full=True,
                              action=lambda: backfill(self.rt, self.connectors))  # fmt: skip
        for system, counts in self.records.items():
            for cost in phase.systems[system].streams:
                held = counts.get(cost.stream)
                if held is not None and held != cost.records:
                    phase.notes.append(f"{system}.{cost.stream}: read {cost.records:,} records, "
                                       f"the CRM holds {held:,}")  # fmt: skip
        return phase

    def cycle(
        self, key: str, title: str, changed: Mapping[tuple[str, str], int] | None = None
    ) -> Phase:
        """One incremental cycle; `changed`: records edited by others since the last cycle.

        Cycles start at least one look-back apart, as the 5-minute schedule always leaves
        them: back to back, each would re-read the last cycle's index-lag stretch.
        """
        self._await_schedule()
        needed = Counter(changed or {}) + self.own_writes
        phase = self._measure(key, title, full=False, needed=needed,
                              action=lambda: run_cycle(self.rt, self.connectors))  # fmt: skip
        self.last_cycle_end = time.monotonic()
        return phase

    def _await_schedule(self) -> None:
        gap = max(c.inner.lookback for c in self.connectors.values()).total_seconds() + 1
        wait = self.last_cycle_end + gap - time.monotonic() if self.last_cycle_end else 0
        if wait > 0:
            report.console.print(f"waiting {wait:.0f} s: cycles start one look-back apart")
            time.sleep(wait)

    def change_one_percent(self) -> dict[tuple[str, str], int]:
        """Edit 1% of HubSpot contacts and of Salesforce Leads and Contacts, outside leadsync."""
        hubspot = changes.every_hundredth(self.rt.sessions, "hubspot_contact")
        leads = changes.every_hundredth(self.rt.sessions, "salesforce_lead")
        contacts = changes.every_hundredth(self.rt.sessions, "salesforce_contact")
        changes.edit_hubspot(self.sandbox.info, hubspot)
        records = [("Lead", i) for i in leads] + [("Contact", i) for i in contacts]
        changes.edit_salesforce(self.sandbox.info, records)
        return {
            ("hubspot", "contacts"): len(hubspot),
            ("salesforce", "Lead"): len(leads),
            ("salesforce", "Contact"): len(contacts),
        }

    def preview(self) -> Phase:
        """`leadsync preview` of a candidate that lowers the MQL bar (total 50 -> 40)."""
        path = self.config.with_name("candidate.toml")
        path.write_text(self.config.read_text(encoding="utf-8") + "\n" + candidate_rules(),
                        encoding="utf-8")  # fmt: skip
        candidate = load_settings(path, secrets=False)
        phase = self._local("preview", "Preview of a rule change: everyone decided by both configs",
                            lambda: preview(self.rt, candidate, now=self.rt.clock()))  # fmt: skip
        phase.extra["moves"] = sum(phase.extra.pop("result").moves.values())
        return phase

    def rescore(self) -> Phase:
        """`leadsync rescore` without --apply: everyone scored, decided and planned, dry."""
        phase = self._local("rescore", "Rescore review: everyone scored, decided and planned",
                            lambda: review_rescore(self.rt, self.connectors, kind="rescore-plan"))  # fmt: skip
        phase.extra["moves"] = sum(phase.extra.pop("result").moves.values())
        return phase

    def _local(self, key: str, title: str, action: Callable[[], Any]) -> Phase:
        """A phase that calls no CRM: time, memory and people per CPU-second."""
        with self.rt.sessions() as session:
            people = session.query(PersonRow).count()
        with Stopwatch(self.sandbox.cpu_seconds) as watch:
            result = action()
        phase = Phase(key, title, watch.usage, store=self.store)
        phase.records = people
        phase.extra |= {"result": result, "people": people,
                        "people_per_cpu_second": people / max(watch.usage.cpu, 1e-9)}  # fmt: skip
        return phase

    # --- measurement -------------------------------------------------------------------

    def _measure(self, key: str, title: str, *, full: bool, action: Callable[[], Any],
                 needed: Mapping[tuple[str, str], int] | None = None) -> Phase:  # fmt: skip
        self.sandbox.reset()
        for connector in self.connectors.values():
            connector.reset()
        with Stopwatch(self.sandbox.cpu_seconds) as watch:
            result = action()
        stats = self.sandbox.stats()
        phase = Phase(key, title, watch.usage, store=self.store)
        self.own_writes = Counter()
        for system, connector in self.connectors.items():
            tally = connector.reset()
            phase.systems[system] = self._system(system, stats[system], tally, full, needed)
            for obj, written in tally.written.items():
                stream = WRITTEN_STREAM.get((system, obj))
                if stream:
                    self.own_writes[(system, stream)] += written
        phase.records = sum(s.records for s in phase.systems.values())
        phase.extra["result"] = _summary(result)
        return phase

    def _system(self, system: str, stats: dict[str, Any], tally: SystemTally, full: bool,
                needed: Mapping[tuple[str, str], int] | None) -> SystemCost:  # fmt: skip
        routes = Counter(stats["by_route"])
        streams = [
            self._stream(system, name, t, full,
                         t.records if needed is None else needed.get((system, name), 0))
            for name, t in tally.streams.items()
        ]  # fmt: skip
        rest = routes - sum((Counter(s.routes) for s in streams), Counter())
        overhead = {r: n for r, n in rest.items() if _overhead(r)}
        write_calls = sum(rest.values()) - sum(overhead.values())
        sent = tally.sent
        writes = self.limits.writes(system, sent["update"], sent["create"], sent["move"])
        return SystemCost(
            reads=stats["reads"], writes=stats["writes"], calls=stats["requests"],
            minimum=sum(s.minimum for s in streams) + writes.calls,
            overhead=sum(s.overhead for s in streams) + sum(overhead.values()),
            wall=tally.read_seconds + tally.write_seconds,
            floor=self.limits.floor(system, routes),
            records=sum(s.records for s in streams) + sum(tally.written.values()),
            throttled=stats["throttled"], errors=stats["errors"], streams=streams,
            write_calls=write_calls, write_minimum=writes.calls, other_calls=overhead,
            sent=dict(sent),
        )  # fmt: skip

    def _stream(self, system: str, stream: str, tally: StreamTally, full: bool,
                needed: int) -> StreamCost:  # fmt: skip
        by_form = tally.by_form
        if not full and stream == "form_submissions":
            by_form = Counter()  # an increment: at least one call per form, see `Limits`
        minimum: Minimum = self.limits.read(system, stream, needed, full=full, by_form=by_form)
        # A reader thread describes its object as it begins: overhead, wherever it is counted.
        unavoidable = sum(n for r, n in tally.calls.items() if _overhead(r))
        return StreamCost(stream, sum(tally.calls.values()), minimum.calls,
                          minimum.overhead + unavoidable, tally.records, needed,
                          dict(tally.calls), tally.seconds)  # fmt: skip


def _overhead(route: str) -> bool:
    return any(o in route for o in OVERHEAD_ROUTES)


def _summary(result: Any) -> dict[str, Any]:
    if hasattr(result, "as_dict"):
        data = result.as_dict()
        return {k: v for k, v in data.items() if k not in ("started_at", "end", "since")}
    return {}
