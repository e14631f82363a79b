"""The issue's targets, checked against measured phases; a miss says by how much and where.

calls       every phase, per system: calls <= 1.05 x (minimum + unavoidable overhead)
quiet       a cycle with nothing changed: <= 2 calls per stream and zero writes
wall        backfill: wall time <= 1.25 x the rate-limit floor
memory      every phase: peak RSS of the leadsync process <= 500 MB
preview     a rule change's preview at >= 10,000 people per wall second (100,000 in 10 s)
rescore     the rescore review (scores, stage decisions, plan) >= 100,000 people per CPU-second
postgres    every phase: PostgreSQL's CPU <= 1.2 x SQLite's
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.phases import Phase, SystemCost

CALLS_RATIO = 1.05
WALL_RATIO = 1.25
RSS_MB = 500
QUIET_CALLS = 2
QUIET_PHASES = ("quiet-1", "quiet-2")
PREVIEW_PER_SECOND = 10_000
RESCORE_PER_CPU_SECOND = 100_000
POSTGRES_CPU_RATIO = 1.2


@dataclass
class Target:
    phase: str
    name: str
    limit: str
    value: str
    met: bool
    why: str = ""


def check(phases: list[Phase]) -> list[Target]:
    found: list[Target] = []
    for phase in phases:
        key = f"{phase.key} ({phase.store})"
        found.append(_memory(key, phase))
        for system, cost in phase.systems.items():
            found.append(_calls(key, system, cost))
            if phase.key in QUIET_PHASES:
                found += _quiet(key, system, cost)
        if phase.key == "backfill":
            found += _backfill(key, phase)
        if phase.key in ("preview", "rescore"):
            found.append(_local(key, phase))
    return found + _postgres(phases)


def _memory(key: str, phase: Phase) -> Target:
    rss = phase.usage.peak_rss_mb
    return Target(key, "peak RSS", f"<= {RSS_MB} MB", f"{rss:,.0f} MB", rss <= RSS_MB)


def _local(key: str, phase: Phase) -> Target:
    people, u = phase.records, phase.usage
    if phase.key == "preview":
        rate = people / max(u.wall, 1e-9)
        return Target(key, "people per wall second", f">= {PREVIEW_PER_SECOND:,}",
                      f"{rate:,.0f} ({people:,} in {u.wall:,.1f} s, {u.cpu:,.1f} CPU-s)",
                      rate >= PREVIEW_PER_SECOND, "" if rate >= PREVIEW_PER_SECOND else _BOUND)  # fmt: skip
    rate = people / max(u.cpu, 1e-9)
    return Target(key, "people per CPU-second", f">= {RESCORE_PER_CPU_SECOND:,}",
                  f"{rate:,.0f}", rate >= RESCORE_PER_CPU_SECOND,
                  "" if rate >= RESCORE_PER_CPU_SECOND else _BOUND)  # fmt: skip


_BOUND = "scoring is on columns; each person's evidence, decision and plan is still Python"


def _postgres(phases: list[Phase]) -> list[Target]:
    sqlite = {p.key: p for p in phases if p.store == "sqlite"}
    found = []
    for phase in (p for p in phases if p.store == "postgresql" and p.key in sqlite):
        base = sqlite[phase.key].usage.cpu
        ratio = phase.usage.cpu / base if base else 0.0
        met = ratio <= POSTGRES_CPU_RATIO
        found.append(Target(phase.key, "CPU on PostgreSQL", f"<= {POSTGRES_CPU_RATIO} x SQLite",
                            f"{phase.usage.cpu:,.1f} s vs {base:,.1f} s ({ratio:.2f} x)", met))  # fmt: skip
    return found


def _calls(key: str, system: str, cost: SystemCost) -> Target:
    allowed = cost.minimum + cost.overhead
    met = cost.ratio <= CALLS_RATIO
    return Target(key, f"{system} calls", f"<= {CALLS_RATIO} x {allowed:,}",
                  f"{cost.calls:,} ({cost.ratio:.2f} x)", met,
                  "" if met else _excess(system, cost))  # fmt: skip


def _excess(system: str, cost: SystemCost) -> str:
    """The streams (and writes) that spent more than their minimum, largest first."""
    parts = []
    for s in sorted(cost.streams, key=lambda s: s.minimum + s.overhead - s.calls):
        extra = s.calls - s.minimum - s.overhead
        if extra <= 0:
            continue
        reread = (
            f": read {s.records:,} records where {s.needed:,} had changed"
            if s.records > s.needed
            else ""
        )
        parts.append(
            f"{system}.{s.stream} +{extra:,} calls ({s.calls:,} vs {s.minimum + s.overhead:,}){reread}"
        )
    if cost.write_calls > cost.write_minimum:
        parts.append(f"{system} writes +{cost.write_calls - cost.write_minimum:,} calls "
                     f"({cost.write_calls:,} vs {cost.write_minimum:,})")  # fmt: skip
    return "; ".join(parts)


def _quiet(key: str, system: str, cost: SystemCost) -> list[Target]:
    over = [
        f"{s.stream} {s.calls} (> {QUIET_CALLS}; read {s.records:,} records)"
        for s in cost.streams
        if s.calls > QUIET_CALLS
    ]
    worst = max((s.calls for s in cost.streams), default=0)
    return [
        Target(key, f"{system} calls per stream", f"<= {QUIET_CALLS}", f"max {worst}", not over,
               "; ".join(over)),
        Target(key, f"{system} writes", "0", str(cost.writes), cost.writes == 0,
               "" if cost.writes == 0 else f"{cost.write_calls} write calls"),
    ]  # fmt: skip


def _backfill(key: str, phase: Phase) -> list[Target]:
    ratio = phase.usage.wall / phase.floor if phase.floor else 0.0
    return [
        Target(key, "wall time", f"<= {WALL_RATIO} x {phase.floor:,.0f} s",
               f"{phase.usage.wall:,.0f} s ({ratio:.2f} x)", ratio <= WALL_RATIO),
    ]  # fmt: skip
