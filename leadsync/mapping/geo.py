"""Country and US state names: one spelling for what forms and CRMs write many ways."""

from __future__ import annotations

from types import MappingProxyType

_COUNTRIES: dict[str, tuple[str, ...]] = {
    "United States": ("US", "USA", "U.S.", "U.S.A.", "United States of America", "America"),
    "United Kingdom": ("GB", "UK", "U.K.", "Great Britain", "England", "Scotland", "Wales"),
    "Germany": ("DE", "Deutschland"),
    "France": ("FR",),
    "Netherlands": ("NL", "Holland", "The Netherlands"),
    "Spain": ("ES", "España"),
    "Italy": ("IT", "Italia"),
    "Ireland": ("IE",),
    "Canada": ("CA",),
    "Mexico": ("MX", "México"),
    "Brazil": ("BR", "Brasil"),
    "Australia": ("AU",),
    "New Zealand": ("NZ",),
    "India": ("IN",),
    "Japan": ("JP",),
    "Singapore": ("SG",),
    "Sweden": ("SE", "Sverige"),
    "Denmark": ("DK", "Danmark"),
    "Norway": ("NO", "Norge"),
    "Finland": ("FI", "Suomi"),
    "Switzerland": ("CH", "Schweiz", "Suisse"),
    "Austria": ("AT", "Österreich"),
    "Belgium": ("BE", "België", "Belgique"),
    "Poland": ("PL", "Polska"),
    "Portugal": ("PT",),
    "Israel": ("IL",),
    "South Africa": ("ZA",),
    "China": ("CN",),
    "South Korea": ("KR", "Korea, Republic of", "Republic of Korea"),
    "United Arab Emirates": ("AE", "UAE"),
}

_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}  # fmt: skip


def _index(table: dict[str, tuple[str, ...]]) -> MappingProxyType[str, str]:
    lookup = {}
    for name, aliases in table.items():
        for spelling in (name, *aliases):
            lookup[spelling.casefold()] = name
    return MappingProxyType(lookup)


COUNTRY_LOOKUP = _index(_COUNTRIES)
STATE_LOOKUP = _index({name: (code,) for code, name in _STATES.items()})


def country_name(raw: str) -> str:
    """The English name for a known spelling or ISO code; unknown names pass through trimmed.

    Countries are free text in both CRMs, so an unknown spelling is kept rather than rejected.
    """
    cleaned = raw.strip()
    return COUNTRY_LOOKUP.get(cleaned.casefold(), cleaned)


def us_state_name(raw: str) -> str:
    cleaned = raw.strip()
    return STATE_LOOKUP.get(cleaned.casefold(), cleaned)
