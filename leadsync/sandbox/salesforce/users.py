"""The org's users: leadsync's integration user and the sales people who edit records.

Records the world loads carry a person as `CreatedById` / `LastModifiedById` (history made in
the CRM by people); records written through the API carry the user of the session that wrote
them: the integration user, unless a token was issued for someone else
(`POST /_sandbox/salesforce/tokens {"user": ...}`, to act as a sales rep).
"""

from __future__ import annotations

import zlib
from typing import Any

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.settings import SalesforceSettings

# (first name, last name, username): the org's sales team.
PEOPLE = (
    ("Sam", "Rivera", "sam.rivera@northwind-sales.example"),
    ("Priya", "Shah", "priya.shah@northwind-sales.example"),
    ("Jonas", "Berg", "jonas.berg@northwind-sales.example"),
)
SALES_IDS = tuple(ids.make_id("005", 900 + n) for n in range(len(PEOPLE)))


def user_records(settings: SalesforceSettings) -> list[dict[str, Any]]:
    """The integration user and the sales team, ready for `SalesforceState.load`."""
    integration = {
        "Id": settings.user_id, "Username": settings.username, "FirstName": "Integration",
        "LastName": "User", "Email": settings.username, "UserType": "Standard",
        "IsActive": True,
    }  # fmt: skip
    people = [
        {"Id": uid, "Username": name, "FirstName": first, "LastName": last, "Email": name,
         "UserType": "Standard", "IsActive": True}
        for uid, (first, last, name) in zip(SALES_IDS, PEOPLE, strict=True)
    ]  # fmt: skip
    return [integration, *people]


def editor_of(record_id: str) -> str:
    """Who of the sales team last touched a loaded record: fixed per record id."""
    return SALES_IDS[zlib.crc32(record_id.encode()) % len(SALES_IDS)]
