"""Who changed a record: Salesforce user ids (`LastModifiedById`) as named people.

One query of User per connector (so one per run), read on first use and cached; an org whose
integration user may not read users gives no names rather than a failed run. leadsync's own
integration user is marked, so its writes are not taken for a person's, and so are the users
named in `integration_users` (HubSpot's own Salesforce connector, say).
"""

from __future__ import annotations

from leadsync.connectors.base import Actor
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.errors import Rejected

QUERY = "SELECT Id, Name, Email, Username FROM User"


class Users:
    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self._by_id: dict[str, Actor] | None = None

    def actor(self, user_id: str | None) -> Actor | None:
        if not user_id:
            return None
        if self._by_id is None:
            self._by_id = self._load()
        # 15- and 18-character forms of one id share their first 15 characters.
        found = self._by_id.get(user_id) or self._by_id.get(user_id[:15])
        if found is None and self._configured(user_id, None):
            # Users unreadable, but the admin named this one: still not a person's move.
            return Actor("salesforce", user_id, user_id, None, True)
        return found

    def _load(self) -> dict[str, Actor]:
        if self.client.user_id is None:
            self.client.user_id = self._whoami()
        try:
            answer = self.client.call(
                "read the org's users",
                lambda sf: sf.query_all(QUERY, timeout=self.client.timeout),
            )
        except Rejected:
            return {}
        found: dict[str, Actor] = {}
        for row in answer.get("records") or []:
            actor = Actor("salesforce", row["Id"], row.get("Name") or row["Id"], row.get("Email"),
                          self._integration(row))  # fmt: skip
            found[row["Id"]] = found[row["Id"][:15]] = actor
        return found

    def _whoami(self) -> str | None:
        """The integration user's id when the login did not say (session auth): OpenID's
        userinfo, one call; None when the org will not answer it."""
        try:
            answer = self.client.call(
                "ask who leadsync's user is",
                lambda sf: sf.session.get(
                    f"{sf.base_url.split('/services/')[0]}/services/oauth2/userinfo",
                    headers=sf.headers, timeout=self.client.timeout,
                ),
            )  # fmt: skip
        except Rejected:
            return None
        return (answer.json() or {}).get("user_id") if answer.ok else None

    def _integration(self, row: dict) -> bool:
        username = self.client.settings.username
        own = row["Id"] == self.client.user_id or (username is not None and
                                                  row.get("Username") == username)  # fmt: skip
        return own or self._configured(row["Id"], row.get("Username"))

    def _configured(self, user_id: str, username: str | None) -> bool:
        """One of `integration_users`, by id (either length) or username."""
        named = self.client.settings.integration_users
        return any(n[:15] == user_id[:15] or (username and n.lower() == username.lower())
                   for n in named)  # fmt: skip
