"""The emulated org: records per sObject, sessions, the daily API allowance, open query
cursors and Bulk 2.0 jobs, all behind one lock (the app runs under a threaded server).

Deleted records stay in place with `IsDeleted = true` (the recycle bin): `queryAll` and
`GET .../deleted/` see them until `purge_deleted()` empties the bin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from leadsync.sandbox.salesforce import ids, records, users
from leadsync.sandbox.salesforce.org import Org
from leadsync.sandbox.salesforce.query import Cursors
from leadsync.sandbox.salesforce.schema import SCHEMA, SObject, sobject_of_id
from leadsync.sandbox.salesforce.settings import SalesforceSettings, new_session_id
from leadsync.sandbox.salesforce.values import ValueTypeError, coerce, format_datetime

Record = dict[str, Any]
DELETED_RETENTION = timedelta(days=15)


class SalesforceState:
    """Everything the Salesforce emulator remembers; safe to share between request threads."""

    def __init__(self, settings: SalesforceSettings | None = None) -> None:
        self.settings = settings or SalesforceSettings()
        self.org = Org()
        self._lock = threading.RLock()
        self._baseline: dict[str, dict[str, Record]] = {name: {} for name in SCHEMA}
        self._serial = 0
        # Change Data Capture (see `pubsub`): set when the Pub/Sub server runs.
        self.changes: Any = None
        self._restart()
        self.load({"User": users.user_records(self.settings)})

    # -- lifecycle -------------------------------------------------------------------------
    def _restart(self) -> None:
        self.org.reset()
        self.records: dict[str, dict[str, Record]] = {
            name: dict(rows) for name, rows in self._baseline.items()
        }
        # token -> the user whose session it is
        self.tokens: dict[str, str] = {self.settings.session_id: self.settings.user_id}
        self.api_used = 0
        self.cursors = Cursors()
        self.jobs: dict[str, Any] = {}
        self.earliest_deleted = format_datetime(self.now() - DELETED_RETENTION)

    def reset(self) -> None:
        """Back to what was loaded, in a new org's shape (custom fields made through the
        Tooling API and org knobs undone); also sessions (the fixed one valid), usage, cursors,
        jobs."""
        with self._lock:
            self._restart()

    @contextmanager
    def locked(self) -> Iterator[SalesforceState]:
        with self._lock:
            yield self

    def now(self) -> datetime:
        return self.settings.clock()

    # -- loading ---------------------------------------------------------------------------
    def load(self, records_by_sobject: Mapping[str, list[Mapping[str, Any]]]) -> None:
        """Add records given in Salesforce's field names; they become part of the baseline.

        Missing ids and audit timestamps are assigned; unknown objects or fields, malformed
        ids or values raise ValueError naming the record.
        """
        with self._lock:
            for name, rows in records_by_sobject.items():
                so = self.org.full(name)
                if so is None:
                    raise ValueError(f"unknown sObject {name!r}; known: {sorted(SCHEMA)}")
                now = self.now()
                for index, row in enumerate(rows):
                    record = self._loaded_record(so, row, f"{so.name}[{index}]", now)
                    self._baseline[so.name][record["Id"]] = record
                    self.records[so.name][record["Id"]] = record

    def _loaded_record(
        self, so: SObject, row: Mapping[str, Any], where: str, now: datetime
    ) -> Record:
        values: Record = {}
        for key, value in row.items():
            if key == "attributes":
                continue
            f = so.field(key)
            if f is None:
                raise ValueError(f"{where}: {so.name} has no field {key!r}")
            try:
                values[f.name] = coerce(f.type, value)
            except ValueTypeError as exc:
                raise ValueError(f"{where}: field {f.name}: {exc}") from None
        values["Id"] = self._loaded_id(so, values.get("Id"), where)
        if so.name != "User":  # history made in the CRM was made by people, not by leadsync
            values.setdefault("CreatedById", users.editor_of(values["Id"]))
            values.setdefault("LastModifiedById", values["CreatedById"])
        if values.get("CreatedDate") is None:
            values["CreatedDate"] = values.get("LastModifiedDate") or format_datetime(now)
        if values.get("LastModifiedDate") is None:
            values["LastModifiedDate"] = values["CreatedDate"]
        if values.get("SystemModstamp") is None:
            values["SystemModstamp"] = values["LastModifiedDate"]
        record = records.with_defaults(so, values, self.settings.user_id)
        records.derive(so, record, None, row.keys(), now)
        return record

    def _loaded_id(self, so: SObject, given: Any, where: str) -> str:
        if given is None:
            return self.new_id(so)
        normalized = ids.normalize(given)
        if normalized is None or sobject_of_id(normalized) != so.name:
            raise ValueError(f"{where}: {given!r} is not a {so.name} id")
        return normalized

    def new_id(self, so: SObject) -> str:
        with self._lock:
            while True:
                self._serial += 1
                candidate = ids.make_id(so.key_prefix, self._serial)
                if candidate not in self.records[so.name]:
                    return candidate

    # -- reading ---------------------------------------------------------------------------
    def get(self, record_id: Any) -> Record | None:
        """The stored record (live or in the recycle bin) for an id of any sObject."""
        normalized = ids.normalize(record_id)
        name = sobject_of_id(normalized) if normalized else None
        return self.records[name].get(normalized) if name else None

    def live(self, record_id: Any) -> Record | None:
        record = self.get(record_id)
        return None if record is None or record["IsDeleted"] else record

    def rows(self, name: str, *, include_deleted: bool) -> list[Record]:
        rows = self.records[name].values()
        return list(rows) if include_deleted else [r for r in rows if not r["IsDeleted"]]

    def counts(self) -> dict[str, int]:
        """Live (not deleted) records per sObject."""
        with self._lock:
            return {name: len(self.rows(name, include_deleted=False)) for name in SCHEMA}

    def put(self, name: str, record: Record) -> None:
        before = self.records[name].get(record["Id"])
        self.records[name][record["Id"]] = record
        if self.changes is not None:
            self.changes.record(name, before, record, self.now())

    def purge_deleted(self, before: datetime | None = None) -> None:
        """Empty the recycle bin of records deleted before `before` (default: now)."""
        with self._lock:
            cutoff = format_datetime(before or self.now())
            for rows in self.records.values():
                for rid in [i for i, r in rows.items() if r["IsDeleted"]]:
                    if rows[rid]["SystemModstamp"] < cutoff:
                        del rows[rid]
            self.earliest_deleted = max(self.earliest_deleted, cutoff)

    # -- sessions and allowance --------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self.settings.session_id

    def issue_token(self, user_id: str | None = None) -> str:
        """A new session for `user_id` (default: the integration user)."""
        token = new_session_id()
        with self._lock:
            self.tokens[token] = user_id or self.settings.user_id
        return token

    def is_valid_token(self, token: str) -> bool:
        with self._lock:
            return token in self.tokens

    def user_of(self, token: str) -> str:
        with self._lock:
            return self.tokens.get(token, self.settings.user_id)

    def expire_sessions(self) -> None:
        """Invalidate every token, the fixed `session_id` included; new OAuth tokens work."""
        with self._lock:
            self.tokens.clear()

    def set_daily_allowance(self, allowance: int) -> None:
        with self._lock:
            self.settings.daily_allowance = allowance

    def charge_request(self) -> bool:
        """Count one API call; False (and not counted) once the daily allowance is spent."""
        with self._lock:
            if self.api_used >= self.settings.daily_allowance:
                return False
            self.api_used += 1
            return True

    def usage(self) -> tuple[int, int]:
        with self._lock:
            return self.api_used, self.settings.daily_allowance
