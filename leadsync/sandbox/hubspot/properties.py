"""Property definitions per object type, and validation of written values against them.

Validation follows HubSpot's envelope: each bad value becomes an issue
`{"isValid": false, "message", "error", "name"}`; the 400 body embeds the list of issues as
a JSON string in `message` and repeats them in `errors[]`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from leadsync.sandbox.hubspot import sales_schema, schema
from leadsync.sandbox.hubspot.objects import OBJECT_TYPES
from leadsync.sandbox.hubspot.responses import ApiError, iso_ms, parse_time_ms, validation_error

Issue = dict[str, Any]

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
REQUIRED_ON_CREATE = ("name", "label", "type", "fieldType", "groupName")


class PropertyRegistry:
    def __init__(self) -> None:
        self.definitions: dict[str, dict[str, dict[str, Any]]] = {}
        self.groups: dict[str, dict[str, dict[str, Any]]] = {}
        for name in OBJECT_TYPES:
            self.definitions[name] = {p["name"]: p for p in _defaults(name)}
            pairs = {**schema.GROUPS, **sales_schema.GROUPS}.get(name, [schema.ENGAGEMENT_GROUP])
            self.groups[name] = {
                g: {"name": g, "label": label, "displayOrder": i, "archived": False}
                for i, (g, label) in enumerate(pairs)
            }

    def get(self, object_type: str, name: str) -> dict[str, Any] | None:
        return self.definitions[object_type].get(name)

    def all(self, object_type: str) -> list[dict[str, Any]]:
        return list(self.definitions[object_type].values())

    def create(self, object_type: str, body: dict[str, Any], now_ms: int) -> dict[str, Any]:
        missing = [key for key in REQUIRED_ON_CREATE if not body.get(key)]
        if missing:
            raise validation_error(f"Property create request is missing required fields: {missing}")
        name = str(body["name"])
        if name in self.definitions[object_type]:
            raise ApiError(409, "OBJECT_ALREADY_EXISTS", f"Property {name} already exists")
        if body["type"] not in PROPERTY_TYPES:
            raise validation_error(f"Invalid property type: {body['type']}")
        if body["groupName"] not in self.groups[object_type]:
            raise validation_error(f"Property group {body['groupName']} does not exist")
        definition = schema.prop(
            name, body["label"], body["type"], body["fieldType"], body["groupName"]
        )
        definition.update(
            hubspotDefined=False,
            description=body.get("description", ""),
            displayOrder=body.get("displayOrder", -1),
            hasUniqueValue=bool(body.get("hasUniqueValue", False)),
            hidden=bool(body.get("hidden", False)),
            formField=bool(body.get("formField", False)),
            options=_options(body.get("options") or []),
            createdAt=iso_ms(now_ms),
            updatedAt=iso_ms(now_ms),
        )
        definition["modificationMetadata"]["readOnlyDefinition"] = False
        self.definitions[object_type][name] = definition
        return definition

    def update(
        self, object_type: str, name: str, body: dict[str, Any], now_ms: int
    ) -> dict[str, Any]:
        definition = self.definitions[object_type].get(name)
        if definition is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")
        for key in ("label", "description", "groupName", "displayOrder", "hidden", "formField"):
            if key in body:
                definition[key] = body[key]
        if "options" in body:
            definition["options"] = _options(body["options"])
            if object_type == "contacts" and name == "lifecyclestage":
                self._add_stage_dates(definition["options"])
        definition["updatedAt"] = iso_ms(now_ms)
        return definition

    def archive(self, object_type: str, name: str) -> None:
        if self.definitions[object_type].pop(name, None) is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")

    def define_loaded(self, object_type: str, name: str) -> None:
        """Accept a property that arrives only in loaded data, as a custom text property."""
        if name not in self.definitions[object_type]:
            definition = schema.prop(name, name, group=next(iter(self.groups[object_type])))
            definition["hubspotDefined"] = False
            self.definitions[object_type][name] = definition

    def _add_stage_dates(self, options: list[dict[str, Any]]) -> None:
        contacts = self.definitions["contacts"]
        for option in options:
            if f"hs_date_entered_{option['value']}" not in contacts:
                for definition in schema.stage_date_properties(option["value"], option["label"]):
                    contacts[definition["name"]] = definition

    def stage_order(self) -> dict[str, int]:
        """Lifecycle stage value -> position, from the property's option `displayOrder`."""
        definition = self.definitions["contacts"].get("lifecyclestage") or {"options": []}
        return {o["value"]: o.get("displayOrder", i) for i, o in enumerate(definition["options"])}

    def check(
        self, object_type: str, name: str, value: Any, reject_whitespace: bool
    ) -> tuple[str, Issue | None]:
        """The value as stored (normalised), or an issue explaining why it is refused."""
        text = "" if value is None else _to_text(value)
        definition = self.definitions[object_type].get(name)
        if definition is None:
            return text, issue(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST")
        if definition["modificationMetadata"].get("readOnlyValue"):
            return text, issue(name, f'"{name}" is a read only property', "READ_ONLY_VALUE")
        if text == "" or definition["type"] == "string":
            return text, None
        if reject_whitespace and text != text.strip():
            message = f'"{text}" has leading or trailing whitespace'
            return text, issue(name, message, "LEADING_TRAILING_WHITESPACE")
        return _check_typed(definition, text)


def issue(name: str, message: str, error: str) -> Issue:
    return {"isValid": False, "message": message, "error": error, "name": name}


def invalid_values(issues: list[Issue]) -> ApiError:
    """HubSpot's 400 for refused property values."""
    message = "Property values were not valid: " + json.dumps(issues, separators=(",", ":"))
    errors = [
        {"message": i["message"], "code": i["error"], "context": {"propertyName": [i["name"]]}}
        for i in issues
    ]
    return validation_error(message, errors=errors)


def _check_typed(definition: dict[str, Any], text: str) -> tuple[str, Issue | None]:
    name, kind = definition["name"], definition["type"]
    if kind == "enumeration":
        return text, _check_options(definition, text)
    if kind == "number":
        try:
            float(text)
        except ValueError:
            return text, issue(name, f"{text} was not a valid number.", "INVALID_DOUBLE")
        return text, None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            return text, issue(name, f"{text} was not a valid boolean.", "INVALID_BOOLEAN")
        return text.lower(), None
    moment = parse_time_ms(text)
    if moment is None:
        return text, issue(name, f"{text} was not a valid date.", "INVALID_DATE")
    return (iso_ms(moment)[:10] if kind == "date" else iso_ms(moment)), None


def _check_options(definition: dict[str, Any], text: str) -> Issue | None:
    if definition.get("externalOptions"):
        return None
    allowed = {o["value"] for o in definition["options"]}
    chosen = text.split(";") if definition["fieldType"] == "checkbox" else [text]
    for value in chosen:
        if value not in allowed:
            labels = ", ".join(o["label"] for o in definition["options"])
            message = f"{value} was not one of the allowed options: [{labels}]"
            return issue(definition["name"], message, "INVALID_OPTION")
    return None


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _options(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "label": str(o.get("label", o.get("value", ""))),
            "value": str(o.get("value", "")),
            "description": o.get("description", ""),
            "displayOrder": int(o.get("displayOrder", i)),
            "hidden": bool(o.get("hidden", False)),
        }
        for i, o in enumerate(raw)
    ]


def _defaults(object_type: str) -> list[dict[str, Any]]:
    if object_type == "contacts":
        return schema.contact_properties()
    if object_type == "companies":
        group = "companyinformation"
        return [
            schema.prop("hs_object_id", "Record ID", "number", "number", group, read_only=True),
            schema.prop("createdate", "Create Date", "datetime", "date", group, read_only=True),
            schema.prop(
                "hs_lastmodifieddate", "Last Modified", "datetime", "date", group, read_only=True
            ),
            schema.prop("name", "Company name", group=group),
            schema.prop("domain", "Company Domain Name", group=group),
            schema.prop("industry", "Industry", group=group),
        ]
    if object_type == "deals":
        return sales_schema.deal_properties()
    if object_type == "tickets":
        return sales_schema.ticket_properties()
    return copy.deepcopy(schema.engagement_properties(object_type))
