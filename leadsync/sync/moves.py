"""Deliberate moves by an admin: audited ledger entries, written to every CRM.

An admin move goes through the state machine's `admin` cause like any other move, so what it
may do is one table, not a special case. The move is recorded, the person is decided again from
there (scoring does not undo an admin's judgment: it never demotes, and after a backward move it
promotes only on new engagement), and the writes that follow are sent at once, backward moves
of a forward-only stage property cleared and set like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Connector
from leadsync.errors import LeadsyncError
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Cause, allowed
from leadsync.sync import audit
from leadsync.sync.cycle import drain_all
from leadsync.sync.decide_step import DecideStep
from leadsync.sync.outbox import ApplyCounts
from leadsync.sync.runs import finish_run, start_run
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LedgerRow, PersonRow


@dataclass(frozen=True, slots=True)
class Move:
    person_id: int
    email: str
    src: Stage | None
    dst: Stage


def plan_moves(session: Session, emails: Sequence[str], to: Stage) -> list[Move]:
    """The moves asked for; unknown people or moves the state machine forbids stop everything."""
    wanted = [e.strip().lower() for e in emails]
    found = {
        p.email: p for p in session.scalars(select(PersonRow).where(PersonRow.email.in_(wanted)))
    }
    unknown = [e for e in wanted if e not in found]
    if unknown:
        raise LeadsyncError(f"no person with email {', '.join(unknown)}; nothing was moved")
    moves, refused = [], []
    for email in wanted:
        person = found[email]
        src = Stage(person.stage) if person.stage else None
        if src is to:
            continue
        if allowed(src, to, Cause.ADMIN) is None:
            refused.append(f"{email} ({src.value if src else 'new'} -> {to.value})")
        else:
            moves.append(Move(person.id, email, src, to))
    if refused:
        raise LeadsyncError(
            f"the state machine does not let an admin make these moves: {', '.join(refused)}; "
            "`leadsync mapping show` prints the allowed moves. Nothing was moved."
        )
    return moves


def record_moves(
    session: Session, moves: Sequence[Move], *, why: str, actor: str, at: datetime,
    revision_id: int | None = None,
) -> None:  # fmt: skip
    """Ledger entries and audit rows for `moves`; the people are decided again next."""
    for move in moves:
        person = session.get(PersonRow, move.person_id)
        session.add(LedgerRow(
            person_id=move.person_id, from_stage=move.src.value if move.src else None,
            to_stage=move.dst.value, at=at, actor=actor, cause=Cause.ADMIN.value, reason=why,
            rule_ids=[], score={}, revision_id=revision_id,
        ))  # fmt: skip
        person.stage, person.stage_since, person.dirty = move.dst.value, at, True
        if move.dst is Stage.SUSPECT:
            person.disqualified_at = at
        audit.record(session, at=at, actor=actor, action="person.move", target=move.email,
                     before={"stage": move.src.value if move.src else None},
                     after={"stage": move.dst.value}, why=why)  # fmt: skip


def move_people(
    rt: Runtime, connectors: Mapping[str, Connector], emails: Sequence[str], to: Stage, *,
    why: str, actor: str, dry_run: bool = False,
) -> tuple[list[Move], ApplyCounts]:  # fmt: skip
    """Move, decide those people again, and send their writes (`dry_run`: only check)."""
    if not why.strip():
        raise LeadsyncError("say why with --why: the move is recorded with it in the ledger")
    with rt.sessions() as session:
        moves = plan_moves(session, emails, to)
    if dry_run or not moves:
        return moves, ApplyCounts()
    return moves, apply_moves(rt, connectors, moves, why=why, actor=actor, kind="move")


def apply_moves(
    rt: Runtime, connectors: Mapping[str, Connector], moves: Sequence[Move], *, why: str,
    actor: str, kind: str,
) -> ApplyCounts:  # fmt: skip
    """Record `moves`, decide those people again from there and send their writes."""
    now = rt.clock()
    with rt.sessions.begin() as session:
        record_moves(session, moves, why=why, actor=actor, at=now, revision_id=rt.revision_id)
    run_id = start_run(rt.sessions, kind, now)
    people = [m.person_id for m in moves]
    DecideStep(rt, run_id=run_id, now=now).run(only=people)
    counts = drain_all(rt, connectors, run_id=run_id, person_ids=people)
    finish_run(rt.sessions, run_id, {"moved": len(moves), "written": counts.done}, rt.clock())
    return counts
