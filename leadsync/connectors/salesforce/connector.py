"""The Salesforce connector: sObjects read by SOQL on `SystemModstamp`, Leads and Contacts written.

Streams are sObject names (`Lead`, `Contact`, `Opportunity`, `OpportunityContactRole`, `Task`,
`Event`, `CampaignMember`); `data` is the record's fields (`SalesforceSettings.fields`, less
those hidden from the integration user: see `access`) without `attributes`; a deleted record
comes with `deleted=True` (see `query`). The caller applies look-back (`lookback`). Writes: see
`writes`. `warnings()` lists, once, what hidden fields cost; sync should show it per run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import ClassVar

from leadsync.connectors.base import Actor, Change, FieldCheck, RawRecord, Window, WriteResult
from leadsync.connectors.retry import Policy
from leadsync.connectors.salesforce import deletes, query
from leadsync.connectors.salesforce.access import FieldAccess
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.describes import Describes
from leadsync.connectors.salesforce.external_ids import FieldReport
from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.connectors.salesforce.users import Users
from leadsync.connectors.salesforce.writes import RecordWriter
from leadsync.errors import Rejected

# Kept for the life of a long-running process: describes are asked once an hour instead of
# every cycle (about 2,300 calls a day at five-minute cycles). One-off commands never share them.
LONG_LIVED_DESCRIBES = Describes(max_age=3600.0)


class SalesforceConnector:
    """Reads and writes one Salesforce org through simple-salesforce."""

    name: ClassVar[str] = "salesforce"
    settings_model: ClassVar[type[SalesforceSettings]] = SalesforceSettings
    # Funnel history at backfill (`sync.history`): per object, the field holding when the
    # record was created. Field history (LeadHistory) is not read, so no `entered_fields`.
    created_fields: ClassVar[Mapping[str, str]] = {"Lead": "CreatedDate", "Contact": "CreatedDate"}
    entered_fields: ClassVar[Mapping[tuple[str, str], str]] = {}

    def __init__(
        self, settings: SalesforceSettings, *, policy: Policy | None = None,
        describes: Describes | None = None, long_lived: bool = False,
    ) -> None:  # fmt: skip
        """`long_lived`: the process runs cycle after cycle (`leadsync run`), so describes are
        kept for an hour between cycles instead of asked afresh each time."""
        self.settings = settings
        if long_lived and describes is None:
            describes = LONG_LIVED_DESCRIBES
        self.client = SalesforceClient(settings, policy=policy, describes=describes)
        self.batch_limit = settings.batch_size
        self.streams: tuple[str, ...] = tuple(settings.fields)
        self._writer = RecordWriter(self.client)
        self.access = FieldAccess(self.client)
        self._users = Users(self.client)

    @property
    def lookback(self) -> timedelta:
        return timedelta(seconds=self.settings.lookback_seconds)

    def check(self) -> None:
        """Log in and read the org's limits: proves credentials and seeds the API budget."""
        limits = self.client.call("read the org's limits", lambda sf: sf.limits())
        daily = (limits or {}).get("DailyApiRequests") or {}
        if "Max" in daily and "Remaining" in daily:
            self.client.budget.observe(daily["Max"] - daily["Remaining"], daily["Max"])

    def read(self, stream: str, window: Window) -> Iterator[RawRecord]:
        if stream not in self.settings.fields:
            raise Rejected(
                f"Salesforce has no stream {stream!r}; streams: {', '.join(self.streams)}",
                system="salesforce",
            )
        columns = self.access.columns(stream)
        if columns is None:  # an object the user cannot read: said once in `warnings()`
            return iter(())
        return query.read(self.client, stream, columns, window)

    def find(self, stream: str, field: str, values: Sequence[str]) -> list[RawRecord]:
        """Live records whose `field` is one of `values`, e.g. Leads by `Email` for the handoff.

        Values are quoted and escaped (an email may hold `'` or `\\`); 200 values per query.
        """
        columns = self.access.columns(stream)
        if columns is None:
            return []
        return list(query.lookup(self.client, stream, columns, field, values))

    def read_ids(self, stream: str, ids: Sequence[str]) -> Iterator[RawRecord]:
        """Records by id, deleted ones flagged, in stream order: what a change event names."""
        columns = self.access.columns(stream)
        if columns is None or not ids:
            return iter(())
        found = query.lookup(self.client, stream, columns, "Id", ids, include_deleted=True)
        return iter(sorted(found, key=lambda r: r.position))

    def actor(self, user_id: str | None) -> Actor | None:
        """The user behind a `LastModifiedById` / `CreatedById`: name, email and whether it
        is leadsync's own integration user. One User query per connector, on first use."""
        return self._users.actor(user_id)

    def records(self, stream: str, record_ids: Sequence[str]) -> list[RawRecord]:
        """Live records by id, read fresh (what `revert` checks before withdrawing)."""
        return self.find(stream, "Id", record_ids)

    def withdraw(self, obj: str, record_ids: Sequence[str]) -> list[WriteResult]:
        """Delete records leadsync created (to the recycle bin); a refusal is a failed result."""
        return deletes.withdraw(self.client, record_ids)

    def changed_by(self, raw: RawRecord) -> Actor | None:
        """Who last changed the record, from its `LastModifiedById`."""
        return self.actor(raw.data.get("LastModifiedById"))

    def warnings(self) -> list[str]:
        """What this connector could not read, as sentences saying what leadsync loses and
        which permission to grant; each said once per connector (one per run)."""
        return self.access.warnings()

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        """Leads and Contacts: updates by id, creates when `record_id` is None."""
        return self._writer.write(changes)

    def options(self, obj: str, prop: str) -> list[str] | None:
        """The active picklist values of `obj.prop` (None: not a picklist). One describe."""
        for field in self.client.describe(obj).get("fields") or []:
            if field["name"] == prop:
                values = field.get("picklistValues") or []
                return [v["value"] for v in values if v.get("active", True)] or None
        return None

    def property_names(self, obj: str) -> list[str] | None:
        """The field names the describe of `obj` lists, sorted (None: the user cannot read
        `obj`); for the console's field-map editor. One describe."""
        found = self.access.readable(obj)
        return None if found is None else sorted(found)

    def provision(self, objects: Sequence[str] = ("Lead",)) -> FieldReport:
        """Make sure each object has the External ID field creates upsert on; safe to repeat.

        Creates it through the Tooling API when missing (one call); a problem that needs an
        admin (no Customize Application permission, no field-level security) is reported,
        not raised. Writes do the same on their first create, so calling this is optional.
        """
        return self._writer.external_ids.ensure(tuple(objects))

    def check_fields(
        self, writeback: Mapping[str, Sequence[str]], stages: Mapping[str, Sequence[str]]
    ) -> FieldCheck:
        """Every field leadsync reads (readable) and writes (updateable; createable on Lead,
        which the handoff creates), plus the External ID field creates upsert on."""
        writes = {obj: [*writeback.get(obj, ()), *stages.get(obj, ())]
                  for obj in {*writeback, *stages}}  # fmt: skip
        found = self.access.check(writes, creates=("Lead",))
        field = self.settings.external_id_field
        if field not in (self.access.readable("Lead") or ()):
            note = (
                f"Salesforce: Lead.{field} does not exist yet (or is hidden); leadsync creates "
                "it through the Tooling API before the first Lead it creates, which needs the "
                "Customize Application permission (otherwise it says what to create in Setup)."
            )
            return FieldCheck(found.errors, [*found.warnings, note])
        return found
