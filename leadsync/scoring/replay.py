"""A person's scores and stages over time under one ruleset, replayed up to their cutoff.

Stages stick (decay alone never demotes), so what a ruleset would have done to a person is the
first moment it made them an MQL or an SQL, and how high it ever rated them, not the verdict
at the cutoff. A score rises only when an event arrives, so the replay scores at the moment
of each event that some rule rewards (or that ends an only-no-intent history), plus the
moment the person was created, with the engine and `verdict` themselves.

A ceiling score bounds every one of those from above: the same rules with nothing fading and
no negative engagement, at the cutoff. Someone whose ceiling passes no gate is never an MQL,
so most people cost one extra score, not a replay.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from leadsync.mapping.model import Stage
from leadsync.scoring.cases import Case
from leadsync.scoring.compile import Ruleset, compile_rules
from leadsync.scoring.engine import score
from leadsync.scoring.gates import verdict
from leadsync.scoring.model import Score
from leadsync.scoring.rules import ScoringConfig

QUALIFIED = (Stage.MQL, Stage.SQL)
_STILL = {"decay": False, "half_life_days": None, "window_days": None}  # nothing fades


@dataclass(frozen=True, slots=True)
class Reached:
    """When the rules first made a person an MQL (an SQL counts) and an SQL, if ever."""

    mql_at: datetime | None
    sql_at: datetime | None


@dataclass(frozen=True, slots=True)
class Replay:
    """A ruleset and its ceiling; build with `Replay.of(config)`."""

    rules: Ruleset
    ceiling: Ruleset

    @classmethod
    def of(cls, config: ScoringConfig) -> Replay:
        return cls(compile_rules(config), compile_rules(_ceiling(config)))

    def bound(self, case: Case) -> Score:
        """A score no moment before the cutoff can beat, on fit, engagement or total."""
        return score(case.person, case.events, self.ceiling, case.cutoff)

    def reached(self, case: Case) -> Reached:
        """The first moments the rules made `case` an MQL and an SQL, before its cutoff."""
        could = verdict(self.bound(case), self.ceiling, case.cutoff)[0]
        if could not in QUALIFIED:
            return Reached(None, None)
        mql_at = None
        for at, result in self.trajectory(case):
            stage = verdict(result, self.rules, at)[0]
            if stage in QUALIFIED and mql_at is None:
                mql_at = at
            if stage is Stage.SQL:
                return Reached(mql_at, at)
            if mql_at is not None and could is Stage.MQL:
                break
        return Reached(mql_at, None)

    def peak(self, case: Case) -> float | None:
        """The highest total at a moment the person was not a suspect; None if never."""
        return self.follow(case)[1]

    def follow(self, case: Case) -> tuple[Reached, float | None]:
        """`reached` and `peak` in one replay of every moment, for when both are wanted."""
        mql_at = sql_at = None
        highest: float | None = None
        for at, result in self.trajectory(case):
            stage = verdict(result, self.rules, at)[0]
            if stage is not Stage.SUSPECT and (highest is None or result.total > highest):
                highest = result.total
            if stage in QUALIFIED and mql_at is None:
                mql_at = at
            if stage is Stage.SQL and sql_at is None:
                sql_at = at
        return Reached(mql_at, sql_at), highest

    def trajectory(self, case: Case) -> Iterator[tuple[datetime, Score]]:
        """(moment, score then) at each moment the score could rise, oldest first."""
        times = [e.occurred_at for e in case.events]
        for at in self._moments(case):
            yield at, score(case.person, case.events[: bisect_right(times, at)], self.rules, at)

    def _moments(self, case: Case) -> list[datetime]:
        intent = {*self.rules.mql.requires_any, *self.rules.sql.requires_any}
        moments = {case.created_at} if case.created_at < case.cutoff else set()
        ended_no_intent = False
        for event in case.events:
            matcher = self.rules.events.get(event.kind)
            match = matcher(event.attributes) if matcher else None
            rises = match is not None and (
                match.positive or any(c.id in intent for c in match.checks)
            )
            if not ended_no_intent and (match is None or not match.no_intent):
                ended_no_intent = rises = True
            if rises:
                moments.add(event.occurred_at)
        return sorted(moments)


def _ceiling(config: ScoringConfig) -> ScoringConfig:
    """The rules with no engagement fading or negative, no intent window, no no-intent test.

    Disqualifying fit rules and `fit_below` stay: fit does not change over time, so what
    they decide at the cutoff they decide at every moment.
    """
    engagement = [
        rule.model_copy(update={**_STILL, "points": max(rule.points, 0.0)})
        for rule in config.engagement
    ]
    stages = config.stages.model_copy(
        update={
            "mql": config.stages.mql.model_copy(update={"within_days": None}),
            "sql": config.stages.sql.model_copy(update={"within_days": None}),
            "suspect": config.stages.suspect.model_copy(update={"only_engagement": []}),
        }
    )
    return config.model_copy(update={"engagement": engagement, "stages": stages})
