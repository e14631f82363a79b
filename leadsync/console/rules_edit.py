"""The Rules editor: fit and engagement rules, stage thresholds and gates as tables, and a
table's form back into the config text.

Rows are read from the text as written (a draft that does not validate yet still shows), with
the shipped rules when the file has no `[scoring]` section; the first edit then copies them into
the file, since a `[scoring]` section replaces the shipped rules whole. Cells hold text: a list
is one value per line (regular expressions may hold commas), event kinds and rule ids are
separated by commas, an engagement rule's conditions are one TOML inline table per line. A
value that does not parse is written as text, so the config's own checks name it at its cell.

Form fields, per row N (or `new`): `<key>-N` for each column, `remove-N`, and `rows`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import ValidationError

from leadsync.console import rules
from leadsync.errors import UsageError
from leadsync.mapping.fields import CANONICAL_FIELDS
from leadsync.mapping.model import EventKind
from leadsync.scoring.rules import EngagementRule, FitRule, Op
from leadsync.sync import config_edit
from leadsync.sync.config import SHIPPED_RULES

Form = Mapping[str, str]
FIT_COLUMNS = ("id", "label", "field", "op", "value", "at_least", "below", "list", "points",
               "disqualifying")  # fmt: skip
ENGAGEMENT_COLUMNS = ("id", "label", "kind", "when", "points", "max_times", "half_life_days",
                      "window_days", "decay")  # fmt: skip
GATE_COLUMNS = ("fit_at_least", "engagement_at_least", "total_at_least", "requires_any",
                "within_days")  # fmt: skip
SUSPECT_COLUMNS = ("only_engagement", "fit_below")
NUMBERS = {"at_least", "below", "points", "max_times", "half_life_days", "window_days",
           "fit_at_least", "engagement_at_least", "total_at_least", "within_days", "fit_below"}  # fmt: skip
FIELDS = [*CANONICAL_FIELDS, "email_domain"]
OPS = [op.value for op in Op]
KINDS = [kind.value for kind in EventKind]
_LIST_OPS = {"in", "not_in", "domain_in"}


@cache
def shipped_text() -> str:
    return SHIPPED_RULES.read_text(encoding="utf-8")


def scoring(data: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The `[scoring]` section of parsed config `data`, and whether the file has one."""
    section = data.get("scoring")
    if isinstance(section, Mapping):
        return dict(section), True
    return tomllib.loads(shipped_text())["scoring"], False


# --- reading: values as cell text ---------------------------------------------------------


def number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "when":
        return "\n".join(config_edit.inline(c).as_string() if isinstance(c, Mapping) else str(c)
                         for c in value)  # fmt: skip
    if key in ("kind", "requires_any", "only_engagement") and isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, list):
        return "\n".join(number_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return number_text(value) if key in NUMBERS else str(value)


def _rows(rules_: Any, columns: Sequence[str], reads: Any) -> list[dict[str, Any]]:
    out = []
    for raw in rules_ if isinstance(rules_, list) else []:
        raw = raw if isinstance(raw, Mapping) else {}
        row = {key: cell_text(key, raw.get(key)) for key in columns}
        row["flags"] = {k: raw.get(k) for k in ("disqualifying", "decay")}
        row["reads_as"] = reads(raw)
        out.append(row)
    return out


def _fit_words(raw: Mapping[str, Any]) -> str:
    try:
        rule = FitRule.model_validate(raw)
    except ValidationError:
        return ""
    return rules.condition(rule.field, rule)


def _engagement_words(raw: Mapping[str, Any]) -> str:
    try:
        rule = EngagementRule.model_validate(raw)
    except ValidationError:
        return ""
    when = "; ".join(rules.condition(c.attribute, c) for c in rule.when) or "any"
    return f"{', '.join(k.value for k in rule.kind)}: {when}"


def tables(data: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the Rules page's editable tables show."""
    section, in_file = scoring(data)
    stages = section.get("stages") if isinstance(section.get("stages"), Mapping) else {}
    gates = {name: {key: cell_text(key, (stages.get(name) or {}).get(key))
                    for key in (GATE_COLUMNS if name != "suspect" else SUSPECT_COLUMNS)}
             for name in ("mql", "sql", "suspect")}  # fmt: skip
    lists = section.get("domain_lists")
    return {
        "in_file": in_file,
        "fit": _rows(section.get("fit"), FIT_COLUMNS, _fit_words),
        "engagement": _rows(section.get("engagement"), ENGAGEMENT_COLUMNS, _engagement_words),
        "gates": gates,
        "domain_lists": sorted(lists) if isinstance(lists, Mapping) else [],
    }


def cells(view: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Keys of every cell, row and table the page shows, for placing problems."""
    found: list[str] = []
    rows: list[str] = []
    for kind, columns in (("fit", FIT_COLUMNS), ("engagement", ENGAGEMENT_COLUMNS)):
        for i in range(len(view[kind])):
            rows.append(f"scoring.{kind}[{i}]")
            found += [f"scoring.{kind}[{i}].{c}" for c in columns]
    for name, values in view["gates"].items():
        rows.append(f"scoring.stages.{name}")
        found += [f"scoring.stages.{name}.{c}" for c in values]
    return found, rows, ["scoring.fit", "scoring.engagement", "scoring.stages"]


# --- writing: cell text as values ---------------------------------------------------------


def number(text: str) -> Any:
    """A number, None for an empty cell, or the text itself (the config's check names it)."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    if not cleaned:
        return None
    for kind in (int, float):
        try:
            return kind(cleaned)
        except ValueError:
            pass
    return text.strip()


def _numeric(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def operand(text: str, op: str, was: Any) -> Any:
    """A condition's `value`: a list for list operators, or where it was one or lines are
    several; numbers where the rule held numbers (or every new line is one)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    as_numbers = _numeric(was) if was is not None else all(_is_number(x) for x in lines)
    items = [number(x) if as_numbers else x for x in lines]
    if op in _LIST_OPS or isinstance(was, list) or len(items) > 1:
        return items
    return items[0]


def _is_number(text: str) -> bool:
    return not isinstance(number(text), str)


def names(text: str, was: Any) -> Any:
    """Comma-separated ids or kinds: one stays one, unless it was a list."""
    found = [part for part in re.split(r"[,\s]+", text.strip()) if part]
    if not found:
        return None
    return found if len(found) > 1 or isinstance(was, list) else found[0]


def conditions(text: str) -> list[Any] | None:
    """One TOML inline table per line; a line that is not one stays text (and is reported)."""
    found: list[Any] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        try:
            found.append(tomllib.loads(f"x = {line}")["x"])
        except tomllib.TOMLDecodeError:
            found.append(line)
    return found or None


def flag(checked: bool, was: Any, default: bool) -> bool | None:
    """A checkbox: left out when it says the default and the rule did not spell it out."""
    if checked == default and was is None:
        return None
    return checked


def _cells(form: Form, suffix: str) -> Any:
    def get(key: str) -> str:
        return form.get(f"{key}-{suffix}", "")

    return get


def fit_values(form: Form, n: str, was: Mapping[str, Any]) -> dict[str, Any]:
    get = _cells(form, n)
    op = get("op").strip()
    return {
        "id": get("id").strip(), "label": get("label").strip(), "field": get("field").strip(),
        "op": op, "value": operand(get("value"), op, was.get("value")),
        "at_least": number(get("at_least")), "below": number(get("below")),
        "list": get("list").strip() or None, "points": number(get("points")),
        "disqualifying": flag(bool(get("disqualifying")), was.get("disqualifying"), False),
    }  # fmt: skip


def engagement_values(form: Form, n: str, was: Mapping[str, Any]) -> dict[str, Any]:
    get = _cells(form, n)
    return {
        "id": get("id").strip(), "label": get("label").strip(),
        "kind": names(get("kind"), was.get("kind")), "when": conditions(get("when")),
        "points": number(get("points")), "max_times": number(get("max_times")),
        "half_life_days": number(get("half_life_days")),
        "window_days": number(get("window_days")),
        "decay": flag(bool(get("decay")), was.get("decay"), True),
    }  # fmt: skip


_VALUES = {"fit": fit_values, "engagement": engagement_values}


def rule_edits(form: Form, kind: str, current: Sequence[Any]) -> list[config_edit.RuleEdit]:
    read = _VALUES[kind]
    try:
        shown = int(form.get("rows", ""))
    except ValueError:
        raise UsageError("the form lost its row count; reload the page") from None
    edits = []
    for i, was in enumerate(list(current)[:shown]):
        was = config_edit.plain(was)
        was = was if isinstance(was, Mapping) else {}
        removed = bool(form.get(f"remove-{i}"))
        edits.append(config_edit.RuleEdit(i, None if removed else read(form, str(i), was)))
    if form.get("id-new", "").strip():
        edits.append(config_edit.RuleEdit(None, read(form, "new", {})))
    return edits


def gate_values(form: Form, stage: str) -> dict[str, Any]:
    def get(key: str) -> str:
        return form.get(f"{stage}-{key}", "")

    if stage == "suspect":
        return {"only_engagement": _list(names(get("only_engagement"), [])),
                "fit_below": number(get("fit_below"))}  # fmt: skip
    values: dict[str, Any] = {key: number(get(key)) for key in GATE_COLUMNS}
    values["requires_any"] = _list(names(get("requires_any"), []))
    return values


def _list(value: Any) -> list[Any] | None:
    return value or None


def _with_rules(text: str, where: str) -> Any:
    return config_edit.parse(config_edit.with_scoring(text, where, shipped_text()), where)


def apply_rules(text: str, where: str, kind: str, form: Form) -> str:
    if kind not in _VALUES:
        raise UsageError(f"there are no {kind!r} rules; edit fit or engagement rules")
    doc = _with_rules(text, where)
    current = config_edit.find(doc, ["scoring", kind]) or []
    config_edit.set_rules(doc, kind, rule_edits(form, kind, current))
    return config_edit.dumps(doc)


def apply_gates(text: str, where: str, form: Form) -> str:
    doc = _with_rules(text, where)
    for stage in ("mql", "sql", "suspect"):
        config_edit.set_gate(doc, stage, gate_values(form, stage))
    return config_edit.dumps(doc)
