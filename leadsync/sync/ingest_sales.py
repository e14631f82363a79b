"""Ingest sales records: Opportunities, their contact roles, and converted Leads' ties.

Opportunities are stage evidence for the people tied to them; a page is upserted in one
statement and everyone tied to it marked for a decision in another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from leadsync.connectors.base import RawRecord
from leadsync.mapping.model import RecordKind
from leadsync.mapping.transforms import timestamp
from leadsync.sync.bulk import insert_new, upsert
from leadsync.sync.errorq import Retry
from leadsync.sync.schema import LinkRow, OpportunityRoleRow, OpportunityRow, PersonRow
from leadsync.sync.values import overflow

if TYPE_CHECKING:  # the ingest calls into this module; no import cycle at run time
    from leadsync.sync.ingest import Ingest


def ingest_opportunities(ingest: Ingest, records: Sequence[RawRecord]) -> None:
    rows = [
        {"id": raw.id, "stage_name": raw.data.get("StageName"),
         "is_closed": bool(raw.data.get("IsClosed")), "is_won": bool(raw.data.get("IsWon")),
         "close_date": raw.data.get("CloseDate"), "modified_at": raw.modified_at,
         "deleted": raw.deleted, "created_at": _created(raw)}
        for raw in records
    ]  # fmt: skip
    kept = _fitting(ingest, records, rows, OpportunityRow)
    upsert(ingest.session, OpportunityRow.__table__, kept, ["id"])
    _dirty_by_opportunity(ingest, [row["id"] for row in kept])


def _created(raw: RawRecord) -> datetime | None:
    """The Opportunity's `CreatedDate`; an unreadable one only costs the history its date."""
    try:
        return timestamp(raw.data.get("CreatedDate"), {})
    except ValueError:
        return None


def ingest_roles(ingest: Ingest, records: Sequence[RawRecord]) -> None:
    rows = [
        {"id": raw.id, "opportunity_id": str(raw.data.get("OpportunityId")),
         "record_id": str(raw.data.get("ContactId")), "deleted": raw.deleted}
        for raw in records
    ]  # fmt: skip
    kept = _fitting(ingest, records, rows, OpportunityRoleRow)
    upsert(ingest.session, OpportunityRoleRow.__table__, kept, ["id"])
    _dirty_by_opportunity(ingest, sorted({row["opportunity_id"] for row in kept}))


def lead_conversions(ingest: Ingest, changed: Sequence[tuple[RawRecord, Any]]) -> None:
    """A converted Lead ties its Contact and its Opportunity to the Lead's person."""
    contacts = {
        raw.data["ConvertedContactId"]: link.person_id
        for raw, link in changed if raw.data.get("ConvertedContactId")
    }  # fmt: skip
    if contacts:
        kind = RecordKind.SALESFORCE_CONTACT.value
        known = set(ingest.session.scalars(
            select(LinkRow.record_id).where(LinkRow.kind == kind,
                                            LinkRow.record_id.in_(list(contacts)))
        ))  # fmt: skip
        missing = [{"person_id": pid, "kind": kind, "record_id": cid, "snapshot": {},
                    "seen": {}, "deleted": False}
                   for cid, pid in contacts.items() if cid not in known]  # fmt: skip
        if missing:
            ingest.session.execute(insert(LinkRow), missing)
    roles = [
        {"id": f"converted:{raw.id}", "opportunity_id": raw.data["ConvertedOpportunityId"],
         "record_id": raw.id, "deleted": False}
        for raw, _ in changed if raw.data.get("ConvertedOpportunityId")
    ]  # fmt: skip
    insert_new(ingest.session, OpportunityRoleRow.__table__, roles, ["id"])


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
