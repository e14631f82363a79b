"""Describe-driven reads: fields hidden from the integration user (field-level security).

Acceptance (issue 14): on an org hiding `HasOptedOutOfEmail` a read completes with one
warning; hiding `Email` stops with a message naming it and the permission to grant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from leadsync.connectors.base import Window
from leadsync.connectors.salesforce import SalesforceConnector
from leadsync.connectors.salesforce.access import HiddenField
from leadsync.errors import AuthError, Rejected

from .conftest import salesforce_settings, until_now

RECORDED = Path(__file__).parents[1] / "fixtures" / "salesforce" / "cumulusci"


def recorded_describe(name: str) -> dict:
    data = yaml.safe_load((RECORDED / f"GET_sobjects_{name}_describe.yaml").read_text())
    interaction = data.get("interactions", [data])[0]  # one interaction per include file
    return json.loads(interaction["response"]["body"]["string"])


def read(connector: SalesforceConnector, stream: str = "Lead") -> list:
    return list(connector.read(stream, Window(None, until_now())))


def test_a_hidden_optional_field_is_left_out_with_one_warning(sandbox, admin):
    admin.settings(salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail"]})
    sf = SalesforceConnector(salesforce_settings(sandbox))
    records = read(sf) + read(sf)
    assert records and all("HasOptedOutOfEmail" not in r.data for r in records)
    assert all("Email" in r.data for r in records)
    (warning,) = sf.warnings()
    assert warning.startswith("Unsubscribes from Salesforce are not scored")
    assert "Lead.HasOptedOutOfEmail" in warning and "permission set" in warning


def test_a_hidden_required_field_stops_the_read_naming_it(sandbox, admin):
    admin.settings(salesforce={"hidden_fields": ["Lead.Email", "Lead.HasOptedOutOfEmail"]})
    sf = SalesforceConnector(salesforce_settings(sandbox))
    with pytest.raises(HiddenField) as stopped:
        sf.read("Lead", Window(None, until_now()))
    message = str(stopped.value)
    assert "Lead.Email" in message and "Field-Level Security" in message
    assert "HasOptedOutOfEmail" not in message  # optional: not what stops the read
    assert isinstance(stopped.value, AuthError)


def test_the_recorded_org_shape_reads_with_warnings_for_what_it_hides(sandbox, admin):
    describes = [recorded_describe(n) for n in ("Lead", "Contact", "Opportunity", "Account")]
    admin.settings(salesforce={"describes": describes})
    sf = SalesforceConnector(salesforce_settings(sandbox))
    assert read(sf, "Lead") and read(sf, "Contact") and read(sf, "Opportunity")
    hidden = sorted(w.split("cannot read ")[1].split(";")[0] for w in sf.warnings())
    assert hidden == ["Contact.HasOptedOutOfEmail", "Lead.HasOptedOutOfEmail"]


def test_the_emulator_answers_a_hidden_field_as_a_real_org(sandbox, admin):
    admin.settings(salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail"]})
    sf = SalesforceConnector(salesforce_settings(sandbox))
    fields = {f["name"] for f in sf.client.describe("Lead")["fields"]}
    assert "HasOptedOutOfEmail" not in fields and "Email" in fields
    with pytest.raises(Rejected) as refused:  # refused at once, not retried
        sf.client.call("query", lambda s: s.query("SELECT HasOptedOutOfEmail FROM Lead"))
    assert "INVALID_FIELD" in str(refused.value)
    assert "No such column 'HasOptedOutOfEmail' on entity 'Lead'" in str(refused.value)


def test_check_fields_reports_hidden_reads_and_unwritable_writes(sandbox, admin):
    admin.settings(
        salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail", "Contact.Email",
                                      "Lead.Leadsync_Grade__c"]}
    )  # fmt: skip
    sf = SalesforceConnector(salesforce_settings(sandbox))
    found = sf.check_fields({"Lead": ["Leadsync_Grade__c", "Nope__c"]}, {"Lead": ["Status"]})
    errors = "\n".join(found.errors)
    assert "Contact.Email" in errors and "Lead.Leadsync_Grade__c" in errors
    assert "Lead.Nope__c" in errors and "Status" not in errors
    assert any("Lead.HasOptedOutOfEmail" in w for w in found.warnings)
    assert any("LeadSync_Id__c" in w for w in found.warnings)  # created before the first Lead
