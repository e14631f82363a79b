"""A Salesforce org under construction: records in a list per sObject, ids given at the end.

Records reference each other as dicts while the world is built, because ids must follow
creation order and creation times are only settled once every record exists. `records()`
sorts each sObject by `CreatedDate`, gives 18-character ids with the right key prefix,
formats the timestamps and turns the references into ids.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from leadsync.sandbox.world.formats import salesforce_id, salesforce_time

PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
}
REFERENCES = {
    "Lead": ("ConvertedContactId", "ConvertedAccountId", "ConvertedOpportunityId"),
    "Contact": ("AccountId",),
    "Opportunity": ("AccountId",),
    "OpportunityContactRole": ("OpportunityId", "ContactId"),
    "Task": ("WhoId", "WhatId"),
    "Event": ("WhoId", "WhatId"),
    "CampaignMember": ("CampaignId", "LeadId", "ContactId"),
}

Record = dict[str, Any]


class Org:
    def __init__(self, now: int) -> None:
        self.now = now
        self.rows: dict[str, list[Record]] = {name: [] for name in PREFIXES}

    def add(self, sobject: str, created: int, modified: int, **fields: Any) -> Record:
        """A new record; `CreatedDate` and `LastModifiedDate` stay epoch ms until `records()`."""
        record = {"Id": None, **fields, "IsDeleted": False, "CreatedDate": created}
        record["LastModifiedDate"] = max(created, modified)
        self.rows[sobject].append(record)
        return record

    def records(self) -> dict[str, list[Record]]:
        """Every sObject in creation order, with ids, formatted timestamps and id references.

        `CreatedDate <= LastModifiedDate == SystemModstamp <= now` holds for every record.
        """
        for sobject, rows in self.rows.items():
            rows.sort(key=itemgetter("CreatedDate"))
            prefix = PREFIXES[sobject]
            for number, record in enumerate(rows, start=1):
                record["Id"] = salesforce_id(prefix, number)
                modified = min(self.now, record["LastModifiedDate"])
                record["CreatedDate"] = salesforce_time(min(record["CreatedDate"], modified))
                record["LastModifiedDate"] = record["SystemModstamp"] = salesforce_time(modified)
        for sobject, fields in REFERENCES.items():
            for record in self.rows[sobject]:
                for field in fields:
                    target = record[field]
                    if target is not None:
                        record[field] = target["Id"]
        return self.rows
