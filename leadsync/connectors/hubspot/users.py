"""Who changed a contact in HubSpot: user ids as named people, and property history.

A contact names its last human editor in `hs_updated_by_user_id`; property history names
the editor of each value (`sourceType` CRM_UI with `updatedByUserId`; INTEGRATION for apps,
leadsync included). Calls: the owners list once per connector (ceil(users / 500) pages), on
first use; history costs one batch read per 50 contacts (HubSpot's cap with history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from leadsync.connectors.base import Actor
from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.errors import Rejected

HISTORY_BATCH = 50


class Users:
    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self._by_user: dict[str, Actor] | None = None

    def actor(self, user_id: str | int | None) -> Actor | None:
        if user_id in (None, ""):
            return None
        if self._by_user is None:
            self._by_user = self._load()
        found = self._by_user.get(str(user_id))
        if str(user_id) not in self.client.settings.integration_users:
            return found
        # Named by the admin as an integration (HubSpot's Salesforce connector, say).
        return replace(found, integration=True) if found else Actor(
            "hubspot", str(user_id), f"integration user {user_id}", None, True)  # fmt: skip

    def unattributed(self) -> Actor | None:
        """Who made a change that names no user (the API, an import, a workflow, another
        integration): nobody in particular, or an integration when the admin says so."""
        if self.client.settings.unattributed_changes == "integration":
            return Actor("hubspot", "", "an integration or the API", None, True)
        return None

    def _load(self) -> dict[str, Actor]:
        found: dict[str, Actor] = {}
        after = None
        while True:
            extra = {"after": after} if after else {}
            try:
                page = self.client.call(
                    "list the portal's users", self.client.owners.get_page, limit=500, **extra
                )
            except Rejected:  # a private app without the owners scope: no names
                return found
            for owner in (page or {}).get("results") or []:
                if owner.get("userId") is not None:
                    found[str(owner["userId"])] = _actor(owner)
            after = (((page or {}).get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return found


def _actor(owner: dict[str, Any]) -> Actor:
    name = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p)
    return Actor("hubspot", str(owner["userId"]), name or str(owner.get("email")),
                 owner.get("email"))  # fmt: skip


def history(
    client: HubSpotClient, record_ids: Sequence[str], properties: Sequence[str]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Contact id -> property -> its history, newest first: `value`, `timestamp`,
    `sourceType`, `sourceId`, `updatedByUserId` as HubSpot returns them."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for start in range(0, len(record_ids), HISTORY_BATCH):
        chunk = record_ids[start : start + HISTORY_BATCH]
        body = {"inputs": [{"id": i} for i in chunk], "properties": [],
                "propertiesWithHistory": list(properties)}  # fmt: skip
        answer = client.call("read property history", client.batch.read, "contacts", body)
        for obj in (answer or {}).get("results") or []:
            found[str(obj["id"])] = obj.get("propertiesWithHistory") or {}
    return found
