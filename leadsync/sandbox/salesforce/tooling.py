"""The Tooling API's CustomField create, as leadsync provisions its External ID field:

    POST /services/data/vXX.X/tooling/sobjects/CustomField
    {"FullName": "Lead.LeadSync_Id__c",
     "Metadata": {"type": "Text", "length": 80, "externalId": true, "unique": true,
                  "label": "LeadSync Id"}}

201 `{"id": "00N…", "success": true, "errors": [], "warnings": [], "infos": []}`. A field of
that name already there answers 400 DUPLICATE_DEVELOPER_NAME; a user without the Customize
Application permission (org knob `customize_application: false`) 400 INSUFFICIENT_ACCESS;
a malformed definition 400 FIELD_INTEGRITY_EXCEPTION or INVALID_INPUT naming the problem.

A real org grants no field-level security on a field made this way until an admin (or a
FieldPermissions record) does; the emulator shows it to the integration user at once. To
rehearse the real order, hide it afterwards with the `hidden_fields` knob.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.errors import ApiError, json_response
from leadsync.sandbox.salesforce.schema import Field
from leadsync.sandbox.salesforce.state import SalesforceState

_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\.([A-Za-z][A-Za-z0-9_]*__c)$")
# Metadata `type` -> (describe type, its fixed length or None when `length` is required).
_TYPES: dict[str, tuple[str, int | None]] = {
    "Text": ("string", None),
    "Email": ("email", 80),
    "TextArea": ("textarea", 255),
    "LongTextArea": ("textarea", None),
    "Number": ("double", 0),
    "Checkbox": ("boolean", 0),
    "Date": ("date", 0),
    "DateTime": ("datetime", 0),
}
_MAX_LENGTH = {"string": 255, "textarea": 131072}


def register(app: Flask, state: SalesforceState) -> None:
    serials = itertools.count(1)

    @app.post("/services/data/<version>/tooling/sobjects/CustomField")
    def create_custom_field(version: str) -> Response:
        body = _body()
        obj, f = _definition(body)
        with state.locked():
            if not state.org.customize_application:
                raise ApiError(
                    400, "INSUFFICIENT_ACCESS", "You do not have the level of access necessary to "
                    "perform the operation you requested (Customize Application)."
                )  # fmt: skip
            so = state.org.full(obj)
            if so is None:
                raise ApiError(400, "INVALID_INPUT", f"Cannot find the entity {obj}")
            if so.field(f.name) is not None:
                raise ApiError(
                    400, "DUPLICATE_DEVELOPER_NAME",
                    f"There is already a field named {f.name[:-3]} on {so.name}.",
                )  # fmt: skip
            state.org.add_field(so.name, f)
        record_id = ids.make_id("00N", next(serials))
        answer = {"id": record_id, "success": True, "errors": [], "warnings": [], "infos": []}
        return json_response(answer, 201)


def _body() -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("Metadata"), dict):
        raise ApiError(400, "INVALID_INPUT", "A CustomField needs FullName and Metadata")
    return body


def _definition(body: dict[str, Any]) -> tuple[str, Field]:
    match = _NAME.match(str(body.get("FullName") or ""))
    meta = body["Metadata"]
    if match is None:
        raise _integrity(f"FullName must be Object.Name__c, got {body.get('FullName')!r}")
    if not str(meta.get("label") or "").strip():
        raise _integrity("Label: You must enter a value")
    kind, length = _TYPES.get(str(meta.get("type")), ("", 0))
    if not kind:
        raise _integrity(f"type: unsupported field type {meta.get('type')!r}")
    length = length if length is not None else _length(meta, kind)
    return match.group(1), _field(match.group(2), kind, length, meta)


def _length(meta: dict[str, Any], kind: str) -> int:
    value = meta.get("length")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_LENGTH[kind]:
        raise _integrity(f"Length: must be a number from 1 to {_MAX_LENGTH[kind]}")
    return value


def _field(name: str, kind: str, length: int, meta: dict[str, Any]) -> Field:
    flag: Callable[[str], bool] = lambda key: meta.get(key) is True  # noqa: E731
    return Field(
        name,
        kind,
        length=length,
        nillable=not flag("required") and kind != "boolean",
        custom=True,
        label=str(meta["label"]),
        external_id=flag("externalId"),
        unique=flag("unique"),
        defaulted=kind == "boolean",
    )


def _integrity(message: str) -> ApiError:
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION", message)
