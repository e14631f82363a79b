"""Scoring a chunk of people on columns: the kernel's numbers for everyone at once.

The decide step reads a chunk's fields (already loaded with the persons) and events (as
columns, see `chunk.event_columns`) and scores everyone at once with `scoring.kernel`; the top
reasons come from the same arrays for everyone. A person's full `Score` (what a stored
explanation shows, and what the stage decision reads of someone who may move) is rebuilt from
those arrays by `ScoreColumns.score`, which equals the engine's, so a cycle, a rescore and a
preview decide exactly as they would with the engine; who stays put needs only the arrays
(`sync.outcome`). Rules the kernel cannot score exactly are left to the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadsync.mapping.model import Stage
from leadsync.scoring.columns import PeopleColumns
from leadsync.scoring.kernel import Kernel, Unsupported, compile_kernel
from leadsync.scoring.model import Score
from leadsync.scoring.rules import ScoringConfig
from leadsync.scoring.score_columns import ScoreColumns

if TYPE_CHECKING:
    from leadsync.sync.chunk import ChunkContext
    from leadsync.sync.schema import PersonRow


@dataclass(frozen=True, slots=True)
class Scored:
    """One person's score with what the decision and the write-back read of it."""

    score: Score
    reasons: str  # the "top reasons" text written to the CRMs
    verdict: Stage  # what the score alone says (`gates.verdict`)


def kernel_of(config: ScoringConfig) -> Kernel | None:
    """The rules compiled for columns, or None when only the engine scores them exactly."""
    try:
        return compile_kernel(config)
    except Unsupported:
        return None


def chunk_columns(
    kernel: Kernel, persons: Sequence[PersonRow], fields: Sequence[Mapping[str, Any]],
    ctx: ChunkContext, now: datetime,
) -> ScoreColumns | None:  # fmt: skip
    """The chunk's scores as columns, row `i` for `persons[i]`; None when the chunk's events
    were not read as columns or the kernel cannot count them exactly (the engine scores them
    then)."""
    if ctx.event_columns is None:
        return None
    people = PeopleColumns.from_rows(
        zip([row.email for row in persons], fields, strict=True), kernel.fields
    )
    try:
        return kernel.score(people, ctx.event_columns, now)
    except Unsupported:
        return None
