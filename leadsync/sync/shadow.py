"""Shadow mode: every person a cycle decides is decided by a candidate config too, apart.

`[scoring] shadow = "candidate.toml"` names the candidate (validated when the config loads). The
decide step hands each stored chunk to `Shadow.record`, which decides the same people with the
candidate's mapping and rules, in memory, through the same `Decider` a preview uses, and stores
only what the candidate decided (`shadow_decisions`) and the moves it made (`shadow_moves`). Its
planned writes are dropped here: nothing of the candidate reaches the outbox, a CRM, the live
ledger or the scores.

Where the candidate stands: the first time it decides a person, where the person stands live
(what promoting it at that moment would do); from then on, where its own last move left them.
A move a person made (in a CRM, or with `leadsync move`) after that applies to both sides alike:
only the rules' own moves may differ.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Cause
from leadsync.scoring.decide import Transition
from leadsync.sync.bulk import insert_new, upsert
from leadsync.sync.chunk import ChunkContext
from leadsync.sync.config import Settings
from leadsync.sync.outcome import Decider, Handoff, Outcome
from leadsync.sync.redact import redact
from leadsync.sync.revisions import content_hash
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import (
    PersonRow,
    ShadowCandidateRow,
    ShadowDecisionRow,
    ShadowMoveRow,
)

log = logging.getLogger("leadsync.shadow")

# Causes that are facts of the world, not a config's judgment: both sides take them.
_SHARED = (Cause.HUMAN, Cause.ADMIN)


class Shadow:
    """The candidate of one decide step: compiled once, its id looked up in the first chunk."""

    def __init__(self, rt: Runtime, candidate: Settings, *, run_id: int | None, now: datetime):
        self.rt, self.candidate = rt, candidate
        self.source = candidate.source
        self.run_id = run_id
        self.now = now
        self._candidate_id: int | None = None
        self.failed = ""

    @functools.cached_property
    def decider(self) -> Decider:
        """Compiled at the first chunk stored: a dry step (plan, preview) never needs it."""
        from leadsync.sync.preview import candidate_decider  # preview imports the decide step

        # No handoff: the candidate never creates anything, so it need not plan a Lead.
        compiled = candidate_decider(self.rt, self.candidate)
        return dataclasses.replace(compiled, handoff=Handoff(False, Stage.MQL))

    @classmethod
    def of(cls, rt: Runtime, *, run_id: int | None, now: datetime) -> Shadow | None:
        """The step's shadow, or None when no shadow is configured (then it costs nothing)."""
        candidate = rt.settings.shadow
        return None if candidate is None else cls(rt, candidate, run_id=run_id, now=now)

    def record(
        self, session: Session, ctx: ChunkContext, persons: Sequence[PersonRow],
        outcomes: Sequence[Outcome],
    ) -> None:  # fmt: skip
        """Decide the chunk's people with the candidate and store its decisions and moves.

        In a savepoint of the chunk's transaction: should the candidate fail, its part is undone
        and logged, shadow mode pauses for the rest of the step, and the live chunk commits.
        """
        if self.failed:
            return
        try:
            with session.begin_nested():
                self._record(session, ctx, persons, outcomes)
        except Exception as exc:  # the candidate must never stop the live cycle
            self.failed = f"{type(exc).__name__}: {exc}"
            log.warning("shadow candidate %s failed, paused for this run: %s",
                        self.source.path if self.source else "?", self.failed)  # fmt: skip

    def _record(
        self, session: Session, ctx: ChunkContext, persons: Sequence[PersonRow],
        outcomes: Sequence[Outcome],
    ) -> None:  # fmt: skip
        live = {out.person_id: out for out in outcomes if out.error is None}
        people = [p for p in persons if p.id in live]
        if not people:
            return
        candidate = self._candidate(session)
        trails = _trails(session, candidate, list(live))
        starts = {p.id: starting_point(trails, p.id, ctx.last.get(p.id)) for p in people}
        seen = dataclasses.replace(ctx, last={k: v for k, v in starts.items() if v is not None})
        decisions, moves = [], []
        for person, out in zip(people, self.decider.outcomes(people, seen, self.now), strict=True):
            if out.error is None:
                decisions.append(self._decision(candidate, out, live[out.person_id],
                                                starts[person.id]))  # fmt: skip
                moves += [self._move(candidate, out, live[out.person_id], e) for e in out.entries]
        upsert(session, ShadowDecisionRow.__table__, decisions, ["candidate_id", "person_id"])
        if moves:
            session.execute(insert(ShadowMoveRow), moves)

    def _candidate(self, session: Session) -> int:
        """The candidate's row (made the first time its text runs); its last run noted."""
        if self._candidate_id is None:
            assert self.source is not None
            text, digest = candidate_text(self.source.text)
            row = {"hash": digest, "path": str(self.source.path), "text": text,
                   "since": self.now, "last_run_at": self.now}  # fmt: skip
            insert_new(session, ShadowCandidateRow.__table__, [row], ["hash"])
            self._candidate_id = session.scalar(
                select(ShadowCandidateRow.id).where(ShadowCandidateRow.hash == digest)
            )
            session.execute(
                update(ShadowCandidateRow)
                .where(ShadowCandidateRow.id == self._candidate_id)
                .values(last_run_at=self.now, path=str(self.source.path))
            )
        assert self._candidate_id is not None
        return self._candidate_id

    def _decision(
        self, candidate: int, out: Outcome, live: Outcome, start: Transition | None
    ) -> dict[str, Any]:
        assert out.score is not None and out.stage is not None
        trail = out.entries[-1] if out.entries else start
        return {
            "candidate_id": candidate, "person_id": out.person_id, "run_id": self.run_id,
            "decided_at": self.now, "stage": out.stage.value,
            "live_stage": live.stage.value if live.stage else None,
            "fit": out.score.fit, "engagement": out.score.engagement, "total": out.score.total,
            "live_total": live.score.total if live.score else None, "reasons": out.reasons,
            "trail": trail_json(trail) if trail else None,
        }  # fmt: skip

    def _move(self, candidate: int, out: Outcome, live: Outcome, e: Transition) -> dict[str, Any]:
        return {
            "candidate_id": candidate, "person_id": out.person_id, "run_id": self.run_id,
            "from_stage": e.src.value if e.src else None, "to_stage": e.dst.value, "at": e.at,
            "cause": e.cause.value, "actor": e.actor or e.cause.value, "reason": e.reason,
            "rule_ids": list(e.rule_ids),
            "score": {"fit": e.fit, "engagement": e.engagement, "total": e.total},
            "live_stage": live.stage.value if live.stage else None,
        }  # fmt: skip


def candidate_text(text: str) -> tuple[str, str]:
    """A candidate's text as stored (secrets redacted, like a revision's) and its hash."""
    stored = redact(text)
    return stored, content_hash(stored)


# --- where the candidate starts from ---------------------------------------------------------

Trails = Mapping[int, Transition | None]


def _trails(session: Session, candidate: int, person_ids: list[int]) -> Trails:
    """Per person the candidate decided before: its last move (None: it never made one)."""
    rows = session.execute(
        select(ShadowDecisionRow.person_id, ShadowDecisionRow.trail).where(
            ShadowDecisionRow.candidate_id == candidate,
            ShadowDecisionRow.person_id.in_(person_ids),
        )
    )
    return {person_id: trail_of(person_id, trail) for person_id, trail in rows}


def starting_point(trails: Trails, person_id: int, live: Transition | None) -> Transition | None:
    """The last move the candidate decides from (see the module's docstring)."""
    if person_id not in trails:
        return live
    own = trails[person_id]
    if live is not None and live.cause in _SHARED and (own is None or live.at > own.at):
        return live
    return own


def trail_json(t: Transition) -> dict[str, Any]:
    return {
        "src": t.src.value if t.src else None, "dst": t.dst.value, "at": t.at.isoformat(),
        "cause": t.cause.value, "actor": t.actor, "reason": t.reason,
        "rule_ids": list(t.rule_ids),
    }  # fmt: skip


def trail_of(person_id: int, data: Mapping[str, Any] | None) -> Transition | None:
    if not data:
        return None
    return Transition(
        str(person_id), Stage(data["src"]) if data["src"] else None, Stage(data["dst"]),
        datetime.fromisoformat(data["at"]), Cause(data["cause"]), data["actor"], data["reason"],
        tuple(data["rule_ids"]),
    )  # fmt: skip
