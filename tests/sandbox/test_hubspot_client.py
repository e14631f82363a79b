"""The official hubspot-api-client works against the emulator with only `host` changed.

Every call must decode into the client's models: the client returns None silently when
the status code is not the one it expects, so each result is checked for None.
"""

from __future__ import annotations

import pytest
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

pytestmark = pytest.mark.integration


def test_get_all_and_get_page_walk_every_contact(hubspot):
    client = hubspot.client()
    everyone = client.crm.contacts.get_all(properties=["email", "lifecyclestage"])
    assert [c.id for c in everyone] == [str(100 + n) for n in range(1, 31)]
    assert everyone[0].properties["email"] == "person1@example1.com"
    page = client.crm.contacts.basic_api.get_page(limit=7)
    assert len(page.results) == 7
    following = client.crm.contacts.basic_api.get_page(limit=7, after=page.paging.next.after)
    assert following.results[0].id == "108"


def test_get_by_id_and_by_email(hubspot):
    contacts = hubspot.client().crm.contacts.basic_api
    by_id = contacts.get_by_id("105", properties=["email", "jobtitle"])
    by_email = contacts.get_by_id("PERSON5@example2.com", id_property="email")
    assert by_id.id == by_email.id == "105"
    assert by_id.properties["jobtitle"] == "VP Engineering"
    with pytest.raises(NotFoundException):
        contacts.get_by_id("999999")


def test_create_returns_the_record_and_refuses_a_duplicate_email(hubspot):
    contacts = hubspot.client().crm.contacts.basic_api
    body = SimplePublicObjectInputForCreate(
        properties={"email": "New@Example.com", "firstname": "Ada"}
    )
    created = contacts.create(body)
    assert created is not None
    assert created.properties["email"] == "new@example.com"
    assert created.properties["lifecyclestage"] == "lead"
    with pytest.raises(ApiException) as refused:
        contacts.create(body)
    assert refused.value.status == 409
    assert f"Existing ID: {created.id}" in refused.value.body


def test_update_and_archive(hubspot):
    contacts = hubspot.client().crm.contacts.basic_api
    before = contacts.get_by_id("101")
    updated = contacts.update("101", SimplePublicObjectInput(properties={"firstname": "Grace"}))
    assert updated.properties["firstname"] == "Grace"
    assert updated.updated_at > before.updated_at
    assert contacts.archive("101") is None
    with pytest.raises(NotFoundException):
        contacts.get_by_id("101")


def test_batch_read_create_update_upsert_archive(hubspot):
    batch = hubspot.client().crm.contacts.batch_api
    read = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "102"}, {"id": "103"}], properties=["email"], properties_with_history=[]
        )
    )
    assert sorted(r.id for r in read.results) == ["102", "103"]
    created = batch.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[{"properties": {"email": f"batch{i}@example.com"}} for i in range(3)]
        )
    )
    assert created is not None and len(created.results) == 3
    updated = batch.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": r.id, "properties": {"jobtitle": "CTO"}} for r in created.results]
        )
    )
    assert {r.properties["jobtitle"] for r in updated.results} == {"CTO"}
    upserted = batch.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {
                    "id": "batch0@example.com",
                    "idProperty": "email",
                    "properties": {"firstname": "B"},
                },
                {
                    "id": "fresh@example.com",
                    "idProperty": "email",
                    "properties": {"firstname": "F"},
                },
            ]
        )
    )
    assert sorted(r.new for r in upserted.results) == [False, True]
    assert batch.archive(BatchInputSimplePublicObjectId(inputs=[{"id": "102"}])) is None


def test_batch_read_with_an_unknown_id_is_a_partial_success(hubspot):
    batch = hubspot.client().crm.contacts.batch_api
    answer = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "102"}, {"id": "9"}], properties=[], properties_with_history=[]
        )
    )
    assert answer.num_errors == 1
    assert answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context == {"ids": ["9"]}


def test_search_decodes_with_total_and_paging(hubspot):
    search = hubspot.client().crm.contacts.search_api
    request = PublicObjectSearchRequest(
        filter_groups=[
            {
                "filters": [
                    {
                        "propertyName": "lastmodifieddate",
                        "operator": "GTE",
                        "value": "1700000010000",
                    }
                ]
            }
        ],
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        properties=["email"],
        limit=5,
    )
    page = search.do_search(request)
    assert page.total == 21
    assert [r.id for r in page.results] == ["110", "111", "112", "113", "114"]
    assert page.paging.next.after == "5"


def test_properties_and_groups(hubspot):
    properties = hubspot.client().crm.properties
    group = properties.groups_api.create(
        "contacts", PropertyGroupCreate(name="leadsync", label="leadsync")
    )
    assert group is not None and group.name == "leadsync"
    created = properties.core_api.create(
        "contacts",
        PropertyCreate(
            name="leadsync_score",
            label="Score",
            type="number",
            field_type="number",
            group_name="leadsync",
        ),
    )
    assert created is not None and created.name == "leadsync_score"
    stage = properties.core_api.get_by_name("contacts", "lifecyclestage")
    assert [o.value for o in sorted(stage.options, key=lambda o: o.display_order)][:3] == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
    ]
    everything = properties.core_api.get_all("contacts")
    assert "leadsync_score" in {p.name for p in everything.results}
    contacts = hubspot.client().crm.contacts.basic_api
    written = contacts.update("103", SimplePublicObjectInput(properties={"leadsync_score": "42"}))
    assert written.properties["leadsync_score"] == "42"


def test_associations_v4(hubspot):
    associations = hubspot.client().crm.associations.v4
    page = associations.basic_api.get_page("contacts", "101", "meetings")
    assert page.results[0].to_object_id == "5001"
    assert page.results[0].association_types[0].type_id == 199
    batch = associations.batch_api.get_page(
        "contacts",
        "meetings",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": "101"}, {"id": "130"}]),
    )
    assert batch is not None
    assert [r._from.id for r in batch.results] == ["101"]
    assert batch.num_errors == 1


def test_engagement_objects_list_and_read(hubspot):
    meetings = hubspot.client().crm.objects.meetings.basic_api
    page = meetings.get_page(properties=["hs_meeting_title"])
    assert page.results[0].properties["hs_meeting_title"] == "Discovery"
    assert page.results[0].properties["hs_object_id"] == "5001"


def test_events_and_forms_decode(hubspot):
    client = hubspot.client()
    events = client.events.events_api.get_page(
        object_type="contact", event_type="e_visited_page", limit=10
    )
    assert len(events.results) == 10
    assert events.results[0].properties["hs_url"].startswith("https://www.example.com/")
    forms = client.marketing.forms.forms_api.get_page()
    assert {f.name for f in forms.results} == {"Demo request", "Ebook"}
