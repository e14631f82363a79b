"""What the core knows about Salesforce, as data: the `leadsync.connectors` entry point.

Salesforce is the sales side: Leads and Contacts are people, Opportunities are evidence of the
late stages (which it owns), and handed-off leads are created in it as Leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync.connectors.salesforce.cdc import TOPICS, ChangeStream
from leadsync.connectors.salesforce.normalize import salesforce_engagement
from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.mapping.catalog import (
    ChangeFeed,
    Conversion,
    Deal,
    DealRole,
    Deals,
    Declaration,
    PersonObject,
)
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Vocabulary
from leadsync.mapping.transforms import timestamp

SYSTEM = "salesforce"
LEAD, CONTACT = "salesforce_lead", "salesforce_contact"

LEAD_STATUS = Vocabulary(
    system=SYSTEM,
    obj="Lead",
    prop="Status",
    # A new org's four values. Every new Lead starts "Open - Not Contacted", so it says
    # nothing about the stage, and a handed-off MQL waits there for sales.
    inbound={
        "Open - Not Contacted": None,
        "Working - Contacted": Stage.SQL,
        # Conversion itself is evidence through the Opportunity it creates.
        "Closed - Converted": None,
        "Closed - Not Converted": Stage.SUSPECT,
    },
    outbound={
        Stage.LEAD: "Open - Not Contacted",
        Stage.MQL: "Open - Not Contacted",
        Stage.SQL: "Working - Contacted",
        Stage.SUSPECT: "Closed - Not Converted",
    },
)


OPPORTUNITY_STAGE = Vocabulary(
    system=SYSTEM,
    obj="Opportunity",
    prop="StageName",
    inbound={
        "Prospecting": Stage.OPPORTUNITY,
        "Qualification": Stage.OPPORTUNITY,
        "Needs Analysis": Stage.OPPORTUNITY,
        "Value Proposition": Stage.OPPORTUNITY,
        "Id. Decision Makers": Stage.OPPORTUNITY,
        "Perception Analysis": Stage.OPPORTUNITY,
        "Proposal/Price Quote": Stage.OPPORTUNITY,
        "Negotiation/Review": Stage.OPPORTUNITY,
        "Closed Won": Stage.CUSTOMER,
        # A lost deal says nothing by itself; a recycle rule may act on it.
        "Closed Lost": None,
    },
    outbound={},
    primary=False,
)


INDUSTRIES = {
    "Technology": "software",
    "Retail": "retail",
    "Apparel": "apparel",
    "Consumer Goods": "consumer_goods",
    "Media": "media",
    "Finance": "financial_services",
    "Healthcare": "healthcare",
    "Education": "education",
    "Consulting": "consulting",
    "Manufacturing": "manufacturing",
    "Other": "other",
}
_INDUSTRY = {"values": INDUSTRIES, "default": "other"}

LEAD_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("email", "Email", "email"),
    FieldMap("first_name", "FirstName"),
    FieldMap("last_name", "LastName"),
    FieldMap("title", "Title"),
    FieldMap("seniority", "Title", "seniority"),
    FieldMap("company", "Company"),
    FieldMap("industry", "Industry", "picklist", _INDUSTRY),
    FieldMap("employees", "NumberOfEmployees", "integer"),
    FieldMap("annual_revenue", "AnnualRevenue", "number"),
    FieldMap("country", "Country", "country"),
    FieldMap("lead_source", "LeadSource"),
    FieldMap("converted_at", "ConvertedDate", "timestamp"),
)

CONTACT_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("email", "Email", "email"),
    FieldMap("first_name", "FirstName"),
    FieldMap("last_name", "LastName"),
    FieldMap("title", "Title"),
    FieldMap("seniority", "Title", "seniority"),
)

# Custom fields are the same on Lead and Contact, so a converted Lead's Contact carries the
# same names.
WRITEBACK = {
    "stage": "Leadsync_Stage__c",
    "fit": "Leadsync_Fit_Score__c",
    "engagement": "Leadsync_Engagement_Score__c",
    "total": "Leadsync_Score__c",
    "grade": "Leadsync_Grade__c",
    "reasons": "Leadsync_Top_Reasons__c",
}


def read_deal(record_id: str, data: Mapping[str, Any]) -> Deal:
    try:  # an unreadable CreatedDate only costs the history its date
        created = timestamp(data.get("CreatedDate"), {})
    except ValueError:
        created = None
    return Deal(
        record_id, data.get("StageName"), bool(data.get("IsClosed")), bool(data.get("IsWon")),
        data.get("CloseDate"), created,
    )  # fmt: skip


def read_role(record_id: str, data: Mapping[str, Any]) -> DealRole:
    return DealRole(record_id, str(data.get("OpportunityId")), str(data.get("ContactId")))


def conversion(data: Mapping[str, Any]) -> list[Conversion]:
    """A converted Lead names its Contact and its Opportunity."""
    contact, deal = data.get("ConvertedContactId"), data.get("ConvertedOpportunityId")
    if not contact and not deal:
        return []
    return [Conversion(CONTACT, contact or None, deal or None)]


def lead_fields(email: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new Lead's own fields for a handed-off person; Salesforce requires LastName and
    Company, so the email's parts stand in when they are unknown."""
    local, _, domain = (email or "").partition("@")
    return {
        "Email": email,
        "FirstName": fields.get("first_name"),
        "LastName": fields.get("last_name") or local,
        "Company": fields.get("company") or domain,
        "Title": fields.get("title"),
        "LeadSource": "Web",
    }


def reads(settings: SalesforceSettings, names: Mapping[str, list[str]]) -> SalesforceSettings:
    """Settings whose person objects also read the fields leadsync needs."""
    fields = {obj: list(wanted) for obj, wanted in settings.fields.items()}
    for obj, more in names.items():
        fields[obj] = list(dict.fromkeys([*fields.get(obj, []), *more]))
    return settings.model_copy(update={"fields": fields})


def _change_stream(connector: Any) -> ChangeStream:
    return ChangeStream(connector)


# Its API's error codes, as the error queue sorts them.
ERROR_CODES = {
    "DUPLICATE_VALUE": "duplicate",
    "DUPLICATES_DETECTED": "duplicate",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "rejected-value",
    "INVALID_EMAIL_ADDRESS": "rejected-value",
    "STRING_TOO_LONG": "rejected-value",
    "REQUIRED_FIELD_MISSING": "rejected-value",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "rejected-value",
    "MALFORMED_ID": "rejected-value",
    "INVALID_CROSS_REFERENCE_KEY": "rejected-value",
    "INVALID_INPUT": "rejected-value",
    "INVALID_FIELD": "field-access",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "field-access",
    "INSUFFICIENT_ACCESS_OR_READONLY": "field-access",
    "ENTITY_IS_DELETED": "record-gone",
    "CANNOT_UPDATE_CONVERTED_LEAD": "converted-lead",
    "UNABLE_TO_LOCK_ROW": "unavailable",
    "SERVER_UNAVAILABLE": "unavailable",
    "REQUEST_RUNNING_TOO_LONG": "unavailable",
    "UNKNOWN_EXCEPTION": "unavailable",
}


DECLARATION = Declaration(
    name=SYSTEM,
    label="Salesforce",
    role="sales",
    connector="leadsync.connectors.salesforce.connector:SalesforceConnector",
    settings=SalesforceSettings,
    # People first, then what ties to them: an activity for a person not pulled yet is parked.
    streams=(
        "Lead",
        "Contact",
        "Opportunity",
        "OpportunityContactRole",
        "Task",
        "Event",
        "CampaignMember",
    ),
    people=(
        PersonObject(
            "Lead",
            "Lead",
            LEAD,
            retired_flag="IsConverted",
            creates_for_handoff=True,
        ),
        PersonObject("Contact", "Contact", CONTACT),
    ),
    vocabularies=(LEAD_STATUS, OPPORTUNITY_STAGE),
    field_maps={"Lead": LEAD_FIELDS, "Contact": CONTACT_FIELDS},
    writeback={"Lead": WRITEBACK, "Contact": WRITEBACK},
    precedence=20,
    # A Contact is a Lead sales has worked: its fields are the more current of the two.
    source_order=("Contact", "Lead"),
    engagement=salesforce_engagement,
    conversion=conversion,
    deals=Deals(
        "Opportunity", "Opportunity", "StageName", read_deal, "OpportunityContactRole", read_role
    ),
    handoff_fields=lead_fields,
    owner_field="OwnerId",
    stamps=frozenset({"LastModifiedDate", "SystemModstamp"}),
    reads=reads,
    error_codes=ERROR_CODES,
    changes=ChangeFeed(_change_stream, TOPICS),
    renamed_keys={
        "sync.create_salesforce_leads": "sync.create_sales_leads",
        "push.salesforce_cdc": "push.change_streams",
    },
)
