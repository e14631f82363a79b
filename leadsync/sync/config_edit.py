"""Edits of a config file's text that keep its comments and layout, for the console's editors.

The file stays the source of truth and is reviewed in Git, so an edit changes only the keys it
names: every other line, comment and blank line stays as it was. A value equal to the one
already there is not rewritten (so `10_000_000` and `'\\bvp\\b'` keep their spelling); a key
set to None is removed. Nothing here validates: `config.settings_from_text` checks the result,
and reports a bad value at the key it was written to.

    doc = parse(text, "config.toml")
    set_vocabulary(doc, "<crm>", "Status", {"inbound": {...}, "outbound": {...}})
    text = dumps(doc)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Item, Table
from tomlkit.toml_document import TOMLDocument

from leadsync.errors import ConfigError

RULE_KINDS = ("fit", "engagement")


def parse(text: str, where: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None


def dumps(doc: TOMLDocument) -> str:
    return tomlkit.dumps(doc)


def plain(value: Any) -> Any:
    """A parsed value as plain Python (dicts, lists, str, numbers, bools)."""
    return value.unwrap() if hasattr(value, "unwrap") else value


def with_scoring(text: str, where: str, shipped: str) -> str:
    """The text with a `[scoring]` section: the shipped rules appended when it has none.

    Without the section the shipped rules apply; editing one rule must not drop the others.
    """
    if "scoring" in parse(text, where):
        return text
    return text.rstrip("\n") + "\n\n" + shipped


def find(doc: TOMLDocument, path: Sequence[str]) -> Any:
    """The value at `path`, or None."""
    node: Any = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def table(doc: TOMLDocument, path: Sequence[str]) -> Table:
    """The table at `path`, made when missing (parents as headerless super-tables)."""
    node: Any = doc
    for depth, part in enumerate(path):
        if part not in node:
            node[part] = tomlkit.table(is_super_table=depth < len(path) - 1)
        node = node[part]
    return node


def item(value: Any) -> Item:
    """A TOML item for a plain value, spelt like the shipped file: tables inline, and strings
    with backslashes (regular expressions) as literal strings."""
    if isinstance(value, str) and "\\" in value and "'" not in value and "\n" not in value:
        return tomlkit.string(value, literal=True)
    if isinstance(value, Mapping):
        return inline(value)
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(item(v) for v in value)
        return array
    return tomlkit.item(value)


def inline(mapping: Mapping[str, Any]) -> Item:
    """An inline table written `{ key = value, ... }`, in the given order."""
    body = ", ".join(
        f"{tomlkit.key(k).as_string()} = {item(v).as_string()}" for k, v in mapping.items()
    )
    return tomlkit.parse(f"x = {{ {body} }}" if body else "x = {}")["x"]


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _same(old: Any, new: Any) -> bool:
    # json keeps what == would blur (1 vs true, the order of a table's keys); 10 and 10.0
    # are the same number, so a form's "10" leaves a file's 10.0 alone.
    return json.dumps(_normal(plain(old))) == json.dumps(_normal(new))


def update(target: Table, values: Mapping[str, Any]) -> None:
    """Set each key to its value (None: remove the key); equal values are left as written."""
    for key, value in values.items():
        if value is None:
            if key in target:
                del target[key]
        elif key not in target or not _same(target[key], value):
            target[key] = item(value)


def set_vocabulary(doc: TOMLDocument, system: str, prop: str, values: Mapping[str, Any]) -> None:
    """`[stages.<system>.<prop>]`: made when the file had none (it then replaces the shipped
    vocabulary, so `values` should hold the whole vocabulary)."""
    update(table(doc, ["stages", system, prop]), values)


def set_field_map(
    doc: TOMLDocument, system: str, obj: str, canonical: str, values: Mapping[str, Any]
) -> None:
    """`[fields.<system>.<obj>.<canonical>]`, made when missing."""
    update(table(doc, ["fields", system, obj, canonical]), values)


def drop_field_map(doc: TOMLDocument, system: str, obj: str, canonical: str) -> None:
    """Remove the file's map of one field (the shipped one, if any, applies again)."""
    maps = find(doc, ["fields", system, obj])
    if isinstance(maps, Mapping) and canonical in maps:
        del maps[canonical]


def set_gate(doc: TOMLDocument, stage: str, values: Mapping[str, Any]) -> None:
    """`[scoring.stages.<stage>]` thresholds and conditions."""
    update(table(doc, ["scoring", "stages", stage]), values)


@dataclass(frozen=True)
class RuleEdit:
    """One row of a rules table: `index` into the file's rules (None: a new rule);
    `values` None removes the rule."""

    index: int | None
    values: Mapping[str, Any] | None


def set_rules(doc: TOMLDocument, kind: str, edits: Sequence[RuleEdit]) -> None:
    """Change, remove and append `[[scoring.<kind>]]` rules; indexes are those of the text
    before the edit. Untouched rules keep their text and comments."""
    if kind not in RULE_KINDS:
        raise ValueError(f"no rule kind {kind!r}")
    scoring = table(doc, ["scoring"])
    if kind not in scoring:
        scoring[kind] = tomlkit.aot()
    rules: AoT = scoring[kind]
    for edit in edits:
        if edit.index is not None and edit.values is not None:
            update(rules[edit.index], edit.values)
    for index in sorted((e.index for e in edits if e.index is not None and e.values is None),
                        reverse=True):  # fmt: skip
        del rules[index]
    for edit in edits:
        if edit.index is None and edit.values is not None:
            rules.append(_new_rule(edit.values))


def _new_rule(values: Mapping[str, Any]) -> Table:
    rule = tomlkit.table()
    update(rule, {k: v for k, v in values.items() if v is not None})
    rule.add(tomlkit.nl())
    return rule
