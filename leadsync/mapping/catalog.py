"""What each installed connector tells the core about its CRM, as data: the catalog.

The core (`mapping`, `scoring`, `sync`) never names a CRM. Everything that differs between
them (which records are people, which streams come first, the stage vocabularies, the field
maps, how values are encoded, who owns the late stages) is a `Declaration` a connector package
contributes through its `leadsync.connectors` entry point, and the core reads it here.

Two roles exist, because lead management has two sides: a `marketing` CRM (scoring owns the
early stages it shows; a person's change there counts when the rules trust it) and a `sales`
CRM (its own evidence of the late stages always counts, and handed-off leads are created in
it). Any number of connectors may share a role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # types only: the declarations import these modules, not the reverse
    from leadsync.mapping.fields import FieldMap
    from leadsync.mapping.model import EngagementEvent
    from leadsync.mapping.normalize import Engagement
    from leadsync.mapping.stages import Vocabulary

Role = Literal["marketing", "sales"]
ROLES: tuple[str, ...] = ("marketing", "sales")


@dataclass(frozen=True, slots=True)
class PersonObject:
    """One object of a CRM whose records are people.

    `kind` is what a link to such a record is stored as (unique over all connectors); a
    record whose `retired_flag` field is true takes no writes (a converted Lead: its
    successor does). `creates_for_handoff` marks the object made for a handed-off lead.
    """

    obj: str
    stream: str
    kind: str
    retired_flag: str | None = None
    creates_for_handoff: bool = False


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal as the core keeps it (stage evidence for the people tied to it)."""

    id: str
    stage_name: str | None
    is_closed: bool
    is_won: bool
    close_date: str | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class DealRole:
    """A person's record tied to a deal."""

    id: str
    deal_id: str
    record_id: str


@dataclass(frozen=True, slots=True)
class Conversion:
    """A person record turned into another (a Lead converted to a Contact and a deal)."""

    kind: str  # the link kind of the record it became
    record_id: str | None
    deal_id: str | None


@dataclass(frozen=True, slots=True)
class Deals:
    """Where a CRM keeps deals: the streams, the object and its stage field, and readers."""

    obj: str
    stream: str
    stage_field: str
    read: Callable[[str, Mapping[str, Any]], Deal]
    roles_stream: str | None = None
    read_role: Callable[[str, Mapping[str, Any]], DealRole] | None = None


@dataclass(frozen=True, slots=True)
class Webhooks:
    """A CRM that pushes signed change notifications, received at `/webhooks/<name>`.

    `secret(settings)` is the signing secret from the connector's table (None: not set;
    `secret_env` says what to set). `verify(secret, method=, uri=, body=, headers=, now_ms=)`
    raises `connectors.base.PushRefused`; `parse(body)` gives the events (each with
    `event_id`, `subscription`, `object_id`, `occurred_at`, `contacts`, `converted`,
    `property_name`, `property_value`) or raises `PushMalformed`. `for_push(settings)`: the
    settings a pushed mini-cycle reads with, when they differ from a poll's.
    """

    secret: Callable[[Any], str | None]
    secret_env: str
    verify: Callable[..., None]
    parse: Callable[[bytes], list[Any]]
    max_body: int = 1_000_000
    for_push: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class ChangeFeed:
    """A CRM that streams change events (`leadsync push serve` with `push.change_streams`).

    `open(connector)` gives the stream (`subscribe(topic, replay_id)`, `relogin()`,
    `close()`); `topics` maps each default topic to the stream its records belong to.
    """

    open: Callable[[Any], Any]
    topics: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Declaration:
    """Everything the core needs to know about one CRM; see the module docstring.

    `connector` is the connector class as "module:attribute" (imported only when a
    connector is built); `settings` the pydantic model of its `[name]` config table.
    `streams` are in dependency order: records that others refer to come first.
    `text_values`: the CRM takes every property as text. `precedence`: the order in which
    CRMs' values win a canonical field by default (lower first). `stamps`: fields that move
    on every change and are no evidence of one; `stage_stamps`: prefixes of fields that
    move with a stage value. `renamed_keys`: config keys it once named (dotted) -> new name.
    """

    name: str
    label: str
    role: Role
    connector: str
    settings: type
    streams: tuple[str, ...]
    people: tuple[PersonObject, ...]
    vocabularies: tuple[Vocabulary, ...] = ()
    field_maps: Mapping[str, tuple[FieldMap, ...]] = field(default_factory=dict)
    writeback: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    text_values: bool = False
    precedence: int = 100
    engagement: Callable[[str, str, Mapping[str, Any]], Engagement | None] | None = None
    person_events: Callable[[str, Mapping[str, Any]], Sequence[EngagementEvent]] | None = None
    conversion: Callable[[Mapping[str, Any]], Sequence[Conversion]] | None = None
    deals: Deals | None = None
    handoff_fields: Callable[[str | None, Mapping[str, Any]], dict[str, Any]] | None = None
    owner_field: str | None = None
    stamps: frozenset[str] = frozenset()
    stage_stamps: tuple[str, ...] = ()
    source_order: tuple[str, ...] = ()  # person objects, most trusted for fields first
    renamed_keys: Mapping[str, str] = field(default_factory=dict)
    # (settings, {object: properties leadsync needs read}) -> settings that read them too
    reads: Callable[[Any, Mapping[str, list[str]]], Any] | None = None
    webhooks: Webhooks | None = None
    # The CRM's own error codes -> the error queue's types (`sync.errorq.TYPES`)
    error_codes: Mapping[str, str] = field(default_factory=dict)
    changes: ChangeFeed | None = None

    def person(self, obj: str) -> PersonObject | None:
        return next((p for p in self.people if p.obj == obj), None)


class Catalog:
    """The declarations of the installed connectors, and the lookups the core makes."""

    def __init__(self, declarations: Sequence[Declaration]) -> None:
        self.declarations: Mapping[str, Declaration] = MappingProxyType(
            {d.name: d for d in sorted(declarations, key=lambda d: (d.precedence, d.name))}
        )
        self._kinds = {p.kind: (d, p) for d in self.declarations.values() for p in d.people}
        self._streams = {(d.name, p.stream): p for d in self.declarations.values()
                         for p in d.people}  # fmt: skip
        # Asked for every person decided: found once.
        self._handoff = next(((d, p) for d in self.by_role("sales") for p in d.people
                              if p.creates_for_handoff), None)  # fmt: skip
        self._deals = next(((d.name, d.deals) for d in self.declarations.values() if d.deals),
                           None)  # fmt: skip

    def __getitem__(self, system: str) -> Declaration:
        return self.declarations[system]

    def __contains__(self, system: object) -> bool:
        return system in self.declarations

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(self.declarations)

    def by_role(self, role: Role) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations.values() if d.role == role)

    def names(self, system: str, named: str) -> bool:
        """Does `named` (a CRM's name, or a role) name `system`?"""
        decl = self.declarations.get(system)
        return named == system or (named in ROLES and decl is not None and decl.role == named)

    def is_sales(self, system: str) -> bool:
        decl = self.declarations.get(system)
        return decl is not None and decl.role == "sales"

    def label(self, system: str) -> str:
        decl = self.declarations.get(system)
        return decl.label if decl else system

    # --- people ------------------------------------------------------------------------

    def kinds(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def object_of(self, kind: str) -> tuple[str, str]:
        """(system, object) of a link kind."""
        decl, person = self._kinds[kind]
        return decl.name, person.obj

    def person_of(self, kind: str) -> PersonObject:
        return self._kinds[kind][1]

    def system_of(self, kind: str) -> str:
        return self._kinds[kind][0].name

    def kind_of(self, system: str, obj: str) -> str | None:
        decl = self.declarations.get(system)
        person = decl.person(obj) if decl else None
        return person.kind if person else None

    def people_stream(self, system: str, stream: str) -> PersonObject | None:
        return self._streams.get((system, stream))

    def handoff_target(self) -> tuple[Declaration, PersonObject] | None:
        """The object created for handed-off leads (the first sales CRM's), if any."""
        return self._handoff

    def deals(self) -> tuple[str, Deals] | None:
        """(system, deals) of the CRM whose deals the store keeps (the first that has any)."""
        return self._deals

    def source_order(self) -> tuple[tuple[str, str], ...]:
        """Person objects in the order their values win a field by default."""
        return tuple((d.name, obj) for d in self.declarations.values()
                     for obj in (d.source_order or [p.obj for p in d.people]))  # fmt: skip

    # --- defaults the config starts from -----------------------------------------------

    def vocabularies(self) -> tuple[Vocabulary, ...]:
        return tuple(v for d in self.declarations.values() for v in d.vocabularies)

    def field_maps(self) -> dict[tuple[str, str], tuple[FieldMap, ...]]:
        return {(d.name, obj): maps for d in self.declarations.values()
                for obj, maps in d.field_maps.items()}  # fmt: skip

    def writeback(self) -> dict[tuple[str, str], Mapping[str, str]]:
        return {(d.name, obj): names for d in self.declarations.values()
                for obj, names in d.writeback.items()}  # fmt: skip

    def renamed_keys(self) -> dict[str, str]:
        return {old: new for d in self.declarations.values()
                for old, new in d.renamed_keys.items()}  # fmt: skip


@cache
def catalog() -> Catalog:
    """The installed connectors' declarations (entry points of `leadsync.connectors`)."""
    from leadsync.connectors.registry import declarations

    return Catalog(declarations())
