"""The emulated org's sObjects and fields: names, types, write access, picklists, references.

Field names, types and write access follow the recorded describe calls (CumulusCI cassettes
in tests/fixtures/salesforce); only the fields leadsync and its tests touch are modelled.
Lead and Contact also carry the `Leadsync_*__c` custom fields the sample config writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from leadsync.sandbox.salesforce import picklists as pl

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    picklist: tuple[pl.Value, ...] = ()
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None
    custom: bool = False
    # Set by the platform when a create leaves it out (defaultedOnCreate in describe).
    defaulted: bool = False
    label: str = ""
    # A restricted picklist refuses values it does not list; standard ones are not restricted.
    restricted: bool = False
    external_id: bool = False
    unique: bool = False

    @property
    def default(self) -> Any:
        return pl.default_of(self.picklist) if self.picklist else None

    @property
    def id_lookup(self) -> bool:
        """Whether records can be found (and upserted) by this field's value."""
        return self.name in ("Id", "Email") or self.external_id

    @property
    def writable(self) -> bool:
        return self.createable or self.updateable


@dataclass(frozen=True, slots=True)
class SObject:
    name: str
    key_prefix: str
    fields: dict[str, Field]
    # Fields a create must set (or that must not be cleared), in the order errors list them.
    required: tuple[str, ...] = ()
    label_plural: str = ""
    _lower: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lower.update({name.lower(): name for name in self.fields})

    def field(self, name: str) -> Field | None:
        """Case-insensitive lookup, like SOQL and the REST API."""
        canonical = self._lower.get(name.lower())
        return self.fields[canonical] if canonical else None

    def relationship(self, name: str) -> Field | None:
        lowered = name.lower()
        return next(
            (f for f in self.fields.values() if (f.relationship or "").lower() == lowered), None
        )


def _text(name: str, length: int, kind: str = "string", **kw: Any) -> Field:
    return Field(name, kind, length=length, **kw)


def _pick(name: str, values: tuple[pl.Value, ...], length: int = 255, **kw: Any) -> Field:
    return Field(name, "picklist", length=length, picklist=values, **kw)


def _ref(name: str, *targets: str, **kw: Any) -> Field:
    relationship = name[:-2] if name.endswith("Id") else name
    return Field(
        name, "reference", length=18, reference_to=targets, relationship=relationship, **kw
    )


def _read_only(f: Field) -> Field:
    return replace(f, createable=False, updateable=False)


def _system(owner: bool = True, owners: tuple[str, ...] = ("User",)) -> list[Field]:
    audit = [
        Field("Id", "id", 18, nillable=False, createable=False, updateable=False, defaulted=True),
        Field("IsDeleted", "boolean", nillable=False, createable=False, updateable=False,
              defaulted=True),
        _read_only(_ref("CreatedById", "User", nillable=False, defaulted=True)),
        _read_only(Field("CreatedDate", "datetime", nillable=False, defaulted=True)),
        _read_only(_ref("LastModifiedById", "User", nillable=False, defaulted=True)),
        _read_only(Field("LastModifiedDate", "datetime", nillable=False, defaulted=True)),
        _read_only(Field("SystemModstamp", "datetime", nillable=False, defaulted=True)),
    ]  # fmt: skip
    if owner:
        audit.append(_ref("OwnerId", *owners, nillable=False, defaulted=True))
    return audit


def _leadsync_fields() -> list[Field]:
    score = {"custom": True}
    return [
        _text("Leadsync_Stage__c", 40, custom=True),
        Field("Leadsync_Fit_Score__c", "double", **score),
        Field("Leadsync_Engagement_Score__c", "double", **score),
        Field("Leadsync_Score__c", "double", **score),
        _text("Leadsync_Grade__c", 2, custom=True),
        _text("Leadsync_Top_Reasons__c", 1000, "textarea", custom=True),
    ]


def _person() -> list[Field]:
    return [
        _text("LastName", 80, nillable=False),
        _text("FirstName", 40),
        _pick("Salutation", pl.SALUTATION, 40),
        _read_only(_text("Name", 121, nillable=False, label="Full Name")),
        _text("Title", 128),
        _text("Email", 80, "email"),
        _text("Phone", 40, "phone"),
        _text("MobilePhone", 40, "phone"),
        _pick("LeadSource", pl.LEAD_SOURCE),
        Field("HasOptedOutOfEmail", "boolean", nillable=False, defaulted=True),
        _text("Description", 32000, "textarea"),
        _read_only(Field("LastActivityDate", "date", label="Last Activity")),
    ]


def _lead() -> list[Field]:
    return [
        _read_only(_ref("MasterRecordId", "Lead")),
        *_person(),
        _text("Company", 255, nillable=False),
        _text("Street", 255, "textarea"),
        _text("City", 40),
        _text("State", 80, label="State/Province"),
        _text("PostalCode", 20, label="Zip/Postal Code"),
        _text("Country", 80),
        _text("Website", 255, "url"),
        _pick("Status", pl.LEAD_STATUS, nillable=False, defaulted=True),
        _pick("Industry", pl.INDUSTRY),
        _pick("Rating", pl.RATING),
        Field("AnnualRevenue", "currency"),
        Field("NumberOfEmployees", "int", label="Employees"),
        Field("IsConverted", "boolean", nillable=False, updateable=False, defaulted=True),
        _read_only(Field("ConvertedDate", "date")),
        _read_only(_ref("ConvertedAccountId", "Account")),
        _read_only(_ref("ConvertedContactId", "Contact")),
        _read_only(_ref("ConvertedOpportunityId", "Opportunity")),
        Field("IsUnreadByOwner", "boolean", nillable=False, defaulted=True),
        *_leadsync_fields(),
    ]


def _contact() -> list[Field]:
    return [
        _read_only(_ref("MasterRecordId", "Contact")),
        _ref("AccountId", "Account"),
        *_person(),
        _text("Department", 80),
        _text("MailingCity", 40),
        _text("MailingState", 80),
        _text("MailingCountry", 80),
        *_leadsync_fields(),
    ]


def _account() -> list[Field]:
    return [
        _read_only(_ref("MasterRecordId", "Account")),
        _text("Name", 255, nillable=False, label="Account Name"),
        _pick("Type", pl.ACCOUNT_TYPE, 40, label="Account Type"),
        _pick("Industry", pl.INDUSTRY, 40),
        Field("AnnualRevenue", "currency"),
        Field("NumberOfEmployees", "int", label="Employees"),
        _text("Website", 255, "url"),
        _text("Phone", 40, "phone", label="Account Phone"),
        _text("BillingStreet", 255, "textarea"),
        _text("BillingCity", 40),
        _text("BillingState", 80),
        _text("BillingCountry", 80),
        _pick("Rating", pl.RATING, 40, label="Account Rating"),
        _pick("AccountSource", pl.LEAD_SOURCE, 40),
        _text("Description", 32000, "textarea"),
    ]


def _opportunity() -> list[Field]:
    return [
        _ref("AccountId", "Account"),
        _text("Name", 120, nillable=False),
        _pick("StageName", pl.OPPORTUNITY_STAGE, nillable=False, label="Stage"),
        Field("Amount", "currency"),
        Field("Probability", "percent", defaulted=True, label="Probability (%)"),
        Field("CloseDate", "date", nillable=False),
        _pick("Type", pl.OPPORTUNITY_TYPE),
        _pick("LeadSource", pl.LEAD_SOURCE),
        _read_only(Field("IsClosed", "boolean", nillable=False, defaulted=True)),
        _read_only(Field("IsWon", "boolean", nillable=False, defaulted=True)),
        _pick(
            "ForecastCategoryName", pl.FORECAST_CATEGORY, defaulted=True, label="Forecast Category"
        ),
        _ref("CampaignId", "Campaign"),
        # The platform exposes no relationship name for this create-only lookup.
        replace(_ref("ContactId", "Contact", updateable=False), relationship=None),
        _text("Description", 32000, "textarea"),
        _read_only(Field("LastActivityDate", "date", label="Last Activity")),
        _read_only(Field("LastStageChangeDate", "datetime")),
    ]


def _contact_role() -> list[Field]:
    return [
        _ref("OpportunityId", "Opportunity", nillable=False, updateable=False),
        _ref("ContactId", "Contact", nillable=False),
        _pick("Role", pl.CONTACT_ROLE),
        Field("IsPrimary", "boolean", nillable=False, defaulted=True),
    ]


def _activity(subtype: Field) -> list[Field]:
    return [
        _ref("WhoId", "Contact", "Lead"),
        _ref("WhatId", "Account", "Opportunity", "Campaign"),
        _text("Subject", 255, "combobox"),
        Field("ActivityDate", "date"),
        _pick("Type", pl.ACTIVITY_TYPE),
        subtype,
        _text("Description", 32000, "textarea"),
    ]


def _task() -> list[Field]:
    return [
        *_activity(_pick("TaskSubtype", pl.TASK_SUBTYPE, updateable=False)),
        _pick("Status", pl.TASK_STATUS, nillable=False, defaulted=True),
        _pick("Priority", pl.TASK_PRIORITY, nillable=False, defaulted=True),
        _read_only(Field("IsClosed", "boolean", nillable=False, defaulted=True)),
        _pick("CallType", pl.CALL_TYPE),
        Field("CallDurationInSeconds", "int"),
        _text("CallDisposition", 255),
    ]


def _event() -> list[Field]:
    return [
        *_activity(_pick("EventSubtype", pl.EVENT_SUBTYPE, updateable=False)),
        Field("ActivityDateTime", "datetime"),
        Field("StartDateTime", "datetime"),
        Field("EndDateTime", "datetime"),
        Field("DurationInMinutes", "int"),
        Field("IsAllDayEvent", "boolean", nillable=False, defaulted=True),
        _text("Location", 255),
    ]


def _campaign() -> list[Field]:
    return [
        _text("Name", 80, nillable=False),
        _pick("Type", pl.CAMPAIGN_TYPE),
        _pick("Status", pl.CAMPAIGN_STATUS),
        Field("StartDate", "date"),
        Field("EndDate", "date"),
        Field("IsActive", "boolean", nillable=False, defaulted=True),
    ]


def _campaign_member() -> list[Field]:
    return [
        _ref("CampaignId", "Campaign", nillable=False, updateable=False),
        _ref("LeadId", "Lead", updateable=False),
        _ref("ContactId", "Contact", updateable=False),
        _pick("Status", pl.CAMPAIGN_MEMBER_STATUS, defaulted=True),
        _read_only(Field("HasResponded", "boolean", nillable=False, defaulted=True)),
        _read_only(Field("FirstRespondedDate", "date")),
    ]


def _user() -> list[Field]:
    return [
        _text("Username", 80, nillable=False),
        _text("LastName", 80, nillable=False),
        _text("FirstName", 40),
        _read_only(_text("Name", 121, nillable=False, label="Full Name")),
        _text("Email", 128, "email", nillable=False),
        Field("IsActive", "boolean", nillable=False, defaulted=True, label="Active"),
        _pick("UserType", pl.USER_TYPE, 40, defaulted=True),
    ]


def _sobject(name: str, body: list[Field], required: tuple[str, ...], owner: bool = True):
    # Leads can be owned by a queue (a Group) as well as a user.
    system = _system(owner, ("Group", "User") if name == "Lead" else ("User",))
    fields = {f.name: f for f in (system[:2] + body + system[2:])}
    plural = name[:-1] + "ies" if name.endswith("y") else name + "s"
    return SObject(name, KEY_PREFIXES[name], fields, required, label_plural=plural)


SCHEMA: dict[str, SObject] = {
    s.name: s
    for s in (
        _sobject("Lead", _lead(), ("LastName", "Company", "Status")),
        _sobject("Contact", _contact(), ("LastName",)),
        _sobject("Account", _account(), ("Name",)),
        _sobject("Opportunity", _opportunity(), ("Name", "StageName", "CloseDate")),
        _sobject("OpportunityContactRole", _contact_role(), ("OpportunityId", "ContactId"), False),
        _sobject("Task", _task(), ("Status", "Priority")),
        _sobject("Event", _event(), ()),
        _sobject("Campaign", _campaign(), ("Name",)),
        _sobject("CampaignMember", _campaign_member(), ("CampaignId",), owner=False),
        _sobject("User", _user(), ("Username", "LastName", "Email"), owner=False),
    )
}
_LOWER = {name.lower(): name for name in SCHEMA}
_BY_PREFIX = {s.key_prefix: s.name for s in SCHEMA.values()}


def sobject(name: str) -> SObject | None:
    """Case-insensitive lookup of an sObject, like SOQL's FROM and the REST paths."""
    canonical = _LOWER.get(name.lower())
    return SCHEMA[canonical] if canonical else None


def sobject_of_id(record_id: str) -> str | None:
    return _BY_PREFIX.get(record_id[:3])
