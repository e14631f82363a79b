"""Writes: lifecycle stage rules, property validation, history and timestamps."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def patch(hubspot, contact_id, **properties):
    return hubspot.call(
        "PATCH", f"/crm/v3/objects/contacts/{contact_id}", json={"properties": properties}
    )


def read(hubspot, contact_id, *names, history=()):
    params = {"properties": ",".join(names)}
    if history:
        params["propertiesWithHistory"] = ",".join(history)
    response = hubspot.call("GET", f"/crm/v3/objects/contacts/{contact_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def stage(hubspot, contact_id):
    return read(hubspot, contact_id, "lifecyclestage")["properties"]["lifecyclestage"]


def test_forward_move_applies_and_stamps_stage_dates(hubspot):
    assert stage(hubspot, 101) == "lead"
    assert patch(hubspot, 101, lifecyclestage="salesqualifiedlead").status_code == 200
    record = read(
        hubspot, 101, "lifecyclestage", "hs_date_exited_lead", "hs_date_entered_salesqualifiedlead"
    )
    properties = record["properties"]
    assert properties["lifecyclestage"] == "salesqualifiedlead"
    assert properties["hs_date_exited_lead"] == properties["hs_date_entered_salesqualifiedlead"]
    assert properties["hs_date_entered_salesqualifiedlead"] == record["updatedAt"]


def test_backward_write_succeeds_but_changes_nothing(hubspot):
    before = read(hubspot, 104, "lifecyclestage")
    assert before["properties"]["lifecyclestage"] == "opportunity"
    answer = patch(hubspot, 104, lifecyclestage="lead")
    assert answer.status_code == 200
    assert answer.json()["properties"]["lifecyclestage"] == "opportunity"
    after = read(hubspot, 104, "lifecyclestage")
    assert after["properties"]["lifecyclestage"] == "opportunity"
    assert after["updatedAt"] == before["updatedAt"]


def test_clearing_then_setting_in_two_requests_moves_backward(hubspot):
    assert patch(hubspot, 104, lifecyclestage="").status_code == 200
    assert stage(hubspot, 104) is None
    assert patch(hubspot, 104, lifecyclestage="lead").status_code == 200
    assert stage(hubspot, 104) == "lead"


def test_clear_and_set_cannot_share_one_batch(hubspot):
    inputs = [
        {"id": "104", "properties": {"lifecyclestage": ""}},
        {"id": "104", "properties": {"lifecyclestage": "lead"}},
    ]
    answer = hubspot.call("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs})
    assert answer.status_code == 400
    assert (
        answer.json()["message"] == "Duplicate IDs found in batch input: [104]. IDs must be unique"
    )
    assert stage(hubspot, 104) == "opportunity"


def test_backward_knob_apply(hubspot):
    hubspot.state.settings.backward_lifecycle = "apply"
    assert patch(hubspot, 104, lifecyclestage="lead").status_code == 200
    assert stage(hubspot, 104) == "lead"


def test_history_is_newest_first_with_sources(hubspot):
    patch(hubspot, 102, lifecyclestage="salesqualifiedlead")
    patch(hubspot, 102, lifecyclestage="opportunity")
    history = read(hubspot, 102, history=["lifecyclestage"])["propertiesWithHistory"]
    values = [(h["value"], h["sourceType"]) for h in history["lifecyclestage"]]
    assert values == [
        ("opportunity", "INTEGRATION"),
        ("salesqualifiedlead", "INTEGRATION"),
        ("marketingqualifiedlead", "IMPORT"),
    ]
    stamps = [h["timestamp"] for h in history["lifecyclestage"]]
    assert stamps == sorted(stamps, reverse=True)


def test_every_change_moves_lastmodifieddate(hubspot):
    first = patch(hubspot, 105, firstname="A").json()
    second = patch(hubspot, 105, firstname="B").json()
    assert second["updatedAt"] > first["updatedAt"]
    assert second["properties"]["lastmodifieddate"] == second["updatedAt"]


def test_unknown_option_is_refused_with_the_stringified_issue_list(hubspot):
    answer = patch(hubspot, 101, lifecyclestage="hot_lead")
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    issues = json.loads(body["message"][len(prefix) :])
    assert issues[0]["error"] == "INVALID_OPTION"
    assert issues[0]["name"] == "lifecyclestage"
    assert issues[0]["message"].startswith("hot_lead was not one of the allowed options: [")
    assert stage(hubspot, 101) == "lead"


def test_whitespace_around_an_option_is_refused(hubspot):
    answer = patch(hubspot, 101, hs_lead_status=" OPEN")
    assert answer.status_code == 400
    assert '"error":"LEADING_TRAILING_WHITESPACE"' in answer.json()["message"]


def test_unknown_property_is_refused(hubspot):
    answer = patch(hubspot, 101, first000name="x")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_read_only_property_is_refused(hubspot):
    answer = patch(hubspot, 101, hs_analytics_num_page_views="99")
    assert answer.status_code == 400
    assert '"error":"READ_ONLY_VALUE"' in answer.json()["message"]


def test_one_bad_value_fails_the_whole_batch(hubspot):
    inputs = [
        {"id": "101", "properties": {"firstname": "Fine"}},
        {"id": "102", "properties": {"hs_lead_status": "MAYBE"}},
    ]
    answer = hubspot.call("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs})
    assert answer.status_code == 400
    assert read(hubspot, 101, "firstname")["properties"]["firstname"] == "First1"


def test_unknown_ids_in_a_batch_update_are_a_partial_success(hubspot):
    inputs = [
        {"id": "101", "properties": {"firstname": "Fine"}},
        {"id": "unknownIdentifier888", "properties": {"firstname": "Lost"}},
    ]
    answer = hubspot.call("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert body["numErrors"] == 1
    assert body["errors"][0]["context"] == {"ids": ["unknownIdentifier888"]}
    assert [r["id"] for r in body["results"]] == ["101"]


@pytest.mark.parametrize(
    ("inputs", "history", "message"),
    [
        ([{"id": str(i)} for i in range(101)], False, "is 100"),
        ([{"id": str(i)} for i in range(51)], True, "for property histories is 50"),
    ],
)
def test_batch_caps(hubspot, inputs, history, message):
    body = {"inputs": inputs, "properties": ["email"]}
    if history:
        body["propertiesWithHistory"] = ["lifecyclestage"]
    answer = hubspot.call("POST", "/crm/v3/objects/contacts/batch/read", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_batch_create_conflict_without_and_with_trace_ids(hubspot):
    duplicate = {"properties": {"email": "person1@example1.com"}}
    fresh = {"properties": {"email": "someone.new@example.com"}}
    path = "/crm/v3/objects/contacts/batch/create"
    refused = hubspot.call("POST", path, json={"inputs": [fresh, duplicate]})
    assert refused.status_code == 409
    assert refused.json()["message"] == "Contact already exists"  # as recorded: no id
    one_traced = [{**fresh, "objectWriteTraceId": "a"}, duplicate]
    assert hubspot.call("POST", path, json={"inputs": one_traced}).status_code == 409
    traced = [{**fresh, "objectWriteTraceId": "a"}, {**duplicate, "objectWriteTraceId": "b"}]
    partial = hubspot.call("POST", path, json={"inputs": traced})
    assert partial.status_code == 207
    error = partial.json()["errors"][0]
    assert error["context"] == {"objectWriteTraceId": ["b"], "existingId": ["101"]}


def test_created_custom_property_is_writable_and_searchable(hubspot):
    definition = {
        "name": "fit_grade",
        "label": "Fit grade",
        "type": "enumeration",
        "fieldType": "select",
        "groupName": "contactinformation",
        "options": [{"label": "A", "value": "A"}, {"label": "B", "value": "B"}],
    }
    assert hubspot.call("POST", "/crm/v3/properties/contacts", json=definition).status_code == 201
    assert hubspot.call("POST", "/crm/v3/properties/contacts", json=definition).status_code == 409
    assert patch(hubspot, 103, fit_grade="A").status_code == 200
    assert patch(hubspot, 103, fit_grade="C").status_code == 400
    search = {
        "filterGroups": [
            {"filters": [{"propertyName": "fit_grade", "operator": "EQ", "value": "A"}]}
        ]
    }
    found = hubspot.call("POST", "/crm/v3/objects/contacts/search", json=search).json()
    assert [r["id"] for r in found["results"]] == ["103"]


def test_custom_stage_added_through_the_properties_api_orders_by_display_order(hubspot):
    current = hubspot.call("GET", "/crm/v3/properties/contacts/lifecyclestage").json()["options"]
    custom = {"label": "Nurture", "value": "1234567", "displayOrder": 1, "hidden": False}
    options = [
        {**o, "displayOrder": o["displayOrder"] + (1 if o["displayOrder"] >= 1 else 0)}
        for o in current
    ]
    answer = hubspot.call(
        "PATCH", "/crm/v3/properties/contacts/lifecyclestage", json={"options": [*options, custom]}
    )
    assert answer.status_code == 200
    assert patch(hubspot, 105, lifecyclestage="1234567").status_code == 200
    assert stage(hubspot, 105) == "1234567"
    assert patch(hubspot, 105, lifecyclestage="subscriber").status_code == 200
    assert stage(hubspot, 105) == "1234567"
