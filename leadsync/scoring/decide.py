"""Decide a person's canonical stage from their score and what the CRMs say (DESIGN §3).

Every move goes through `mapping.stages.allowed`. In order of precedence:

1. A human change in a system trusted for it (a sales CRM; a marketing CRM between
   scoring-owned stages when `trust_marketing_manual_changes`), newer than the current stage,
   when it is the latest word: no other CRM claim came after it. (Roles: `mapping.catalog`.)
2. CRM evidence moving forward: a sales CRM's evidence of the stages it owns always counts;
   other claims only when newer than the current stage and the latest word (stale copies
   and overruled values move nobody).
3. The first matching recycle rule: the only backward move the rules make.
4. The score's own verdict (`gates.verdict`), which never demotes. It takes a person out
   of `suspect` only on engagement newer than the disqualification, and out of a
   disqualification it did not make only when they qualify again (mql or sql). After a
   backward move (a person's or a recycle rule's) it promotes again only on engagement
   newer than that move; a person taken out of `suspect` by anything but scoring is not
   disqualified again by scoring until their stage changes, and neither is someone a person
   (or an admin) placed above `lead`: disqualifying them is that person's call.

While a sales CRM shows a stage it owns (prospect, opportunity, customer), nothing moves the
person below that stage: changing that record there is the way back.

"Newer than the current stage" compares when leadsync first had a piece of evidence
(`StageEvidence.learnt_at`) with the person's last ledger entry: a change made in a CRM just
before leadsync's last decision but pulled after it is still news. Which word is the latest is
decided by the CRMs' own clocks (`observed_at`), never by when leadsync happened to read a
record; on an exact tie, a sales CRM's word comes before a marketing one's, then the further
stage, then the value's text (`_word_order`): a stable rule, not the order records were read in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadsync.mapping.catalog import catalog
from leadsync.mapping.model import Stage, StageEvidence
from leadsync.mapping.stages import OWNERS, Cause, Guard, Owner, allowed, is_backward
from leadsync.scoring.compile import Ruleset
from leadsync.scoring.gates import verdict
from leadsync.scoring.model import Score
from leadsync.scoring.rules import RecycleRule


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
        """The ledger entry to append (with the score snapshot), or None when nothing moved."""
        if self.cause is None:
            return None
        s = self.score
        return Transition(
            person_id, self.previous, self.stage, self.at, self.cause, self.actor, self.reason,
            self.rule_ids, s.fit, s.engagement, s.total,
        )  # fmt: skip


@dataclass(slots=True)  # not frozen: built once per decision, never changed
class _Case:
    """What one decision reads; `floor` is the furthest stage a sales CRM shows that it owns."""

    last: Transition | None
    score: Score
    evidence: Sequence[StageEvidence]
    rules: Ruleset
    now: datetime
    floor: StageEvidence | None
    current: Stage | None = None  # where the last entry left the person
    since: datetime | None = None  # and when

    def __post_init__(self) -> None:
        if self.last is not None:
            self.current, self.since = self.last.dst, self.last.at

    def fresh(self, e: StageEvidence) -> bool:
        """Newer than the current stage; evidence dated in the future counts as now."""
        return self.last is None or min(e.learnt_at, self.now) > self.last.at

    def under_floor(self, stage: Stage) -> bool:
        return self.floor is not None and stage.rank < self.floor.stage.rank

    def move(self, stage: Stage, cause: Cause, reason: str, actor: str, at: datetime,
             rule_ids: tuple[str, ...] = ()) -> Decision:  # fmt: skip
        """A move at `at`, kept after the last entry and not after now."""
        at = min(max(at, self.since) if self.since else at, self.now)
        return Decision(stage, self.current, cause, reason, rule_ids, actor, at, self.score)


def decide_stage(
    last: Transition | None,
    score: Score,
    evidence: Sequence[StageEvidence],
    rules: Ruleset,
    now: datetime,
) -> Decision:
    """The person's stage at `now`, given their last ledger entry (None: never staged).

    Evidence whose `stage` is None (a value such as "Closed Lost" that names no stage) is
    read only by recycle rules.
    """
    case = _Case(last, score, evidence, rules, now, _floor(evidence))
    human, claims = _latest_word(case)
    scored = _by_score(case)
    return (
        _by_human(case, human) or _by_evidence(case, claims, scored) or _by_recycle(case) or scored
    )


def stays(
    last: Transition | None,
    target: Stage,
    engaged: datetime | None,
    evidence: Sequence[StageEvidence],
    rules: Ruleset,
    now: datetime,
) -> bool:
    """Whether `decide_stage` is sure to leave the person at `last.dst`, moving nobody, when
    the score's verdict is `target` and its newest engagement `engaged`: what a kernel's
    columns hold for everyone, so a chunk is decided without each person's `Score`.

    True when every credible human change and stage claim names the current stage (neither
    `_by_human` nor `_by_evidence` moves anyone then), no recycle rule starts from it, and
    scoring says that stage or may not move the person. False is no verdict: `decide_stage`
    decides then.
    """
    if last is None:
        return False
    case = _Case(last, _UNREAD, evidence, rules, now, _floor(evidence))
    humans, claims = _credible(case)
    if any(e.stage is not case.current for e in (*humans, *claims)):
        return False
    if any(case.current in rule.from_stages for rule in rules.recycle):
        return False
    return target is case.current or bool(_blocked(case, target, engaged))


# `stays` reads the score's verdict and engagement time as given, never the `_Case`'s score.
_UNREAD = Score(0.0, 0.0, 0.0, "", ())


def _floor(evidence: Sequence[StageEvidence]) -> StageEvidence | None:
    """The furthest stage a sales CRM shows among those it owns: nothing moves a person below."""
    return max(
        filter(_authoritative, evidence),
        key=lambda e: (e.stage.rank, e.observed_at, *_word_order(e)),
        default=None,
    )


def _latest_word(case: _Case) -> tuple[StageEvidence | None, list[StageEvidence]]:
    """The human change that stands, if any, and the claims that stand.

    A sales CRM's evidence of its own stages always stands. Of human changes and the other
    claims, only the latest word counts: an older statement was overruled.
    """
    humans, claims = _credible(case)
    standing = [e for e in (*humans, *claims) if _authoritative(e)]
    others = (e for e in claims if not _authoritative(e))
    words = [e for e in (*humans, *others) if not case.under_floor(e.stage)]
    if not words:
        return None, standing
    latest = max(words, key=lambda e: (e.observed_at, e in humans, *_word_order(e)))
    if latest in humans:
        return latest, standing
    return None, [*standing, *(e for e in words if e.observed_at == latest.observed_at)]


def _word_order(e: StageEvidence) -> tuple[bool, int, str]:
    """Ties of time: the sales CRM's word before marketing's, then the further stage, then
    the value's text."""
    rank = e.stage.rank if e.stage is not None else -1
    return (_from_sales(e), rank, e.raw_value)


def _from_sales(e: StageEvidence) -> bool:
    return catalog().is_sales(e.system)


def _authoritative(e: StageEvidence) -> bool:
    return _from_sales(e) and _crm_owned(e.stage)


def _crm_owned(stage: Stage | None) -> bool:
    return stage is not None and OWNERS[stage] is Owner.SALES


def _credible(case: _Case) -> tuple[list[StageEvidence], list[StageEvidence]]:
    """Split evidence into trusted human changes and stage claims; drop what is not credible.

    Claims: a sales CRM on the stages it owns, always; otherwise only when fresh, and from a
    sales CRM or of a CRM-owned stage (a marketing automation setting a scoring-owned stage
    is not evidence: scoring owns those).
    """
    current = case.current
    marketing_trusted = case.rules.trust_marketing_manual_changes and not _crm_owned(current)
    humans, claims = [], []
    for e in case.evidence:
        if e.stage is None:
            continue
        crm_owned = _crm_owned(e.stage)
        sales = _from_sales(e)
        fresh = case.fresh(e)
        if e.by_human and fresh and (sales or (marketing_trusted and not crm_owned)):
            humans.append(e)
        elif (sales and crm_owned) or (fresh and (sales or crm_owned)):
            claims.append(e)
    return humans, claims


def _by_human(case: _Case, human: StageEvidence | None) -> Decision | None:
    if human is None or human.stage is case.current:
        return None
    if allowed(case.current, human.stage, Cause.HUMAN) is None:
        return None
    actor = f"{human.system}:{human.actor}" if human.actor else human.system
    return case.move(human.stage, Cause.HUMAN, _said(human, "set"), actor, human.observed_at)


def _by_evidence(case: _Case, claims: list[StageEvidence], scored: Decision) -> Decision | None:
    """The furthest stage evidence moves the person to, unless scoring goes further."""
    forward = [
        e
        for e in claims
        if e.stage is not case.current
        and not case.under_floor(e.stage)
        and allowed(case.current, e.stage, Cause.EVIDENCE) is not None
    ]
    best = max(forward, key=lambda e: (e.stage.rank, e.observed_at, *_word_order(e)), default=None)
    if best is None or (scored.moved and scored.stage.rank > best.stage.rank):
        return None
    return case.move(best.stage, Cause.EVIDENCE, _said(best, "shows"), best.system,
                     best.observed_at)  # fmt: skip


def _by_recycle(case: _Case) -> Decision | None:
    for rule in case.rules.recycle:
        if case.under_floor(rule.to):
            continue
        why = _recycles(rule, case)
        if why is not None:
            return case.move(rule.to, Cause.RECYCLE, why, f"recycle:{rule.id}", case.now,
                             (rule.id,))  # fmt: skip
    return None


def _recycles(rule: RecycleRule, case: _Case) -> str | None:
    """The reason `rule` moves the person now, or None."""
    current, since = case.current, case.since
    if current not in rule.from_stages or allowed(current, rule.to, Cause.RECYCLE) is None:
        return None
    start = since
    if rule.raw_values:
        hits = [
            e.observed_at
            for e in case.evidence
            if e.raw_value in rule.raw_values
            and (rule.system is None or catalog().names(e.system, rule.system))
            and case.fresh(e)
        ]
        if not hits:
            return None
        start = max(hits)
    if rule.after_days and (start is None or case.now - start < timedelta(days=rule.after_days)):
        return None
    if rule.engagement and not any(
        c.rule_id in rule.engagement and c.last_at and (since is None or c.last_at > since)
        for c in case.score.contributions
    ):
        return None
    return f"{rule.label} (recycle rule {rule.id})"


def _by_score(case: _Case) -> Decision:
    current = case.current
    target, why, ids = verdict(case.score, case.rules, case.now)
    if target is current:
        return Decision(target, current, None, f"stays {target}: {why}", ids, "",
                        case.now, case.score)  # fmt: skip
    blocked = _blocked(case, target, case.score.last_engaged_at)
    if blocked:
        reason = f"scoring says {target} ({why}), but {blocked}"
        return Decision(current or target, current, None, reason, ids, "", case.now, case.score)
    return case.move(target, Cause.SCORE, why, f"scoring:{target}", case.now, ids)


def _blocked(case: _Case, target: Stage, engaged: datetime | None) -> str:
    """Why scoring may not move the person to `target` now, or '' when it may (`engaged`:
    the newest engagement that earned points, the one thing of the score it reads)."""
    current, last = case.current, case.last
    guard = allowed(current, target, Cause.SCORE)
    if guard is None:
        return f"scoring never moves {current.value if current else 'anyone'} to {target.value}"
    if case.floor is not None and case.under_floor(target):
        shown = f"{catalog().label(case.floor.system)} shows {case.floor.raw_value!r}"
        return f"{shown}, which outranks scoring"
    if last is None:
        return ""
    new = engaged is not None and engaged > last.at
    on, by = last.at.date().isoformat(), last.actor or last.cause.value
    if guard is Guard.NEW_ENGAGEMENT and not new:
        return f"no new engagement since {last.dst.value} on {on}"
    if guard is Guard.NEW_ENGAGEMENT and target is Stage.LEAD and last.cause is not Cause.SCORE:
        return f"disqualified by {by} on {on}; only qualifying again (mql, sql) undoes that"
    if is_backward(last.src, last.dst) and not new:  # only people and recycle rules do that
        return f"moved back by {by} on {on}; needs engagement since then"
    if last.src is Stage.SUSPECT and last.cause is not Cause.SCORE and target is Stage.SUSPECT:
        return f"taken out of suspect by {by} on {on}"
    if target is Stage.SUSPECT and last.cause in _JUDGMENTS and last.dst is not Stage.LEAD:
        return f"{by} set {last.dst.value} on {on}; disqualifying is theirs to do"
    return ""


# Moves a person decided on purpose: scoring does not disqualify them afterwards, or a second
# cycle with nothing new would overrule what the first one respected (see `may_follow`).
_JUDGMENTS = frozenset({Cause.HUMAN, Cause.ADMIN})


def _said(e: StageEvidence, verb: str) -> str:
    who = f"{e.actor} " if e.actor and verb == "set" else ""
    return f"{who}{verb} {e.system} {e.raw_value!r} ({e.stage.value})"


def may_follow(placed: Stage, scored: Stage, cause: Cause) -> bool:
    """May the rules move on from a stage a person or CRM record just set, in the same cycle?

    Up the ladder, yes. Into `suspect` from a CRM's claim, or from plain `lead` (where CRMs
    put everyone by default): neither is a judgment, and the next cycle would disqualify them
    anyway. Never to contradict a person's judgment, now or later (`_blocked`).
    """
    if scored is Stage.SUSPECT:
        return placed is Stage.LEAD or cause not in _JUDGMENTS
    return scored.rank > placed.rank
