"""Score persons, decide their stage, append the ledger, and plan the write-backs.

One transaction per chunk of persons holds the new canonical state (score, stage, ledger
entry) and the outbox rows that follow from it, so they cannot drift apart. A dry step
(`dry=True`) computes the same outcomes and stores none of them: plans and previews read the
`PlanSummary` instead, and a later run finds the store as it was.

A person whose stored record holds a value the mapping no longer knows (a vocabulary edited
since) goes to the error queue with the value and the config key to fix; everyone else is
decided, and the person is decided again on every cycle until the config or the record is
fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.mapping.model import Stage
from leadsync.scoring.compile import predicate
from leadsync.scoring.explain import explain
from leadsync.sync import event_packs
from leadsync.sync.bulk import insert_rows, update_by_id, upsert
from leadsync.sync.chunk import PERSON, ChunkContext, values
from leadsync.sync.errorq import Retry, quarantine, resolve
from leadsync.sync.handoff import HandoffBudget
from leadsync.sync.outbox import PENDING
from leadsync.sync.outcome import Decider, Handoff, Outcome, Write
from leadsync.sync.person_fields import merged_fields, provenance
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.runtime import Runtime
from leadsync.sync.schema import LedgerRow, OutboxRow, PersonRow, ScoreRow
from leadsync.sync.shadow import Shadow

CHUNK = 500
# What folding a write into a stored pending outbox row changes.
_FOLDED = ("id", "properties", "clear_first", "reason", "updated_at", "run_id")
Example = Callable[[Outcome], dict[str, Any]]


@dataclass
class DecideCounts:
    scored: int = 0
    moved: int = 0
    planned: int = 0
    handoffs: int = 0
    unmapped: int = 0
    transitions: dict[str, int] = field(default_factory=dict)


def handoff_of(sync: Any) -> Handoff:
    """The handoff rule of a `[sync]` section, its conditions compiled once."""
    when = tuple((c.field, predicate(c)) for c in sync.handoff.when)
    return Handoff(sync.create_sales_leads, sync.handoff_stage, when)


def decider_for(rt: Runtime, *, remap: bool = False) -> Decider:
    return Decider(
        vocabularies=rt.vocabularies, outbound=rt.outbound, rules=rt.rules,
        handoff=handoff_of(rt.settings.sync), field_maps=rt.field_maps if remap else None,
        source_rules=rt.source_rules, default_source=rt.default_source, kernel=rt.kernel,
    )  # fmt: skip


class DecideStep:
    def __init__(
        self, rt: Runtime, *, run_id: int | None, now: datetime, decider: Decider | None = None
    ) -> None:
        self.rt = rt
        self.run_id = run_id
        self.now = now
        self.decider = decider or decider_for(rt)
        self.counts = DecideCounts()
        self.shapes = event_packs.Shapes()  # read once for all chunks
        self.shadow = Shadow.of(rt, run_id=run_id, now=now)  # None unless `[scoring] shadow`

    def run(
        self, *, everyone: bool = False, dry: bool = False, summary: PlanSummary | None = None,
        example: Example | None = None, only: list[int] | None = None,
    ) -> DecideCounts:  # fmt: skip
        """Decide the dirty persons (`everyone`: all; `only`: these), a chunk per transaction."""
        after = 0
        # A dry step reads in a session that is closed, never committed.
        opened = self.rt.reading if dry else self.rt.sessions.begin
        sync = self.rt.settings.sync
        with self.rt.sessions() as session:
            budget = HandoffBudget.load(session, sync.handoff, sync.timezone, self.now)
        while True:
            with opened() as session:
                persons = self._chunk(session, after, everyone=everyone, only=only)
                if not persons:
                    return self.counts
                ctx = ChunkContext.load(session, [p.id for p in persons],
                                        columns=self.decider.on_columns,
                                        stale=[p.id for p in persons if p.dirty],
                                        shapes=self.shapes)  # fmt: skip
                outcomes = self.decider.outcomes(persons, ctx, self.now)
                for out in outcomes:
                    budget.take(out)
                self._count(outcomes, summary, example)
                if not dry:
                    self._store(session, ctx, persons, outcomes)
                    if self.shadow is not None:
                        self.shadow.record(session, ctx, persons, outcomes)
            after = persons[-1].id

    def _chunk(
        self, session: Session, after: int, *, everyone: bool, only: list[int] | None
    ) -> list[PersonRow]:
        persons = PersonRow.__table__
        query = select(*PERSON).where(persons.c.id > after)
        if only is not None:
            query = query.where(persons.c.id.in_(only))
        elif not everyone:
            query = query.where(persons.c.dirty)
        return list(values(session, query.order_by(persons.c.id).limit(CHUNK)))

    def _count(
        self, outcomes: list[Outcome], summary: PlanSummary | None, example: Example | None
    ) -> None:
        for out in outcomes:
            if out.error is not None:
                self.counts.unmapped += 1
            else:
                self.counts.scored += 1
                self.counts.moved += len(out.entries)
                self.counts.planned += len(out.writes)
                self.counts.handoffs += sum(w.record_id is None for w in out.writes)
                for entry in out.entries:
                    key = f"{entry.src.value if entry.src else 'new'} -> {entry.dst.value}"
                    self.counts.transitions[key] = self.counts.transitions.get(key, 0) + 1
            if summary is not None:
                summary.add(out, example(out) if example and out.error is None else None)

    # --- storing -----------------------------------------------------------------------

    def _store(
        self, session: Session, ctx: ChunkContext, persons: list[PersonRow],
        outcomes: list[Outcome],
    ) -> None:  # fmt: skip
        """A chunk's outcomes in a few statements: scores upserted, ledger rows inserted, people
        updated by one executemany per shape, writes folded into the outbox (bulk: a row per
        statement cost PostgreSQL a client-side parse of each long `VALUES` list)."""
        decided = [out for out in outcomes if out.error is None]
        for out in outcomes:
            if out.error is not None:
                self._unmapped(session, out)
        rows = {row.id: row for row in persons}
        scores = [self._score(ctx, rows[out.person_id], out) for out in decided]
        upsert(session, ScoreRow.__table__, scores, ["person_id"])
        ledger = [self._ledger(out.person_id, e) for out in decided for e in out.entries]
        insert_rows(session, LedgerRow.__table__, ledger)
        for shape in _by_shape(self._person(out) for out in decided).values():
            update_by_id(session, PersonRow, shape)
        self._enqueue(session, ctx, decided)
        # Whoever was dirty is clean now: their pack must hold the events just read.
        if ctx.fresh is not None:
            event_packs.store(session, ctx.fresh)
        else:
            event_packs.forget(session, [row.id for row in persons if row.dirty])
        labels = [f"person {out.person_id}" for out in decided]
        resolve(session, system="leadsync", stage="decide", records=labels, now=self.now)

    def _unmapped(self, session: Session, out: Outcome) -> None:
        error = out.error
        assert error is not None
        quarantine(
            session, run_id=self.run_id, system="leadsync", stage="decide",
            record=f"person {out.person_id}", code="UNMAPPED_VALUE", message=str(error),
            retry=Retry.FIX, now=self.now, person_id=out.person_id,
            payload={"email": out.email, "record": error.record, "field": error.field},
        )  # fmt: skip

    def _score(self, ctx: ChunkContext, row: PersonRow, out: Outcome) -> dict[str, Any]:
        result = out.score
        assert result is not None
        explanation = explain(result, out.decision) | {"sources": self._sources(ctx, row)}
        return {
            "person_id": out.person_id, "fit": result.fit, "engagement": result.engagement,
            "total": result.total, "grade": result.grade, "explanation": explanation,
            "reasons": out.reasons, "computed_at": self.now, "rules_version": "",
            "revision_id": self.rt.revision_id,
        }  # fmt: skip

    def _sources(self, ctx: ChunkContext, row: PersonRow) -> dict[str, Any]:
        """Where the person's fields came from: kept by the ingest; mapped afresh only for
        people stored before it kept them, or when this step re-maps (a preview)."""
        if row.sources and self.decider.field_maps is None:
            return row.sources
        maps = self.decider.field_maps or self.rt.field_maps
        return provenance(
            merged_fields(
                ctx.links.get(row.id, []),
                maps,
                self.decider.source_rules,
                self.decider.default_source,
            )
        )

    def _ledger(self, person_id: int, entry: Any) -> dict[str, Any]:
        return {
            "person_id": person_id, "from_stage": entry.src.value if entry.src else None,
            "to_stage": entry.dst.value, "at": entry.at, "actor": entry.actor or entry.cause.value,
            "cause": entry.cause.value, "reason": entry.reason, "rule_ids": list(entry.rule_ids),
            "score": {"fit": entry.fit, "engagement": entry.engagement, "total": entry.total},
            "revision_id": self.rt.revision_id,
        }  # fmt: skip

    def _person(self, out: Outcome) -> dict[str, Any]:
        row: dict[str, Any] = {"id": out.person_id, "dirty": out.deferred}
        if out.entries:
            last = out.entries[-1]
            row |= {"stage": last.dst.value, "stage_since": last.at}
            suspect = [e for e in out.entries if e.dst is Stage.SUSPECT]
            if suspect:
                row["disqualified_at"] = suspect[-1].at
        return row

    def _enqueue(self, session: Session, ctx: ChunkContext, decided: list[Outcome]) -> None:
        """Add the chunk's writes, each folded into the person's pending row for the same
        record: new rows inserted in the order planned (their ids follow it), folded stored
        rows updated."""
        new: list[dict[str, Any]] = []
        folded: dict[int, dict[str, Any]] = {}
        for out in decided:
            for write in out.writes:
                key = (write.person_id, write.system, write.obj, write.record_id)
                pending = ctx.pending.get(key)
                if pending is None:
                    pending = ctx.pending[key] = self._outbox(write)
                    new.append(pending)
                    continue
                self._fold(pending, write)
                if "id" in pending:
                    folded[pending["id"]] = pending
        insert_rows(session, OutboxRow.__table__, new)
        update_by_id(session, OutboxRow, [{n: row[n] for n in _FOLDED} for row in folded.values()])

    def _fold(self, pending: dict[str, Any], write: Write) -> None:
        pending["properties"] = {**pending["properties"], **write.properties}
        pending["clear_first"] = sorted(set(pending["clear_first"]) | set(write.clear_first))
        pending |= {"reason": write.reason, "updated_at": self.now, "run_id": self.run_id}

    def _outbox(self, write: Write) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "person_id": write.person_id, "system": write.system,
            "obj": write.obj, "record_id": write.record_id, "properties": dict(write.properties),
            "clear_first": list(write.clear_first), "reason": write.reason, "state": PENDING,
            "created_at": self.now, "updated_at": self.now,
        }  # fmt: skip


def _by_shape(rows: Any) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows grouped by their keys: an executemany sends one shape of row."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    return shapes
