"""Ingest sales records: deals, their contact roles, and converted records' ties.

Deals (a sales CRM's `Deals` declaration) are stage evidence for the people tied to them; a page is upserted in one
statement and everyone tied to it marked for a decision in another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from leadsync.connectors.base import RawRecord
from leadsync.mapping.catalog import Deals, Declaration
from leadsync.sync.bulk import insert_new, upsert
from leadsync.sync.errorq import Retry
from leadsync.sync.schema import LinkRow, OpportunityRoleRow, OpportunityRow, PersonRow
from leadsync.sync.values import overflow

if TYPE_CHECKING:  # the ingest calls into this module; no import cycle at run time
    from leadsync.sync.ingest import Ingest


def ingest_deals(ingest: Ingest, deals: Deals, records: Sequence[RawRecord]) -> None:
    rows = []
    for raw in records:
        deal = deals.read(raw.id, raw.data)
        rows.append({"id": raw.id, "stage_name": deal.stage_name, "is_closed": deal.is_closed,
                     "is_won": deal.is_won, "close_date": deal.close_date,
                     "modified_at": raw.modified_at, "deleted": raw.deleted,
                     "created_at": deal.created_at})  # fmt: skip
    kept = _fitting(ingest, records, rows, OpportunityRow)
    upsert(ingest.session, OpportunityRow.__table__, kept, ["id"])
    _dirty_by_opportunity(ingest, [row["id"] for row in kept])


def ingest_roles(ingest: Ingest, deals: Deals, records: Sequence[RawRecord]) -> None:
    assert deals.read_role is not None  # only a declared roles stream comes here
    rows = []
    for raw in records:
        role = deals.read_role(raw.id, raw.data)
        rows.append({"id": raw.id, "opportunity_id": role.deal_id, "record_id": role.record_id,
                     "deleted": raw.deleted})  # fmt: skip
    kept = _fitting(ingest, records, rows, OpportunityRoleRow)
    upsert(ingest.session, OpportunityRoleRow.__table__, kept, ["id"])
    _dirty_by_opportunity(ingest, sorted({row["opportunity_id"] for row in kept}))


def conversions(
    ingest: Ingest, decl: Declaration, changed: Sequence[tuple[RawRecord, Any]]
) -> None:
    """A converted record (a Lead) ties what it became (a Contact, a deal) to its person."""
    assert decl.conversion is not None
    found = [(raw, link, c) for raw, link in changed for c in decl.conversion(raw.data)]
    _link_successors(ingest, [(c.kind, c.record_id, link.person_id)
                              for _, link, c in found if c.record_id])  # fmt: skip
    roles = [
        {"id": f"converted:{raw.id}", "opportunity_id": c.deal_id, "record_id": raw.id,
         "deleted": False}
        for raw, _, c in found if c.deal_id
    ]  # fmt: skip
    insert_new(ingest.session, OpportunityRoleRow.__table__, roles, ["id"])


def _link_successors(ingest: Ingest, successors: list[tuple[str, str, int]]) -> None:
    """Link each (kind, record id) to the person its predecessor belongs to, unless linked."""
    for kind in sorted({k for k, _, _ in successors}):
        wanted = {rid: pid for k, rid, pid in successors if k == kind}
        known = set(ingest.session.scalars(
            select(LinkRow.record_id).where(LinkRow.kind == kind,
                                            LinkRow.record_id.in_(list(wanted)))
        ))  # fmt: skip
        missing = [{"person_id": pid, "kind": kind, "record_id": rid, "snapshot": {},
                    "seen": {}, "deleted": False}
                   for rid, pid in wanted.items() if rid not in known]  # fmt: skip
        if missing:
            ingest.session.execute(insert(LinkRow), missing)


def _fitting(
    ingest: Ingest, records: Sequence[RawRecord], rows: list[dict[str, Any]], row_class: type
) -> list[dict[str, Any]]:
    """The rows the table can hold; a record with a value too long for it is quarantined."""
    kept = []
    for raw, row in zip(records, rows, strict=True):
        problem = overflow(row_class, row)
        if problem:
            ingest.quarantine_record(raw, "INVALID_VALUE", f"{ingest.label(raw)}: {problem}",
                                     Retry.FIX)  # fmt: skip
        else:
            kept.append(row)
    return kept


def _dirty_by_opportunity(ingest: Ingest, opportunity_ids: list[str]) -> None:
    if not opportunity_ids:
        return
    record_ids = select(OpportunityRoleRow.record_id).where(
        OpportunityRoleRow.opportunity_id.in_(opportunity_ids)
    )
    person_ids = select(LinkRow.person_id).where(LinkRow.record_id.in_(record_ids))
    ingest.session.execute(update(PersonRow).where(PersonRow.id.in_(person_ids)).values(dirty=True))
    ingest.counts.changed += len(opportunity_ids)
