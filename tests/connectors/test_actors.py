"""Who changed a record: connectors name the person (or leadsync's own user) behind an edit."""

from __future__ import annotations

import requests
from simple_salesforce import Salesforce

from leadsync.connectors.base import Change, Window
from leadsync.sandbox.salesforce.users import SALES_IDS

from .conftest import until_now


def test_salesforce_records_name_who_changed_them(salesforce, admin, sandbox):
    lead = next(r for r in salesforce.read("Lead", Window(None, until_now()))
                if not r.data["IsConverted"])  # fmt: skip
    editor = salesforce.actor(lead.data["LastModifiedById"])
    assert editor is not None and not editor.integration and editor.email
    assert lead.data["LastModifiedById"] in SALES_IDS  # history made by the sales team

    (written,) = salesforce.write([Change("k", "Lead", lead.id, {"Title": "CTO"})])
    after = salesforce.find("Lead", "Id", [lead.id])[0]
    assert written.ok and salesforce.actor(after.data["LastModifiedById"]).integration

    rep = requests.post(
        f"{admin.url}/_sandbox/salesforce/tokens",
        json={"user": "priya.shah@northwind-sales.example"},
        timeout=10,
    ).json()
    as_rep = Salesforce(instance_url=sandbox.urls["salesforce_url"], session_id=rep["token"],
                        session=salesforce.client.session)  # fmt: skip
    as_rep.Lead.update(lead.id, {"Title": "VP Engineering"})
    edited = salesforce.find("Lead", "Id", [lead.id])[0]
    actor = salesforce.actor(edited.data["LastModifiedById"])
    assert (actor.name, actor.integration) == ("Priya Shah", False)
    assert admin.calls("salesforce", "GET /services/data/{version}/query/") <= 3  # one User query


def test_hubspot_contacts_name_the_user_who_edited_them(hubspot, admin):
    contact = next(iter(hubspot.read("contacts", Window(None, until_now()))))
    requests.post(f"{admin.url}/_sandbox/hubspot/edits", timeout=10, json={
        "contact_id": contact.id, "properties": {"jobtitle": "Head of Growth (edited)"},
        "user_id": 9_100_002}).raise_for_status()  # fmt: skip
    edited = hubspot.read("contacts", Window(None, until_now()))
    data = next(r.data for r in edited if r.id == contact.id)
    actor = hubspot.actor(data["hs_updated_by_user_id"])
    assert actor is not None and (actor.name, actor.email) == (
        "Tom Okafor", "tom.okafor@northwind.example")  # fmt: skip
    history = hubspot.history([contact.id], ["jobtitle"])[contact.id]["jobtitle"]
    latest = history[0]
    assert (latest["value"], latest["sourceType"], latest["updatedByUserId"]) == (
        "Head of Growth (edited)", "CRM_UI", 9_100_002)  # fmt: skip
    assert hubspot.actor(latest["updatedByUserId"]) == actor
    assert hubspot.actor(None) is None and hubspot.actor("404") is None
    assert admin.calls("hubspot", "GET /crm/v3/owners/") == 1
