"""Field maps: canonical field <- CRM property, with a transform; and the write-back names.

Inbound is many-to-one: several systems (and objects) feed one canonical field; which one's
value a person gets is `mapping.sources`' rule for the field. Outbound is one-to-one: each
canonical output (stage, scores, reasons) has exactly one property per system and object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from leadsync.errors import MappingError
from leadsync.mapping.transforms import TRANSFORMS

CANONICAL_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "company",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "website",
    "platform",
    "lead_source",
    "analytics_source",
    "first_url",
    "converted_at",
)

# What leadsync writes back: canonical output -> value kind.
OUTPUTS: tuple[str, ...] = ("stage", "fit", "engagement", "total", "grade", "reasons")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One canonical field read from one property of one object, through one transform."""

    canonical: str
    source: str
    transform: str = "text"
    options: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, data: Mapping[str, Any]) -> Any:
        return TRANSFORMS[self.transform](data.get(self.source), self.options)


HUBSPOT_INDUSTRIES = {
    "COMPUTER_SOFTWARE": "software",
    "INTERNET": "software",
    "INFORMATION_TECHNOLOGY_AND_SERVICES": "software",
    "RETAIL": "retail",
    "APPAREL_FASHION": "apparel",
    "CONSUMER_GOODS": "consumer_goods",
    "MARKETING_AND_ADVERTISING": "marketing",
    "FINANCIAL_SERVICES": "financial_services",
    "HOSPITAL_HEALTH_CARE": "healthcare",
    "HIGHER_EDUCATION": "education",
    "STAFFING_AND_RECRUITING": "staffing",
    "MANAGEMENT_CONSULTING": "consulting",
}
SALESFORCE_INDUSTRIES = {
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
_PICK_HS = {"values": HUBSPOT_INDUSTRIES, "default": "other"}
_PICK_SF = {"values": SALESFORCE_INDUSTRIES, "default": "other"}

HUBSPOT_CONTACT: tuple[FieldMap, ...] = (
    FieldMap("email", "email", "email"),
    FieldMap("first_name", "firstname"),
    FieldMap("last_name", "lastname"),
    FieldMap("title", "jobtitle"),
    FieldMap("seniority", "jobtitle", "seniority"),
    FieldMap("company", "company"),
    FieldMap("industry", "industry", "picklist", _PICK_HS),
    FieldMap("employees", "numemployees", "integer"),
    FieldMap("annual_revenue", "annualrevenue", "number"),
    FieldMap("country", "country", "country"),
    FieldMap("state", "state", "state"),
    FieldMap("website", "website"),
    FieldMap("platform", "ecommerce_platform"),
    FieldMap("analytics_source", "hs_analytics_source"),
    FieldMap("first_url", "hs_analytics_first_url"),
)

SALESFORCE_LEAD: tuple[FieldMap, ...] = (
    FieldMap("email", "Email", "email"),
    FieldMap("first_name", "FirstName"),
    FieldMap("last_name", "LastName"),
    FieldMap("title", "Title"),
    FieldMap("seniority", "Title", "seniority"),
    FieldMap("company", "Company"),
    FieldMap("industry", "Industry", "picklist", _PICK_SF),
    FieldMap("employees", "NumberOfEmployees", "integer"),
    FieldMap("annual_revenue", "AnnualRevenue", "number"),
    FieldMap("country", "Country", "country"),
    FieldMap("lead_source", "LeadSource"),
    FieldMap("converted_at", "ConvertedDate", "timestamp"),
)

SALESFORCE_CONTACT: tuple[FieldMap, ...] = (
    FieldMap("email", "Email", "email"),
    FieldMap("first_name", "FirstName"),
    FieldMap("last_name", "LastName"),
    FieldMap("title", "Title"),
    FieldMap("seniority", "Title", "seniority"),
)

DEFAULT_FIELD_MAPS: Mapping[tuple[str, str], tuple[FieldMap, ...]] = MappingProxyType(
    {
        ("hubspot", "contact"): HUBSPOT_CONTACT,
        ("salesforce", "Lead"): SALESFORCE_LEAD,
        ("salesforce", "Contact"): SALESFORCE_CONTACT,
    }
)

# Salesforce custom fields are the same on Lead and Contact, so a converted Lead's Contact
# carries the same names.
_SALESFORCE_OUTBOUND = {
    "stage": "Leadsync_Stage__c",
    "fit": "Leadsync_Fit_Score__c",
    "engagement": "Leadsync_Engagement_Score__c",
    "total": "Leadsync_Score__c",
    "grade": "Leadsync_Grade__c",
    "reasons": "Leadsync_Top_Reasons__c",
}

DEFAULT_OUTBOUND: Mapping[tuple[str, str], Mapping[str, str]] = MappingProxyType(
    {
        ("hubspot", "contact"): {
            "stage": "leadsync_stage",
            "fit": "leadsync_fit_score",
            "engagement": "leadsync_engagement_score",
            "total": "leadsync_score",
            "grade": "leadsync_grade",
            "reasons": "leadsync_top_reasons",
        },
        ("salesforce", "Lead"): _SALESFORCE_OUTBOUND,
        ("salesforce", "Contact"): _SALESFORCE_OUTBOUND,
    }
)


def map_fields(
    maps: tuple[FieldMap, ...], data: Mapping[str, Any], *, record: str
) -> dict[str, Any]:
    """Apply every map to one raw record; the first failing field raises `MappingError`.

    Later maps never overwrite a value an earlier map for the same canonical field produced.
    """
    fields: dict[str, Any] = {}
    for fmap in maps:
        try:
            value = fmap.apply(data)
        except ValueError as exc:
            raise MappingError(
                f"{record}: field {fmap.source!r}: {exc}", record=record, field=fmap.source
            ) from None
        if value is not None and fields.get(fmap.canonical) is None:
            fields[fmap.canonical] = value
    if "email" in fields:
        fields["email_domain"] = fields["email"].rsplit("@", 1)[1]
    return fields
