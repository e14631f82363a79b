"""Saving records the way the platform validates them.

One save is checked in the platform's order: unknown fields, field-level write access, the
JSON types (a type error fails the whole request with JSON_PARSER_ERROR, as the platform's
deserializer does), converted or deleted targets, required fields, restricted picklists,
email format, lengths, lookups, then the org's validation rules. A refused record raises
`SaveError`; callers decide whether that is a per-record result or a top-level error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import g, has_request_context

from leadsync.sandbox.salesforce import ids, records
from leadsync.sandbox.salesforce.errors import ApiError, SaveError
from leadsync.sandbox.salesforce.schema import SCHEMA, Field, SObject, sobject_of_id
from leadsync.sandbox.salesforce.state import SalesforceState
from leadsync.sandbox.salesforce.values import TEXT_TYPES, ValueTypeError, coerce

Record = dict[str, Any]
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_IGNORED_KEYS = {"attributes"}


def build_create(state: SalesforceState, so: SObject, payload: Mapping[str, Any]) -> Record:
    """The record a create would store (with a fresh id), or SaveError / ApiError."""
    body = {k: v for k, v in payload.items() if k not in _IGNORED_KEYS}
    if any(k.lower() == "id" for k in body):
        raise SaveError(
            "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"]
        )
    values = _typed_values(so, body, creating=True)
    now = state.now()
    # Fields hidden from the user still get the platform's defaults.
    full = state.org.full(so.name) or so
    user = acting_user(state)
    record = records.with_defaults(full, values, user)
    record.update(Id=state.new_id(so), CreatedById=user, LastModifiedById=user)
    _check(state, so, record, values, creating=True)
    records.derive(so, record, None, values.keys(), now)
    records.stamp(record, now, created=True)
    return record


def build_update(
    state: SalesforceState, so: SObject, current: Record, payload: Mapping[str, Any]
) -> Record:
    """The record an update of `current` would store, or SaveError / ApiError."""
    body = {k: v for k, v in payload.items() if k not in _IGNORED_KEYS and k.lower() != "id"}
    values = _typed_values(so, body, creating=False)
    if current["IsDeleted"]:
        raise SaveError("ENTITY_IS_DELETED", "entity is deleted", [])
    if so.name == "Lead" and current.get("IsConverted"):
        raise SaveError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
    record = {**current, **values, "LastModifiedById": acting_user(state)}
    _check(state, so, record, values, creating=False)
    now = state.now()
    records.derive(so, record, current, values.keys(), now)
    records.stamp(record, now, created=False)
    return record


def acting_user(state: SalesforceState) -> str:
    """The user whose session made the request (the integration user outside a request)."""
    if has_request_context():
        return getattr(g, "salesforce_user", None) or state.settings.user_id
    return state.settings.user_id


def _typed_values(so: SObject, body: Mapping[str, Any], *, creating: bool) -> Record:
    unknown = [k for k in body if so.field(k) is None]
    if unknown:
        raise SaveError(
            "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {so.name}"
        )
    fields = [so.field(k) for k in body]
    locked = [f.name for f in fields if f and not (f.createable if creating else f.updateable)]
    if locked:
        raise SaveError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            locked,
        )
    values: Record = {}
    for key, value in body.items():
        f = so.field(key)
        assert f is not None
        try:
            values[f.name] = coerce(f.type, value)
        except ValueTypeError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", str(exc)) from None
    return values


def _check(
    state: SalesforceState, so: SObject, record: Record, written: Record, *, creating: bool
) -> None:
    required = [n for n in so.required if record.get(n) in (None, "")]
    if required and (creating or any(n in written for n in required)):
        raise SaveError(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(required)}]",
            required,
        )
    for name, value in written.items():
        _check_field(state, so.fields[name], value)
        if so.fields[name].unique and value not in (None, ""):
            _check_unique(state, so, record, name)
    _check_rules(state, so, record)


def _check_unique(state: SalesforceState, so: SObject, record: Record, name: str) -> None:
    """A unique field (an External ID, say) refuses a value another record holds."""
    value = str(record[name]).lower()
    for other in state.rows(so.name, include_deleted=False):
        held = other.get(name)  # most records hold none: skip them without converting
        if held is not None and other["Id"] != record["Id"] and str(held).lower() == value:
            raise SaveError(
                "DUPLICATE_VALUE",
                f"duplicate value found: {name} duplicates value on record with id: {other['Id']}",
                [],
            )


def _check_field(state: SalesforceState, f: Field, value: Any) -> None:
    if f.picklist and f.restricted:
        allowed = {v.value for v in f.picklist}
        if value not in allowed and not (value is None and f.nillable):
            raise SaveError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{_label(f)}: bad value for restricted picklist field: {value}",
                [f.name],
            )
    if value is None:
        return
    if f.type == "email" and not _EMAIL.match(value):
        raise SaveError(
            "INVALID_EMAIL_ADDRESS", f"{_label(f)}: invalid email address: {value}", [f.name]
        )
    if f.type in TEXT_TYPES and f.length and len(value) > f.length:
        raise SaveError(
            "STRING_TOO_LONG",
            f"{_label(f)}: data value too large: {value[:40]} (max length={f.length})",
            [f.name],
        )
    if f.type == "reference":
        _check_reference(state, f, value)


def _check_reference(state: SalesforceState, f: Field, value: str) -> None:
    normalized = ids.normalize(value)
    target = sobject_of_id(normalized) if normalized else None
    stored = [t for t in f.reference_to if t in SCHEMA]
    if normalized is None or (stored and target not in f.reference_to):
        raise SaveError(
            "MALFORMED_ID", f"{_label(f)}: id value of incorrect type: {value}", [f.name]
        )
    if stored and state.live(normalized) is None:
        raise SaveError(
            "INVALID_CROSS_REFERENCE_KEY",
            f"{_label(f)}: invalid cross reference id",
            [f.name],
        )


def _check_rules(state: SalesforceState, so: SObject, record: Record) -> None:
    settings = state.settings
    email = record.get("Email")
    message = None
    if isinstance(email, str) and email.lower() in settings.reject_emails:
        message = settings.validation_message
    elif settings.validation_hook is not None:
        message = settings.validation_hook(so.name, dict(record))
    if message:
        raise SaveError("FIELD_CUSTOM_VALIDATION_EXCEPTION", message, [])


def _label(f: Field) -> str:
    """How error messages name a field (its label; the API name for custom fields)."""
    if f.custom:
        return f.name
    if f.name.endswith("Id") and len(f.name) > 2:
        return f.name[:-2] + " ID"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", f.name)
