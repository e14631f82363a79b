"""Decide a person's canonical stage from their score and what the CRMs say (DESIGN §3).

Every move goes through `mapping.stages.allowed`. In order of precedence:

1. A human change in a system trusted for the stage (Salesforce; HubSpot for the
   scoring-owned stages when `trust_hubspot_manual_changes`), newer than the current stage.
2. CRM evidence moving forward: Salesforce evidence of a stage Salesforce owns always counts;
   any other evidence only when newer than the current stage (stale copies never move anyone).
3. The first matching recycle rule: the only backward move scoring makes.
4. The score's own verdict (thresholds and gates), which never demotes. After a deliberate
   backward move, it promotes again only on engagement newer than that move; a person taken
   out of `suspect` on purpose is not disqualified again by the same rules; a stage that
   Salesforce shows for a stage it owns is never overridden by the score.

"Newer than the current stage" compares `StageEvidence.observed_at` with the time of the
person's last ledger entry, so `observed_at` should be when leadsync first saw the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadsync.mapping.model import Stage, StageEvidence, System
from leadsync.mapping.stages import OWNERS, Cause, Guard, Owner, allowed, is_backward
from leadsync.scoring.compile import Ruleset, StageGate
from leadsync.scoring.model import Contribution, Score
from leadsync.scoring.rules import RecycleRule

_DELIBERATE = (Cause.HUMAN, Cause.RECYCLE, Cause.ADMIN)


@dataclass(frozen=True, slots=True)
class Transition:
    """One ledger entry: a change of canonical stage, who or what made it, and why."""

    person_id: str
    src: Stage | None
    dst: Stage
    at: datetime
    cause: Cause
    actor: str = ""
    reason: str = ""
    rule_ids: tuple[str, ...] = ()
    fit: float | None = None
    engagement: float | None = None
    total: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The stage after deciding; `cause` is None when the person stays where they are."""

    stage: Stage
    previous: Stage | None
    cause: Cause | None
    reason: str
    rule_ids: tuple[str, ...]
    actor: str
    at: datetime
    score: Score

    @property
    def moved(self) -> bool:
        return self.cause is not None

    def entry(self, person_id: str) -> Transition | None:
        """The ledger entry to append, or None when nothing moved."""
        if self.cause is None:
            return None
        return Transition(
            person_id,
            self.previous,
            self.stage,
            self.at,
            self.cause,
            self.actor,
            self.reason,
            self.rule_ids,
            self.score.fit,
            self.score.engagement,
            self.score.total,
        )


def decide_stage(
    last: Transition | None,
    score: Score,
    evidence: Sequence[StageEvidence],
    rules: Ruleset,
    now: datetime,
) -> Decision:
    """The person's stage at `now`, given their last ledger entry (None: never staged).

    Evidence with `stage` None (a value such as "Closed Lost" that names no stage) is only
    read by recycle rules.
    """
    current = last.dst if last else None
    since = last.at if last else None
    humans, claims = _credible(evidence, rules, since)
    human = max(humans, key=lambda e: e.observed_at, default=None)
    if (
        human is not None
        and human.stage is not current
        and allowed(current, human.stage, Cause.HUMAN) is not None
    ):
        at = _clip(human.observed_at, since, now)
        return Decision(
            human.stage, current, Cause.HUMAN, _said(human, "set"), (), _who(human), at, score
        )
    scored = _by_score(current, last, score, evidence, rules, now)
    forward = [
        e
        for e in claims
        if e.stage is not current and allowed(current, e.stage, Cause.EVIDENCE) is not None
    ]
    best = max(forward, key=lambda e: (e.stage.rank, e.observed_at), default=None)
    # Evidence of a stage scoring also asserts wins only when it is further along.
    if best is not None and not (
        OWNERS[best.stage] is Owner.SCORING and scored.moved and scored.stage.rank > best.stage.rank
    ):
        at = _clip(best.observed_at, since, now)
        return Decision(
            best.stage,
            current,
            Cause.EVIDENCE,
            _said(best, "shows"),
            (),
            best.system.value,
            at,
            score,
        )
    for rule in rules.recycle:
        why = _recycles(rule, current, evidence, score, since, now)
        if why is not None:
            return Decision(
                rule.to, current, Cause.RECYCLE, why, (rule.id,), f"recycle:{rule.id}", now, score
            )
    return scored


def _credible(
    evidence: Sequence[StageEvidence], rules: Ruleset, since: datetime | None
) -> tuple[list[StageEvidence], list[StageEvidence]]:
    """Split evidence into trusted human changes and stage claims; drop what is not credible.

    Human changes count in Salesforce, and in HubSpot for scoring-owned stages when trusted.
    Claims: Salesforce on the stages it owns always; otherwise only evidence newer than the
    current stage, from Salesforce or of a CRM-owned stage (a HubSpot automation setting a
    scoring-owned stage is not evidence: scoring owns it).
    """
    humans, claims = [], []
    for e in evidence:
        if e.stage is None:
            continue
        crm_owned = OWNERS[e.stage] is Owner.SALESFORCE
        from_sf = e.system is System.SALESFORCE
        fresh = since is None or e.observed_at > since
        trusted = from_sf or (not crm_owned and rules.trust_hubspot_manual_changes)
        if e.by_human and trusted and fresh:
            humans.append(e)
        elif (from_sf and crm_owned) or (fresh and (from_sf or crm_owned)):
            claims.append(e)
    return humans, claims


def _by_score(
    current: Stage | None,
    last: Transition | None,
    score: Score,
    evidence: Sequence[StageEvidence],
    rules: Ruleset,
    now: datetime,
) -> Decision:
    target, why, ids = verdict(score, rules, now)
    if target is current:
        return Decision(target, current, None, f"stays {target.value}: {why}", ids, "", now, score)
    blocked = _blocked(current, last, target, score, evidence)
    if blocked:
        reason = f"scoring says {target.value} ({why}), but {blocked}"
        return Decision(current or target, current, None, reason, ids, "", now, score)
    return Decision(target, current, Cause.SCORE, why, ids, f"scoring:{target.value}", now, score)


def _blocked(
    current: Stage | None,
    last: Transition | None,
    target: Stage,
    score: Score,
    evidence: Sequence[StageEvidence],
) -> str:
    """Why scoring may not move the person to `target` now, or '' when it may."""
    guard = allowed(current, target, Cause.SCORE)
    if guard is None:
        return f"scoring never moves {_name(current)} to {target.value}"
    if last is None:
        return ""
    new = score.last_engaged_at is not None and score.last_engaged_at > last.at
    on = last.at.date().isoformat()
    by = last.actor or last.cause.value
    if guard is Guard.NEW_ENGAGEMENT and not new:
        return f"no new engagement since {_name(current)} on {on}"
    for e in evidence:
        if (
            e.stage is current
            and e.system is System.SALESFORCE
            and OWNERS[e.stage] is Owner.SALESFORCE
        ):
            return f"Salesforce shows {e.raw_value!r}, which outranks scoring"
    if last.cause in _DELIBERATE and is_backward(last.src, last.dst) and not new:
        return f"moved back by {by} on {on}; needs engagement since then"
    if last.cause in _DELIBERATE and last.src is Stage.SUSPECT and target is Stage.SUSPECT:
        return f"taken out of suspect by {by} on {on}"
    return ""


def verdict(score: Score, rules: Ruleset, now: datetime) -> tuple[Stage, str, tuple[str, ...]]:
    """What the score alone says: (stage, reason, rule ids that decided it)."""
    parts = score.contributions
    disqualifiers = [c for c in parts if c.rule_id in rules.disqualifying]
    if disqualifiers:
        return Stage.SUSPECT, _labels("disqualified", disqualifiers), _ids(disqualifiers)
    if rules.fit_below is not None and score.fit < rules.fit_below:
        return Stage.SUSPECT, f"fit {score.fit:g} < {rules.fit_below:g}", ()
    if score.no_intent:
        seen = [c for c in parts if c.rule_id in rules.no_intent]
        return Stage.SUSPECT, _labels("only engagement", seen), _ids(seen)
    misses = []
    for stage, gate in ((Stage.SQL, rules.sql), (Stage.MQL, rules.mql)):
        met, unmet, intent = _check(gate, score, now)
        if not unmet:
            return stage, "; ".join(met), _ids(intent) + _ids(c for c in parts if c not in intent)
        misses.append(f"{stage.value} needs {' and '.join(unmet)}")
    return Stage.LEAD, "; ".join(misses), ()


def _check(
    gate: StageGate, score: Score, now: datetime
) -> tuple[list[str], list[str], list[Contribution]]:
    """(conditions met, conditions unmet, recent intent contributions) for one gate."""
    met, unmet = [], []
    for name, have, need in (
        ("fit", score.fit, gate.fit_at_least),
        ("engagement", score.engagement, gate.engagement_at_least),
        ("total", score.total, gate.total_at_least),
    ):
        if need is None:
            continue
        if have >= need:
            met.append(f"{name} {have:g} ≥ {need:g}")
        else:
            unmet.append(f"{name} ≥ {need:g} (has {have:g})")
    if not gate.requires_any:
        return met, unmet, []
    oldest = now - gate.within if gate.within else None
    intent = [
        c
        for c in score.contributions
        if c.rule_id in gate.requires_any
        and c.last_at is not None
        and (oldest is None or c.last_at >= oldest)
    ]
    if intent:
        met.insert(0, f"{intent[0].label} on {intent[0].last_at:%Y-%m-%d}")
    else:
        days = f" in the last {gate.within.total_seconds() / 86_400:g} days" if gate.within else ""
        unmet.insert(0, f"one of {', '.join(gate.requires_any)}{days}")
    return met, unmet, intent


def _recycles(
    rule: RecycleRule,
    current: Stage | None,
    evidence: Sequence[StageEvidence],
    score: Score,
    since: datetime | None,
    now: datetime,
) -> str | None:
    """The reason `rule` moves the person now, or None."""
    if current not in rule.from_stages or allowed(current, rule.to, Cause.RECYCLE) is None:
        return None
    start = since
    if rule.raw_values:
        hits = [
            e.observed_at
            for e in evidence
            if e.raw_value in rule.raw_values
            and (rule.system is None or e.system is rule.system)
            and (since is None or e.observed_at > since)
        ]
        if not hits:
            return None
        start = max(hits)
    if rule.after_days and (start is None or now - start < timedelta(days=rule.after_days)):
        return None
    if rule.engagement and not any(
        c.rule_id in rule.engagement and c.last_at and (since is None or c.last_at > since)
        for c in score.contributions
    ):
        return None
    return f"{rule.label} (recycle rule {rule.id})"


def _clip(at: datetime, since: datetime | None, now: datetime) -> datetime:
    """Keep ledger times in order: never before the last entry, never after now."""
    return min(max(at, since) if since else at, now)


def _said(e: StageEvidence, verb: str) -> str:
    who = f"{e.actor} " if e.actor and verb == "set" else ""
    return f"{who}{verb} {e.system.value} {e.raw_value!r} ({e.stage.value})"


def _who(e: StageEvidence) -> str:
    return f"{e.system.value}:{e.actor}" if e.actor else e.system.value


def _name(stage: Stage | None) -> str:
    return stage.value if stage else "a new person"


def _labels(prefix: str, parts: Iterable[Contribution]) -> str:
    return f"{prefix}: {', '.join(c.label for c in parts)}"


def _ids(parts: Iterable[Contribution]) -> tuple[str, ...]:
    return tuple(c.rule_id for c in parts)
