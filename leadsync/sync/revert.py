"""Undo what one config revision did: move its people back, withdraw the Leads it made.

A revision's doing is the moves its rules made (ledger entries with its `revision_id` and cause
`score` or `recycle`): CRM evidence and people's own changes under it are facts, not its
doing. A person goes back to where they stood before the revision's first move, unless anyone
or anything else moved them since (a rep, CRM evidence, an admin, another revision's rules):
then they are left alone and listed. A Lead the revision's handoff created is withdrawn when
nobody has touched it (its last change is leadsync's own and it still holds what leadsync
wrote), and listed instead where someone has, or where the org does not let leadsync delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Connector, RawRecord
from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import Stage
from leadsync.mapping.writeback import same_value
from leadsync.sync.moves import Move, apply_moves
from leadsync.sync.outbox import DONE
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LedgerRow, LinkRow, OutboxRow, PersonRow

RULE_CAUSES = ("score", "recycle")


@dataclass
class RevertPlan:
    revision: str
    back: list[Move] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    leads: list[dict[str, str]] = field(default_factory=list)  # {email, record_id}
    listed: list[dict[str, str]] = field(default_factory=list)  # leads left, with why

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "moved_back": [
                {"email": m.email, "from": _name(m.src), "to": _name(m.dst)} for m in self.back
            ],
            "left_alone": self.kept,
            "leads_withdrawn": self.leads,
            "leads_listed": self.listed,
        }


def plan_revert(session: Session, revision_id: int, label: str) -> RevertPlan:
    """Who the revision moved and where they go back to; nothing is changed."""
    plan = RevertPlan(label)
    for person_id, entries in _entries_since_first_move(session, revision_id).items():
        first, later = entries[0], entries[1:]
        person = session.get(PersonRow, person_id)
        other = next((e for e in later if not _by_revision(e, revision_id)), None)
        if other is not None:
            plan.kept.append({"email": person.email or "", "why": f"moved since by {other.actor}"})
            continue
        src = Stage(person.stage) if person.stage else None
        dst = Stage(first.from_stage) if first.from_stage else None
        if dst is not None and dst is not src:
            plan.back.append(Move(person_id, person.email or "", src, dst))
    return plan


def _entries_since_first_move(session: Session, revision_id: int) -> dict[int, list[LedgerRow]]:
    moved = select(LedgerRow.person_id).where(
        LedgerRow.revision_id == revision_id, LedgerRow.cause.in_(RULE_CAUSES)
    )
    rows = session.scalars(
        select(LedgerRow).where(LedgerRow.person_id.in_(moved)).order_by(LedgerRow.id)
    )
    found: dict[int, list[LedgerRow]] = {}
    for row in rows:
        if row.person_id in found or _by_revision(row, revision_id):
            found.setdefault(row.person_id, []).append(row)
    return found


def _by_revision(row: LedgerRow, revision_id: int) -> bool:
    return row.revision_id == revision_id and row.cause in RULE_CAUSES


def created_leads(session: Session, people: Sequence[int]) -> list[tuple[str, OutboxRow]]:
    """The sales leads leadsync created for these people (their email and the create's row)."""
    target = catalog().handoff_target()
    if target is None:
        return []
    rows = session.execute(
        select(PersonRow.email, OutboxRow)
        .join(PersonRow, PersonRow.id == OutboxRow.person_id)
        .where(
            OutboxRow.person_id.in_(people),
            OutboxRow.system == target[0].name,
            OutboxRow.obj == target[1].obj,
            OutboxRow.state == DONE,
            OutboxRow.reason.like("%handoff%"),
        )
    )
    return [(email or "", row) for email, row in rows]


def withdraw_leads(
    rt: Runtime, connector: Connector, plan: RevertPlan, made: Sequence[tuple[str, OutboxRow]],
    *, dry_run: bool,
) -> None:  # fmt: skip
    """Withdraw the untouched leads (each read fresh first); list the others with why."""
    obj = made[0][1].obj
    current = {r.id: r for r in connector.records(obj, [row.record_id for _, row in made])}
    untouched = []
    for email, row in made:
        why = _touched(connector, current.get(row.record_id), row)
        if why:
            plan.listed.append({"email": email, "record_id": row.record_id, "why": why})
        else:
            untouched.append({"email": email, "record_id": row.record_id})
    if dry_run or not untouched:
        plan.leads = untouched
        return
    results = connector.withdraw(obj, [lead["record_id"] for lead in untouched])
    refused = {r.key: r.reason for r in results if not r.ok}
    plan.leads = [lead for lead in untouched if lead["record_id"] not in refused]
    plan.listed += [lead | {"why": f"not deleted: {refused[lead['record_id']]}"}
                    for lead in untouched if lead["record_id"] in refused]  # fmt: skip
    _unlink(rt, [lead["record_id"] for lead in plan.leads])


def _touched(connector: Connector, raw: RawRecord | None, row: OutboxRow) -> str:
    """Why this lead is not leadsync's alone any more ('' when it is)."""
    if raw is None or raw.deleted:
        return "already gone"
    changed = [k for k, v in row.properties.items() if not same_value(raw.data.get(k), v)]
    if changed:
        return f"changed since leadsync made it ({', '.join(sorted(changed))})"
    who = getattr(connector, "changed_by", lambda _raw: None)(raw)
    if who is not None and not who.integration:
        return f"last changed by {who}"
    return ""


def _unlink(rt: Runtime, record_ids: list[str]) -> None:
    with rt.sessions.begin() as session:
        for link in session.scalars(select(LinkRow).where(LinkRow.record_id.in_(record_ids))):
            link.deleted = True


def revert(
    rt: Runtime, connectors: Mapping[str, Connector], revision_id: int, label: str, *,
    actor: str, why: str, dry_run: bool = False,
) -> RevertPlan:  # fmt: skip
    with rt.sessions() as session:
        plan = plan_revert(session, revision_id, label)
        made = created_leads(session, [m.person_id for m in plan.back])
    sales = connectors.get(made[0][1].system) if made else None
    if sales is not None and hasattr(sales, "withdraw") and hasattr(sales, "records"):
        withdraw_leads(rt, sales, plan, made, dry_run=dry_run)
    if not dry_run and plan.back:
        apply_moves(rt, connectors, plan.back, why=why or f"revert of {label}",
                    actor=actor, kind="revert")  # fmt: skip
    return plan


def _name(stage: Stage | None) -> str:
    return stage.value if stage else "new"
