"""`leadsync calibrate` over the store: each person as a `Case`, then `scoring.calibrate`.

Read-only and offline: people, their events and the ledger (reconstructed history included)
come from a read-only session; no CRM is called and nothing is stored. A person's creation is
the first moment the ledger knows them at (the CRM's own creation date, from the history),
else when leadsync first stored them; their outcome is the first time they reached the
outcome's stage (a won deal reaches customer), or the close date of a won Opportunity tied to
one of their records, whichever came first. `scoring.cases.case_at` cuts each person just
before it, or at a fixed horizon after creation.

People created less than that horizon ago are left out, winners or not: they have not had the
time to reach the outcome, and counting them as failures would teach the rules that the newest
people never buy (and leave the time-split test set without outcomes).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.errors import UsageError
from leadsync.mapping.model import EngagementEvent, EventKind, Person, Stage, System
from leadsync.mapping.transforms import timestamp
from leadsync.scoring.calibrate import Calibration, calibrate
from leadsync.scoring.cases import HORIZON, Case, case_at
from leadsync.scoring.metrics import reached
from leadsync.scoring.thresholds import Target
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import (
    EventRow,
    LedgerRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
)

# `--outcome` -> the stage whose first reaching counts as the outcome
OUTCOMES = {"won": Stage.CUSTOMER, "opportunity": Stage.OPPORTUNITY, "sql": Stage.SQL}


class _Move(NamedTuple):
    person_id: str
    src: Stage | None
    dst: Stage
    at: datetime


def run_calibration(
    rt: Runtime, outcome: str = "won", *, since: datetime | None = None,
    target: Target | None = None, shuffle: random.Random | None = None,
    progress: Callable[[str], None] | None = None,
) -> Calibration:  # fmt: skip
    """Calibrate the current rules against the store's history.

    `shuffle` (tests only) permutes the outcomes among the people, keeping each person's own
    cutoff: whatever the calibration then finds is noise. Raises `UsageError` (exit 2) when the
    store holds nobody since `since`, or nobody (or everybody) reached the outcome.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"--outcome {outcome!r} is not known; use one of: {', '.join(OUTCOMES)}")
    say = progress or (lambda step: None)
    say("reading the store")
    cases = load_cases(rt, OUTCOMES[outcome], since=since, now=rt.clock())
    if not cases:
        when = f"created since {since:%Y-%m-%d} and " if since else "created "
        raise UsageError(f"the store holds no people {when}at least {HORIZON.days} days ago; "
                         "run `leadsync backfill` first, or pass an earlier --since")  # fmt: skip
    if shuffle is not None:
        cases = shuffled(cases, shuffle)
    try:
        return calibrate(cases, rt.settings.rules, target, progress=progress)
    except ValueError as exc:
        raise UsageError(f"cannot calibrate on outcome {outcome!r}: {exc}") from None


def load_cases(rt: Runtime, stage: Stage, *, since: datetime | None, now: datetime) -> list[Case]:
    """Every person created at or after `since` and before the horizon, as of just before
    reaching `stage`."""
    with rt.reading() as session:
        people = session.execute(
            select(PersonRow.id, PersonRow.email, PersonRow.fields, PersonRow.created_at)
        ).all()
        firsts = _firsts(session)
        won = _won_deals(session) if stage is Stage.CUSTOMER else {}
        events = _events(session)
    cases = []
    for pid, email, fields, stored_at in people:
        first = firsts.get(str(pid), {})
        created = min(first.values(), default=stored_at)
        if (since is not None and created < since) or created > now - HORIZON:
            continue
        outcome_at = _earliest(first.get(stage), won.get(pid))
        cases.append(case_at(
            Person(str(pid), email, fields or {}), events.get(pid, ()), created, outcome_at,
            now=now, sql_at=first.get(Stage.SQL), opportunity_at=first.get(Stage.OPPORTUNITY),
        ))  # fmt: skip
    return cases


def shuffled(cases: list[Case], rng: random.Random) -> list[Case]:
    """The same people with their outcomes dealt out again at random (cutoffs unchanged)."""
    outcomes = [(c.outcome, c.outcome_at) for c in cases]
    rng.shuffle(outcomes)
    return [
        replace(c, outcome=o, outcome_at=at) for c, (o, at) in zip(cases, outcomes, strict=True)
    ]


def _firsts(session: Session) -> dict[str, dict[Stage, datetime]]:
    rows = session.execute(
        select(LedgerRow.person_id, LedgerRow.from_stage, LedgerRow.to_stage, LedgerRow.at)
    )
    return reached(
        _Move(str(p), Stage(src) if src else None, Stage(dst), at) for p, src, dst, at in rows
    )


def _won_deals(session: Session) -> dict[int, datetime]:
    """Per person, the earliest close date of a won Opportunity tied to one of their records."""
    rows = session.execute(
        select(LinkRow.person_id, OpportunityRow.close_date)
        .join(OpportunityRoleRow, OpportunityRoleRow.record_id == LinkRow.record_id)
        .join(OpportunityRow, OpportunityRow.id == OpportunityRoleRow.opportunity_id)
        .where(OpportunityRow.is_won.is_(True), OpportunityRow.deleted.is_(False),
               OpportunityRoleRow.deleted.is_(False), LinkRow.deleted.is_(False))
    )  # fmt: skip
    found: dict[int, datetime] = {}
    for pid, close_date in rows:
        at = _date(close_date)
        if at is not None:
            found[pid] = _earliest(found.get(pid), at)  # type: ignore[assignment]
    return found


def _events(session: Session) -> dict[int, list[EngagementEvent]]:
    found: dict[int, list[EngagementEvent]] = defaultdict(list)
    rows = session.execute(
        select(EventRow.person_id, EventRow.source, EventRow.source_id, EventRow.kind,
               EventRow.occurred_at, EventRow.attributes)
    )  # fmt: skip
    for pid, source, source_id, kind, at, attributes in rows:
        found[pid].append(
            EngagementEvent(System(source), source_id, EventKind(kind), at, attributes or {})
        )
    return found


def _earliest(*moments: datetime | None) -> datetime | None:
    known: Iterable[datetime] = (m for m in moments if m is not None)
    return min(known, default=None)


def _date(value: str | None) -> datetime | None:
    try:
        return timestamp(value, {})
    except ValueError:
        return None
