"""The `[scoring]` config section: fit and engagement rules, stage gates, recycle rules.

Validation reports every mistake with its key path, the bad value, what is allowed and the
nearest allowed value (see `problems`). `load_scoring` is the one entry point for callers
holding a parsed TOML table; models can also be nested in a larger pydantic config.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from leadsync.errors import ConfigError
from leadsync.mapping.catalog import ROLES, catalog
from leadsync.mapping.model import EventKind, Stage, System
from leadsync.mapping.stages import Cause, allowed
from leadsync.scoring.problems import (
    Problem,
    choice,
    config_problems,
    fail,
    one_of,
    suggest,
    unknown,
)


class Op(StrEnum):
    """How a condition tests one value (a person field or an event attribute)."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    RANGE = "range"
    CONTAINS = "contains"
    REGEX = "regex"
    GLOB = "glob"
    DOMAIN_IN = "domain_in"
    PRESENT = "present"
    ABSENT = "absent"


OpField = Annotated[Op, BeforeValidator(choice(Op, "an operator"))]
StageField = Annotated[Stage, BeforeValidator(choice(Stage, "a stage"))]
# A CRM by its connector's name, or by its role (`mapping.catalog.ROLES`): any CRM in it.
SystemField = Annotated[
    System, BeforeValidator(one_of(lambda: (*catalog().systems, *ROLES), "a system or role"))
]
Days = Annotated[float, Field(gt=0)]

_TEXT_OPS = {Op.CONTAINS, Op.REGEX, Op.GLOB}
_SCALAR_OPS = {Op.EQUALS, Op.NOT_EQUALS}
_LIST_OPS = {Op.IN, Op.NOT_IN}


class _Section(BaseModel):
    """A table that rejects unknown keys, naming the nearest known one."""

    model_config = ConfigDict(strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        known = [f.alias or name for name, f in cls.model_fields.items()]
        extra = [key for key in data if key not in known and key not in cls.model_fields]
        if extra:
            raise fail([((key,), unknown(key, "a known key", known)) for key in extra])
        return data


class Condition(_Section):
    """`op` plus its operands: `value`, `at_least`/`below` (range), `list` (domain_in)."""

    op: OpField
    value: Any = None
    at_least: float | None = None
    below: float | None = None
    list_name: str | None = Field(default=None, alias="list")

    @model_validator(mode="after")
    def _operands(self) -> Condition:
        problems = _operand_problems(self)
        if problems:
            raise fail(problems)
        return self

    @property
    def values(self) -> tuple[Any, ...]:
        """The operand(s) as a tuple, whether written as one value or a list."""
        if self.value is None:
            return ()
        return tuple(self.value) if isinstance(self.value, list) else (self.value,)


def _operand_problems(c: Condition) -> list[Problem]:
    used = {"value"}
    problems: list[Problem] = []
    if c.op in _SCALAR_OPS and not _is_scalar(c.value):
        problems.append((("value",), f"{c.op.value!r} needs one text or number value"))
    elif c.op in _LIST_OPS and not (_is_list(c.value) and all(map(_is_scalar, c.value))):
        problems.append((("value",), f"{c.op.value!r} needs a non-empty list of values"))
    elif c.op in _TEXT_OPS:
        problems += _text_problems(c)
    elif c.op is Op.RANGE:
        used = {"at_least", "below"}
        problems += _range_problems(c)
    elif c.op is Op.DOMAIN_IN:
        used = {"value", "list"}
        if (c.value is None) == (c.list_name is None):
            problems.append(((), "'domain_in' needs exactly one of 'value' (domains) or 'list'"))
        elif c.value is not None and not (_is_list(c.value) and all(map(_is_str, c.value))):
            problems.append((("value",), "'domain_in' needs a non-empty list of domains"))
    elif c.op in (Op.PRESENT, Op.ABSENT):
        used = set()
    operands = {"value": c.value, "at_least": c.at_least, "below": c.below, "list": c.list_name}
    for key, given in operands.items():
        if given is not None and key not in used:
            problems.append(((key,), f"not used by operator {c.op.value!r}"))
    return problems


def _text_problems(c: Condition) -> list[Problem]:
    texts = c.value if _is_list(c.value) else [c.value]
    if not all(map(_is_str, texts)):
        return [(("value",), f"{c.op.value!r} needs a text value or a list of them")]
    if c.op is not Op.REGEX:
        return []
    problems: list[Problem] = []
    for i, pattern in enumerate(texts):
        try:
            re.compile(pattern)
        except re.error as exc:
            where: tuple[str | int, ...] = ("value", i) if _is_list(c.value) else ("value",)
            problems.append((where, f"{pattern!r} is not a valid regular expression: {exc}"))
    return problems


def _range_problems(c: Condition) -> list[Problem]:
    if c.at_least is None and c.below is None:
        return [((), "'range' needs 'at_least', 'below' or both")]
    if c.at_least is not None and c.below is not None and c.at_least >= c.below:
        return [(("below",), f"must be greater than at_least ({c.at_least:g})")]
    return []


def _is_scalar(v: object) -> bool:
    return isinstance(v, str | int | float) and not isinstance(v, bool)


def _is_str(v: object) -> bool:
    return isinstance(v, str) and v != ""


def _is_list(v: object) -> bool:
    return isinstance(v, list) and len(v) > 0


class FitRule(Condition):
    """Points for who a person is: one condition on one canonical person field."""

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    field: str = Field(min_length=1)
    points: float
    disqualifying: bool = False


class AttributeCondition(Condition):
    """One condition on an engagement event attribute such as `url` or `form_name`."""

    attribute: str = Field(min_length=1)


_event_kind = choice(EventKind, "an event kind")


def _kinds(value: Any) -> Any:
    """One kind or a list of kinds; a bad one is reported where it was written."""
    if not isinstance(value, list):
        return [_event_kind(value)]
    problems: list[Problem] = []
    for i, item in enumerate(value):
        try:
            _event_kind(item)
        except PydanticCustomError as exc:
            problems += [((i, *loc), msg) for loc, msg in exc.context["problems"]]
    if problems:
        raise fail(problems)
    return [EventKind(item) for item in value]


class EngagementRule(_Section):
    """Points for what a person did: events of `kind` meeting every `when` condition.

    `max_times` counts only the most recent matches. Decay: the rule's own `half_life_days`
    or `window_days`, else the section's; `decay = false` keeps full points forever.
    """

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    kind: Annotated[list[EventKind], BeforeValidator(_kinds), Field(min_length=1)]
    when: list[AttributeCondition] = []
    points: float
    max_times: Annotated[int, Field(ge=1)] | None = None
    half_life_days: Days | None = None
    window_days: Days | None = None
    decay: bool = True

    @model_validator(mode="after")
    def _one_decay(self) -> EngagementRule:
        given = [k for k in ("half_life_days", "window_days") if getattr(self, k) is not None]
        if len(given) == 2:
            raise fail([(("window_days",), "set half_life_days or window_days, not both")])
        if given and not self.decay:
            raise fail([((given[0],), "not used when decay = false")])
        return self


class Decay(_Section):
    """Default decay of engagement points: a half-life, or a window outside which they vanish."""

    half_life_days: Days | None = 90.0
    window_days: Days | None = None

    @model_validator(mode="before")
    @classmethod
    def _window_replaces_the_default(cls, data: Any) -> Any:
        # `window_days` alone means a window, not a window on top of the default half-life.
        if isinstance(data, Mapping) and "window_days" in data and "half_life_days" not in data:
            return {**data, "half_life_days": None}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Decay:
        if (self.half_life_days is None) == (self.window_days is None):
            raise fail([((), "set exactly one of half_life_days or window_days")])
        return self


class Grades(_Section):
    """Lowest score of grades A, B, C (fit) and 1, 2, 3 (engagement); below the last: D / 4."""

    fit: list[float] = [40.0, 20.0, 0.0]
    engagement: list[float] = [50.0, 25.0, 10.0]

    @model_validator(mode="after")
    def _descending(self) -> Grades:
        problems: list[Problem] = []
        for key in ("fit", "engagement"):
            bands = getattr(self, key)
            if len(bands) != 3 or any(a <= b for a, b in itertools.pairwise(bands)):
                problems.append(((key,), f"needs three thresholds, highest first, got {bands}"))
        if problems:
            raise fail(problems)
        return self


class Gate(_Section):
    """What a stage needs from the score: thresholds, and optionally a recent intent signal."""

    fit_at_least: float | None = None
    engagement_at_least: float | None = None
    total_at_least: float | None = None
    requires_any: list[str] = []
    within_days: Days | None = None

    @model_validator(mode="after")
    def _something(self) -> Gate:
        thresholds = (self.fit_at_least, self.engagement_at_least, self.total_at_least)
        if all(t is None for t in thresholds) and not self.requires_any:
            raise fail([((), "needs at least one threshold or 'requires_any'")])
        if self.within_days is not None and not self.requires_any:
            raise fail([(("within_days",), "only applies together with 'requires_any'")])
        return self


class SuspectRules(_Section):
    """When scoring disqualifies: any matching fit rule marked `disqualifying`, plus these."""

    only_engagement: list[str] = []
    fit_below: float | None = None


class Stages(_Section):
    mql: Gate
    sql: Gate
    suspect: SuspectRules = SuspectRules()


class RecycleRule(_Section):
    """An explicit backward move (or a way out of `suspect`), the only kind scoring makes.

    Fires when the person is in one of `from` and every given condition holds: CRM evidence
    shows one of `raw_values` (from `system`, if set); an `engagement` rule matched an event
    since the person entered the stage; `after_days` have passed since that evidence was
    observed (or, without `raw_values`, since the person entered the stage).
    """

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    from_stages: list[StageField] = Field(alias="from", min_length=1)
    to: StageField
    system: SystemField | None = None
    raw_values: list[str] = []
    engagement: list[str] = []
    after_days: Days | None = None

    @model_validator(mode="after")
    def _sound(self) -> RecycleRule:
        problems: list[Problem] = []
        if not (self.raw_values or self.engagement or self.after_days):
            problems.append(((), "needs 'raw_values', 'engagement' or 'after_days'"))
        for i, src in enumerate(self.from_stages):
            if allowed(src, self.to, Cause.RECYCLE) is None:
                problems.append(
                    (
                        ("from", i),
                        f"cannot recycle {src.value!r} to {self.to.value!r}: "
                        "recycling moves backwards on the ladder or out of 'suspect'",
                    )
                )
        if problems:
            raise fail(problems)
        return self


class ScoringConfig(_Section):
    """The whole `[scoring]` section."""

    trust_marketing_manual_changes: bool = True
    decay: Decay = Decay()
    grades: Grades = Grades()
    domain_lists: dict[str, list[str]] = {}
    stages: Stages
    recycle: list[RecycleRule] = []
    fit: list[FitRule]
    engagement: list[EngagementRule]

    @model_validator(mode="after")
    def _references(self, info: Any) -> ScoringConfig:
        fields = (info.context or {}).get("fields")
        problems = _duplicate_ids(self) + _dangling(self) + _unknown_fields(self, fields)
        if problems:
            raise fail(problems)
        return self


def _duplicate_ids(cfg: ScoringConfig) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for section in ("fit", "engagement", "recycle"):
        for i, rule in enumerate(getattr(cfg, section)):
            if rule.id in seen:
                problems.append(((section, i, "id"), f"{rule.id!r} is already used by a rule"))
            seen.add(rule.id)
    return problems


def _dangling(cfg: ScoringConfig) -> list[Problem]:
    engagement = [rule.id for rule in cfg.engagement]
    refs: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("stages", "mql", "requires_any"), cfg.stages.mql.requires_any),
        (("stages", "sql", "requires_any"), cfg.stages.sql.requires_any),
        (("stages", "suspect", "only_engagement"), cfg.stages.suspect.only_engagement),
    ]
    refs += [(("recycle", i, "engagement"), r.engagement) for i, r in enumerate(cfg.recycle)]
    problems: list[Problem] = [
        ((*where, j), unknown(ref, "an engagement rule id", engagement))
        for where, ids in refs
        for j, ref in enumerate(ids)
        if ref not in engagement
    ]
    lists = sorted(cfg.domain_lists)
    for i, rule in enumerate(cfg.fit):
        if rule.list_name is not None and rule.list_name not in cfg.domain_lists:
            problems.append((("fit", i, "list"), unknown(rule.list_name, "a domain list", lists)))
    return problems


def _unknown_fields(cfg: ScoringConfig, fields: Collection[str] | None) -> list[Problem]:
    if fields is None:
        return []
    known = sorted(fields)
    return [
        (("fit", i, "field"), f"{rule.field!r} is not a person field{suggest(rule.field, known)}")
        for i, rule in enumerate(cfg.fit)
        if rule.field not in fields
    ]


def load_scoring(
    data: Mapping[str, Any],
    *,
    fields: Collection[str] | None = None,
    source: str = "",
    root: str = "scoring",
) -> ScoringConfig:
    """Validate a parsed `[scoring]` table; raises `ConfigError` listing every problem.

    `fields`, when given, is the set of canonical person fields fit rules may test.
    `source` (the file name) prefixes each line.
    """
    try:
        return ScoringConfig.model_validate(dict(data), context={"fields": fields})
    except ValidationError as exc:
        prefix = f"{source}: " if source else ""
        raise ConfigError([prefix + line for line in config_problems(exc, root)]) from None
