"""Score one person: fit and engagement points, grade, and the reasons for every point.

`score` is a pure function of (person, events, ruleset, now). Points are kept to one
decimal: each contribution is rounded once, and the totals are sums of those rounded
contributions (counted in integer tenths, so an explanation always adds up to its score).
Decay only shrinks points towards zero, so a contribution never grows as `now` moves on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring.compile import EngagementCheck, Ruleset
from leadsync.scoring.model import ENGAGEMENT, Contribution, Score

# How an event reads in evidence: a verb, and the attribute that says what it was about (email
# events carry only a campaign id, so the phrase says what the number is).
_PHRASES = {
    EventKind.PAGE_VIEW: ("viewed", "url"),
    EventKind.FORM_SUBMISSION: ("submitted", "form_name"),
    EventKind.EMAIL_OPEN: ("opened an email of campaign", "campaign"),
    EventKind.EMAIL_CLICK: ("clicked an email of campaign", "campaign"),
    EventKind.EMAIL_REPLY: ("replied to an email of campaign", "campaign"),
    EventKind.UNSUBSCRIBE: ("unsubscribed from emails of campaign", "campaign"),
    EventKind.WEBINAR: ("attended webinar", "campaign"),
    EventKind.MEETING: ("met", "campaign"),
    EventKind.CALL: ("had a call", "campaign"),
    EventKind.PAID_AD_CLICK: ("clicked ad", "utm_source"),
    EventKind.CAMPAIGN_RESPONSE: ("responded to campaign", "campaign"),
}


def score(
    person: Person, events: Iterable[EngagementEvent], rules: Ruleset, now: datetime
) -> Score:
    """Score `person` at `now`. An event dated after `now` counts as happening at `now`.

    The result depends only on the arguments; event order does not matter (except which of
    two equally recent events an evidence text names).
    """
    parts, fit_tenths = _fit(person, rules)
    eng_tenths, last_engaged_at, no_intent = _engagement(events, rules, now, parts)
    return assemble(parts, fit_tenths, eng_tenths, last_engaged_at, no_intent, rules)


def assemble(
    parts: list[Contribution],
    fit_tenths: int,
    eng_tenths: int,
    last_engaged_at: datetime | None,
    no_intent: bool,
    rules: Ruleset,
) -> Score:
    """The `Score` of contributions listed in rule order (fit rules field by field, then
    engagement rules) and their sums in tenths; sorts `parts` in place, largest first.

    Shared with `scoring.kernel`, whose explanations must read exactly like these.
    """
    parts.sort(key=_weight)
    fit, engagement = fit_tenths / 10, eng_tenths / 10
    return Score(
        fit=fit,
        engagement=engagement,
        total=(fit_tenths + eng_tenths) / 10,
        grade=_grade(fit, engagement, rules),
        contributions=tuple(parts),
        last_engaged_at=last_engaged_at,
        no_intent=no_intent,
    )


def _weight(part: Contribution) -> float:
    return -abs(part.points)


def _fit(person: Person, rules: Ruleset) -> tuple[list[Contribution], int]:
    fields = person.fields
    parts: list[Contribution] = []
    tenths = 0
    email = person.email
    for field, match in rules.fit:
        found = match(field_value(fields.get(field), email, field))
        if found.parts:
            parts += found.parts
            tenths += found.tenths
    return parts, tenths


def field_value(value: Any, email: str | None, field: str) -> Any:
    """What fit rules test for `field` given its stored value: without an `email_domain`,
    the email's domain."""
    if value is None and field == "email_domain" and email:
        value = email.rpartition("@")[2]
    return value


def _engagement(
    events: Iterable[EngagementEvent], rules: Ruleset, now: datetime, parts: list[Contribution]
) -> tuple[int, datetime | None, bool]:
    """Append engagement contributions to `parts`; (tenths, last engaged at, no intent)."""
    matchers = rules.events
    # check -> [newest event, its age, every matching age...]: one list per rule and person
    matched: dict[EngagementCheck, list] = {}
    last_engaged_at: datetime | None = None
    seen = other = False
    for event in events:
        seen = True
        matcher = matchers.get(event.kind)
        if matcher is None:
            other = True
            continue
        checks, no_intent, positive = matcher(event.attributes)
        if not no_intent:
            other = True
        if not checks:
            continue
        at = event.occurred_at
        age = (now - at).total_seconds()
        if age < 0.0:  # a clock ahead of ours: it happened now
            age, at = 0.0, now
        if positive and (last_engaged_at is None or at > last_engaged_at):
            last_engaged_at = at
        for check in checks:
            state = matched.get(check)
            if state is None:
                matched[check] = [event, age, age]
            else:
                state.append(age)
                if age < state[1]:
                    state[0] = event
                    state[1] = age
    tenths = 0
    for check in sorted(matched, key=_order) if len(matched) > 1 else matched:
        tenths += _engagement_part(check, matched[check], now, parts)
    return tenths, last_engaged_at, seen and not other


def _order(check: EngagementCheck) -> int:
    return check.order


def _engagement_part(
    check: EngagementCheck, state: list, now: datetime, parts: list[Contribution]
) -> int:
    """Append one rule's contribution from its matches; returns its points in tenths."""
    newest = state[0]
    tenths = round(decayed(check, state[2:]) * 10)  # round(x, 1) is several times slower
    parts.append(
        engagement_part(
            check, tenths, newest.kind, newest.attributes, newest.occurred_at, len(state) - 2, now
        )
    )
    return tenths


def decayed(check: EngagementCheck, ages: list[float]) -> float:
    """`check.points` decayed over the ages (seconds, any order) of the events it matched:
    only the `max_times` most recent count, and none older than the rule's window."""
    rate, window = check.rate, check.window
    if len(ages) == 1:
        age = ages[0]
        return check.points * math.exp(-age * rate) if age <= window else 0.0
    ages = sorted(ages)[: check.max_times]
    return check.points * sum([math.exp(-age * rate) for age in ages if age <= window])


def engagement_part(
    check: EngagementCheck,
    tenths: int,
    kind: EventKind,
    attributes: Mapping[str, str],
    occurred_at: datetime,
    count: int,
    now: datetime,
) -> Contribution:
    """One engagement rule's contribution, its evidence naming the newest matching event
    (`kind`, `attributes`, `occurred_at`) among `count`."""
    cap = check.max_times
    verb, key = _PHRASES[kind]
    what = _what(verb, key, attributes.get(key) or attributes.get("form_id"))
    when = occurred_at.date().isoformat()
    if count == 1:
        evidence = f"{what} ({when})"
    elif count > cap:
        evidence = f"{what} {count}×, {cap} counted (last {when})"
    else:
        evidence = f"{what} {count}× (last {when})"
    last_at = min(occurred_at, now)
    return Contribution(check.id, check.label, ENGAGEMENT, tenths / 10, evidence, last_at, count)


@lru_cache(maxsize=1 << 14)
def _what(verb: str, key: str, about: str | None) -> str:
    """'viewed /pricing': what an event was, as a marketer would say it."""
    if not about:
        return verb
    return f"{verb} {_path(about) if key == 'url' else about}"


def _path(url: str) -> str:
    """'https://x.com/pricing?utm=1' -> '/pricing': the part a marketer recognises."""
    scheme = url.find("://")
    if scheme >= 0:
        slash = url.find("/", scheme + 3)
        url = url[slash:] if slash >= 0 else "/"
    return url.split("?", 1)[0].split("#", 1)[0]


def _grade(fit: float, engagement: float, rules: Ruleset) -> str:
    return _band(fit, rules.fit_bands, "ABCD") + _band(engagement, rules.engagement_bands, "1234")


def _band(value: float, bands: tuple[float, float, float], names: str) -> str:
    """The name of the first band (best first) whose floor `value` reaches."""
    a, b, c = bands
    return (
        names[0] if value >= a else names[1] if value >= b else names[2] if value >= c else names[3]
    )
