"""Charts drawn on the server with matplotlib, returned as inline SVG text.

Figures are built with the object API (no pyplot), which keeps no global state, so requests
on different threads never share a figure. Every chart sits next to a table of the same
numbers; the SVG is for the eye, the table for screen readers and copying.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

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


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline in HTML: no XML prolog or doctype


def api_calls(usage: Sequence[Usage]) -> str | None:
    """Per CRM: calls per recent run (left) and today's use against leadsync's share (right)."""
    if not usage:
        return None
    fig = Figure(figsize=(7, 2.2 * len(usage)))
    grid = fig.subplots(len(usage), 2, squeeze=False, width_ratios=[3, 1])
    for (runs, today), u in zip(grid, usage, strict=True):
        colour = COLOURS.get(u.system, "#57606a")
        runs.bar(
            [f"#{run}" for run, _ in u.calls], [calls for _, calls in u.calls], 0.6, color=colour
        )
        runs.set_xlim(-0.5, max(len(u.calls), 10) - 0.5)  # a lone run is not one wide block
        runs.set_title(f"{u.system}: API calls per run", loc="left")
        runs.tick_params(axis="x", labelrotation=45)
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
    ax.set_title(f"{u.used:,} of {u.allowed:,}", loc="left")


def funnel(stages: Sequence[dict[str, Any]]) -> str:
    """People per stage in leadsync, HubSpot and Salesforce, side by side."""
    names = [s["stage"] for s in stages]
    fig = Figure(figsize=(7, 2.8))
    ax = fig.subplots()
    width = 0.27
    for i, (key, label) in enumerate(
        (("canonical", "leadsync"), ("hubspot", "HubSpot"), ("salesforce", "Salesforce leads"))
    ):
        xs = [n + (i - 1) * width for n in range(len(names))]
        ax.bar(
            xs,
            [s[key] for s in stages],
            width,
            label=label,
            color=COLOURS[label.split()[0].lower()],
        )
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("people")
    ax.legend(frameon=False, ncols=3, loc="upper right")
    return _svg(fig)


def cohorts(rows: Sequence[dict[str, Any]]) -> str | None:
    """MQL→SQL rate per monthly cohort, last 12 months; open cohorts drawn hollow."""
    rows = [r for r in rows if r["rate"] is not None][-12:]
    if not rows:
        return None
    fig = Figure(figsize=(7, 2.4))
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
