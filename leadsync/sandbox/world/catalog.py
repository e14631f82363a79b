"""The vocabulary of the synthetic world: names, firmographics, titles, the site and its forms.

Data only. Each table pairs values with relative weights; the generator turns weights into
cumulative sums once and draws with `random.choices(..., cum_weights=...)`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from random import Random
from typing import Any, NamedTuple

SITE = "https://www.example-saas.com"


def _words(paragraph: str) -> tuple[str, ...]:
    """Name tables are paragraphs: a literal would take a line per name."""
    return tuple(paragraph.split())


FIRST_NAMES = _words(
    """
    James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony
    Betty Mark Sandra Steven Ashley Paul Emily Andrew Kimberly Joshua Michelle Kevin Amanda
    Brian Melissa George Stephanie Timothy Rebecca Ryan Laura Jacob Sharon Nicholas Cynthia Eric
    Amy Jonathan Anna Justin Angela Scott Emma Brandon Olivia Benjamin Sophie Samuel Chloe
    Gregory Hannah Alexander Grace Patrick Julia Jack Lucy Dennis Megan Tyler Rachel Aaron
    Lauren Jose Maria Adam Natalie Nathan Victoria Henry Claire Zachary Isabel Kyle Priya Rahul
    Ananya Arjun Wei Mei Hiroshi Yuki Lukas Lena Jonas Mia Felix Hanna Lars Ingrid Pierre
    Camille Lucas Manon Mateo Sofia Diego Lucia Marco Giulia Sean Siobhan Liam Aoife Oliver
    Amelia Noah Ava Ethan Zoe Omar Leila Tariq Noor Kwame Amara Mateusz Zofia
    """
)

LAST_NAMES = _words(
    """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
    Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
    Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Shah
    Gupta Kumar Singh Chen Wang Li Zhang Liu Tanaka Suzuki Sato Kim Park Choi Muller Schmidt
    Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schulz Dubois Martin Bernard Moreau
    Laurent Rossi Russo Ferrari Esposito Bianchi Jansen Dekker Bakker Visser Johansson Andersson
    Karlsson Nilsson Eriksson Larsen Hansen Nielsen Kowalski Nowak Murphy Kelly Walsh Byrne Ryan
    Doyle McCarthy Gallagher MacDonald Campbell Stewart Reid Cohen Levy Okafor Mensah Haddad
    Khan Ahmed Ali Silva Santos Oliveira Costa Pereira
    """
)

# Apostrophes survive into email local parts (o'brien@...), which breaks naive SOQL quoting.
APOSTROPHE_NAMES = ("O'Brien", "O'Neill", "O'Connor", "O'Reilly", "D'Souza", "D'Angelo")
APOSTROPHE_RATE = 0.025

COMPANY_WORDS = _words(
    """
    Acme Northwind Blue Harbor Summit Cedar Brightline Evergreen Ironwood Silverfox Maple
    Redstone Lumen Nimbus Copper Falcon Granite Juniper Kestrel Lakeside Meridian Nova Oakridge
    Pinecrest Quartz Riverstone Sterling Tidewater Urban Vantage Willow Zenith Aurora Beacon
    Cascade Driftwood Ember Fjord Goldleaf Highland Indigo Jetstream Keystone Larkspur Mosaic
    Northstar Orchard Paragon Quill Rosewood Sapphire Thistle Upland Velvet Wildflower
    Yellowtail Alpine Bramble Coastal Dune Everest Foxglove Glacier Hearth Island Jasper Kinfolk
    Lantern Monarch Nectar Olive Pebble Prism Quarry Ridge Saffron Timber Unity Verde Wren
    """
)

LEGAL_FORMS = {
    "United States": ("Inc.", "LLC", "Co."),
    "United Kingdom": ("Ltd", "plc"),
    "Germany": ("GmbH", "AG"),
    "Netherlands": ("B.V.",),
    "France": ("SAS", "SA"),
    "Sweden": ("AB",),
    "Australia": ("Pty Ltd",),
}


class Industry(NamedTuple):
    hubspot: str
    salesforce: str
    weight: float
    target: bool  # the vendor sells commerce software: these buy it
    revenue_per_employee: int
    suffixes: tuple[str, ...]


INDUSTRIES = (
    Industry("RETAIL", "Retail", 16, True, 220_000, ("Outfitters", "Market", "Home", "Supply Co.")),
    Industry(
        "APPAREL_FASHION", "Apparel", 11, True, 180_000, ("Apparel", "Threads", "Wear", "Footwear")
    ),
    Industry(
        "CONSUMER_GOODS",
        "Consumer Goods",
        11,
        True,
        260_000,
        ("Brands", "Goods", "Foods", "Kitchen"),
    ),
    Industry(
        "INTERNET", "Technology", 8, True, 300_000, ("Online", "Marketplace", "Direct", "Shop")
    ),
    Industry(
        "COMPUTER_SOFTWARE",
        "Technology",
        10,
        False,
        250_000,
        ("Labs", "Software", "Systems", "Cloud"),
    ),
    Industry(
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "Technology",
        9,
        False,
        150_000,
        ("Technologies", "Digital", "IT Services", "Networks"),
    ),
    Industry(
        "MARKETING_AND_ADVERTISING",
        "Media",
        8,
        False,
        140_000,
        ("Media", "Agency", "Creative", "Studio"),
    ),
    Industry(
        "FINANCIAL_SERVICES",
        "Finance",
        7,
        False,
        400_000,
        ("Capital", "Financial", "Partners", "Wealth"),
    ),
    Industry(
        "HOSPITAL_HEALTH_CARE",
        "Healthcare",
        6,
        False,
        120_000,
        ("Health", "Medical", "Care", "Clinics"),
    ),
    Industry(
        "HIGHER_EDUCATION", "Education", 3, False, 90_000, ("College", "Institute", "Academy")
    ),
    Industry(
        "STAFFING_AND_RECRUITING",
        "Consulting",
        4,
        False,
        100_000,
        ("Talent", "Staffing", "Recruiting"),
    ),
    Industry(
        "MANAGEMENT_CONSULTING",
        "Consulting",
        4,
        False,
        200_000,
        ("Consulting", "Advisors", "Group"),
    ),
    Industry(
        "MACHINERY", "Manufacturing", 3, False, 280_000, ("Industries", "Manufacturing", "Works")
    ),
    Industry(
        "NONPROFIT_ORGANIZATION_MANAGEMENT",
        "Other",
        2,
        False,
        60_000,
        ("Foundation", "Trust", "Alliance"),
    ),
)

# (HubSpot numemployees option, smallest, largest, weight)
EMPLOYEE_BANDS = (
    ("1-5", 1, 5, 8),
    ("5-25", 6, 25, 22),
    ("25-50", 26, 50, 17),
    ("50-100", 51, 100, 15),
    ("100-500", 101, 500, 20),
    ("500-1000", 501, 1000, 9),
    ("1000+", 1001, 25_000, 9),
)


class Country(NamedTuple):
    name: str
    weight: float
    tld: str
    regions: tuple[str, ...]


COUNTRIES = (
    Country(
        "United States",
        44,
        ".com",
        (
            "California",
            "New York",
            "Texas",
            "Washington",
            "Illinois",
            "Massachusetts",
            "Florida",
            "Colorado",
            "Georgia",
            "Oregon",
            "New Jersey",
            "North Carolina",
        ),
    ),
    Country("United Kingdom", 11, ".co.uk", ("England", "Scotland", "Wales")),
    Country(
        "Germany", 9, ".de", ("Berlin", "Bavaria", "Hamburg", "Hesse", "North Rhine-Westphalia")
    ),
    Country("Canada", 6, ".ca", ("Ontario", "British Columbia", "Quebec", "Alberta")),
    Country("Australia", 5, ".com.au", ("New South Wales", "Victoria", "Queensland")),
    Country("France", 5, ".fr", ()),
    Country("Netherlands", 4, ".nl", ()),
    Country("Sweden", 2, ".se", ()),
    Country("Spain", 3, ".es", ()),
    Country("Italy", 2, ".it", ()),
    Country("India", 4, ".in", ("Karnataka", "Maharashtra", "Delhi")),
    Country("Brazil", 2, ".com.br", ()),
    Country("Singapore", 1.5, ".sg", ()),
    Country("Japan", 1.5, ".jp", ()),
)

# (value of the custom `ecommerce_platform` property, weight, fits the product)
PLATFORMS = (
    ("Shopify", 30, True),
    ("Magento", 14, True),
    ("BigCommerce", 9, True),
    ("Salesforce Commerce", 7, True),
    ("WooCommerce", 18, False),
    ("custom", 12, True),
    ("none", 10, False),
)

# (seniority, weight among all contacts, titles)
SENIORITIES = (
    ("c_level", 6, ("CEO", "CTO", "CMO", "COO", "CFO", "Chief Digital Officer", "Founder & CEO")),
    (
        "vp",
        9,
        ("VP of E-commerce", "VP Marketing", "VP Engineering", "VP Digital", "VP Operations"),
    ),
    (
        "director",
        17,
        (
            "Director of E-commerce",
            "Director of Digital",
            "Head of Growth",
            "Director of IT",
            "Head of Online Sales",
            "Director of Marketing",
        ),
    ),
    (
        "manager",
        27,
        (
            "E-commerce Manager",
            "Marketing Manager",
            "IT Manager",
            "Product Manager",
            "Digital Marketing Manager",
            "Operations Manager",
        ),
    ),
    (
        "individual",
        35,
        (
            "Software Engineer",
            "Marketing Specialist",
            "Web Developer",
            "Data Analyst",
            "Content Writer",
            "Customer Support Specialist",
            "Merchandiser",
        ),
    ),
    ("intern", 6, ("Marketing Intern", "Engineering Intern", "Summer Intern")),
)
DECISION_MAKERS = ("c_level", "vp", "director", "manager")

FREE_MAIL = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "gmx.de",
)
UNIVERSITIES = (
    ("Westfield University", "westfield.edu"),
    ("Lakeshore State University", "lakeshore.edu"),
    ("Northgate College", "northgate.edu"),
    ("Pacific Technical Institute", "pactech.edu"),
)
COMPETITORS = (
    ("RivalSync", "rivalsync.com"),
    ("FunnelForge", "funnelforge.io"),
    ("LeadBridge", "leadbridge.com"),
)

# Web pages by kind; kinds carry the engagement signal scoring rules match on.
PAGES = {
    "home": ("/",),
    "pricing": ("/pricing", "/pricing/enterprise"),
    "product": tuple(
        f"/product/{p}"
        for p in ("catalog-sync", "order-routing", "inventory", "analytics", "integrations")
    ),
    "docs": tuple(
        f"/docs/{p}" for p in ("getting-started", "api-reference", "webhooks", "sso", "data-model")
    ),
    "kb": tuple(
        f"/kb/{p}" for p in ("connect-shopify", "magento-setup", "sync-errors", "bulk-import")
    ),
    "blog": tuple(
        f"/blog/{p}"
        for p in (
            "headless-commerce-101",
            "cart-abandonment-benchmarks",
            "peak-season-checklist",
            "b2b-ecommerce-trends",
            "composable-commerce-explained",
            "returns-that-keep-customers",
            "inventory-accuracy",
            "seo-for-product-pages",
            "marketplace-expansion",
            "omnichannel-myths",
        )
    ),
    "white_paper": tuple(
        f"/resources/technical-white-paper-{p}"
        for p in ("order-orchestration", "catalog-at-scale", "event-driven-inventory")
    ),
    "case_study": tuple(
        f"/resources/case-studies/{p}" for p in ("northwind-goods", "summit-outfitters")
    ),
    "company": ("/about", "/contact", "/partners"),
    "careers": ("/careers",),
    "careers_jobs": tuple(
        f"/careers/jobs/{p}"
        for p in (
            "senior-backend-engineer",
            "account-executive",
            "product-designer",
            "support-engineer",
        )
    ),
}


class Form(NamedTuple):
    name: str
    page: str
    hand_raise: bool  # buying intent: demo, contact sales, quote


FORMS = {
    "newsletter": Form("Newsletter signup", "/blog/headless-commerce-101", False),
    "ebook": Form("Ebook download", "/resources/ebook-commerce-playbook", False),
    "white_paper": Form(
        "Technical white paper download", "/resources/technical-white-paper-catalog-at-scale", False
    ),
    "webinar": Form("Webinar registration", "/webinars", False),
    "demo": Form("Demo request", "/demo", True),
    "contact_sales": Form("Contact sales", "/contact-sales", True),
    "quote": Form("Request a quote", "/pricing/quote", True),
}
HAND_RAISES = ("demo", "contact_sales", "quote")
HAND_RAISE_WEIGHTS = (55, 30, 15)

WEBINAR_TOPICS = (
    "Scaling Black Friday",
    "Headless without the headache",
    "Inventory truth across channels",
    "B2B portals that sell",
    "Migrating off Magento 1",
    "Composable commerce in practice",
)

EMAIL_SUBJECTS = (
    "This month in commerce",
    "New: order routing rules",
    "Your peak-season checklist",
    "Webinar invite",
    "Case study: 3x faster catalog sync",
    "Product update",
    "Last chance to register",
)

# Ad landing pages; their UTM tags show on `hs_analytics_first_url`.
PAID_LANDINGS = {
    "PAID_SEARCH": "/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand-search",
    "PAID_SOCIAL": "/product/catalog-sync?utm_source=linkedin&utm_medium=paid_social",
}
ORGANIC_SOURCES = (
    ("ORGANIC_SEARCH", 45),
    ("DIRECT_TRAFFIC", 20),
    ("REFERRALS", 12),
    ("SOCIAL_MEDIA", 10),
    ("EMAIL_MARKETING", 5),
    ("OTHER_CAMPAIGNS", 8),
)

OPPORTUNITY_ROLES = (
    "Decision Maker",
    "Economic Buyer",
    "Technical Buyer",
    "Evaluator",
    "Influencer",
)
OPEN_OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
TRADE_SHOWS = ("Shoptalk", "NRF Big Show", "eTail Europe", "Commerce Next")

# What reps call their activities, per HubSpot engagement kind.
SALES_SUBJECTS = {
    "meetings": (
        "Product demo",
        "Discovery meeting",
        "Technical deep dive",
        "Pricing review",
        "Kick-off",
    ),
    "calls": ("Intro call", "Discovery call", "Follow-up call", "Check-in call"),
    "emails": (
        "Following up on your demo request",
        "Pricing and next steps",
        "Resources we discussed",
    ),
    "tasks": (
        "Send proposal",
        "Follow up",
        "Prepare security questionnaire",
        "Book technical review",
    ),
    "notes": (
        "Evaluating against their current platform; budget expected next quarter.",
        "Needs SSO and a sandbox before legal review.",
        "Champion is the e-commerce lead; CFO signs above 50k.",
        "Not a fit right now: replatforming paused.",
    ),
}


class Weighted:
    """Draws from a weighted table with precomputed cumulative weights."""

    def __init__(self, values: Sequence[Any], weights: Sequence[float]) -> None:
        self.values = list(values)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: Random) -> Any:
        return self.values[bisect_right(self.cum, rng.random() * self.total)]
