"""The HubSpot connector: contacts and what they did, read in order; contacts written in batches.

Streams and their `data`:

    contacts          the properties dict (text values) of `HubSpotSettings.properties`
    page_views        the event (`id, eventType, objectId, occurredAt, properties`) + `contact_id`
    form_submissions  the submission (`conversionId, submittedAt, values, pageUrl`) + `form_id`,
                      `form_name` (None when `form_ids` are configured), `email`
    email_events      the email event (`id, created, type, recipient, emailCampaignId, …`) + `email`
    marketing_events  one attendance at a marketing event (see `marketing_events`)
    meetings, calls,  the object's properties + `contact_ids` (all associated contacts) and
    emails            `contact_id` (the lowest, or None); notes and tasks carry no signal of
                      the contact's own and are read only when configured

`contacts` read with `window.start=None` go through the list API (the faster path under the
10-second limit; see `ObjectReader.list_all`), every other window through windowed search.
Ids order numerically (see `records`). The caller applies look-back (`lookback`), since
search lags behind writes by a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from leadsync.connectors.base import Actor, Change, FieldCheck, RawRecord, Window, WriteResult
from leadsync.connectors.hubspot import access, engagement, users
from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.connectors.hubspot.marketing_events import marketing_events
from leadsync.connectors.hubspot.provision import (
    LEADSYNC_PROPERTY_SPECS,
    PropertySpec,
    ProvisionReport,
    output_specs,
    provision,
)
from leadsync.connectors.hubspot.search import ObjectReader
from leadsync.connectors.hubspot.settings import LEADSYNC_PROPERTIES, HubSpotSettings
from leadsync.connectors.hubspot.users import Users
from leadsync.connectors.hubspot.writes import ContactWriter
from leadsync.connectors.retry import Policy
from leadsync.errors import Rejected

EVENT_STREAMS = ("page_views", "form_submissions", "email_events", "marketing_events")


class HubSpotConnector:
    """Reads and writes one HubSpot portal through `hubspot-api-client`."""

    name: ClassVar[str] = "hubspot"
    settings_model: ClassVar[type[HubSpotSettings]] = HubSpotSettings
    # Funnel history at backfill (`sync.history`): per object, the property holding when the
    # record was created, and per (object, stage property) the property holding when it took
    # each value, `{value}` standing for the value.
    created_fields: ClassVar[Mapping[str, str]] = {"contact": "createdate"}
    entered_fields: ClassVar[Mapping[tuple[str, str], str]] = {
        ("contact", "lifecyclestage"): "hs_date_entered_{value}"
    }

    def __init__(self, settings: HubSpotSettings, *, policy: Policy | None = None) -> None:
        self.settings = settings
        self.client = HubSpotClient(settings, policy=policy)
        self.batch_limit = settings.batch_size
        self.streams: tuple[str, ...] = (
            "contacts",
            *EVENT_STREAMS,
            *settings.engagement_properties,
        )
        self._writer = ContactWriter(self.client)
        self._users = Users(self.client)

    @property
    def lookback(self) -> timedelta:
        """How far the caller should reach back behind its cursor (search index lag)."""
        return timedelta(seconds=self.settings.lookback_seconds)

    def check(self) -> None:
        """One list call for one contact: proves the token, the scope and the address."""
        self.client.call(
            "read one contact", self.client.objects.get_page, "contacts", limit=1, properties=[]
        )

    def read(self, stream: str, window: Window) -> Iterator[RawRecord]:
        if stream == "contacts":
            reader = self._reader(
                "contacts", "contacts", "lastmodifieddate", self.settings.properties
            )
            if window.start is None and self.settings.list_backfill:
                return reader.list_all(window)
            return reader.search(window)
        if stream == "page_views":
            return engagement.page_views(self.client, window)
        if stream == "form_submissions":
            return engagement.form_submissions(self.client, window)
        if stream == "email_events":
            return engagement.email_events(self.client, window)
        if stream == "marketing_events":
            return marketing_events(self.client, window)
        if stream in self.settings.engagement_properties:
            props = ["hs_lastmodifieddate", *self.settings.engagement_properties[stream]]
            reader = self._reader(stream, stream, "hs_lastmodifieddate", props)
            return engagement.engagement_objects(reader, window)
        raise Rejected(
            f"HubSpot has no stream {stream!r}; streams: {', '.join(self.streams)}",
            system="hubspot",
        )

    def read_ids(self, stream: str, ids: Sequence[str]) -> Iterator[RawRecord]:
        """Contacts by id, as `read` would yield them: what a webhook names, read at once."""
        if stream != "contacts":
            raise Rejected(f"HubSpot reads only contacts by id, not {stream!r}", system="hubspot")
        reader = self._reader("contacts", "contacts", "lastmodifieddate", self.settings.properties)
        return reader.by_ids(list(ids))

    def options(self, obj: str, prop: str) -> list[str] | None:
        """The values an enumeration property accepts, in HubSpot's display order (None: not
        an enumeration). One properties-API call."""
        object_type = {"contact": "contacts"}.get(obj, obj)
        found = self.client.call(
            f"read property {prop}", self.client.properties.get_by_name, object_type, prop
        )
        # `client.call` hands back the decoded JSON body.
        options = sorted(found.get("options") or [], key=lambda o: o.get("displayOrder") or 0)
        return [o["value"] for o in options] if found.get("type") == "enumeration" else None

    def property_names(self, obj: str) -> list[str]:
        """The names of `obj`'s properties, sorted (for the console's field-map editor). One
        properties-API call."""
        return sorted(access._properties(self.client, access.OBJECT_TYPES.get(obj, obj)))

    def warnings(self) -> list[str]:
        """What this connector could not read (nothing so far: a private app's scopes are
        checked by `check`, and its properties by `check_fields`); here for the same contract
        as Salesforce's."""
        return []

    def actor(self, user_id: str | int | None) -> Actor | None:
        """The HubSpot user behind `hs_updated_by_user_id` or a history entry's
        `updatedByUserId`: name and email. The owners list is read once per connector."""
        return self._users.actor(user_id)

    def changed_by(self, raw: RawRecord) -> Actor | None:
        """Who last changed the contact, from `hs_updated_by_user_id`; a change naming no
        user (an API, an import) is nobody's or an integration's (`unattributed_changes`)."""
        user_id = raw.data.get("hs_updated_by_user_id")
        if user_id in (None, ""):
            return self._users.unattributed()
        return self.actor(user_id)

    def history(
        self, record_ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Contact id -> property -> history entries, newest first (`value`, `timestamp`,
        `sourceType`, `sourceId`, `updatedByUserId`); one call per 50 contacts."""
        return users.history(self.client, list(record_ids), list(properties))

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        """Contacts only: updates by id, creates when `record_id` is None (see `writes`)."""
        return self._writer.write(changes)

    def provision(
        self, properties: Sequence[PropertySpec] = LEADSYNC_PROPERTY_SPECS
    ) -> ProvisionReport:
        """Create leadsync's property group and the missing properties; safe to repeat."""
        return provision(self.client, properties)

    def provision_outputs(self, names: Mapping[str, Mapping[str, str]]) -> ProvisionReport:
        """Create the properties leadsync writes its outputs to ({object: {output: name}})."""
        return provision(self.client, output_specs(names.get("contact", {})))

    def check_fields(
        self, writeback: Mapping[str, Sequence[str]], stages: Mapping[str, Sequence[str]]
    ) -> FieldCheck:
        """Every property leadsync reads exists; every one it writes exists and takes a value.
        Write-back properties may be missing: provisioning creates them before the first write.
        """
        own = {n for names in writeback.values() for n in names} | set(LEADSYNC_PROPERTIES)
        provisioned = sorted(own)
        writes = {obj: [*writeback.get(obj, ()), *stages.get(obj, ())]
                  for obj in {*writeback, *stages}}  # fmt: skip
        return access.check(self.client, writes, provisioned=provisioned)

    def _reader(self, object_type: str, stream: str, date: str, props: list[str]) -> ObjectReader:
        return ObjectReader(self.client, object_type, stream, date, props)
