"""Suggested rules: points from shrunk log-odds, written in the config's own rule format.

An L2-regularised logistic regression (scikit-learn's `LogisticRegressionCV`, `lbfgs`) learns
one log-odds weight per attribute from who reached the outcome; its strength is chosen on the
latest quarter of the training people, kept apart by time like the backtest. L2 shrinks each
weight towards zero by how little evidence backs it; an unpenalised intercept keeps the
weights relative to the typical person, so a value below the base rate earns negative points.
(L1 would drop more rules, but scikit-learn's fast L1 solver penalises the intercept, which
shifts every value of a field together, and the other is many times slower.)

`points_per_doubling` points stand for a doubling of the odds; points are rounded to
multiples of `step`, and weights worth less than one step are dropped. Attributes that
select exactly the same people are learned once, under the current rule's name when one of
them is a current rule, so two rules never split one effect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tomlkit
from scipy import sparse
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from leadsync.scoring.attributes import Attribute
from leadsync.scoring.model import FIT
from leadsync.scoring.rules import ScoringConfig

STRENGTHS = np.logspace(-3, 1, 9)  # values of C tried, weakest shrinkage last


def learn_points(
    amount: sparse.csr_matrix,
    outcome: np.ndarray,
    created: np.ndarray,
    attributes: Sequence[Attribute],
    usable: np.ndarray,
    *,
    points_per_doubling: float = 10.0,
    step: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(points, learned) per attribute: suggested points (0 when dropped), and whether the
    model learned a weight for it at all (it is `usable` and not a copy of another column).

    `created` orders the rows in time for the validation split.
    """
    points = np.zeros(len(attributes))
    learned = np.zeros(len(attributes), dtype=bool)
    columns = _distinct(amount, attributes, usable)
    if not columns or outcome.all() or not outcome.any():
        return points, learned
    weights = _weights(amount[:, columns], outcome, created)
    raw = weights / math.log(2) * points_per_doubling
    points[columns] = np.where(np.abs(raw) < step, 0.0, np.round(raw / step) * step)
    learned[columns] = True
    return points, learned


def _distinct(
    amount: sparse.csr_matrix, attributes: Sequence[Attribute], usable: np.ndarray
) -> list[int]:
    """Usable columns, one of each set of identical ones, a current rule's first."""
    by_column = amount.tocsc()
    seen: set[tuple[bytes, bytes]] = set()
    kept = []
    for j in sorted(np.flatnonzero(usable), key=lambda j: not attributes[j].current):
        column = by_column[:, j]
        key = (column.indices.tobytes(), column.data.tobytes())
        if column.nnz and key not in seen:
            seen.add(key)
            kept.append(int(j))
    return sorted(kept)


def _weights(features: sparse.csr_matrix, outcome: np.ndarray, created: np.ndarray) -> np.ndarray:
    order = np.argsort(created, kind="stable")
    cut = int(len(order) * 0.75)
    fit_rows, check_rows = order[:cut], order[cut:]
    if outcome[check_rows].all() or not outcome[check_rows].any():
        # Too little history to choose the strength on later people: scikit-learn's default.
        return LogisticRegression(max_iter=2000).fit(features, outcome).coef_.ravel()
    model = LogisticRegressionCV(
        Cs=STRENGTHS,
        l1_ratios=(0.0,),
        cv=[(fit_rows, check_rows)],
        scoring="neg_log_loss",
        max_iter=2000,
        use_legacy_attributes=False,
    )
    return model.fit(features, outcome).coef_.ravel()


def rule_table(
    config: ScoringConfig,
    attributes: Sequence[Attribute],
    points: np.ndarray,
    stages: Mapping[str, Any],
    learned: np.ndarray,
) -> dict[str, Any]:
    """The `[scoring]` table of the suggestion: the current settings, these rules and gates.

    Current rules that gates, suspect or recycle rules name, or that disqualify, stay,
    whatever their points; one that could not be learned (`learned` false) keeps its points.
    """
    pinned = _pinned(config)
    rules: dict[str, list[dict[str, Any]]] = {"fit": [], "engagement": []}
    for a, p, known in zip(attributes, points, learned, strict=True):
        kept = a.was is not None and a.id in pinned
        p = a.was if kept and not known else p
        if p or kept:
            section = "fit" if a.axis == FIT else "engagement"
            rules[section].append({"id": a.id, "label": a.label, **a.rule, "points": _plain(p)})
    table: dict[str, Any] = {
        "trust_marketing_manual_changes": config.trust_marketing_manual_changes,
        "decay": config.decay.model_dump(exclude_none=True),
        "grades": config.grades.model_dump(),
        "domain_lists": dict(config.domain_lists),
        "stages": {**stages, "suspect": config.stages.suspect.model_dump(exclude_defaults=True)},
        "recycle": [
            r.model_dump(mode="json", by_alias=True, exclude_defaults=True) for r in config.recycle
        ],
        **rules,
    }
    return _tidy({k: v for k, v in table.items() if v != {} and v != []})


def _tidy(value: Any) -> Any:
    """Whole numbers as integers, the way an admin writes them (`90`, not `90.0`)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def _pinned(config: ScoringConfig) -> set[str]:
    stages = config.stages
    named = {*stages.mql.requires_any, *stages.sql.requires_any, *stages.suspect.only_engagement}
    named |= {rule_id for r in config.recycle for rule_id in r.engagement}
    return named | {r.id for r in config.fit if r.disqualifying}


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def render(table: Mapping[str, Any], notes: Mapping[str, str] | None = None) -> str:
    """`table` as a `[scoring]` section of config.toml, each rule under its `notes` comment."""
    notes = notes or {}
    section = tomlkit.table()
    for key, value in table.items():
        if key in ("fit", "engagement", "recycle"):
            continue
        section.add(key, _item(value))
    for key in ("recycle", "fit", "engagement"):
        if key in table:
            section.add(key, _rules(table[key], notes))
    document = tomlkit.document()
    document.add("scoring", section)
    return tomlkit.dumps(document)


def _rules(rules: Sequence[Mapping[str, Any]], notes: Mapping[str, str]) -> Any:
    tables = tomlkit.aot()
    for rule in rules:
        table = tomlkit.table()
        if rule["id"] in notes:
            table.add(tomlkit.comment(notes[rule["id"]]))
        for key, value in rule.items():
            table.add(key, _item(value))
        tables.append(table)
    return tables


def _item(value: Any) -> Any:
    """Regexes as literal strings (no doubled backslashes), conditions as inline tables."""
    if isinstance(value, str) and "\\" in value and "'" not in value and "\n" not in value:
        return tomlkit.string(value, literal=True)
    if isinstance(value, Mapping):
        table = tomlkit.table()
        for key, inner in value.items():
            table.add(key, _item(inner))
        return table
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        array = tomlkit.array()
        for inner in value:
            inline = tomlkit.inline_table()
            inline.update({k: _item(v) for k, v in inner.items()})
            array.append(inline)
        return array
    if isinstance(value, list):
        array = tomlkit.array()
        for inner in value:  # appended one by one: tomlkit.array(items) re-escapes literals
            array.append(_item(inner))
        return array
    return value
