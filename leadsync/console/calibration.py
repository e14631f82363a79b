"""`leadsync calibrate` for the Funnel page: the same calibration, its tables and two charts.

A calibration reads every stored person and replays their history twice: seconds to a minute,
so it runs as a job in a child process (see `jobs`), on a read-only runtime rebuilt from the
config text in use, like the draft's preview. Nothing is stored or sent.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from leadsync.scoring.calibrate import Calibration
from leadsync.sync.calibration import OUTCOMES, run_calibration
from leadsync.sync.cli_calibrate import as_data
from leadsync.sync.config import settings_from_text
from leadsync.sync.runtime import build_runtime
from leadsync.sync.store import open_reader

TOP_ATTRIBUTES = 20


def calibration_elsewhere(current_text: str, where: str, now: datetime, outcome: str) -> dict:
    """The calibration's data and charts, computed in a process of its own."""
    in_use = settings_from_text(current_text, where, secrets=False)
    built = build_runtime(in_use, clock=lambda: now)  # the same text: no new revision
    built.sessions.kw["bind"].dispose()
    rt = dataclasses.replace(built, sessions=open_reader(in_use.database_url))
    try:
        result = run_calibration(rt, outcome if outcome in OUTCOMES else "won")
    finally:
        rt.sessions.kw["bind"].dispose()
    return page_data(result, outcome)


def page_data(result: Calibration, outcome: str) -> dict[str, Any]:
    """What the page shows: the `--json` figures, the strongest attributes, SVG charts."""
    data = as_data(result)
    ranked = sorted((a for a in data["attributes"] if a["lift"] is not None),
                    key=lambda a: (a["few"], -abs((a["lift"] or 1) - 1)))  # fmt: skip
    return {"outcome": outcome, "data": data, "top": ranked[:TOP_ATTRIBUTES],
            "rules_toml": result.rules_toml(), **_charts(result)}  # fmt: skip


def _charts(result: Calibration) -> dict[str, str]:
    from leadsync.sync.plots import lift_chart, roc_curves

    with tempfile.TemporaryDirectory() as directory:
        lift = lift_chart(result, Path(directory) / "lift.svg")
        roc = roc_curves(result, Path(directory) / "roc.svg")
        return {"lift_svg": lift.read_text(encoding="utf-8"),
                "roc_svg": roc.read_text(encoding="utf-8")}  # fmt: skip
