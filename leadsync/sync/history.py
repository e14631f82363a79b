"""The funnel's past, from the CRMs' own dates: ledger entries for what happened before leadsync.

At the end of a backfill, every person with no ledger entry yet gets their past stage moves,
rebuilt (`mapping.history`) from what their stored records say:

- the creation of each record (the field its connector names in `created_fields`): lead;
- each stamp of when a stage property took a value (the pattern its connector names in
  `entered_fields`, e.g. `date_entered_<value>`), the value mapped through the vocabulary;
- each deal tied to one of their records: its creation (opportunity) and, once closed, its
  close date with its stage mapped through the deal's vocabulary (won: customer).

Field history tables are not read: a sales lead's status changes before leadsync are known
only through the deal its conversion made.

Entries carry actor `history:<system>` and cause `history`. They describe the past only: they
are never planned or written to a CRM, and stage decisions ignore them (see `chunk`). Only
people without any ledger entry get them, so a second backfill adds none for people already
reconstructed or already decided by leadsync (whose stamps may be its own writes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from leadsync.mapping.catalog import catalog
from leadsync.mapping.history import Milestone, PastMove, moves
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Vocabulary
from leadsync.mapping.transforms import timestamp
from leadsync.sync.bulk import among, insert_rows
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import (
    HISTORY_CAUSE,
    LedgerRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
)

ACTOR = "history:"
CHUNK = 2_000

# system -> object -> the field holding the record's creation time (connector data)
CreatedFields = Mapping[str, Mapping[str, str]]
# system -> (object, stage property) -> the pattern of the property holding when the record
# took each value, `{value}` standing for it (connector data)
EnteredFields = Mapping[str, Mapping[tuple[str, str], str]]


@dataclass(frozen=True, slots=True)
class Dates:
    """Where each CRM keeps the dates history is rebuilt from: its connector's declarations."""

    created: CreatedFields
    entered: EnteredFields


def record_history(rt: Runtime, dates: Dates, *, chunk: int = CHUNK) -> int:
    """Ledger entries for the past of everyone who has none yet; how many were added."""
    with rt.sessions.begin() as session:
        unknown = ~exists().where(LedgerRow.person_id == PersonRow.id)
        ids = list(session.scalars(select(PersonRow.id).where(unknown).order_by(PersonRow.id)))
    added = 0
    for start in range(0, len(ids), chunk):
        with rt.sessions.begin() as session:
            added += _chunk(session, rt.vocabularies, dates, ids[start : start + chunk])
    return added


def _chunk(
    session: Session, vocabularies: Sequence[Vocabulary], dates: Dates, ids: list[int]
) -> int:
    links = session.scalars(
        select(LinkRow).where(among(session, LinkRow.person_id, ids), LinkRow.deleted.is_(False))
    ).all()
    deals = _deals(session, [link.record_id for link in links])
    found: dict[int, list[Milestone]] = defaultdict(list)
    for link in links:
        found[link.person_id] += _of_record(link, vocabularies, dates)
        for deal in deals.get(link.record_id, ()):
            found[link.person_id] += _of_deal(deal, vocabularies)
    rows = [_row(pid, move) for pid, stones in found.items() for move in moves(stones)]
    insert_rows(session, LedgerRow.__table__, rows)
    return len(rows)


def _deals(session: Session, record_ids: list[str]) -> dict[str, list[OpportunityRow]]:
    found: dict[str, list[OpportunityRow]] = defaultdict(list)
    if not record_ids:
        return found
    rows = session.execute(
        select(OpportunityRoleRow.record_id, OpportunityRow)
        .join(OpportunityRow, OpportunityRow.id == OpportunityRoleRow.opportunity_id)
        .where(OpportunityRoleRow.record_id.in_(record_ids),
               OpportunityRoleRow.deleted.is_(False), OpportunityRow.deleted.is_(False))
    )  # fmt: skip
    for record_id, deal in rows:
        found[record_id].append(deal)
    return found


def _of_record(link: LinkRow, vocabularies: Iterable[Vocabulary], dates: Dates) -> list[Milestone]:
    system, obj = catalog().object_of(link.kind)
    data, label = link.snapshot or {}, f"{system} {obj} {link.record_id}"
    stones = []
    field = dates.created.get(system, {}).get(obj)
    at = _moment(data.get(field)) if field else None
    if at is not None:
        stones.append(Milestone(Stage.LEAD, at, system, f"{label} {field}"))
    entered = dates.entered.get(system, {})
    for vocab in vocabularies:
        pattern = entered.get((obj, vocab.prop))
        if vocab.system != system or vocab.obj != obj or pattern is None:
            continue
        for value, stage in vocab.inbound.items():
            prop = pattern.format(value=value)
            at = _moment(data.get(prop))
            if stage is not None and at is not None:
                stones.append(Milestone(stage, at, system, f"{label} {prop}"))
    return stones


def _of_deal(deal: OpportunityRow, vocabularies: Iterable[Vocabulary]) -> list[Milestone]:
    kept = catalog().deals()
    if kept is None:
        return []
    system, deals = kept
    where = (system, deals.obj, deals.stage_field)  # deals' stage values map through this
    label = f"{system} {deals.obj} {deal.id}"
    stones = []
    if deal.created_at is not None:
        stones.append(Milestone(Stage.OPPORTUNITY, deal.created_at, system, f"{label} created"))
    closed = _moment(deal.close_date) if deal.is_closed else None
    for vocab in vocabularies:
        if (vocab.system, vocab.obj, vocab.prop) != where or closed is None:
            continue
        stage = vocab.inbound.get(deal.stage_name or "")
        if stage is not None:
            stones.append(Milestone(stage, closed, system, f"{label} closed {deal.stage_name}"))
    return stones


def _moment(value: Any) -> datetime | None:
    try:
        return timestamp(value, {})
    except ValueError:
        return None


def _row(person_id: int, move: PastMove) -> dict[str, Any]:
    return {
        "person_id": person_id, "from_stage": move.src.value if move.src else None,
        "to_stage": move.dst.value, "at": move.at, "actor": f"{ACTOR}{move.system}",
        "cause": HISTORY_CAUSE, "reason": f"reconstructed from {move.source}", "rule_ids": [],
        "score": {}, "revision_id": None,
    }  # fmt: skip
