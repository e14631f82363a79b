"""What a phase costs: API calls per stream, wall and CPU time, peak resident memory.

Calls are attributed to streams by reading the system's own counters before and after each
stream's read (leadsync reads the CRMs at once, but one stream of a CRM at a time); whatever a
phase spends outside reads (writes, provisioning, look-ups) is attributed by route afterwards.
A stream's seconds run from its first record asked for to its last read: ingest overlaps them.
"""

from __future__ import annotations

import contextlib
import gc
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadsync.connectors.base import Change, Connector, RawRecord, Window, WriteResult

Routes = Callable[[], Counter[str]]


@dataclass
class StreamTally:
    calls: Counter[str] = field(default_factory=Counter)  # route -> calls
    records: int = 0
    by_form: Counter[str] = field(default_factory=Counter)  # form_submissions only
    seconds: float = 0.0


@dataclass
class SystemTally:
    streams: dict[str, StreamTally] = field(default_factory=dict)
    # First write sent to last answer: the drain, bookkeeping between batches included.
    write_span: tuple[float, float] | None = None
    sent: Counter[str] = field(default_factory=Counter)  # update / create / move
    written: Counter[str] = field(default_factory=Counter)  # object -> records written

    @property
    def read_seconds(self) -> float:
        return sum(s.seconds for s in self.streams.values())

    @property
    def write_seconds(self) -> float:
        return self.write_span[1] - self.write_span[0] if self.write_span else 0.0


class Metered:
    """A connector that counts what each stream read costs; everything else passes through."""

    def __init__(self, inner: Connector, routes: Routes) -> None:
        self.inner = inner
        self.routes = routes
        self.tally = SystemTally()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def reset(self) -> SystemTally:
        done, self.tally = self.tally, SystemTally()
        return done

    def read(self, stream: str, window: Window) -> Iterator[RawRecord]:
        tally = self.tally.streams.setdefault(stream, StreamTally())
        return self._counted(stream, window, tally)

    def _counted(self, stream: str, window: Window, tally: StreamTally) -> Iterator[RawRecord]:
        before, started = self.routes(), time.perf_counter()
        try:
            for record in self.inner.read(stream, window):
                tally.records += 1
                if stream == "form_submissions":
                    tally.by_form[str(record.data.get("form_id"))] += 1
                yield record
        finally:
            tally.seconds += time.perf_counter() - started
            tally.calls += self.routes() - before

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        started = time.perf_counter()
        try:
            results = self.inner.write(changes)
        finally:
            first = self.tally.write_span[0] if self.tally.write_span else started
            self.tally.write_span = (first, time.perf_counter())
        for change, result in zip(changes, results, strict=False):
            kind = "create" if change.record_id is None else "update"
            self.tally.sent[kind] += 1
            self.tally.sent["move"] += bool(change.clear_first)
            self.tally.written[change.obj] += result.ok
        return results


def route_counter(stats: Callable[[], dict[str, Any]], system: str) -> Routes:
    return lambda: Counter(stats()[system]["by_route"])


@dataclass
class Usage:
    wall: float = 0.0
    cpu: float = 0.0
    sandbox_cpu: float = 0.0
    peak_rss_mb: float = 0.0  # 10^6 bytes
    load: tuple[float, ...] = ()


class Stopwatch:
    """Wall, CPU (this process) and sandbox CPU over a block; peak RSS of this process in it."""

    def __init__(self, sandbox_cpu: Callable[[], float]) -> None:
        self.sandbox_cpu = sandbox_cpu
        self.usage = Usage()

    def __enter__(self) -> Stopwatch:
        gc.collect()
        reset_peak_rss()
        self._start = (time.perf_counter(), time.process_time(), self.sandbox_cpu())
        return self

    def __exit__(self, *exc: object) -> None:
        wall, cpu, sandbox = self._start
        self.usage = Usage(
            wall=time.perf_counter() - wall,
            cpu=time.process_time() - cpu,
            sandbox_cpu=self.sandbox_cpu() - sandbox,
            peak_rss_mb=peak_rss_mb(),
            load=_load(),
        )


STATUS = Path("/proc/self/status")


def reset_peak_rss() -> None:
    """Linux resets VmHWM (the peak RSS) when 5 is written to clear_refs; ignored elsewhere."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """Peak RSS in MB since the last reset (VmHWM), else since the start (ru_maxrss)."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def _load() -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ()
