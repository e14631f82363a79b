"""Which fit fields matter at all: one test per field of whether its values reach the outcome
at different rates, so fields can be ranked by evidence rather than by their luckiest value.

A field's values (with "(missing)" and "(other)") split everyone into groups; a chi-square
test of independence (scipy's `chi2_contingency`) on the groups' outcomes against the rest
says how unlikely so uneven a spread would be if the field did not matter. A single value's
lift can be large by chance in a small group (a country where one big customer sits); the
field's test weighs every group by its size. Pure: it reads `Lift` rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2_contingency

from leadsync.scoring.lift import Lift
from leadsync.scoring.model import FIT


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """A fit field's test: `p_value` small means its values reach the outcome unevenly."""

    field: str
    values: int
    people: int
    chi2: float
    p_value: float

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "values": self.values, "people": self.people,
                "chi2": self.chi2, "p_value": self.p_value}  # fmt: skip


def field_evidence(lifts: Sequence[Lift], people: int) -> list[FieldEvidence]:
    """One test per fit field whose groups split all `people`, strongest evidence first.

    Fields whose groups overlap or leave people out (not a partition) are not tested.
    """
    groups: dict[str, list[Lift]] = defaultdict(list)
    for lift in lifts:
        a = lift.attribute
        if a.axis == FIT and a.field != "rule" and lift.people:
            groups[a.field].append(lift)
    found = [_test(field, rows) for field, rows in groups.items()
             if len(rows) > 1 and sum(r.people for r in rows) == people]  # fmt: skip
    return sorted(found, key=lambda e: (e.p_value, -e.chi2, e.field))


def _test(field: str, rows: list[Lift]) -> FieldEvidence:
    reached = np.array([r.outcomes for r in rows])
    table = np.vstack([reached, np.array([r.people for r in rows]) - reached])
    if not table[0].any() or not table[1].any():  # nobody (or everybody) reached it
        return FieldEvidence(field, len(rows), int(table.sum()), 0.0, 1.0)
    result = chi2_contingency(table, correction=False)
    return FieldEvidence(field, len(rows), int(table.sum()), float(result.statistic),
                         float(result.pvalue))  # fmt: skip
