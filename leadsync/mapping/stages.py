"""Stage vocabularies, stage owners, and the state machine of DESIGN §3.

Each connector declares its CRM's default vocabularies (`mapping.catalog`).

Everything here is a table. Inverses are derived, never written by hand, and tests assert each
table is total over `Stage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import LADDER, Stage, System


class Owner(StrEnum):
    """Who may assert a stage."""

    SCORING = "scoring"
    SALES = "sales"  # a CRM in the sales role (see `mapping.catalog`)


# Scoring may assert the early stages; only CRM evidence (sales work in the sales CRM) may
# assert the later ones. Evidence from the owner system outranks scoring.
OWNERS: Mapping[Stage, Owner] = MappingProxyType(
    {
        Stage.LEAD: Owner.SCORING,
        Stage.MQL: Owner.SCORING,
        Stage.SQL: Owner.SCORING,
        Stage.SUSPECT: Owner.SCORING,
        Stage.PROSPECT: Owner.SALES,
        Stage.OPPORTUNITY: Owner.SALES,
        Stage.CUSTOMER: Owner.SALES,
    }
)


@cache  # asked for every record planned; `OWNERS` and the catalog never change
def owned_by(system: System) -> frozenset[Stage]:
    """Stages whose truth lives in `system`; leadsync never writes them back to it."""
    if not catalog().is_sales(system):
        return frozenset()
    return frozenset(stage for stage, owner in OWNERS.items() if owner is Owner.SALES)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """How one CRM property's values map to canonical stages.

    `inbound` is many-to-one; a value mapped to `None` is known but says nothing about the
    stage (e.g. a lead status "NEW"). A value absent from `inbound` is an error for that
    record, never a silent default. `outbound` gives the one value written for a stage; the
    system's primary vocabulary must cover every stage leadsync writes to it.
    `release` is written when a secondary property holds a value for a stage the person has
    left and the new stage has no outbound value there (e.g. lead status UNQUALIFIED -> OPEN).
    `forward_only` marks a property whose CRM ignores a write to an earlier value (in `inbound`
    order) unless the value is cleared first, in a request of its own (a lifecycle
    that only moves forward).
    `changed_at` names the record's own property holding when the current value was set, with
    `{value}` standing for that value (e.g. `date_entered_{value}`); without one, the
    record's modification time when the new value was first pulled stands in.
    """

    system: System
    obj: str
    prop: str
    inbound: Mapping[str, Stage | None]
    outbound: Mapping[Stage, str]
    primary: bool = True
    release: str | None = None
    forward_only: bool = False
    changed_at: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}.{self.obj}.{self.prop}"

    def to_canonical(self, value: str) -> Stage | None:
        """Map a CRM value; raises `KeyError` for a value the vocabulary does not know."""
        return self.inbound[value]

    def to_system(self, stage: Stage) -> str | None:
        return self.outbound.get(stage)

    def stamp_props(self) -> list[str]:
        """The properties to read so `stamp_prop` can be looked up for any known value."""
        if self.changed_at is None:
            return []
        return [self.changed_at.format(value=value) for value in self.inbound]

    def stamp_prop(self, value: str) -> str | None:
        return None if self.changed_at is None else self.changed_at.format(value=value)

    def is_backward_write(self, current: str | None, new: str) -> bool:
        """True when writing `new` over `current` moves back in the property's own order."""
        if not self.forward_only or not current or current not in self.inbound:
            return False
        order = list(self.inbound)
        return new in self.inbound and order.index(new) < order.index(current)


@cache
def written_stages(system: System) -> frozenset[Stage]:
    """Stages leadsync writes to `system`: all but those the system itself owns."""
    return frozenset(Stage) - owned_by(system)


# --- the state machine -------------------------------------------------------------------


class Cause(StrEnum):
    """Why a stage change is proposed."""

    SCORE = "score"  # the scoring engine's thresholds and gates
    EVIDENCE = "evidence"  # a CRM record shows the stage (e.g. an open Opportunity)
    HUMAN = "human"  # a person changed the stage in the system that owns the target
    RECYCLE = "recycle"  # an explicit, configured recycle rule
    ADMIN = "admin"  # an admin command


class Guard(StrEnum):
    """Extra condition a move needs beyond its cause."""

    NONE = "none"
    NEW_ENGAGEMENT = "new engagement after disqualification"


_DISQUALIFIABLE = frozenset(s for s in LADDER if s.rank < Stage.OPPORTUNITY.rank)
_CRM_OWNED = frozenset(s for s, owner in OWNERS.items() if owner is Owner.SALES)


def _allowed(src: Stage | None, dst: Stage) -> dict[Cause, Guard]:
    """Derive the causes that may move a person from `src` to `dst` (None = first stage)."""
    everyone = {Cause.SCORE, Cause.EVIDENCE, Cause.HUMAN, Cause.ADMIN}
    if src is None:
        causes = everyone if OWNERS[dst] is Owner.SCORING else everyone - {Cause.SCORE}
        return dict.fromkeys(causes, Guard.NONE)
    if src is dst:
        return {}
    if dst is Stage.SUSPECT:
        return dict.fromkeys(everyone, Guard.NONE) if src in _DISQUALIFIABLE else {}
    if src is Stage.SUSPECT:
        moves = dict.fromkeys((Cause.HUMAN, Cause.RECYCLE, Cause.ADMIN), Guard.NONE)
        if dst in _CRM_OWNED:
            moves[Cause.EVIDENCE] = Guard.NONE
        else:
            moves[Cause.SCORE] = Guard.NEW_ENGAGEMENT
        return moves
    if dst.rank > src.rank:
        causes = {Cause.EVIDENCE, Cause.HUMAN, Cause.ADMIN}
        if OWNERS[dst] is Owner.SCORING:
            causes.add(Cause.SCORE)
        return dict.fromkeys(causes, Guard.NONE)
    # Backward on the ladder: never by accident (score decay, stale evidence).
    return dict.fromkeys((Cause.HUMAN, Cause.RECYCLE, Cause.ADMIN), Guard.NONE)


MOVES: Mapping[tuple[Stage | None, Stage], Mapping[Cause, Guard]] = MappingProxyType(
    {(src, dst): _allowed(src, dst) for src in (None, *Stage) for dst in Stage}
)


def is_backward(src: Stage | None, dst: Stage) -> bool:
    """True when `dst` sits below `src` on the ladder. Moves into or out of `suspect`, the
    side state, are never backward: they are judged by their own rules in `_allowed`."""
    if src is None or src is dst:
        return False
    if src is Stage.SUSPECT:
        return False
    if dst is Stage.SUSPECT:
        return False
    return dst.rank < src.rank


def allowed(src: Stage | None, dst: Stage, cause: Cause) -> Guard | None:
    """The guard a move needs, or None when the state machine forbids it."""
    return MOVES[(src, dst)].get(cause)


def default_vocabularies() -> tuple[Vocabulary, ...]:
    """The vocabularies the installed connectors ship (a config's `[stages]` overrides)."""
    return catalog().vocabularies()
