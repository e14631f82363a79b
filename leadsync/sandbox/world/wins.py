"""Who wins a closed deal: the world's known model, so calibration can be checked against it.

Everyone whose profile closed a deal (drawn as "won" or "lost": the same timeline and the same
marketing behaviour) is settled here, after their activity was drawn, by one model:

    propensity = the fit effects below for their company and seniority
               + the engagement effects below for what they did
               + Normal(0, NOISE)

and the closed deals with the highest propensity win, as many as the profiles allotted, so the
funnel keeps its proportions at any size (a 60-contact world still has its one customer).
Sorting by log-odds plus noise this way is drawing winners without replacement, each with odds
growing as exp(propensity): the effects are log-odds ratios.

Only the attributes named in these tables matter. The company's country and region, the
lead source, email opens and clicks have deliberately no effect: a calibration that works
ranks the drivers above them. Reaching a deal at all follows the profile (deal profiles work
at fitting companies more often, see `people`), which pushes the same fit attributes.
"""

from __future__ import annotations

from random import Random

from leadsync.sandbox.world.catalog import DECISION_MAKERS as DECISION_MAKER_SENIORITIES
from leadsync.sandbox.world.catalog import PLATFORMS
from leadsync.sandbox.world.people import Person

NOISE = 1.0  # standard deviation of the noise on the propensity
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
    """The model's propensity to win for `person`, before noise (a log-odds scale)."""
    company = person.company
    total = EMPLOYEES[company.band if company else "1-5"]
    if company is not None:
        total += TARGET_INDUSTRY * company.industry.target
        total += CONNECTED_PLATFORM * _connects(company.platform)
    total += DECISION_MAKER * (person.seniority in DECISION_MAKERS)
    attended = sum(1 for _, _, went in person.webinars if went)
    total += WEBINAR_ATTENDED * min(attended, WEBINARS_COUNTED)
    return total + PAGE_VIEW * min(person.page_views, VIEWS_COUNTED)


def settle(rng: Random, people: list[Person]) -> None:
    """The closed deals with the highest propensity become "won", the rest "lost"; as many
    are won as were allotted. Other profiles are untouched."""
    closed = [person for person in people if person.profile in ("won", "lost")]
    wins = sum(person.profile == "won" for person in closed)
    drawn = [log_odds(person) + rng.gauss(0, NOISE) for person in closed]
    ranked = sorted(range(len(closed)), key=lambda i: drawn[i], reverse=True)
    for place, i in enumerate(ranked):
        closed[i].profile = "won" if place < wins else "lost"


def _connects(platform: str) -> bool:
    return any(name == platform and fits for name, _, fits in PLATFORMS)
