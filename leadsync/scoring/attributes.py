"""What calibration measures: groups of people, each selected by one rule the compiler accepts.

Every group (an industry, an employee range, a page, a form, one of the current rules) is
described by the rule that would select it, so the people counted in the lift table, the
features the model learns from and the rules it suggests are the same people by construction
(`probe` runs all of them through the scoring engine).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from leadsync.mapping.model import EventKind, Person
from leadsync.scoring.cases import Case
from leadsync.scoring.model import ENGAGEMENT, FIT
from leadsync.scoring.rules import EngagementRule, FitRule, ScoringConfig

# Who a person is, as far as winning goes: identity fields (names, company, website) and
# dates are left out, they describe one person, not a kind of buyer.
FIT_FIELDS = (
    "title", "seniority", "industry", "employees", "annual_revenue", "country", "state",
    "platform", "lead_source", "analytics_source", "email_domain",
)  # fmt: skip

# How many recent events of a kind a suggested rule counts: repeat page views and clicks say
# more than one; a second webinar or form of the same kind adds little.
REPEATS = {
    EventKind.PAGE_VIEW: 3,
    EventKind.EMAIL_OPEN: 3,
    EventKind.EMAIL_CLICK: 3,
    EventKind.CAMPAIGN_RESPONSE: 2,
}
MISSING = "(missing)"
OTHER = "(other)"
_SITE = r"^(?:[a-z][a-z0-9+.\-]*:)?(?://[^/?#]*)?"  # scheme and host, when the URL has them


@dataclass(frozen=True, slots=True)
class Attribute:
    """One group of people: `field` and `value` say which, `rule` is its rule table.

    `field` is a person field, or `event` (a kind of event), `page` (a URL path prefix),
    `form` (a form name) or `rule` (a current rule, `value` its id, `was` its points). `rule`
    holds everything of a `[[scoring.fit]]` or `[[scoring.engagement]]` table but `id`,
    `label` and `points`.
    """

    field: str
    value: str
    axis: str
    id: str
    label: str
    rule: Mapping[str, Any]
    was: float | None = None

    @property
    def current(self) -> bool:
        return self.was is not None


def discover(
    cases: Sequence[Case],
    config: ScoringConfig,
    fields: Sequence[str] | None = None,
    *,
    buckets: int = 5,
    max_values: int = 20,
    rare: float = 0.005,
) -> list[Attribute]:
    """The groups worth measuring in `cases`, the current rules of `config` last.

    Numbers fall in about `buckets` quantile ranges with round edges; text fields keep their
    `max_values` commonest values shared by at least a `rare` part of the people (and ten of
    them), the rest is `(other)`. Pages and forms are kept by the same measure.
    """
    least = max(10, math.ceil(rare * len(cases)))
    wanted = list(dict.fromkeys([*(fields or FIT_FIELDS), *(r.field for r in config.fit)]))
    found = [
        a for f in wanted for a in _field_groups(f, _values(cases, f), buckets, max_values, least)
    ]
    found += list(_event_groups(cases, max_values, least))
    found += [_current_fit(rule) for rule in config.fit]
    found += [_current_engagement(rule) for rule in config.engagement]
    return _unique_ids(found, {r.id for r in (*config.fit, *config.engagement)})


def _values(cases: Sequence[Case], field: str) -> list[Any]:
    return [field_value(c.person, field) for c in cases]


def field_value(person: Person, field: str) -> Any:
    """A person's value of `field` as the engine reads it (email_domain falls back to email)."""
    value = person.fields.get(field)
    if value is None and field == "email_domain" and person.email:
        return person.email.rpartition("@")[2]
    return value


def _field_groups(
    field: str, values: list[Any], buckets: int, max_values: int, rare: int
) -> list[Attribute]:
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return []
    missing = [_fit(field, MISSING, {"op": "absent"})] if len(present) < len(values) else []
    if all(_is_number(v) for v in present):
        return _number_groups(field, np.asarray(present, dtype=float), buckets) + missing
    texts = [v for v in present if isinstance(v, str)]
    return _text_groups(field, texts, max_values, rare) + missing


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_groups(field: str, values: np.ndarray, buckets: int) -> list[Attribute]:
    cuts = np.quantile(values, np.linspace(0, 1, buckets + 1)[1:-1])
    edges = sorted({nice(c) for c in cuts if values.min() < nice(c) <= values.max()})
    if not edges:  # one value for everyone: only having it says anything
        return [_fit(field, "(any)", {"op": "present"})]
    bounds = list(zip([None, *edges], [*edges, None], strict=True))
    return [_fit(field, _range_label(low, high), _range(low, high)) for low, high in bounds]


def nice(x: float) -> float:
    """The nearest of 1, 2, 5 times a power of ten (on a log scale): 48 -> 50, 7.3 -> 10."""
    if x <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(x))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda n: abs(math.log(n / x)))


def _range(low: float | None, high: float | None) -> dict[str, Any]:
    bounds = {"at_least": low, "below": high}
    return {"op": "range", **{k: _plain(v) for k, v in bounds.items() if v is not None}}


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _range_label(low: float | None, high: float | None) -> str:
    if low is None:
        return f"< {_short(high or 0)}"
    if high is None:
        return f"≥ {_short(low)}"
    return f"{_short(low)}–{_short(high)}"


def _short(x: float) -> str:
    """500000 -> '500k', 2e7 -> '20M': bucket edges are round, so this loses nothing."""
    for at_least, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(x) >= at_least:
            return f"{x / unit:g}{suffix}"
    return f"{_plain(x):,}"


def _text_groups(field: str, texts: list[str], max_values: int, rare: int) -> list[Attribute]:
    """The commonest values (compared ignoring case, as rules compare), then the rest."""
    counts = Counter(t.casefold() for t in texts)
    spelled = Counter(texts)
    kept = [key for key, n in counts.most_common(max_values) if n >= rare]
    shown = {
        key: max((t for t in spelled if t.casefold() == key), key=spelled.__getitem__)
        for key in kept
    }
    groups = [_fit(field, shown[key], {"op": "equals", "value": shown[key]}) for key in kept]
    if kept and len(kept) < len(counts):
        groups.append(_fit(field, OTHER, {"op": "not_in", "value": [shown[k] for k in kept]}))
    return groups


def _fit(field: str, value: str, condition: dict[str, Any]) -> Attribute:
    label = f"{field.replace('_', ' ').capitalize()}: {value}"
    return Attribute(field, value, FIT, _slug(field, value), label, {"field": field, **condition})


def _event_groups(cases: Sequence[Case], max_values: int, rare: int) -> Iterator[Attribute]:
    """Each kind of event, then pages by their first path segment, then forms by name."""
    kinds, pages, forms = Counter[EventKind](), Counter[str](), Counter[tuple[str, str]]()
    for case in cases:
        kinds.update({e.kind for e in case.events})
        pages.update(
            {
                page_prefix(e.attributes.get("url") or "")
                for e in case.events
                if e.kind is EventKind.PAGE_VIEW
            }
        )
        forms.update(
            {_form(e.attributes) for e in case.events if e.kind is EventKind.FORM_SUBMISSION}
        )
    for kind in EventKind:
        if kinds[kind]:
            yield _engagement("event", kind.value, kind, [])
    for prefix, n in pages.most_common(max_values):
        if n >= rare:
            when = {"attribute": "url", "op": "regex", "value": _prefix_pattern(prefix)}
            yield _engagement("page", prefix, EventKind.PAGE_VIEW, [when])
    for (name, value), n in forms.most_common(max_values):
        if n >= rare and value:
            when = {"attribute": name, "op": "equals", "value": value}
            yield _engagement("form", value, EventKind.FORM_SUBMISSION, [when])


def page_prefix(url: str) -> str:
    """'https://x.com/pricing/team?a=1' -> '/pricing': the first path segment, lower case."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0].split("#", 1)[0]
    return "/" + path.strip("/").split("/", 1)[0].casefold()


def _prefix_pattern(prefix: str) -> str:
    if prefix == "/":
        return _SITE + r"/?(?:[?#]|$)"
    return _SITE + re.escape(prefix) + r"(?:[/?#]|$)"


def _form(attributes: Mapping[str, str]) -> tuple[str, str]:
    """Forms by name, or by id when the CRM gave no name."""
    if attributes.get("form_name"):
        return "form_name", attributes["form_name"]
    return "form_id", attributes.get("form_id") or ""


_LABELS = {"event": "Any {0}", "page": "Viewed {1}", "form": "Submitted {1}"}


def _engagement(field: str, value: str, kind: EventKind, when: list) -> Attribute:
    rule = {
        "kind": kind.value,
        **({"when": when} if when else {}),
        "max_times": REPEATS.get(kind, 1),
    }
    label = _LABELS[field].format(kind.value.replace("_", " "), value)
    return Attribute(field, value, ENGAGEMENT, _slug(field, value), label, rule)


def _current_fit(rule: FitRule) -> Attribute:
    return Attribute("rule", rule.id, FIT, rule.id, rule.label, _as_written(rule), rule.points)


def _current_engagement(rule: EngagementRule) -> Attribute:
    written = _as_written(rule)
    return Attribute("rule", rule.id, ENGAGEMENT, rule.id, rule.label, written, rule.points)


def _as_written(rule: FitRule | EngagementRule) -> dict[str, Any]:
    """A rule's table as an admin writes it, without id, label, points or default flags."""
    table = rule.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"id", "label", "points"}
    )
    if len(table.get("kind", ())) == 1:
        table["kind"] = table["kind"][0]
    table["when"] = [_ordered(c) for c in table.get("when", [])]
    dropped = {"decay": True, "disqualifying": False, "when": []}
    return {k: v for k, v in _ordered(table).items() if not (k in dropped and v == dropped[k])}


def _ordered(table: Mapping[str, Any]) -> dict[str, Any]:
    """Keys in the order the shipped config writes them, empty ones left out."""
    return {key: table[key] for key in _KEY_ORDER if table.get(key) is not None}


_KEY_ORDER = (
    "field", "attribute", "kind", "when", "op", "value", "at_least", "below", "list",
    "max_times", "half_life_days", "window_days", "decay", "disqualifying",
)  # fmt: skip


def _slug(field: str, value: str) -> str:
    """'employees', '< 10' -> 'employees-under-10': a rule id an admin can read."""
    if value == MISSING:
        value = "missing"
    words = {"<": " under ", "≥": " from ", "–": " to "}
    for sign, word in words.items():
        value = value.replace(sign, word)
    return "-".join(re.findall(r"[a-z0-9.]+", f"{field} {value}".casefold())).replace(".", "-")


def _unique_ids(attributes: list[Attribute], taken: set[str]) -> list[Attribute]:
    """Suggested ids must not collide with each other or with the current rules' ids."""
    used = set(taken)
    unique = []
    for a in attributes:
        if a.current:
            unique.append(a)
            continue
        name, n = a.id, 2
        while name in used:
            name, n = f"{a.id}-{n}", n + 1
        used.add(name)
        unique.append(Attribute(a.field, a.value, a.axis, name, a.label, a.rule))
    return unique
