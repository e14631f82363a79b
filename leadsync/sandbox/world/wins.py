"""Who wins a closed deal: the world's known model, so calibration can be checked against it.

Everyone whose profile closed a deal (drawn as "won" or "lost": the same timeline and the same
marketing behaviour) is settled here, after their activity was drawn, by one logistic model:

    log-odds of a win = INTERCEPT + the fit effects below for their company and seniority
                        + the engagement effects below for what they did before the close
                        + Normal(0, NOISE)

Only the attributes named in these tables matter. The company's country and region, the
lead source, email opens and clicks have deliberately no effect: a calibration that works
ranks the drivers above them. Reaching a deal at all follows the profile (deal profiles work
at fitting companies more often, see `people`), which pushes the same fit attributes.
"""

from __future__ import annotations

import math
from random import Random

from leadsync.sandbox.world.catalog import DECISION_MAKERS as DECISION_MAKER_SENIORITIES
from leadsync.sandbox.world.catalog import PLATFORMS
from leadsync.sandbox.world.people import Person

INTERCEPT = -3.8  # about 45% of closed deals are won
NOISE = 0.6  # standard deviation of the log-odds noise
TARGET_INDUSTRY = 1.1  # retail, apparel, consumer goods, internet: what the product is for
# employee band -> effect; unknown companies (no company at all) count as the smallest
EMPLOYEES = {
    "1-5": -0.8, "5-25": -0.4, "25-50": 0.0, "50-100": 0.4,
    "100-500": 0.7, "500-1000": 0.7, "1000+": 0.4,
}  # fmt: skip
CONNECTED_PLATFORM = 0.8  # an e-commerce platform the product connects to
DECISION_MAKER = 0.6  # c-level, VP, director or manager
WEBINAR_ATTENDED = 0.5  # per webinar attended, up to WEBINARS_COUNTED
WEBINARS_COUNTED = 2
PAGE_VIEW = 0.015  # per page view, up to VIEWS_COUNTED
VIEWS_COUNTED = 60

DECISION_MAKERS = frozenset(DECISION_MAKER_SENIORITIES)


def log_odds(person: Person) -> float:
    """The model's log-odds of a win for `person`, before noise."""
    company = person.company
    total = INTERCEPT + EMPLOYEES[company.band if company else "1-5"]
    if company is not None:
        total += TARGET_INDUSTRY * company.industry.target
        total += CONNECTED_PLATFORM * _connects(company.platform)
    total += DECISION_MAKER * (person.seniority in DECISION_MAKERS)
    attended = sum(1 for _, _, went in person.webinars if went)
    total += WEBINAR_ATTENDED * min(attended, WEBINARS_COUNTED)
    return total + PAGE_VIEW * min(person.page_views, VIEWS_COUNTED)


def settle(rng: Random, people: list[Person]) -> None:
    """Each closed deal becomes "won" or "lost" by the model; other profiles are untouched."""
    for person in people:
        if person.profile in ("won", "lost"):
            chance = _sigmoid(log_odds(person) + rng.gauss(0, NOISE))
            person.profile = "won" if rng.random() < chance else "lost"


def _connects(platform: str) -> bool:
    return any(name == platform and fits for name, _, fits in PLATFORMS)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
