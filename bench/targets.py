"""The issue's targets, checked against measured phases; a miss says by how much and where.

calls       every phase, per system: calls <= 1.05 x (minimum + unavoidable overhead)
quiet       a cycle with nothing changed: <= 2 calls per stream and zero writes
wall        backfill: wall time <= 1.25 x the rate-limit floor
memory      backfill: peak RSS of the leadsync process <= 500 MB
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.phases import Phase, SystemCost

CALLS_RATIO = 1.05
WALL_RATIO = 1.25
RSS_MB = 500
QUIET_CALLS = 2
QUIET_PHASES = ("quiet-1", "quiet-2")


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
        if not phase.systems:
            continue
        for system, cost in phase.systems.items():
            found.append(_calls(phase.key, system, cost))
            if phase.key in QUIET_PHASES:
                found += _quiet(phase.key, system, cost)
        if phase.key == "backfill":
            found += _backfill(phase)
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


def _backfill(phase: Phase) -> list[Target]:
    ratio = phase.usage.wall / phase.floor if phase.floor else 0.0
    rss = phase.usage.peak_rss_mb
    return [
        Target(phase.key, "wall time", f"<= {WALL_RATIO} x {phase.floor:,.0f} s",
               f"{phase.usage.wall:,.0f} s ({ratio:.2f} x)", ratio <= WALL_RATIO),
        Target(phase.key, "peak RSS", f"<= {RSS_MB} MB", f"{rss:,.0f} MB", rss <= RSS_MB),
    ]  # fmt: skip
