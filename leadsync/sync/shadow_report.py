"""How a shadow candidate compares with the live config: agreement, divergence, conversion.

Read-only. The candidate is the one shadow mode ran last; the period starts when it began
shadowing (or `since`, when later). Agreement and divergence compare each person's latest
decision by both sides; conversion follows each side's MQLs (people it moved to `mql` in the
period) through the live ledger and the sales CRM's deals tied to them: what really
happened to the people each side would have handed to sales.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.mapping.model import Stage
from leadsync.sync.schema import (
    LedgerRow,
    LinkRow,
    OpportunityRoleRow,
    OpportunityRow,
    PersonRow,
    ShadowCandidateRow,
    ShadowDecisionRow,
    ShadowMoveRow,
)

OUTCOMES = ("sql", "opportunity", "won")
# The actor of ledger entries reconstructed from the CRMs' history at backfill (issue 12).
HISTORY_ACTOR = "history:"
# The live stages that say a person got that far (the ladder: sql < prospect < opportunity...).
_REACHED = {
    "sql": {Stage.SQL, Stage.PROSPECT, Stage.OPPORTUNITY, Stage.CUSTOMER},
    "opportunity": {Stage.OPPORTUNITY, Stage.CUSTOMER},
    "won": {Stage.CUSTOMER},
}


def shadow_report(session: Session, *, since: datetime | None = None,
                  examples: int = 3) -> dict[str, Any]:  # fmt: skip
    """The report `leadsync shadow report --json` prints; `candidate` None: nothing shadowed."""
    cand = session.scalars(
        select(ShadowCandidateRow).order_by(ShadowCandidateRow.last_run_at.desc())
    ).first()
    if cand is None:
        return {"candidate": None}
    start = max(since, cand.since) if since else cand.since
    pairs = _pairs(session, cand.id, start)
    people = sum(pairs.values())
    agree = sum(n for (live, shadow), n in pairs.items() if live == shadow)
    return {
        "candidate": {
            "id": cand.id,
            "path": cand.path,
            "hash": cand.hash[:12],
            "since": cand.since,
            "last_run_at": cand.last_run_at,
        },
        "since": start,
        "people": people,
        "agree": agree,
        "agreement": round(agree / people, 4) if people else None,
        "divergence": _divergence(session, cand.id, start, pairs, examples),
        "moves": _moves(session, cand.id, start),
        "conversion": _conversion(session, cand.id, start),
    }


Pair = tuple[str | None, str]


def _pairs(session: Session, candidate: int, start: datetime) -> dict[Pair, int]:
    rows = session.execute(
        select(ShadowDecisionRow.live_stage, ShadowDecisionRow.stage, func.count())
        .where(ShadowDecisionRow.candidate_id == candidate, ShadowDecisionRow.decided_at >= start)
        .group_by(ShadowDecisionRow.live_stage, ShadowDecisionRow.stage)
    )  # fmt: skip
    return {(live, shadow): n for live, shadow, n in rows}


def _divergence(
    session: Session, candidate: int, start: datetime, pairs: Mapping[Pair, int], examples: int
) -> list[dict[str, Any]]:
    """Each live stage → candidate stage that differ, most people first, with a few emails."""
    differ = sorted(((p, n) for p, n in pairs.items() if p[0] != p[1]), key=lambda x: -x[1])
    return [
        {"live": live, "candidate": shadow, "people": n,
         "examples": _emails(session, candidate, start, (live, shadow), examples)}
        for (live, shadow), n in differ
    ]  # fmt: skip


def _emails(session: Session, candidate: int, start: datetime, pair: Pair, n: int) -> list[str]:
    live, shadow = pair
    query = (
        select(PersonRow.email)
        .join(ShadowDecisionRow, ShadowDecisionRow.person_id == PersonRow.id)
        .where(ShadowDecisionRow.candidate_id == candidate, ShadowDecisionRow.decided_at >= start,
               ShadowDecisionRow.stage == shadow,
               ShadowDecisionRow.live_stage.is_(None) if live is None
               else ShadowDecisionRow.live_stage == live)
        .order_by(PersonRow.id).limit(n)
    )  # fmt: skip
    return [email or "" for email in session.scalars(query)]


def _moves(session: Session, candidate: int, start: datetime) -> dict[str, dict[str, int]]:
    """Stage moves in the period by transition, each side's (the live ledger's made by leadsync
    in a cycle, not reconstructed history), most moved first."""
    made = ~LedgerRow.actor.startswith(HISTORY_ACTOR)
    live = _by_transition(session, LedgerRow, start, made)
    shadow = _by_transition(session, ShadowMoveRow, start, ShadowMoveRow.candidate_id == candidate)
    keys = sorted(set(live) | set(shadow), key=lambda k: -max(live.get(k, 0), shadow.get(k, 0)))
    return {k: {"live": live.get(k, 0), "candidate": shadow.get(k, 0)} for k in keys}


def _by_transition(session: Session, table: Any, start: datetime, *where: Any) -> dict[str, int]:
    rows = session.execute(
        select(table.from_stage, table.to_stage, func.count())
        .where(table.at >= start, *where)
        .group_by(table.from_stage, table.to_stage)
    )  # fmt: skip
    return {f"{src or 'new'}->{dst}": n for src, dst, n in rows}


# --- what became of each side's MQLs -----------------------------------------------------------


@dataclass
class Later:
    """What the live world shows for a person after a moment: furthest stage moves, deals."""

    moves: dict[int, list[tuple[Stage, datetime]]]
    deals: dict[int, bool]  # person -> any tied opportunity won

    def reached(self, person: int, outcome: str, after: datetime) -> bool:
        stages = _REACHED[outcome]
        if any(s in stages and at >= after for s, at in self.moves.get(person, ())):
            return True
        if person not in self.deals:
            return False
        return outcome != "won" or self.deals[person]


def _conversion(session: Session, candidate: int, start: datetime) -> dict[str, Any]:
    live = _first_mql(session, LedgerRow, start)
    shadow = _first_mql(session, ShadowMoveRow, start, ShadowMoveRow.candidate_id == candidate)
    later = Later(_later_moves(session, start), _deals(session))
    sides = {
        "live": live,
        "candidate": shadow,
        "both": {p: min(at, shadow[p]) for p, at in live.items() if p in shadow},
        "only_live": {p: at for p, at in live.items() if p not in shadow},
        "only_candidate": {p: at for p, at in shadow.items() if p not in live},
    }
    return {side: _rates(mqls, later) for side, mqls in sides.items()}


def _first_mql(session: Session, table: Any, start: datetime, *where: Any) -> dict[int, datetime]:
    rows = session.execute(
        select(table.person_id, func.min(table.at))
        .where(table.to_stage == Stage.MQL.value, table.at >= start, *where)
        .group_by(table.person_id)
    )
    return {person: at for person, at in rows}


def _later_moves(session: Session, start: datetime) -> dict[int, list[tuple[Stage, datetime]]]:
    wanted = [s.value for s in _REACHED["sql"]]
    rows = session.execute(
        select(LedgerRow.person_id, LedgerRow.to_stage, LedgerRow.at)
        .where(LedgerRow.to_stage.in_(wanted), LedgerRow.at >= start)
    )  # fmt: skip
    found: dict[int, list[tuple[Stage, datetime]]] = defaultdict(list)
    for person, stage, at in rows:
        found[person].append((Stage(stage), at))
    return found


def _deals(session: Session) -> dict[int, bool]:
    """People tied to a live deal, and whether one of them was won."""
    rows = session.execute(
        select(LinkRow.person_id, OpportunityRow.is_won)
        .join(OpportunityRoleRow, OpportunityRoleRow.record_id == LinkRow.record_id)
        .join(OpportunityRow, OpportunityRow.id == OpportunityRoleRow.opportunity_id)
        .where(OpportunityRoleRow.deleted.is_(False), OpportunityRow.deleted.is_(False))
    )  # fmt: skip
    deals: dict[int, bool] = {}
    for person, won in rows:
        deals[person] = deals.get(person, False) or bool(won)
    return deals


def _rates(mqls: Mapping[int, datetime], later: Later) -> dict[str, Any]:
    out: dict[str, Any] = {"mqls": len(mqls)}
    for outcome in OUTCOMES:
        hits = sum(later.reached(p, outcome, at) for p, at in mqls.items())
        out[outcome] = hits
        out[f"{outcome}_rate"] = round(hits / len(mqls), 4) if mqls else None
    return out
