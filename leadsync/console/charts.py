"""Charts drawn on the server with matplotlib, returned as inline SVG text.

Figures are built with the object API (no pyplot), which keeps no global state, so requests
on different threads never share a figure. Drawing one takes 100-300 ms, more than a page
may; the data behind a chart changes once per sync cycle at most, so each SVG is kept by its
data (`_drawn`) and drawn once. Every chart sits next to a table of the same numbers; the SVG
is for the eye, the table for screen readers and copying.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from leadsync.console.health import Usage

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "leadsync",  # stable element ids: the same data gives the same page
        "svg.fonttype": "none",  # text stays text: selectable, and small
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

COLOURS = {"leadsync": "#1f6feb", "hubspot": "#ff7a59", "salesforce": "#00a1e0"}
BUDGET = "#cf222e"
THOUSANDS = StrMethodFormatter("{x:,.0f}")


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline in HTML: no XML prolog or doctype


@functools.lru_cache(maxsize=64)
def _drawn(kind: str, data: str) -> str | None:
    """The SVG of one chart kind for data given as JSON text (hashable, so cacheable)."""
    return _DRAW[kind](json.loads(data))


def _chart(kind: str, data: Any) -> str | None:
    return _drawn(kind, json.dumps(data, default=str, sort_keys=True))


def api_calls(usage: Sequence[Usage]) -> str | None:
    """Per CRM: calls per recent run (left) and today's use against leadsync's share (right)."""
    return _chart("api_calls", [asdict(u) for u in usage]) if usage else None


def _draw_api_calls(rows: list[dict[str, Any]]) -> str:
    usage = [Usage(**row) for row in rows]
    fig = Figure(figsize=(7, 2.2 * len(usage)))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.88, hspace=0.9, wspace=0.35)
    grid = fig.subplots(len(usage), 2, squeeze=False, width_ratios=[3, 1])
    for (runs, today), u in zip(grid, usage, strict=True):
        colour = COLOURS.get(u.system, "#57606a")
        runs.bar(
            [f"#{run}" for run, _ in u.calls], [calls for _, calls in u.calls], 0.6, color=colour
        )
        runs.set_xlim(-0.5, max(len(u.calls), 10) - 0.5)  # a lone run is not one wide block
        runs.set_title(f"{u.system}: API calls per run", loc="left")
        runs.tick_params(axis="x", labelrotation=45)
        runs.yaxis.set_major_formatter(THOUSANDS)
        _budget(today, u, colour)
    return _svg(fig)


def _budget(ax: Any, u: Usage, colour: str) -> None:
    if u.used is None or u.allowed is None or not u.limit:
        ax.axis("off")
        ax.text(0.5, 0.5, "daily allowance\nnot reported yet", ha="center", va="center")
        return
    ax.bar(["today"], [u.used], color=colour)
    ax.axhline(u.allowed, color=BUDGET, linestyle="--", linewidth=1)
    ax.set_ylim(0, u.limit)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_title(f"{u.used:,} of {u.allowed:,}", loc="left")


def funnel(stages: Sequence[dict[str, Any]], systems: Sequence[dict[str, str]] = ()) -> str | None:
    """People per stage in leadsync and in each CRM (`systems`: name and label), side by side."""
    return _chart("funnel", {"stages": list(stages), "systems": list(systems)})


_OTHERS = ("#8250df", "#1a7f37", "#bf8700")  # CRMs without a colour of their own


def _draw_funnel(data: dict[str, Any]) -> str:
    stages = data["stages"]
    names = [s["stage"] for s in stages]
    fig = Figure(figsize=(7, 2.8))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.12, top=0.95)
    ax = fig.subplots()
    bars = [("canonical", "leadsync"), *((s["name"], s["label"]) for s in data["systems"])]
    width = 0.8 / len(bars)
    for i, (key, label) in enumerate(bars):
        xs = [n + (i - (len(bars) - 1) / 2) * width for n in range(len(names))]
        colour = COLOURS.get(key if i else "leadsync") or _OTHERS[i % len(_OTHERS)]
        ax.bar(xs, [s.get(key, 0) for s in stages], width, label=label, color=colour)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("people")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.legend(frameon=False, ncols=3, loc="upper right")
    return _svg(fig)


def cohorts(rows: Sequence[dict[str, Any]]) -> str | None:
    """MQL→SQL rate per monthly cohort, last 12 months; open cohorts drawn hollow."""
    rows = [r for r in rows if r["rate"] is not None][-12:]
    return _chart("cohorts", rows) if rows else None


def _draw_cohorts(rows: list[dict[str, Any]]) -> str:
    fig = Figure(figsize=(7, 2.4))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.25, top=0.95)
    ax = fig.subplots()
    months = [r["month"] for r in rows]
    rates = [r["rate"] * 100 for r in rows]
    ax.plot(months, rates, color=COLOURS["leadsync"], linewidth=1.5)
    for month, rate, row in zip(months, rates, rows, strict=True):
        face = COLOURS["leadsync"] if row["complete"] else "white"
        ax.plot([month], [rate], "o", color=COLOURS["leadsync"], markerfacecolor=face)
    ax.set_ylabel("MQL→SQL %")
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=45)
    return _svg(fig)


_DRAW: dict[str, Callable[[Any], str]] = {
    "api_calls": _draw_api_calls,
    "funnel": _draw_funnel,
    "cohorts": _draw_cohorts,
}
