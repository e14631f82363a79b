"""The Mappings editor: stage vocabularies and field maps as tables, and a table's form back
into the config text.

Tables show what is in effect for a text (the shipped defaults with the file's own tables over
them), read from the text as written, so a draft that does not validate yet still shows and can
be fixed. A form posts one table; `apply_vocabulary` and `apply_fields` turn it into edits of
that table's keys (`sync.config_edit`), leaving the rest of the file as it was.

Form fields, per table: `rows` (how many were shown), then per row `value-N`, `was-N` (the value
as shown, so a rename is followed by the outbound values), `stage-N`, `remove-N`, and a blank
row `value-new`, `stage-new`; `out-<stage>` picks the value written for each stage. Field maps:
`canonical-N`, `source-N`, `transform-N`, `remove-N`, and `canonical-new`, `source-new`,
`transform-new`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.console import live
from leadsync.console.render import dom_id
from leadsync.errors import UsageError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import CANONICAL_FIELDS, default_field_maps
from leadsync.mapping.stages import default_vocabularies
from leadsync.mapping.transforms import TRANSFORMS
from leadsync.sync import config_edit
from leadsync.sync.config_mapping import IGNORE, STAGE_NAMES, vocabulary_config

STAGE_CHOICES = [*STAGE_NAMES, IGNORE]
TRANSFORM_CHOICES = list(TRANSFORMS)
Form = Mapping[str, str]


@dataclass
class VocabTable:
    system: str
    prop: str
    settings: dict[str, Any]  # object, primary, release, forward_only, enabled
    in_file: bool
    rows: list[tuple[str, str]]
    outbound: dict[str, str]

    @property
    def key(self) -> str:
        return f"stages.{self.system}.{self.prop}"

    @property
    def obj(self) -> str:
        return str(self.settings.get("object", ""))

    @property
    def live_key(self) -> live.Key:
        return live.picklist(self.system, self.obj, self.prop)

    @property
    def list_id(self) -> str:
        return dom_id("values", self.system, self.obj, self.prop)

    def cells(self) -> list[str]:
        rows = [f"{self.key}.inbound.{value}" for value, _ in self.rows]
        return rows + [f"{self.key}.outbound.{stage}" for stage in STAGE_NAMES]


def _table(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _configured(data: Mapping[str, Any]) -> set[str]:
    """The CRMs the config has a table for: an installed connector without one is not shown."""
    return {name for name in catalog().systems if isinstance(data.get(name), Mapping)}


def vocabularies(data: Mapping[str, Any]) -> list[VocabTable]:
    """Every vocabulary in effect for parsed config `data`: shipped ones, file ones over them."""
    crms = _configured(data)
    merged = {(v.system, v.prop): (vocabulary_config(v).model_dump(), False)
              for v in default_vocabularies() if v.system in crms}  # fmt: skip
    for system, props in _table(data.get("stages")).items():
        for prop, cfg in _table(props).items():
            merged[(system, prop)] = (_table(cfg), True)
    return [_vocab(system, prop, cfg, in_file) for (system, prop), (cfg, in_file) in merged.items()]


def _vocab(system: str, prop: str, cfg: dict[str, Any], in_file: bool) -> VocabTable:
    settings = {k: cfg.get(k) for k in ("object", "primary", "release", "forward_only", "enabled")}
    rows = [(str(k), str(v)) for k, v in _table(cfg.get("inbound")).items()]
    outbound = {str(k): str(v) for k, v in _table(cfg.get("outbound")).items()}
    return VocabTable(system, prop, settings, in_file, rows, outbound)


def vocabulary_values(form: Form, table: VocabTable) -> dict[str, Any]:
    """The vocabulary's keys as the form sets them; a renamed value stays the one written for
    the stages it was written for."""
    inbound: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for i in range(_count(form)):
        if form.get(f"remove-{i}"):
            continue
        value = form.get(f"value-{i}", "").strip()
        _add(inbound, value, form.get(f"stage-{i}", IGNORE), f"row {i + 1}")
        was = form.get(f"was-{i}", "")
        if was and was != value:
            renamed[was] = value
    if form.get("value-new", "").strip():
        _add(inbound, form["value-new"].strip(), form.get("stage-new", IGNORE), "the new row")
    outbound = {stage: renamed.get(form[f"out-{stage}"], form[f"out-{stage}"])
                for stage in STAGE_NAMES if form.get(f"out-{stage}")}  # fmt: skip
    values: dict[str, Any] = {}
    if not table.in_file:  # the file's table replaces the shipped one whole
        kept = table.settings
        values = {"object": kept["object"], "primary": bool(kept["primary"])}
        values |= {"release": kept["release"]} if kept.get("release") else {}
        values |= {"forward_only": True} if kept.get("forward_only") else {}
    return values | {"inbound": inbound, "outbound": outbound or None}


def _count(form: Form) -> int:
    try:
        return max(0, min(int(form.get("rows", "0")), 10_000))
    except ValueError:
        raise UsageError("the form lost its row count; reload the page") from None


def _add(inbound: dict[str, str], value: str, stage: str, where: str) -> None:
    if not value:
        raise UsageError(f"{where}: the value is empty; tick Remove to drop a row")
    if value in inbound:
        raise UsageError(f"{value!r} is listed twice; each value maps to one stage")
    inbound[value] = stage


def apply_vocabulary(text: str, where: str, system: str, prop: str, form: Form) -> str:
    doc = config_edit.parse(text, where)
    table = next((t for t in vocabularies(doc.unwrap()) if (t.system, t.prop) == (system, prop)),
                 None)  # fmt: skip
    if table is None:
        raise UsageError(f"there is no vocabulary stages.{system}.{prop}")
    config_edit.set_vocabulary(doc, system, prop, vocabulary_values(form, table))
    return config_edit.dumps(doc)


# --- field maps ---------------------------------------------------------------------------


@dataclass
class FieldRow:
    canonical: str
    source: str
    transform: str
    options: dict[str, Any]
    origin: str  # "shipped", "file", or "changed" (the file's, over a shipped one)

    @property
    def shown_options(self) -> str:
        shown = [f"{len(v)} values" if isinstance(v, Mapping) else f"{k} {v}"
                 for k, v in self.options.items()]  # fmt: skip
        return "; ".join(shown)


@dataclass
class FieldTable:
    system: str
    obj: str
    rows: list[FieldRow] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"fields.{self.system}.{self.obj}"

    @property
    def live_key(self) -> live.Key:
        return live.properties(self.system, self.obj)

    @property
    def list_id(self) -> str:
        return dom_id("props", self.system, self.obj)

    @property
    def unmapped(self) -> list[str]:
        have = {r.canonical for r in self.rows}
        return [name for name in CANONICAL_FIELDS if name not in have]

    def cells(self) -> list[str]:
        return [f"{self.key}.{r.canonical}.{part}" for r in self.rows
                for part in ("source", "transform")]  # fmt: skip

    def row_keys(self) -> list[str]:
        return [f"{self.key}.{r.canonical}" for r in self.rows]


def _shipped(fmap: Any) -> dict[str, Any]:
    return {"source": fmap.source, "transform": fmap.transform, **dict(fmap.options)}


def field_maps(data: Mapping[str, Any]) -> list[FieldTable]:
    merged: dict[tuple[str, str], dict[str, FieldRow]] = {}
    crms = _configured(data)
    for (system, obj), maps in default_field_maps().items():
        if system not in crms:
            continue
        merged[(system, obj)] = {m.canonical: _row(m.canonical, _shipped(m), "shipped")
                                 for m in maps}  # fmt: skip
    for system, objects in _table(data.get("fields")).items():
        for obj, maps in _table(objects).items():
            rows = merged.setdefault((system, obj), {})
            for canonical, cfg in _table(maps).items():
                origin = "changed" if canonical in rows else "file"
                rows[canonical] = _row(canonical, _table(cfg), origin)
    return [FieldTable(system, obj, list(rows.values())) for (system, obj), rows in merged.items()]


def _row(canonical: str, cfg: dict[str, Any], origin: str) -> FieldRow:
    options = {k: v for k, v in cfg.items() if k not in ("source", "transform")}
    return FieldRow(canonical, str(cfg.get("source", "")), str(cfg.get("transform", "text")),
                    options, origin)  # fmt: skip


def field_edits(form: Form, table: FieldTable) -> list[tuple[str, dict[str, Any] | None]]:
    """(canonical field, its keys or None to drop the file's map) for each changed row."""
    shipped = {m.canonical: _shipped(m)
               for m in default_field_maps().get((table.system, table.obj), ())}  # fmt: skip
    edits: list[tuple[str, dict[str, Any] | None]] = []
    for i, row in enumerate(table.rows[: _count(form)]):
        if form.get(f"remove-{i}") and row.origin != "shipped":
            edits.append((row.canonical, None))
            continue
        source = form.get(f"source-{i}", row.source).strip()
        transform = form.get(f"transform-{i}", row.transform)
        if (source, transform) != (row.source, row.transform):
            base = shipped.get(row.canonical, {}) if row.origin == "shipped" else {}
            edits.append((row.canonical, base | {"source": source, "transform": transform}))
    new = form.get("canonical-new", "")
    if new and form.get("source-new", "").strip():
        values = {"source": form["source-new"].strip(), "transform": form.get("transform-new")}
        edits.append((new, values))
    return edits


def apply_fields(text: str, where: str, system: str, obj: str, form: Form) -> str:
    doc = config_edit.parse(text, where)
    table = next((t for t in field_maps(doc.unwrap()) if (t.system, t.obj) == (system, obj)),
                 None)  # fmt: skip
    if table is None:
        raise UsageError(f"there is no field map fields.{system}.{obj}")
    for canonical, values in field_edits(form, table):
        if values is None:
            config_edit.drop_field_map(doc, system, obj, canonical)
        else:
            config_edit.set_field_map(doc, system, obj, canonical, values)
    return config_edit.dumps(doc)


# --- what the CRMs offer ------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """What a CRM offers for one table: `values` for its lists, `status` a sentence, `extra`
    values the CRM has that the table lacks, `missing` values the table has that it lacks."""

    values: list[str]
    status: str
    extra: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _status(system: str, snapshot: live.Snapshot) -> str:
    if system in snapshot.unreachable:
        return (f"{system} could not be asked ({snapshot.unreachable[system]}); type values by "
                "hand, or try again in a minute.")  # fmt: skip
    return f"Asking {system}…" if snapshot.fetching else f"{system} was not asked."


def vocabulary_offer(table: VocabTable, snapshot: live.Snapshot) -> Offer:
    if table.live_key not in snapshot.values:
        return Offer([], _status(table.system, snapshot))
    values = snapshot.get(table.live_key)
    if values is None:
        return Offer([], f"{table.obj}.{table.prop} is not a picklist in {table.system}.")
    mapped = {value for value, _ in table.rows}
    return Offer(values, f"{table.system} offers {len(values)} values.",
                 [v for v in values if v not in mapped], [v for v in mapped if v not in values])  # fmt: skip


def fields_offer(table: FieldTable, snapshot: live.Snapshot) -> Offer:
    if table.live_key not in snapshot.values:
        return Offer([], _status(table.system, snapshot))
    names = snapshot.get(table.live_key)
    if names is None:
        return Offer([], f"{table.system} does not let leadsync read {table.obj}.")
    sources = {r.source for r in table.rows}
    return Offer(names, f"{table.system} {table.obj} has {len(names)} properties.",
                 missing=sorted(s for s in sources if s not in names))  # fmt: skip
