"""The canonical model: people, their CRM records, what they did, and their stage.

Pure values only. Connectors produce raw CRM records; `mapping` turns them into these;
`scoring` reads them; `sync` stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

# A CRM that leadsync keeps in step: the name its connector is installed under.
System = str
# The kind of CRM record a person is linked to (a connector's `PersonObject.kind`).
RecordKind = str


class Stage(StrEnum):
    """Canonical lifecycle stage (DESIGN §3)."""

    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    PROSPECT = "prospect"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    SUSPECT = "suspect"

    @property
    def rank(self) -> int:
        """Position on the ladder; `suspect` is a side state and ranks below `lead`."""
        return LADDER.index(self) if self in LADDER else -1


LADDER: tuple[Stage, ...] = (
    Stage.LEAD,
    Stage.MQL,
    Stage.SQL,
    Stage.PROSPECT,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)


class EventKind(StrEnum):
    """What a person did. Engagement rules match on these plus event attributes."""

    PAGE_VIEW = "page_view"
    FORM_SUBMISSION = "form_submission"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    EMAIL_REPLY = "email_reply"
    UNSUBSCRIBE = "unsubscribe"
    WEBINAR = "webinar"
    MEETING = "meeting"
    CALL = "call"
    PAID_AD_CLICK = "paid_ad_click"
    CAMPAIGN_RESPONSE = "campaign_response"


def _frozen(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class Link:
    """A person's record in one CRM."""

    kind: RecordKind
    record_id: str


@dataclass(frozen=True, slots=True)
class Person:
    """One human, whatever records the CRMs hold for them.

    `fields` holds canonical field names (see `mapping.fields.CANONICAL_FIELDS`) with already
    transformed values: numbers are numbers, emails are normalised, countries are ISO names.
    """

    id: str
    email: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))

    def link(self, kind: RecordKind) -> Link | None:
        return next((link for link in self.links if link.kind == kind), None)


@dataclass(frozen=True, slots=True)
class EngagementEvent:
    """Something a person did, deduplicated by (source, source_id).

    `attributes` are strings such as `url`, `form_id`, `form_name`, `campaign`, `utm_source`.
    """

    source: System
    source_id: str
    kind: EventKind
    occurred_at: datetime
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", _frozen(self.attributes))

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)


@dataclass(frozen=True, slots=True)
class StageEvidence:
    """What one CRM says a person's stage is, and who put it there.

    `by_human` is true when a person (not leadsync, not an automation leadsync owns) made the
    change; only such changes, in the system that owns the stage, may move a person backwards.
    `observed_at` is when the CRM says the value was set (its own clock, so decisions do not
    depend on when leadsync happened to read it); `known_at` is when leadsync first pulled it,
    which tells whether a decision already took it into account (None: same as `observed_at`).
    """

    system: System
    stage: Stage | None  # None: a known value that names no stage (read by recycle rules)
    raw_value: str
    observed_at: datetime
    by_human: bool = True
    actor: str = ""
    known_at: datetime | None = None

    @property
    def learnt_at(self) -> datetime:
        return self.known_at or self.observed_at
