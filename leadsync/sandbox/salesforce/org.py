"""The org's shape: its sObjects and fields, and what the integration user may see of them.

A real org is not the schema a test double starts from: admins hide fields from the
integration user (field-level security: the field is absent from describe and SOQL naming it
is an INVALID_FIELD), restrict or extend picklists, and create custom fields. `Org` keeps two
views of each sObject:

    full(name)      every field, as the platform stores records (loading uses it)
    sobject(name)   the integration user's view: what describe, SOQL and saves see

Knobs (`POST /_sandbox/settings {"salesforce": {...}}`, all optional):

    hidden_fields         ["Lead.HasOptedOutOfEmail", ...]   replaces the hidden set
    restricted_picklists  true | false | ["Lead.Status", ...] restrict all, none, or these
    picklist_values       {"Lead.Status": ["Qualified"]}     adds active values
    describes             [<sobjects/X/describe body>, ...]  take fields from recorded describes
    customize_application true | false   may the user create custom fields (Tooling API)

A new org's standard picklists are unrestricted (`restrictedPicklist: false`), so that is the
default here too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from leadsync.sandbox.salesforce import picklists as pl
from leadsync.sandbox.salesforce.schema import SCHEMA, Field, SObject

KNOBS = (
    "hidden_fields",
    "restricted_picklists",
    "picklist_values",
    "describes",
    "customize_application",
)


class Org:
    """The sObjects of one emulated org; safe to change while requests are served."""

    def __init__(self, base: Mapping[str, SObject] = SCHEMA) -> None:
        self._base = dict(base)
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to a new org: the base schema, nothing hidden, picklists unrestricted."""
        with self._lock:
            self._objects = dict(self._base)
            self._hidden: dict[str, frozenset[str]] = {}
            self._views: dict[str, SObject] = {}
            self.customize_application = True

    @property
    def names(self) -> list[str]:
        return list(self._objects)

    def full(self, name: str) -> SObject | None:
        """The sObject with every field (case-insensitive name), or None."""
        canonical = _canonical(self._objects, name)
        return self._objects[canonical] if canonical else None

    def sobject(self, name: str) -> SObject | None:
        """The integration user's view of the sObject: hidden fields left out."""
        with self._lock:
            canonical = _canonical(self._objects, name)
            if canonical is None:
                return None
            if canonical not in self._views:
                self._views[canonical] = self._view(canonical)
            return self._views[canonical]

    def _view(self, name: str) -> SObject:
        so = self._objects[name]
        hidden = self._hidden.get(name, frozenset())
        if not hidden:
            return so
        kept = {n: f for n, f in so.fields.items() if n not in hidden}
        return replace(so, fields=kept, _lower={})

    # -- knobs -------------------------------------------------------------------------------
    def apply(self, knobs: Mapping[str, Any]) -> None:
        """Apply admin knobs (see the module docstring); a bad one raises ValueError."""
        unknown = set(knobs) - set(KNOBS)
        if unknown:
            raise ValueError(f"unknown Salesforce org settings: {sorted(unknown)}")
        with self._lock:
            if "describes" in knobs:
                self.load_describes(knobs["describes"])
            if "hidden_fields" in knobs:
                self.hide(knobs["hidden_fields"])
            if "restricted_picklists" in knobs:
                self.restrict(knobs["restricted_picklists"])
            if "picklist_values" in knobs:
                self.add_values(knobs["picklist_values"])
            if "customize_application" in knobs:
                self.customize_application = _boolean("customize_application", knobs)

    def hide(self, names: Iterable[str]) -> None:
        hidden: dict[str, set[str]] = {}
        for obj, f in (self._field_ref(n) for n in _strings("hidden_fields", names)):
            hidden.setdefault(obj.name, set()).add(f.name)
        self._hidden = {obj: frozenset(fields) for obj, fields in hidden.items()}
        self._views.clear()

    def restrict(self, which: bool | Iterable[str]) -> None:
        chosen = None
        if not isinstance(which, bool):
            refs = [self._field_ref(n) for n in _strings("restricted_picklists", which)]
            chosen = {(so.name, f.name) for so, f in refs}
        for name, so in list(self._objects.items()):
            for f in _picklists(so):
                flag = which if chosen is None else (name, f.name) in chosen
                self._replace(name, replace(f, restricted=bool(flag)))

    def add_values(self, values: Mapping[str, Iterable[str]]) -> None:
        if not isinstance(values, Mapping):
            raise ValueError('picklist_values must map "Object.Field" to a list of values')
        for ref, added in values.items():
            obj, f = self._field_ref(ref)
            if not f.picklist:
                raise ValueError(f"{ref} is not a picklist")
            known = {v.value for v in f.picklist}
            new = [pl.Value(v) for v in _strings(ref, added) if v not in known]
            self._replace(obj.name, replace(f, picklist=(*f.picklist, *new)))

    def add_field(self, obj: str, f: Field) -> None:
        """A custom field made through the Tooling API; visible to the integration user."""
        with self._lock:
            self._replace(obj, f)

    def load_describes(self, describes: Iterable[Mapping[str, Any]]) -> None:
        """Fields from recorded describes; base fields a describe lacks become hidden ones.

        leadsync's own custom fields stay visible, as if the admin had created them.
        """
        if isinstance(describes, Mapping) or not isinstance(describes, list):
            raise ValueError("describes must be a list of sobjects/{name}/describe bodies")
        for body in describes:
            self._load_describe(body)

    def _load_describe(self, body: Mapping[str, Any]) -> None:
        name = body.get("name") if isinstance(body, Mapping) else None
        so = self.full(str(name)) if name else None
        if so is None:
            raise ValueError(f"describe of an unknown sObject: {name!r}; known: {self.names}")
        recorded = {f["name"]: _field_from(f, so.field(f["name"])) for f in body["fields"]}
        missing = {n: f for n, f in so.fields.items() if n not in recorded}
        fields = {**recorded, **missing}
        self._objects[so.name] = replace(so, fields=fields, _lower={})
        hidden = {n for n, f in missing.items() if not f.custom}
        self._hidden[so.name] = self._hidden.get(so.name, frozenset()) | hidden
        self._views.clear()

    def as_dict(self) -> dict[str, Any]:
        """The knobs' current values, for `GET /_sandbox/settings`."""
        with self._lock:
            return {
                "hidden_fields": sorted(f"{o}.{f}" for o, fs in self._hidden.items() for f in fs),
                "restricted_picklists": sorted(
                    f"{o}.{f.name}"
                    for o, so in self._objects.items()
                    for f in _picklists(so)
                    if f.restricted
                ),
                "customize_application": self.customize_application,
            }

    def _replace(self, obj: str, f: Field) -> None:
        so = self._objects[obj]
        fields = {**so.fields, f.name: f}
        self._objects[obj] = replace(so, fields=fields, _lower={})
        self._views.pop(obj, None)

    def _field_ref(self, ref: str) -> tuple[SObject, Field]:
        obj_name, _, field_name = str(ref).partition(".")
        so = self.full(obj_name)
        found = so.field(field_name) if so else None
        if so is None or found is None:
            raise ValueError(f"{ref!r} does not name a field as Object.Field (e.g. Lead.Status)")
        return so, found


def _canonical(objects: Mapping[str, SObject], name: str) -> str | None:
    lowered = name.lower()
    return next((n for n in objects if n.lower() == lowered), None)


def _picklists(so: SObject) -> list[Field]:
    return [f for f in so.fields.values() if f.picklist]


def _strings(what: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{what} must be a list of strings")
    return [str(v) for v in values]


def _boolean(name: str, knobs: Mapping[str, Any]) -> bool:
    value = knobs[name]
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _field_from(described: Mapping[str, Any], known: Field | None) -> Field:
    """A recorded describe field; picklist flags (converted, won, ...) kept from the base."""
    flags = {v.value: v for v in known.picklist} if known else {}
    values = tuple(
        replace(flags[v["value"]], default=bool(v.get("defaultValue")))
        if v["value"] in flags
        else pl.Value(v["value"], default=bool(v.get("defaultValue")))
        for v in described.get("picklistValues") or []
        if v.get("active", True)
    )
    return Field(
        described["name"],
        described["type"],
        length=int(described.get("length") or 0),
        nillable=bool(described.get("nillable")),
        createable=bool(described.get("createable")),
        updateable=bool(described.get("updateable")),
        picklist=values,
        reference_to=tuple(described.get("referenceTo") or ()),
        relationship=described.get("relationshipName"),
        custom=bool(described.get("custom")),
        defaulted=bool(described.get("defaultedOnCreate")),
        label=str(described.get("label") or ""),
        restricted=bool(described.get("restrictedPicklist")),
        external_id=bool(described.get("externalId")),
        unique=bool(described.get("unique")),
    )
