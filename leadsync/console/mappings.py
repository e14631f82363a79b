"""The Mappings page's tables, from the compiled runtime (the same values `mapping show` prints).

Rows are plain dicts keyed by what an editor will change (vocabulary key + value, field map
system/object/canonical), so an editable version of the page can post back per row.
"""

from __future__ import annotations

from typing import Any

from leadsync.mapping.fields import OUTPUTS
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import MOVES, OWNERS, Guard, Vocabulary
from leadsync.sync.runtime import Runtime


def vocabularies(rt: Runtime) -> list[dict[str, Any]]:
    return [_vocabulary(v) for v in rt.vocabularies]


def _vocabulary(vocab: Vocabulary) -> dict[str, Any]:
    rows = [
        {
            "value": value,
            "stage": stage.value if stage else None,
            "written_for": [s.value for s, v in vocab.outbound.items() if v == value],
        }
        for value, stage in vocab.inbound.items()
    ]
    return {
        "system": vocab.system,
        "object": vocab.obj,
        "property": vocab.prop,
        "primary": vocab.primary,
        "release": vocab.release,
        "forward_only": vocab.forward_only,
        "rows": rows,
    }


def field_maps(rt: Runtime) -> list[dict[str, Any]]:
    return [
        {
            "system": system,
            "object": obj,
            "rows": [
                {
                    "canonical": m.canonical,
                    "source": m.source,
                    "transform": m.transform,
                    "options": _options(m.options),
                }
                for m in maps
            ],
        }
        for (system, obj), maps in rt.field_maps.items()
    ]


def _options(options: Any) -> str:
    parts = []
    for key, value in options.items():
        shown = f"{len(value)} values" if isinstance(value, dict) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def writeback(rt: Runtime) -> dict[str, Any]:
    """Which property each output (stage, scores, reasons) is written to, per system/object."""
    rows = [
        {"target": f"{system} {obj}", "names": [names.get(o) for o in OUTPUTS]}
        for (system, obj), names in rt.outbound.items()
    ]
    return {"outputs": list(OUTPUTS), "rows": rows}


def state_machine() -> dict[str, Any]:
    """Who may move a person from each stage (row) to each stage (column), as letters."""
    rows = []
    for src in (None, *Stage):
        cells = [_causes(MOVES[(src, dst)]) for dst in Stage]
        rows.append({"from": src.value if src else "(new)", "cells": cells})
    columns = [{"stage": s.value, "owner": OWNERS[s].value} for s in Stage]
    return {"columns": columns, "rows": rows}


_ORDER = "SEHRA"


def _causes(causes: Any) -> str:
    letters = []
    for cause, guard in causes.items():
        letter = cause.value[0].upper()
        letters.append(letter + ("*" if guard is not Guard.NONE else ""))
    return " ".join(sorted(letters, key=lambda s: _ORDER.index(s[0]))) or "-"
