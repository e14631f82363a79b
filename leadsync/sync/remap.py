"""`leadsync remap`: apply changed field maps and source rules to every stored record.

Every linked record's last pulled snapshot is mapped again and the person's fields merged
afresh; a person whose fields change is marked for the next decision (so their score follows).
No CRM is called: the snapshots hold what the CRMs said.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from leadsync.sync.person_fields import merged_fields, provenance, stored
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LinkRow, PersonRow

CHUNK = 1000


@dataclass
class RemapResult:
    people: int = 0
    changed: int = 0
    fields: Counter[str] = field(default_factory=Counter)  # field -> people whose value changed


def remap(rt: Runtime, *, dry_run: bool = False) -> RemapResult:
    result = RemapResult()
    after = 0
    opened = rt.sessions if dry_run else rt.sessions.begin
    while True:
        with opened() as session:
            people = list(session.scalars(
                select(PersonRow).where(PersonRow.id > after).order_by(PersonRow.id).limit(CHUNK)
            ))  # fmt: skip
            if not people:
                return result
            links: dict[int, list[LinkRow]] = {}
            query = select(LinkRow).where(LinkRow.person_id.in_([p.id for p in people]))
            for link in session.scalars(query):
                links.setdefault(link.person_id, []).append(link)
            for person in people:
                _one(rt, person, links.get(person.id, []), result)
        after = people[-1].id


def _one(rt: Runtime, person: PersonRow, links: list[LinkRow], result: RemapResult) -> None:
    merged = merged_fields(links, rt.field_maps, rt.source_rules, rt.default_source)
    fresh = stored(merged)
    held = person.fields or {}
    result.people += 1
    changed = [name for name in set(fresh) | set(held) if fresh.get(name) != held.get(name)]
    if changed:
        result.changed += 1
        result.fields.update(changed)
        person.fields, person.dirty = fresh, True
    if changed or person.sources != provenance(merged):
        person.sources = provenance(merged)
