"""People search for the console: by email or name, a page at a time, newest id first.

Paging fetches one row more than a page to know whether another follows, so a search never
counts every match; only the unfiltered list shows a total. A query with an "@" looks at emails
only; any other also matches "first last". On PostgreSQL both patterns are answered from the
trigram indexes of migration 0004, whose name expression `NAME_SQL` must match to the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from leadsync.mapping.model import Stage
from leadsync.sync.schema import LedgerRow, PersonRow, ScoreRow

PER_PAGE = 50


@dataclass(frozen=True)
class PeoplePage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool
    total: int | None  # only without a search or stage filter


NAME_SQL = {
    "postgresql": "lower(coalesce(persons.fields ->> 'first_name', '') || ' ' || "
    "coalesce(persons.fields ->> 'last_name', ''))",
    "sqlite": "lower(coalesce(json_extract(persons.fields, '$.first_name'), '') || ' ' || "
    "coalesce(json_extract(persons.fields, '$.last_name'), ''))",
}


class FullName(FunctionElement):
    """A person's "first last", lower case, as SQL (written out, so an index can match it)."""

    type = String()
    inherit_cache = True


@compiles(FullName)
def _full_name(element: FullName, compiler, **kw) -> str:
    return NAME_SQL.get(compiler.dialect.name, NAME_SQL["postgresql"])


def _contains(needle: str) -> str:
    """A LIKE pattern for `needle` anywhere, its own % and _ taken literally (escape '/')."""
    escaped = needle.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _matching(q: str) -> ColumnElement[bool]:
    needle = q.strip().lower()
    pattern = _contains(needle)
    by_email = PersonRow.email.like(pattern, escape="/")
    if "@" in needle:
        return by_email
    return or_(by_email, FullName().like(pattern, escape="/"))


def search(
    session: Session,
    q: str = "",
    stage: Stage | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> PeoplePage:
    """One page of people matching `q` (email or name, any part) and `stage`."""
    page = max(page, 1)
    query = select(
        PersonRow.id,
        PersonRow.email,
        PersonRow.fields,
        PersonRow.stage,
        PersonRow.updated_at,
        ScoreRow.total,
        ScoreRow.grade,
    )
    query = query.outerjoin(ScoreRow, ScoreRow.person_id == PersonRow.id)
    if q.strip():
        query = query.where(_matching(q))
    if stage is not None:
        query = query.where(PersonRow.stage == stage.value)
    query = query.order_by(PersonRow.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)
    found = [_row(*r) for r in session.execute(query)]
    total = None
    if not q.strip() and stage is None:
        total = session.scalar(select(func.count()).select_from(PersonRow))
    return PeoplePage(found[:per_page], page, len(found) > per_page, total)


def _row(pid, email, fields, stage, updated, total, grade) -> dict[str, Any]:
    fields = fields or {}
    name = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    return {
        "id": pid,
        "email": email,
        "name": name,
        "company": fields.get("company"),
        "stage": stage,
        "updated": updated,
        "total": total,
        "grade": grade,
    }


def email_of(session: Session, person_id: int) -> str | None:
    """The email `leadsync explain` finds the person by; `LookupError` for an unknown id."""
    row = session.get(PersonRow, person_id)
    if row is None:
        raise LookupError(person_id)
    return row.email


def trail_revisions(session: Session, person_id: int) -> list[int | None]:
    """The config revision of each stage change, in the order `leadsync explain` lists them."""
    query = select(LedgerRow.revision_id).where(LedgerRow.person_id == person_id)
    return list(session.scalars(query.order_by(LedgerRow.id)))
