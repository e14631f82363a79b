"""People, each with the funnel profile the generator intends, at the companies they work for.

A profile says how a person should behave (junk, weak, MQL-like, SQL-like, won…) and fixes
their timeline: when they were created, when their buying journey peaked, when they raised
a hand, were converted in Salesforce and when their deal closed. Activity and CRM records are
drawn from that timeline later, so the funnel stays coherent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world.catalog import Weighted
from leadsync.sandbox.world.companies import (
    EMAIL_PATTERNS,
    Company,
    make_companies,
    special_companies,
)
from leadsync.sandbox.world.formats import DAY_MS, HOUR_MS, MINUTE_MS

# Intended profile -> share of all contacts. MQL-or-better totals 17%.
PROFILES: tuple[tuple[str, float], ...] = (
    ("freemail", 0.055),
    ("student", 0.030),
    ("competitor", 0.012),
    ("jobseeker", 0.050),
    ("weak", 0.683),
    ("mql", 0.100),
    ("sql", 0.035),
    ("opportunity", 0.013),
    # Closed deals: `wins.settle` decides which of them were won, by the world's known model.
    ("won", 0.011),
    ("lost", 0.011),
)
JUNK = frozenset({"freemail", "student", "competitor", "jobseeker"})
DEALS = frozenset({"opportunity", "won", "lost"})
WINDOW_DAYS = 548  # about 18 months of history before `now`

_IMPORT_RATE = {"list": 0.08, "trade_show": 0.04}  # of weak contacts


@dataclass(slots=True, eq=False)
class Person:
    """One human in the world. Times are epoch ms; later stages fill in the activity facts."""

    profile: str
    first: str = ""
    last: str = ""
    email: str = ""
    company: Company | None = None
    title: str | None = None
    seniority: str | None = None
    country: str | None = None
    region: str | None = None
    hs_id: str = ""
    imported: str | None = None  # "list" or "trade_show"
    source: str | None = None  # hs_analytics_source
    # The timeline (see `_timeline`).
    created: int = 0
    journey: int = 0
    hand_raise: int | None = None
    converted: int | None = None
    closed: int | None = None
    # Facts from `activity`.
    page_views: int = 0
    first_url: str | None = None
    last_url: str | None = None
    first_visit: int | None = None
    last_visit: int | None = None
    forms: int = 0
    first_form: tuple[str, int] | None = None  # (form name, at)
    last_form: tuple[str, int] | None = None
    opens: int = 0
    clicks: int = 0
    last_open: int | None = None
    last_click: int | None = None
    emailed: int | None = None  # index of the last marketing email they received
    # (webinar index, registered at, attended)
    webinars: list[tuple[int, int, bool]] = field(default_factory=list)
    # From `sales`: (kind, at, booked at, subject).
    touches: list[tuple[str, int, int, str]] = field(default_factory=list)

    @property
    def junk(self) -> bool:
        return self.profile in JUNK


def generate(rng: Random, contacts: int, now_ms: int) -> list[Person]:
    """People in creation order, with HubSpot ids "101", "102", … assigned in that order."""
    start = now_ms - WINDOW_DAYS * DAY_MS
    companies = make_companies(rng, max(20, contacts // 4))
    world = _Population(rng, companies, start, now_ms)
    people = [world.person(profile) for profile in allocate(rng, contacts)]
    world.imports(people)
    people.sort(key=lambda person: person.created)
    for number, person in enumerate(people, start=101):
        person.hs_id = str(number)
    return people


def allocate(rng: Random, contacts: int) -> list[str]:
    """Exact profile counts (largest remainder), shuffled: proportions hold for any size."""
    quotas = [(name, share * contacts) for name, share in PROFILES]
    counts = {name: int(quota) for name, quota in quotas}
    by_remainder = sorted(quotas, key=lambda item: item[1] - int(item[1]), reverse=True)
    for name, _ in by_remainder[: contacts - sum(counts.values())]:
        counts[name] += 1
    profiles = [name for name, count in counts.items() for _ in range(count)]
    rng.shuffle(profiles)
    return profiles


class _Population:
    """Draws people for profiles: who they are, where they work, and their timeline."""

    def __init__(self, rng: Random, companies: list[Company], start: int, now: int) -> None:
        self.rng, self.start, self.now = rng, start, now
        self.anyone = Weighted(companies, [math.sqrt(c.employees) for c in companies])
        good = [c for c in companies if c.good] or companies
        # Buyers come from any fitting company alike, so a few large ones do not hold most
        # of the deals (and their country look like a reason to buy).
        self.good = Weighted(good, [1.0] * len(good))
        self.special = special_companies()
        seniorities = cat.SENIORITIES
        self.seniority = Weighted(seniorities, [s[1] for s in seniorities])
        buyers = [s for s in seniorities if s[0] in cat.DECISION_MAKERS]
        self.buyer = Weighted(buyers, [s[1] for s in buyers])
        self.countries = Weighted(cat.COUNTRIES, [c.weight for c in cat.COUNTRIES])
        self.emails: set[str] = set()

    def person(self, profile: str) -> Person:
        person = Person(profile)
        rng = self.rng
        person.first = rng.choice(cat.FIRST_NAMES)
        apostrophe = rng.random() < cat.APOSTROPHE_RATE
        person.last = rng.choice(cat.APOSTROPHE_NAMES if apostrophe else cat.LAST_NAMES)
        self._employment(person)
        if person.company is not None and profile != "freemail":
            domain, pattern = person.company.domain, person.company.pattern
        else:
            domain, pattern = rng.choice(cat.FREE_MAIL), -1
        person.email = self._email(person.first, person.last, domain, pattern)
        _timeline(rng, person, self.start, self.now)
        return person

    def _employment(self, person: Person) -> None:
        rng, profile = self.rng, person.profile
        if profile in self.special:
            person.company = rng.choice(self.special[profile])
        elif profile == "jobseeker" or (profile == "freemail" and rng.random() < 0.6):
            person.company = None
        elif profile in ("weak", "freemail"):
            person.company = (self.good if rng.random() < 0.3 else self.anyone).draw(rng)
        else:
            person.company = (self.good if rng.random() < 0.9 else self.anyone).draw(rng)
        if profile == "student":
            person.seniority, person.title = "student", "Student"
        else:
            table = (
                self.buyer
                if profile in ("mql", "sql", *DEALS) and rng.random() < 0.9
                else self.seniority
            )
            person.seniority, _, titles = table.draw(rng)
            if person.company is not None or rng.random() < 0.5:
                person.title = rng.choice(titles)
        if person.company is not None:
            person.country, person.region = person.company.country, person.company.region
        elif rng.random() < 0.7:
            country = self.countries.draw(rng)
            person.country = country.name

    def _email(self, first: str, last: str, domain: str, pattern: int) -> str:
        names = {"f": first.lower(), "l": last.lower(), "i": first[0].lower()}
        if pattern < 0:  # free mail: people add digits
            template = self.rng.choice(("{f}.{l}", "{f}{l}{n}", "{i}{l}{n}"))
            local = template.format(**names, n=self.rng.randint(1, 99))
        else:
            local = EMAIL_PATTERNS[pattern].format(**names)
        email, number = f"{local}@{domain}", 1
        while email in self.emails:
            number += 1
            email = "{f}.{l}{n}@{d}".format(**names, n=number, d=domain)
        self.emails.add(email)
        return email

    def imports(self, people: list[Person]) -> None:
        """Weak contacts that arrived in list and trade-show imports share one createdate."""
        rng = self.rng
        span = self.now - self.start
        for kind, rate in _IMPORT_RATE.items():
            moments = sorted(
                self.start + rng.randrange(span // 10, span - 7 * DAY_MS) for _ in range(3)
            )
            moments = [m - m % MINUTE_MS for m in moments]
            for person in people:
                if person.profile == "weak" and person.imported is None and rng.random() < rate:
                    person.imported = kind
                    person.created = rng.choice(moments)
                    person.journey = max(person.journey, person.created)
                    person.source = "OFFLINE"


def _timeline(rng: Random, person: Person, start: int, now: int) -> None:
    """Created ≤ journey peak ≤ hand raise ≤ conversion ≤ close ≤ now, per profile."""
    profile, days = person.profile, DAY_MS
    if profile in DEALS:
        if profile == "opportunity":
            person.converted = now - rng.randint(1 * days, 90 * days)
        else:
            person.closed = now - rng.randint(2 * days, 330 * days)
            person.converted = person.closed - rng.randint(20 * days, 120 * days)
        person.hand_raise = person.converted - rng.randint(HOUR_MS, 20 * days)
        journey = person.hand_raise - rng.randint(0, 20 * days)
    elif profile == "sql":
        recent = rng.random() < 0.75
        person.hand_raise = (
            now - rng.randint(0, 30 * days) if recent else now - rng.randint(30 * days, 200 * days)
        )
        journey = person.hand_raise - rng.randint(0, 14 * days)
    elif profile == "mql":
        journey = now - (
            rng.randint(0, 90 * days) if rng.random() < 0.7 else rng.randint(90 * days, 450 * days)
        )
    else:
        created = start + int((now - start) * rng.random() ** 0.8)
        journey = created + min(int(rng.expovariate(1 / (20 * days))), now - created)
        if rng.random() < 0.2:  # re-engaged later
            journey = rng.randint(created, now)
        person.created, person.journey = created, journey
        return
    longest = min(250 * days, journey - start) if rng.random() < 0.6 else 2 * days
    person.created = max(start, journey - rng.randint(0, longest))
    person.journey = max(journey, person.created)
    if person.hand_raise is not None:
        person.hand_raise = max(person.hand_raise, person.journey)
