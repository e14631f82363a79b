"""Companies: firmographics, a unique web domain, how they spell email addresses, and fit.

Fit follows the vendor's best customers: a target industry (retail, apparel, consumer goods,
internet), more than 50 people, and an e-commerce platform the product connects to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import Any

from leadsync.sandbox.world import catalog as cat
from leadsync.sandbox.world.catalog import Weighted

EMAIL_PATTERNS = ("{f}.{l}", "{f}{l}", "{i}{l}", "{f}", "{f}_{l}", "{i}.{l}")
_DOMAIN_VARIANTS = ("{s}", "get{s}", "{s}hq", "shop{s}", "{s}group", "{s}global")


@dataclass(slots=True, eq=False)
class Company:
    name: str
    domain: str
    industry: cat.Industry
    employees: int
    revenue: float
    country: str
    region: str | None
    platform: str
    good: bool  # fits the product: target industry, over 50 people, a platform it connects to
    pattern: int  # how the company spells email addresses
    account: dict[str, Any] | None = None  # the Salesforce Account, once one exists

    @property
    def band(self) -> str:
        return next(band for band, low, high, _ in cat.EMPLOYEE_BANDS if self.employees <= high)

    @property
    def website(self) -> str:
        return f"https://www.{self.domain}"


def make_companies(rng: Random, count: int) -> list[Company]:
    industries = Weighted(cat.INDUSTRIES, [i.weight for i in cat.INDUSTRIES])
    bands = Weighted(cat.EMPLOYEE_BANDS, [b[3] for b in cat.EMPLOYEE_BANDS])
    countries = Weighted(cat.COUNTRIES, [c.weight for c in cat.COUNTRIES])
    platforms = Weighted(cat.PLATFORMS, [p[1] for p in cat.PLATFORMS])
    taken: set[str] = {domain for _, domain in cat.COMPETITORS + cat.UNIVERSITIES}
    companies = []
    for _ in range(count):
        industry, country = industries.draw(rng), countries.draw(rng)
        _, low, high, _ = bands.draw(rng)
        employees = _employees(rng, low, high)
        platform, _, platform_fits = platforms.draw(rng)
        word, suffix = rng.choice(cat.COMPANY_WORDS), rng.choice(industry.suffixes)
        forms = cat.LEGAL_FORMS.get(country.name, ())
        name = f"{word} {suffix}"
        if forms and rng.random() < 0.35:
            name = f"{name} {rng.choice(forms)}"
        revenue = employees * industry.revenue_per_employee * rng.lognormvariate(0, 0.35)
        companies.append(
            Company(
                name=name,
                domain=_domain(rng, word + suffix, country.tld, taken),
                industry=industry,
                employees=employees,
                revenue=max(100_000, round(revenue, -5)),
                country=country.name,
                region=rng.choice(country.regions) if country.regions else None,
                platform=platform,
                good=industry.target and employees > 50 and platform_fits,
                pattern=rng.randrange(len(EMAIL_PATTERNS)),
            )
        )
    return companies


def _employees(rng: Random, low: int, high: int) -> int:
    if high > 1000:  # the open band is long-tailed
        return int(math.exp(rng.uniform(math.log(low), math.log(high))))
    return rng.randint(low, high)


def _domain(rng: Random, words: str, tld: str, taken: set[str]) -> str:
    slug = "".join(ch for ch in words.lower() if ch.isalnum())
    for variant in _DOMAIN_VARIANTS:
        domain = variant.format(s=slug) + tld
        if domain not in taken:
            taken.add(domain)
            return domain
    number = 2
    while f"{slug}{number}{tld}" in taken:
        number += rng.randint(1, 9)
    taken.add(f"{slug}{number}{tld}")
    return f"{slug}{number}{tld}"


def special_companies() -> dict[str, list[Company]]:
    """Universities and competitors: real organisations that never buy."""
    industry = {i.hubspot: i for i in cat.INDUSTRIES}
    shapes = {
        "student": (cat.UNIVERSITIES, industry["HIGHER_EDUCATION"], 4_000, "Massachusetts", "none"),
        "competitor": (cat.COMPETITORS, industry["COMPUTER_SOFTWARE"], 180, "California", "custom"),
    }
    return {
        profile: [
            Company(
                name=name,
                domain=domain,
                industry=kind,
                employees=size,
                revenue=size * kind.revenue_per_employee,
                country="United States",
                region=region,
                platform=platform,
                good=False,
                pattern=0,
            )
            for name, domain in organisations
        ]
        for profile, (organisations, kind, size, region, platform) in shapes.items()
    }
