"""Reading a request the way HubSpot does: JSON bodies, list parameters, record lookups."""

from __future__ import annotations

from typing import Any

from flask import request

from leadsync.sandbox.hubspot.associations import TYPE_IDS
from leadsync.sandbox.hubspot.objects import ObjectType
from leadsync.sandbox.hubspot.responses import ApiError, validation_error
from leadsync.sandbox.hubspot.state import HubSpotState
from leadsync.sandbox.hubspot.store import Record

BATCH_MAX = 100
HISTORY_BATCH_MAX = 50


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            "Invalid input JSON on line 1, column 1: the body must be a JSON object",
        )
    return body


def properties_of(body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise validation_error("properties must be an object of property name to value")
    return properties


def flag(name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise validation_error(f"{name} must be an integer; got {raw!r}") from None


def batch_inputs(body: dict[str, Any], *, with_history: bool = False) -> list[dict[str, Any]]:
    """`inputs`, checked against the batch caps (100; 50 when reading property history)."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise validation_error("inputs must be a list of objects")
    if with_history and len(inputs) > HISTORY_BATCH_MAX:
        raise validation_error(
            "The maximum number of inputs supported in a batch request for property histories "
            f"is {HISTORY_BATCH_MAX}"
        )
    if len(inputs) > BATCH_MAX:
        raise validation_error(
            f"The maximum number of inputs supported in a batch request is {BATCH_MAX}; "
            f"got {len(inputs)}"
        )
    return inputs


def reject_duplicate_ids(inputs: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    duplicates: list[str] = []
    for item in inputs:
        key = str(item.get("id", "")).strip().lower()
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    if duplicates:
        raise validation_error(
            f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. IDs must be unique",
            context={"ids": duplicates},
        )


def find_record(
    state: HubSpotState, kind: ObjectType, key: str, id_property: str | None
) -> Record | None:
    if id_property not in (None, "", "hs_object_id", kind.unique_property):
        raise validation_error(f"{id_property} is not a unique identifier property of {kind.name}")
    return state.store(kind.name).find(id_property, key)


def attach(state: HubSpotState, kind: ObjectType, record_id: int, associations: Any) -> None:
    """Create the associations given on a create input (`to.id` + `types[].associationTypeId`)."""
    by_type_id = {type_id: to for (frm, to), type_id in TYPE_IDS.items() if frm == kind.name}
    for link in associations or []:
        target_id = str((link.get("to") or {}).get("id", ""))
        for spec in link.get("types") or []:
            to_type = by_type_id.get(int(spec.get("associationTypeId", 0)))
            if to_type is None:
                raise validation_error(f"Unknown associationTypeId {spec.get('associationTypeId')}")
            if state.store(to_type).get(target_id) is None:
                raise validation_error(f"No {to_type} with id {target_id} to associate with")
            state.associations.add(kind.name, record_id, to_type, int(target_id))
