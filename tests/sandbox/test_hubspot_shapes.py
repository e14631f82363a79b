"""The emulator answers with the same status, keys and value types as recorded HubSpot responses.

Recordings live in tests/fixtures/hubspot (see NOTICE there). Keys inside property maps are
data, not shape, so only their values are checked (strings or null).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

RECORDED = Path(__file__).parents[1] / "fixtures/hubspot/amp_labs_connectors/providers/hubspot/test"
DATA_MAPS = {"properties", "context"}
# Keys HubSpot adds only in some situations (user-made properties, referenced objects).
SITUATIONAL = {"createdUserId", "updatedUserId", "referencedObjectType"}


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def assert_same_shape(expected: Any, actual: Any, where: str = "$") -> None:
    if expected is None or actual is None:
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        if where.rsplit(".", 1)[-1] in DATA_MAPS:
            for key, value in actual.items():
                assert value is None or isinstance(value, str | list), f"{where}.{key}: {value!r}"
            return
        for key, value in expected.items():
            if key in SITUATIONAL:
                continue
            assert key in actual, f"{where}: missing {key!r} (have {sorted(actual)})"
            assert_same_shape(value, actual[key], f"{where}.{key}")
        return
    if isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        if expected and actual:
            assert_same_shape(expected[0], actual[0], f"{where}[0]")
        return
    assert type(actual) is type(expected), f"{where}: {actual!r} is not like {expected!r}"


def post(path: str, body: Any) -> Callable[[Any], Any]:
    return lambda hubspot: hubspot.call("POST", path, json=body)


def get(path: str, **params: Any) -> Callable[[Any], Any]:
    return lambda hubspot: hubspot.call("GET", path, params=params)


def patch(path: str, body: Any) -> Callable[[Any], Any]:
    return lambda hubspot: hubspot.call("PATCH", path, json=body)


BATCH = "/crm/v3/objects/contacts/batch"
SEARCH = "/crm/v3/objects/contacts/search"
ANY_CONTACTS = {
    "filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}]
}

CASES = [
    (
        "batch/update/contacts/success.json",
        200,
        post(f"{BATCH}/update", {"inputs": [{"id": "101", "properties": {"firstname": "X"}}]}),
    ),
    (
        "batch/update/contacts/err-partial-success.json",
        207,
        post(
            f"{BATCH}/update",
            {
                "inputs": [
                    {"id": "101", "properties": {"firstname": "X"}},
                    {"id": "unknownIdentifier888", "properties": {}},
                ]
            },
        ),
    ),
    (
        "batch/update/contacts/err-duplicate-ids.json",
        400,
        post(
            f"{BATCH}/update",
            {"inputs": [{"id": "101", "properties": {}}, {"id": "101", "properties": {}}]},
        ),
    ),
    (
        "batch/update/contacts/err-many-invalid-properties.json",
        400,
        post(
            f"{BATCH}/update",
            {"inputs": [{"id": "101", "properties": {"first000name": "x", "last000name": "y"}}]},
        ),
    ),
    (
        "batch/create/contacts/success.json",
        201,
        post(f"{BATCH}/create", {"inputs": [{"properties": {"email": "one@new.com"}}]}),
    ),
    (
        "batch/create/contacts/err-partial-success.json",
        207,
        post(
            f"{BATCH}/create",
            {
                "inputs": [
                    {"properties": {"email": "two@new.com"}, "objectWriteTraceId": "1"},
                    {"properties": {"email": "person1@example1.com"}, "objectWriteTraceId": "0"},
                ]
            },
        ),
    ),
    (
        "batch/create/contacts/err-many-invalid-properties.json",
        400,
        post(f"{BATCH}/create", {"inputs": [{"properties": {"first000name": "x"}}]}),
    ),
    (
        "batch/create/contacts/err-conflict.json",
        409,
        post(f"{BATCH}/create", {"inputs": [{"properties": {"email": "person1@example1.com"}}]}),
    ),
    (
        "search/contacts/1-first-page.json",
        200,
        post(
            SEARCH,
            {**ANY_CONTACTS, "limit": 1, "properties": ["company", "email", "firstname", "phone"]},
        ),
    ),
    (
        "search/contacts/2-second-page.json",
        200,
        post(
            SEARCH, {**ANY_CONTACTS, "limit": 1, "after": "29", "properties": ["company", "email"]}
        ),
    ),
    (
        "read/objects-api/contacts-response.json",
        200,
        get("/crm/v3/objects/contacts", limit=3, properties="email"),
    ),
    (
        "read/objects-api/contacts-batch.json",
        200,
        post(f"{BATCH}/read", {"inputs": [{"id": "101"}, {"id": "102"}], "properties": ["email"]}),
    ),
    (
        "search/contacts/contacts-to-companies.json",
        207,
        post(
            "/crm/v4/associations/contacts/meetings/batch/read",
            {"inputs": [{"id": "101"}, {"id": "103"}]},
        ),
    ),
    (
        "read/events/e_visited_page.json",
        200,
        get("/events/v3/events/", objectType="contact", eventType="e_visited_page", limit=100),
    ),
    ("read/marketing-forms.json", 200, get("/marketing/v3/forms/", limit=1)),
    ("metadata-contacts-properties-sampled.json", 200, get("/crm/v3/properties/contacts")),
    (
        "custom/create/2-response-create-property-group.json",
        201,
        post(
            "/crm/v3/properties/contacts/groups",
            {
                "name": "integrationcreatedproperties",
                "label": "Integration Created Properties",
                "displayOrder": 9,
            },
        ),
    ),
    (
        "custom/update/7-response-update-property-interests.json",
        200,
        patch("/crm/v3/properties/contacts/hs_lead_status", {"label": "Lead status"}),
    ),
]


@pytest.mark.parametrize(("recording", "status", "call"), CASES, ids=[c[0] for c in CASES])
def test_matches_recording(hubspot, recording, status, call):
    answer = call(hubspot)
    assert answer.status_code == status, answer.text
    assert_same_shape(recorded(recording), answer.json())
