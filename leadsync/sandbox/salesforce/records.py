"""Stored records: every schema field present, platform defaults filled, derived fields kept
consistent (Name, IsClosed/IsWon from the stage, HasResponded from the member status, ...).

Records are never mutated once stored: a save builds a new dict, so query cursors and bulk
jobs holding the old one keep a consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from leadsync.sandbox.salesforce import picklists as pl
from leadsync.sandbox.salesforce.schema import SObject
from leadsync.sandbox.salesforce.values import format_datetime, parse_datetime

Record = dict[str, Any]
AUDIT_FIELDS = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


def with_defaults(so: SObject, values: Record, user_id: str) -> Record:
    """A full record for a create: nulls for unset fields, then the platform's defaults."""
    template = _template(so, user_id)
    record = {**template, **values}
    for name, value in values.items():
        if value is None and template[name] is not None:
            record[name] = template[name]
    return record


def _template(so: SObject, user_id: str) -> Record:
    """Every field with the value the platform gives it when a create leaves it out."""
    record: Record = dict.fromkeys(so.fields)
    for f in so.fields.values():
        if f.type == "boolean":
            record[f.name] = False
        elif f.picklist and f.defaulted:
            record[f.name] = f.default
        elif f.type == "reference" and f.reference_to[-1:] == ("User",):
            record[f.name] = user_id
    return record


def stamp(record: Record, now: datetime, *, created: bool) -> None:
    """Audit timestamps of a save: the platform stores whole seconds."""
    moment = format_datetime(now)
    if created:
        record["CreatedDate"] = moment
    record["LastModifiedDate"] = moment
    record["SystemModstamp"] = moment


def derive(
    so: SObject,
    record: Record,
    before: Record | None,
    written: Collection[str],
    now: datetime,
) -> None:
    """Recompute the fields the platform derives from others (in place, before storing)."""
    rule = _DERIVATIONS.get(so.name)
    if rule is not None:
        rule(record, before, written, now)


def _person(record: Record, before: Record | None, written: Collection[str], now: datetime) -> None:
    parts = [record.get("FirstName"), record.get("LastName")]
    record["Name"] = " ".join(p for p in parts if p) or None


def _opportunity(
    record: Record, before: Record | None, written: Collection[str], now: datetime
) -> None:
    stage = pl.find(pl.OPPORTUNITY_STAGE, record.get("StageName"))
    record["IsClosed"] = bool(stage and stage.closed)
    record["IsWon"] = bool(stage and stage.won)
    changed = before is None or before.get("StageName") != record.get("StageName")
    if stage is None or not changed:
        return
    if "Probability" not in written:
        record["Probability"] = stage.probability
    if "ForecastCategoryName" not in written:
        record["ForecastCategoryName"] = stage.forecast
    if before is not None:
        record["LastStageChangeDate"] = format_datetime(now)


def _task(record: Record, before: Record | None, written: Collection[str], now: datetime) -> None:
    status = pl.find(pl.TASK_STATUS, record.get("Status"))
    record["IsClosed"] = bool(status and status.closed)


def _campaign_member(
    record: Record, before: Record | None, written: Collection[str], now: datetime
) -> None:
    status = pl.find(pl.CAMPAIGN_MEMBER_STATUS, record.get("Status"))
    record["HasResponded"] = bool(status and status.responded)
    if record["HasResponded"] and record.get("FirstRespondedDate") is None:
        record["FirstRespondedDate"] = now.date().isoformat()


def _event(record: Record, before: Record | None, written: Collection[str], now: datetime) -> None:
    start = record.get("StartDateTime") or record.get("ActivityDateTime")
    if start is None:
        return
    record["StartDateTime"] = record["ActivityDateTime"] = start
    begin = parse_datetime(start)
    from_end = "EndDateTime" in written or record.get("DurationInMinutes") is None
    if from_end and record.get("EndDateTime") is not None:
        span = parse_datetime(record["EndDateTime"]) - begin
        record["DurationInMinutes"] = int(span.total_seconds() // 60)
    if record.get("DurationInMinutes") is not None:
        end = begin + timedelta(minutes=record["DurationInMinutes"])
        record["EndDateTime"] = format_datetime(end)
    record["ActivityDate"] = begin.date().isoformat()


_DERIVATIONS = {
    "Lead": _person,
    "Contact": _person,
    "User": _person,
    "Opportunity": _opportunity,
    "Task": _task,
    "CampaignMember": _campaign_member,
    "Event": _event,
}
