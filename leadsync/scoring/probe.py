"""Who is in which group, as of each person's cutoff, decided by the scoring engine itself.

`probe` turns the attributes into one ruleset, a rule per attribute worth one point; scoring
every case with it at its cutoff says, per person, which groups they are in and how many
matching events each engagement rule would count.

The probe counts matching events without letting them fade: people reach their outcome
right after a burst of activity, while those without one are cut at a fixed horizon, so
faded amounts would credit recency itself. Fading stays the admin's policy in the rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from leadsync.scoring.attributes import Attribute
from leadsync.scoring.cases import Case
from leadsync.scoring.compile import compile_rules
from leadsync.scoring.engine import score
from leadsync.scoring.model import FIT
from leadsync.scoring.rules import ScoringConfig

_NOT_MEMBERSHIP = {"disqualifying", "decay", "half_life_days", "window_days"}


@dataclass(frozen=True, slots=True)
class Features:
    """People × attributes as of each cutoff: who is in each group, and the rule's amount.

    `amount` is what the attribute's rule multiplies its points by, before any fading: 1 for
    a fit match, the count of matching events (up to the rule's `max_times`) for engagement.
    """

    present: sparse.csr_matrix
    amount: sparse.csr_matrix


def probe(attributes: Sequence[Attribute], config: ScoringConfig) -> ScoringConfig:
    """A ruleset with one rule per attribute (id `a<index>`), worth one point each."""
    table: dict[str, Any] = {
        "decay": config.decay.model_dump(exclude_none=True),
        "domain_lists": dict(config.domain_lists),
        "stages": {"mql": {"total_at_least": math.inf}, "sql": {"total_at_least": math.inf}},
        "fit": [],
        "engagement": [],
    }
    for i, a in enumerate(attributes):
        section = "fit" if a.axis == FIT else "engagement"
        rule = {k: v for k, v in a.rule.items() if k not in _NOT_MEMBERSHIP}
        if section == "engagement":
            rule["decay"] = False
        table[section].append({"id": f"a{i}", "label": a.label, "points": 1, **rule})
    return ScoringConfig.model_validate(table)


def features(
    cases: Sequence[Case], attributes: Sequence[Attribute], config: ScoringConfig
) -> Features:
    """Score every case at its cutoff with the probe ruleset and read the groups it matched."""
    rules = compile_rules(probe(attributes, config))
    rows, cols, amounts = [], [], []
    for row, case in enumerate(cases):
        for part in score(case.person, case.events, rules, case.cutoff).contributions:
            rows.append(row)
            cols.append(int(part.rule_id[1:]))
            amounts.append(part.points)
    shape = (len(cases), len(attributes))
    ones = np.ones(len(rows))
    present = sparse.csr_matrix((ones, (rows, cols)), shape=shape)
    amount = sparse.csr_matrix((np.asarray(amounts), (rows, cols)), shape=shape)
    return Features(present, amount)
