"""Ingest a page of person records (each connector's `PersonObject`s), set-based.

A page costs a handful of statements whatever its size: one read of the links it names, one of
the people its new records' emails belong to, one insert of new people (`RETURNING` their ids),
one of new links, one executemany update of links, and one read of the changed people's
records to merge their fields afresh. Identity is resolved in page order, so the same pages give
the same people, ids and duplicate flags on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from leadsync.connectors.base import RawRecord
from leadsync.errors import MappingError
from leadsync.mapping.catalog import Declaration, PersonObject, catalog
from leadsync.mapping.fields import map_fields
from leadsync.mapping.model import RecordKind
from leadsync.mapping.normalize import check_stage_values
from leadsync.sync.bulk import among, insert_ids, update_by_id
from leadsync.sync.errorq import Retry, resolve
from leadsync.sync.ingest_events import ingest_contact_events
from leadsync.sync.ingest_sales import conversions
from leadsync.sync.outbox import adopt_created, known_writes
from leadsync.sync.person_fields import merged_fields, provenance, stored
from leadsync.sync.schema import LinkRow, PersonRow, new_uid

if TYPE_CHECKING:  # the ingest calls into this module; no import cycle at run time
    from leadsync.sync.ingest import Ingest


@dataclass(slots=True)
class Held:
    """A stored link, as much of it as ingesting needs."""

    id: int
    person_id: int
    kind: str
    record_id: str
    snapshot: dict[str, Any]
    seen: dict[str, Any]
    deleted: bool
    modified_at: datetime | None = None


def ingest_people(ingest: Ingest, person: PersonObject, records: Sequence[RawRecord]) -> None:
    decl = catalog()[records[0].system]
    obj, kind = person.obj, person.kind
    parsed = _parse(ingest, records, obj)
    if not parsed:
        return
    ids = [raw.id for raw, _ in parsed]
    held = held_links(ingest, kind, ids)
    echoes = known_writes(ingest.session, ids)
    made = _link_new(ingest, kind, [(raw, f) for raw, f in parsed if raw.id not in held])
    changed = _update_links(ingest, decl, parsed, held, made, echoes)
    refresh_people(ingest, {held.get(r.id, made.get(r.id)).person_id for r in changed})
    adopt_created(ingest.session, kind, {rid: link.person_id for rid, link in made.items()})
    if decl.conversion is not None:
        conversions(ingest, decl, [(raw, held.get(raw.id, made.get(raw.id))) for raw in changed])
    linked = {rid: link.person_id for rid, link in (*held.items(), *made.items())}
    labels = [ingest.label(raw) for raw, _ in parsed if raw.id in linked]
    resolve(ingest.session, system=records[0].system, stage="ingest", records=labels,
            now=ingest.now)  # fmt: skip
    if decl.person_events is not None:
        ingest_contact_events(ingest, decl, records, linked)


def _parse(
    ingest: Ingest, records: Sequence[RawRecord], obj: str
) -> list[tuple[RawRecord, dict[str, Any]]]:
    """Each record's canonical fields; a value the mapping cannot place is quarantined."""
    maps = ingest.mapping.field_maps.get((records[0].system, obj), ())
    system = records[0].system
    parsed = []
    for raw in records:
        label = ingest.label(raw)
        try:
            fields = map_fields(maps, raw.data, record=label)
            check_stage_values(ingest.mapping.vocabularies, system, obj, raw.data, record=label)
        except MappingError as exc:
            ingest.quarantine_record(raw, "INVALID_VALUE", str(exc), Retry.FIX, field=exc.field)
            continue
        parsed.append((raw, fields))
    return parsed


def held_links(ingest: Ingest, kind: RecordKind, ids: Sequence[str]) -> dict[str, Held]:
    rows = ingest.session.execute(
        select(LinkRow.id, LinkRow.person_id, LinkRow.kind, LinkRow.record_id, LinkRow.snapshot,
               LinkRow.seen, LinkRow.deleted, LinkRow.modified_at)
        .where(LinkRow.kind == kind, among(ingest.session, LinkRow.record_id, list(ids)))
    )  # fmt: skip
    return {row.record_id: Held(*row) for row in rows}


# --- new records: identity ------------------------------------------------------------------


def _link_new(
    ingest: Ingest, kind: RecordKind, new: list[tuple[RawRecord, dict[str, Any]]]
) -> dict[str, Held]:
    """Link new records to people: by email to a stored person, else to a new one.

    A second record of the same kind for one person is a duplicate: flagged on the person, or
    quarantined with `on_duplicate_email = "skip"`.
    """
    if not new:
        return {}
    owner = ingest.people_by_email(sorted({f["email"] for _, f in new if f.get("email")}))
    twin = _first_link_of_kind(ingest, kind, list(owner.values()))
    plan: list[tuple[RawRecord, Any]] = []
    creates: list[dict[str, Any]] = []
    flags: dict[Any, str] = {}
    for raw, fields in new:
        email = fields.get("email")
        person = owner.get(email) if email else None
        if person is None:
            person = ("new", len(creates))
            creates.append(_new_person(ingest, email))
            if email:
                owner[email] = person
        elif person in twin:
            if ingest.mapping.on_duplicate_email == "skip":
                _skip_duplicate(ingest, raw, kind, email, twin[person])
                continue
            flags[person] = f"{kind} {twin[person]} and {raw.id} share {email}"[:200]
        twin.setdefault(person, raw.id)
        plan.append((raw, person))
    made_ids = _insert_people(ingest, creates)
    resolved = [(raw, made_ids[p[1]] if isinstance(p, tuple) else p) for raw, p in plan]
    update_by_id(ingest.session, PersonRow, [
        {"id": made_ids[p[1]] if isinstance(p, tuple) else p, "duplicate_flag": flag}
        for p, flag in flags.items()
    ])  # fmt: skip
    return _insert_links(ingest, kind, resolved)


def _first_link_of_kind(ingest: Ingest, kind: RecordKind, people: list[int]) -> dict[Any, str]:
    if not people:
        return {}
    rows = ingest.session.execute(
        select(LinkRow.person_id, LinkRow.record_id)
        .where(LinkRow.kind == kind, among(ingest.session, LinkRow.person_id, people))
        .order_by(LinkRow.id)
    )
    found: dict[Any, str] = {}
    for person_id, record_id in rows:
        found.setdefault(person_id, record_id)
    return found


def _new_person(ingest: Ingest, email: str | None) -> dict[str, Any]:
    now = ingest.now
    return {"uid": new_uid(), "email": email, "fields": {}, "dirty": True, "created_at": now,
            "updated_at": now}  # fmt: skip


def _insert_people(ingest: Ingest, creates: list[dict[str, Any]]) -> list[int]:
    if not creates:
        return []
    return insert_ids(ingest.session, PersonRow.__table__, creates)


def _insert_links(
    ingest: Ingest, kind: RecordKind, resolved: list[tuple[RawRecord, int]]
) -> dict[str, Held]:
    if not resolved:
        return {}
    rows = [{"person_id": pid, "kind": kind, "record_id": raw.id, "snapshot": {},
             "seen": {}, "deleted": False} for raw, pid in resolved]  # fmt: skip
    ids = insert_ids(ingest.session, LinkRow.__table__, rows)
    return {
        raw.id: Held(link_id, pid, kind, raw.id, {}, {}, False)
        for link_id, (raw, pid) in zip(ids, resolved, strict=True)
    }


def _skip_duplicate(
    ingest: Ingest, raw: RawRecord, kind: RecordKind, email: str, twin: str
) -> None:
    ingest.quarantine_record(
        raw, "DUPLICATE_EMAIL",
        f"{ingest.label(raw)}: {email} already belongs to {kind} {twin}; merge the "
        f'records in {raw.system} or set sync.on_duplicate_email = "flag"', Retry.FIX,
    )  # fmt: skip


# --- every record: snapshots and people --------------------------------------------------


def _update_links(
    ingest: Ingest, decl: Declaration, parsed: list[tuple[RawRecord, dict[str, Any]]],
    held: Mapping[str, Held], made: Mapping[str, Held],
    echoes: Mapping[str, Mapping[str, str | None]],
) -> list[RawRecord]:  # fmt: skip
    """Store what each record holds now; return the records that changed (new ones too)."""
    quiet, changed_rows, changed = [], [], []
    for raw, _ in parsed:
        link = held.get(raw.id) or made.get(raw.id)
        if link is None:
            continue
        if (
            raw.id in held
            and link.deleted == raw.deleted
            and same_snapshot(decl, link.snapshot, raw.data, echoes.get(raw.id, {}))
        ):
            quiet.append({"id": link.id, "snapshot": dict(raw.data)})
            continue
        changed_rows.append({"id": link.id, "snapshot": dict(raw.data),
                             "seen": ingest.seen(link, raw), "modified_at": raw.modified_at,
                             "deleted": raw.deleted})  # fmt: skip
        changed.append(raw)
    update_by_id(ingest.session, LinkRow, quiet)
    update_by_id(ingest.session, LinkRow, changed_rows)
    ingest.counts.changed += len(changed)
    return changed


def refresh_people(ingest: Ingest, person_ids: set[int]) -> None:
    """Merge each person's fields afresh from all their records (a value cleared in a CRM is
    cleared here too, unless another CRM has one) and mark them for a decision."""
    if not person_ids:
        return
    ids = sorted(person_ids)
    links: dict[int, list[Any]] = {pid: [] for pid in ids}
    rows = ingest.session.execute(
        select(LinkRow.person_id, LinkRow.kind, LinkRow.record_id, LinkRow.snapshot,
               LinkRow.modified_at, LinkRow.deleted).where(among(ingest.session, LinkRow.person_id, ids))
    )  # fmt: skip
    for row in rows:
        links[row.person_id].append(row)
    emails = dict(ingest.session.execute(
        select(PersonRow.id, PersonRow.email).where(among(ingest.session, PersonRow.id, ids))
    ).all())  # fmt: skip
    m = ingest.mapping
    updates, with_email = [], []
    for pid in ids:
        merged = merged_fields(links[pid], m.field_maps, m.source_rules, m.default_source)
        fields = stored(merged)
        row = {"id": pid, "fields": fields, "sources": provenance(merged), "dirty": True,
               "updated_at": ingest.now}  # fmt: skip
        if emails.get(pid) is None and fields.get("email"):
            with_email.append(row | {"email": fields["email"]})
        else:
            updates.append(row)
    update_by_id(ingest.session, PersonRow, updates)
    update_by_id(ingest.session, PersonRow, with_email)


def same_snapshot(
    decl: Declaration, held: Mapping[str, Any], pulled: Mapping[str, Any],
    echoes: Mapping[str, str | None],
) -> bool:  # fmt: skip
    """Nothing but leadsync's own writes and stamps changed: fields that move on every change
    (`stamps`), and those that move with a stage value (`stage_stamps`: the stage property
    tells the change itself, and leadsync's own stage writes move them too)."""
    for key in set(held) | set(pulled):
        if (
            key in decl.stamps
            or key.startswith(decl.stage_stamps)
            or held.get(key) == pulled.get(key)
        ):
            continue
        if key in echoes and str(pulled.get(key) or "") == str(echoes[key] or ""):
            continue
        return False
    return True
