"""What a plan comes to, as an admin reads it before anything is sent.

Moves by transition (with example people), writes per CRM and object, records to create, and
the API calls they will cost at each connector's batch size. Filled from `Outcome`s by a dry
decide (`plan`, `sync --dry-run`, `rescore`, `preview`) and from rows already in the outbox.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.sync.outcome import Outcome, Write

# A batch that moves a forward-only stage property backwards costs three calls: clear, set,
# read back.
CLEAR_FIRST_CALLS = 3


@dataclass
class PlanSummary:
    """Totals of a plan; `rows` keeps the planned writes themselves when asked to."""

    keep_rows: bool = False
    examples_per_move: int = 3
    people: int = 0
    moves: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    creates: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rows: list[tuple[str | None, Write]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    _batches: Counter[tuple[str, str, bool, bool]] = field(default_factory=Counter)

    def add(self, out: Outcome, example: dict[str, Any] | None = None) -> None:
        self.people += 1
        if out.error is not None:
            self.errors.append({"email": out.email, "error": str(out.error)})
            return
        if out.stage is not out.stage_before and out.stage is not None:
            move = transition(out.stage_before, out.stage)
            self.moves[move] += 1
            shown = self.examples.setdefault(move, [])
            if len(shown) < self.examples_per_move:
                shown.append(example or {"email": out.email})
        self.add_writes(out.writes, out.email)

    def add_writes(self, writes: Iterable[Write], email: str | None = None) -> None:
        for write in writes:
            key = f"{write.system} {write.obj}"
            (self.creates if write.record_id is None else self.writes)[key] += 1
            self._batches[(write.system, write.obj, write.record_id is None,
                           bool(write.clear_first))] += 1  # fmt: skip
            if self.keep_rows:
                self.rows.append((email, write))

    def api_calls(self, batch_limits: Mapping[str, int]) -> dict[str, int]:
        """Calls per CRM: each kind of write in batches of the connector's size."""
        calls: Counter[str] = Counter()
        for (system, _obj, _create, clear_first), n in self._batches.items():
            per_batch = CLEAR_FIRST_CALLS if clear_first else 1
            calls[system] += math.ceil(n / batch_limits.get(system, 1)) * per_batch
        return dict(calls)

    def writes_by_system(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for key, n in (self.writes + self.creates).items():
            totals[key.split(" ", 1)[0]] += n
        return dict(totals)

    def as_dict(self, batch_limits: Mapping[str, int]) -> dict[str, Any]:
        return {
            "people": self.people,
            "moves": dict(self.moves.most_common()),
            "writes": self.writes_by_system(),
            "writes_by_object": dict(self.writes),
            "creates": sum(self.creates.values()),
            "creates_by_object": dict(self.creates),
            "api_calls": self.api_calls(batch_limits),
            "examples": self.examples,
            "errors": self.errors,
        }

    def rows_as_dicts(self, limit: int | None = None) -> list[dict[str, Any]]:
        return [
            {"email": email, "system": w.system, "object": w.obj, "record_id": w.record_id,
             "properties": dict(w.properties), "clear_first": list(w.clear_first),
             "reason": w.reason}
            for email, w in self.rows[:limit]
        ]  # fmt: skip


def transition(before: Any, after: Any) -> str:
    """`"lead->mql"`; a person never staged before comes from `new`."""
    return f"{before.value if before else 'new'}->{after.value}"
