"""Charts of a calibration and of score distributions, written as PNG or SVG files.

Figures are built with matplotlib's object API (no pyplot, so no global state and no display
needed); the file's suffix picks the format. Every function returns the path it wrote.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from leadsync.scoring.backtest import Backtest
from leadsync.scoring.calibrate import Calibration
from leadsync.scoring.lift import Lift

WON, LOST = "#2a9d8f", "#e76f51"
CURRENT, SUGGESTED = "#8d99ae", "#264653"
BEFORE, AFTER = "#8d99ae", "#e9c46a"


def write_charts(result: Calibration, directory: Path) -> list[Path]:
    """`leadsync calibrate --plot DIR`: lift.png, scores.png and roc.png in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        lift_chart(result, directory / "lift.png"),
        score_distributions(result, directory / "scores.png"),
        roc_curves(result, directory / "roc.png"),
    ]


def lift_chart(result: Calibration, path: Path, *, top: int = 25) -> Path:
    """The `top` attributes furthest from the base rate, with their 95% intervals.

    Groups flagged as too small to trust are left out: their bars would mostly show noise.
    Groups of the same people (a current rule and the value it tests) share one bar.
    """
    rows = _merged([r for r in result.lifts if r.lift and r.low is not None and not r.few])
    rows = sorted(rows, key=lambda r: abs(math.log(r[0].lift or 1)), reverse=True)[:top]
    rows.reverse()  # matplotlib draws the first bar at the bottom
    figure = Figure(figsize=(10, 1.2 + 0.32 * max(len(rows), 1)), layout="constrained")
    axes = figure.add_subplot()
    lifts = np.array([r.lift for r, _ in rows], dtype=float)
    spans = np.array([[r.lift - r.low, r.high - r.lift] for r, _ in rows], dtype=float)
    colours = [WON if lift >= 1 else LOST for lift in lifts]
    axes.barh(range(len(rows)), lifts - 1, left=1, color=colours, xerr=spans.reshape(-1, 2).T)
    axes.axvline(1, color="black", linewidth=0.8)
    axes.set_xscale("log")
    ticks = [t for t in _TICKS if lifts.size and _within(t, rows)] or [1.0]
    axes.set_xticks(ticks, [f"{t:g}×" for t in ticks])
    axes.minorticks_off()
    axes.set_yticks(range(len(rows)), [name for _, name in rows])
    axes.set_xlabel(f"lift over the base rate of {result.base_rate:.1%} (95% Wilson interval)")
    figure.suptitle(f"What goes with reaching the outcome ({result.people:,} people)")
    figure.savefig(path)
    return path


_TICKS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def _within(tick: float, rows: list[tuple[Lift, str]]) -> bool:
    low = min(r.low or r.lift or 1 for r, _ in rows)
    high = max(r.high or r.lift or 1 for r, _ in rows)
    return min(low, 1) / 2 <= tick <= max(high, 1) * 2


def _merged(rows: list[Lift]) -> list[tuple[Lift, str]]:
    """One bar per group of people: same counts, same people (the rule and its value)."""
    groups: dict[tuple[int, int], list[Lift]] = {}
    for row in rows:
        groups.setdefault((row.people, row.outcomes), []).append(row)
    named = [sorted(same, key=lambda r: not r.attribute.current) for same in groups.values()]
    return [(same[0], " = ".join(map(_name, same)) + f" ({same[0].people:,})") for same in named]


def _name(row: Lift) -> str:
    a = row.attribute
    return a.label if a.field == "rule" else f"{a.field}: {a.value}"


def score_distributions(result: Calibration, path: Path) -> Path:
    """Highest score before the cutoff, winners against the rest, current and suggested."""
    figure = Figure(figsize=(11, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    threshold = result.suggested_rules.get("stages", {}).get("mql", {}).get("total_at_least")
    _outcomes(left, result.current, "current rules", None)
    _outcomes(right, result.suggested, "suggested rules", threshold)
    figure.suptitle(f"Scores of {result.test:,} held-out people")
    figure.savefig(path)
    return path


def _outcomes(axes, backtest: Backtest, title: str, threshold: float | None) -> None:
    scored = ~np.isnan(backtest.peaks)
    won, lost = (
        backtest.peaks[scored & backtest.outcome],
        backtest.peaks[scored & ~backtest.outcome],
    )
    bins = np.histogram_bin_edges(backtest.peaks[scored], bins=30) if scored.any() else 10
    axes.hist(
        lost, bins=bins, density=True, alpha=0.6, color=LOST, label=f"did not ({len(lost):,})"
    )
    axes.hist(
        won, bins=bins, density=True, alpha=0.6, color=WON, label=f"reached it ({len(won):,})"
    )
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", label=f"MQL at {threshold:g}")
    axes.set_title(title)
    axes.set_xlabel("highest total before the cutoff")
    axes.set_ylabel("share of people")
    axes.legend()


def roc_curves(result: Calibration, path: Path) -> Path:
    """ROC curves of the current and the suggested rules on the held-out people."""
    figure = Figure(figsize=(5.5, 5.5), layout="constrained")
    axes = figure.add_subplot()
    for name, backtest, colour in (("current", result.current, CURRENT),
                                   ("suggested", result.suggested, SUGGESTED)):  # fmt: skip
        if backtest.auc is None:
            continue
        peaks = np.nan_to_num(backtest.peaks, nan=np.nanmin(backtest.peaks) - 1)
        false, true, _ = roc_curve(backtest.outcome, peaks)
        axes.plot(false, true, color=colour, label=f"{name} rules (AUC {backtest.auc:.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    axes.set_xlabel("share of the rest let through")
    axes.set_ylabel("share of those reaching the outcome caught")
    axes.set_title(f"Ranking {result.test:,} held-out people")
    axes.legend(loc="lower right")
    figure.savefig(path)
    return path


def score_histograms(
    before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray], path: Path
) -> Path:
    """One panel per score (e.g. fit, engagement, total): its distribution before and after a
    change of rules. PNG or SVG by the suffix of `path`; a score on one side only shows alone.
    """
    names = list(dict.fromkeys([*before, *after])) or ["total"]
    figure = Figure(figsize=(4.2 * len(names), 3.6), layout="constrained")
    panels = np.atleast_1d(figure.subplots(1, len(names)))
    for axes, name in zip(panels, names, strict=True):
        old = np.asarray(before.get(name, ()), dtype=float)
        new = np.asarray(after.get(name, ()), dtype=float)
        _before_after(axes, name, old, new)
    panels[0].set_ylabel("people")
    figure.savefig(path)
    return path


def _before_after(axes, name: str, old: np.ndarray, new: np.ndarray) -> None:
    both = np.concatenate([old, new])
    bins = np.histogram_bin_edges(both, bins=30) if len(both) else 10
    axes.hist(old, bins=bins, histtype="stepfilled", alpha=0.5, color=BEFORE,
              label=f"before (median {_median(old)})")  # fmt: skip
    axes.hist(new, bins=bins, histtype="step", linewidth=1.6, color=AFTER,
              label=f"after (median {_median(new)})")  # fmt: skip
    axes.set_title(name)
    axes.set_xlabel("points")
    axes.legend()


def _median(values: np.ndarray) -> str:
    return f"{np.median(values):.1f}" if len(values) else "none"
