"""A person's past stage moves, rebuilt from the moments their CRM records entered each stage.

Pure: the caller reads the moments (a CRM's own `date_entered_<value>`, a record's creation,
an Opportunity's creation and close) and maps each CRM value to a canonical stage through the
vocabulary first. `moves` orders them into the forward path the ladder allows: a moment that
does not move the person forward (a later record's creation, a stage already passed) is
dropped, so two CRMs telling the same story give one trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadsync.mapping.model import Stage


@dataclass(frozen=True, slots=True)
class Milestone:
    """A record entered `stage` at `at`; `system` and `source` say which record and field."""

    stage: Stage
    at: datetime
    system: str
    source: str


@dataclass(frozen=True, slots=True)
class PastMove:
    """One reconstructed change of canonical stage."""

    src: Stage | None
    dst: Stage
    at: datetime
    system: str
    source: str


def moves(milestones: Iterable[Milestone]) -> list[PastMove]:
    """The forward path through `milestones`, oldest first.

    Ties at one moment go up the ladder (a CRM may stamp skipped stages with one instant).
    Suspect is a side state: entered from below opportunity, and left by any later stage
    above the last one on the ladder.
    """
    path: list[PastMove] = []
    current: Stage | None = None
    highest: Stage | None = None
    for m in sorted(milestones, key=lambda m: (m.at, m.stage.rank, m.system, m.source)):
        if not _forward(current, highest, m.stage):
            continue
        path.append(PastMove(current, m.stage, m.at, m.system, m.source))
        current = m.stage
        if m.stage is not Stage.SUSPECT:
            highest = m.stage
    return path


def _forward(current: Stage | None, highest: Stage | None, stage: Stage) -> bool:
    if current is None:
        return True
    if stage is Stage.SUSPECT:
        return current is not Stage.SUSPECT and current.rank < Stage.OPPORTUNITY.rank
    return highest is None or stage.rank > highest.rank
