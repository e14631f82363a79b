"""The connector contract: one small Protocol and the values that cross it.

A connector knows only its CRM. It reads raw records in the API's own shape and writes
changes it is handed; it knows nothing of scoring or the canonical model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from leadsync.errors import LeadsyncError


def id_order(record_id: str) -> tuple[int, str]:
    """Sort key for record ids: numeric ids (HubSpot) by value, others (Salesforce) as text.

    As plain strings "99" > "100", which would lose or repeat records at a cursor boundary.
    """
    return (len(record_id), record_id) if record_id.isdigit() else (0, record_id)


class PushRefused(LeadsyncError):
    """A pushed request that is not provably the CRM's (answered 401)."""


class PushMalformed(LeadsyncError):
    """A signed request whose body is not a batch of events (answered 400)."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as the CRM returned it.

    `data` keeps the API's own field names and value types (HubSpot: the `properties` dict of
    strings, plus `associations` where read; Salesforce: the record fields without
    `attributes`). `modified_at` is timezone-aware UTC and is what cursors advance on.
    `resume` is set by reads that are not in `position` order (a full-history read in the
    CRM's own order): an opaque token from which `Window.resume` reads this record and
    everything after it again, so a stopped read can go on where it stopped.
    """

    system: str
    stream: str
    id: str
    modified_at: datetime
    data: Mapping[str, Any]
    deleted: bool = False
    resume: str | None = None

    @property
    def position(self) -> tuple[datetime, tuple[int, str]]:
        """Sort key of the stream: records are yielded in ascending (modified_at, id order)."""
        return (self.modified_at, id_order(self.id))


@dataclass(frozen=True, slots=True)
class Window:
    """A closed-open slice of a stream: `start <= modified_at < end`.

    `after_id` breaks ties at `start`: records whose `modified_at == start` and `id <= after_id`
    were already seen and are skipped. `start=None` reads from the beginning, or from `resume`,
    a token a record of an earlier read of the same window carried (`RawRecord.resume`).
    """

    start: datetime | None
    end: datetime
    after_id: str | None = None
    resume: str | None = None

    def admits(self, modified_at: datetime, record_id: str) -> bool:
        if self.start is not None and modified_at < self.start:
            return False
        if modified_at >= self.end:
            return False
        return not (
            self.after_id is not None
            and modified_at == self.start
            and id_order(record_id) <= id_order(self.after_id)
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One record's planned write. `key` is the outbox row id, echoed in the result.

    `record_id=None` creates the record. `clear_first` names properties that must be emptied in
    a request of their own before `properties` are set (HubSpot's backward lifecycle move).
    `external_id` is leadsync's own stable id for the person behind a create: a connector that
    can upsert by it (Salesforce's External ID field) must, so a create resent after a lost
    answer updates the record it made instead of making a second one.
    """

    key: str
    obj: str
    record_id: str | None
    properties: Mapping[str, Any]
    clear_first: tuple[str, ...] = ()
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What happened to one `Change`.

    `retryable` tells the outbox whether the same change may be sent again later.
    """

    key: str
    ok: bool
    record_id: str | None = None
    reason: str = ""
    code: str = ""
    retryable: bool = False
    written: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Actor:
    """A CRM user who changed a record: whom the ledger names instead of "user".

    Optional connector method: `actor(user_id) -> Actor | None` (None for an id the CRM does
    not know). `integration` marks the API user leadsync itself writes as.
    """

    system: str
    id: str
    name: str
    email: str | None = None
    integration: bool = False

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """What a connector found checking the fields it reads and writes against the CRM.

    `errors` stop a sync (a field leadsync needs is hidden, missing or read-only); `warnings`
    say what leadsync loses without an optional one. Both are sentences naming the field and
    what to grant or create. Optional connector method:

        check_fields(writeback, stages) -> FieldCheck

    `writeback` maps each object to the fields leadsync writes its stage and scores to,
    `stages` to the stage fields it reads and writes (e.g. {"Lead": ["Status"]}).
    """

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@runtime_checkable
class Connector(Protocol):
    """A CRM adapter. Implementations register under the `leadsync.connectors` entry points."""

    name: str
    streams: Sequence[str]
    batch_limit: int

    def check(self) -> None:
        """Raise a `ConnectorError` subclass that says what to fix when the CRM is unusable."""

    def read(self, stream: str, window: Window) -> Iterator[RawRecord]:
        """Yield the stream's records inside `window` in ascending `RawRecord.position`.

        A full-history window (`start is None`) may yield in the CRM's own order instead (the
        HubSpot list API goes by id), so it can stream without holding the history in memory;
        callers checkpoint such a read only at its end, at the furthest position seen.
        """

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        """Apply changes in as few calls as the API allows; one result per change, same order.

        Never raises for a single record's rejection (that is a failed `WriteResult`); raises
        `QuotaExhausted` or `AuthError` when nothing more can be written.
        """
