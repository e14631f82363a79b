"""What a draft config would do: to one person ("try on a person") and to everyone (the
preview). Nothing is stored and no CRM is called.

Trying decides the person twice at the same instant, with the config in use and with the
draft, from what the store holds (`Decider.outcome`, as every cycle does), so the two sides
differ only by the draft. The preview is `leadsync preview` on the draft's text; it decides
everyone twice, which takes a while on a large store, so the console runs it as a job.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadsync.errors import UsageError
from leadsync.scoring.explain import explain
from leadsync.sync.chunk import ChunkContext
from leadsync.sync.cli_sync import batch_limits
from leadsync.sync.config import Settings, settings_from_text
from leadsync.sync.decide_step import decider_for
from leadsync.sync.outcome import Outcome
from leadsync.sync.plots import score_histograms
from leadsync.sync.preview import AXES, candidate_decider, preview
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.schema import PersonRow
from leadsync.sync.store import open_reader
from leadsync.sync.wiring import build_connectors


def candidate(text: str, where: str) -> Settings:
    """The draft as settings; `ConfigError` lists its problems."""
    return settings_from_text(text, where, secrets=False)


def try_on(rt: Runtime, draft: Settings, email: str) -> dict[str, Any]:
    """One person decided now with the config in use and with `draft`, side by side."""
    now = rt.clock()
    with rt.sessions() as session:
        query = select(PersonRow).where(PersonRow.email == email.strip().lower())
        person = session.scalars(query).first()
        if person is None:
            raise UsageError(f"no person with email {email.strip()!r}; search for them on People")
        ctx = ChunkContext.load(session, [person.id])
        current = decider_for(rt).outcome(person, ctx, now)
        drafted = candidate_decider(rt, draft).outcome(person, ctx, now)
    sides = {"current": _side(current), "draft": _side(drafted)}
    return {"email": person.email, "stage": person.stage, "at": now, **sides,
            "rules": _rules(sides["current"], sides["draft"])}  # fmt: skip


def _side(out: Outcome) -> dict[str, Any]:
    if out.error is not None or out.score is None:
        return {"error": str(out.error or "not scored"), "contributions": []}
    writes = [{"target": f"{w.system} {w.obj}", "create": w.record_id is None,
               "properties": dict(w.properties)} for w in out.writes]  # fmt: skip
    return explain(out.score, out.decision) | {"writes": writes}


def _rules(current: dict[str, Any], draft: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule that counted on either side, with its points on each; largest first."""
    rows: dict[str, dict[str, Any]] = {}
    for side, data in (("current", current), ("draft", draft)):
        for c in data["contributions"]:
            row = rows.setdefault(c["rule_id"], {"rule_id": c["rule_id"], "label": c["label"],
                                                 "axis": c["axis"], "current": 0.0,
                                                 "draft": 0.0, "evidence": c["evidence"]})  # fmt: skip
            row[side] = c["points"]
    ordered = sorted(rows.values(), key=lambda r: -max(abs(r["current"]), abs(r["draft"])))
    return [r | {"differs": r["current"] != r["draft"]} for r in ordered]


def preview_report(rt: Runtime, draft: Settings, *, examples: int = 3) -> dict[str, Any]:
    """`leadsync preview --json` of the draft, and its before/after chart as SVG text."""
    result = preview(rt, draft, now=rt.clock(), examples=examples)
    data = result.as_dict(batch_limits(build_connectors(rt)))
    before = {axis: result.scores[axis]["before"] for axis in AXES}
    after = {axis: result.scores[axis]["after"] for axis in AXES}
    return {"data": data, "chart": _svg(before, after), "at": rt.clock()}


def preview_elsewhere(
    current_text: str, draft_text: str, where: str, now: datetime
) -> dict[str, Any]:
    """`preview_report` in a process of its own (see `jobs`): the runtime is rebuilt from the
    config text in use, without recording a revision (the console has recorded it), and reads
    the store without taking its write lock."""
    in_use = settings_from_text(current_text, where, secrets=False)
    built = build_runtime(in_use, clock=lambda: now)
    built.sessions.kw["bind"].dispose()
    rt = dataclasses.replace(built, sessions=open_reader(in_use.database_url))
    try:
        return preview_report(rt, candidate(draft_text, where))
    finally:
        rt.sessions.kw["bind"].dispose()


def _svg(before: dict[str, list[float]], after: dict[str, list[float]]) -> str:
    with tempfile.TemporaryDirectory() as directory:
        path = score_histograms(before, after, Path(directory) / "scores.svg")
        return path.read_text(encoding="utf-8")
