"""What the core knows about HubSpot, as data: the `leadsync.connectors` entry point.

HubSpot is the marketing side: contacts are people, engagement comes from its event streams,
and scoring owns the lifecycle stages it shows (see `mapping.catalog`).
"""

from __future__ import annotations

from collections.abc import Mapping

from leadsync.connectors.hubspot import webhooks
from leadsync.connectors.hubspot.normalize import hubspot_contact_events, hubspot_engagement
from leadsync.connectors.hubspot.settings import HubSpotSettings
from leadsync.mapping.catalog import Declaration, PersonObject, Webhooks
from leadsync.mapping.fields import FieldMap
from leadsync.mapping.model import Stage
from leadsync.mapping.stages import Vocabulary

SYSTEM = "hubspot"

LIFECYCLE = Vocabulary(
    system=SYSTEM,
    obj="contact",
    prop="lifecyclestage",
    inbound={
        "subscriber": Stage.LEAD,
        "lead": Stage.LEAD,
        "marketingqualifiedlead": Stage.MQL,
        "salesqualifiedlead": Stage.SQL,
        "opportunity": Stage.OPPORTUNITY,
        "customer": Stage.CUSTOMER,
        "evangelist": Stage.CUSTOMER,
        "other": Stage.SUSPECT,
    },
    outbound={
        Stage.LEAD: "lead",
        Stage.MQL: "marketingqualifiedlead",
        Stage.SQL: "salesqualifiedlead",
        # HubSpot has no prospect stage: sales-qualified is the nearest truthful value.
        Stage.PROSPECT: "salesqualifiedlead",
        Stage.OPPORTUNITY: "opportunity",
        Stage.CUSTOMER: "customer",
        Stage.SUSPECT: "other",
    },
    forward_only=True,
    changed_at="hs_date_entered_{value}",
)


LEAD_STATUS = Vocabulary(
    system=SYSTEM,
    obj="contact",
    prop="hs_lead_status",
    inbound={
        "NEW": None,
        "OPEN": None,
        "IN_PROGRESS": None,
        "OPEN_DEAL": None,
        "ATTEMPTED_TO_CONTACT": None,
        "CONNECTED": None,
        "BAD_TIMING": None,
        "UNQUALIFIED": Stage.SUSPECT,
    },
    outbound={Stage.SUSPECT: "UNQUALIFIED"},
    primary=False,
    release="OPEN",
)


INDUSTRIES = {
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
_INDUSTRY = {"values": INDUSTRIES, "default": "other"}

CONTACT_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("email", "email", "email"),
    FieldMap("first_name", "firstname"),
    FieldMap("last_name", "lastname"),
    FieldMap("title", "jobtitle"),
    FieldMap("seniority", "jobtitle", "seniority"),
    FieldMap("company", "company"),
    FieldMap("industry", "industry", "picklist", _INDUSTRY),
    FieldMap("employees", "numemployees", "integer"),
    FieldMap("annual_revenue", "annualrevenue", "number"),
    FieldMap("country", "country", "country"),
    FieldMap("state", "state", "state"),
    FieldMap("website", "website"),
    FieldMap("platform", "ecommerce_platform"),
    FieldMap("analytics_source", "hs_analytics_source"),
    FieldMap("first_url", "hs_analytics_first_url"),
)

WRITEBACK = {
    "stage": "leadsync_stage",
    "fit": "leadsync_fit_score",
    "engagement": "leadsync_engagement_score",
    "total": "leadsync_score",
    "grade": "leadsync_grade",
    "reasons": "leadsync_top_reasons",
}


def _secret(settings: HubSpotSettings) -> str | None:
    return settings.client_secret.get_secret_value() if settings.client_secret else None


def _for_push(settings: HubSpotSettings) -> HubSpotSettings:
    """A push says a contact converted, and the search index may not show it for a few
    seconds yet: read form submissions without the search probe."""
    return settings.model_copy(update={"form_probe": False})


WEBHOOKS = Webhooks(
    secret=_secret,
    secret_env="LEADSYNC_HUBSPOT__CLIENT_SECRET (the app's client secret)",
    verify=webhooks.verify,
    parse=webhooks.parse,
    # At most 100 events a request, well under this; a bigger body is not HubSpot's.
    max_body=1_000_000,
    for_push=_for_push,
)


def reads(settings: HubSpotSettings, names: Mapping[str, list[str]]) -> HubSpotSettings:
    """Settings that also read the contact properties leadsync needs."""
    wanted = [*settings.extra_contact_properties, *names.get("contact", [])]
    return settings.model_copy(update={"extra_contact_properties": list(dict.fromkeys(wanted))})


# Its error categories, as the error queue sorts them.
ERROR_CODES = {
    "VALIDATION_ERROR": "rejected-value",
    "NOT_APPLIED": "rejected-value",
    "INVALID_EMAIL": "rejected-value",
    "PROPERTY_DOESNT_EXIST": "field-access",
    "READ_ONLY_VALUE": "field-access",
    "OBJECT_NOT_FOUND": "record-gone",
}


DECLARATION = Declaration(
    name=SYSTEM,
    label="HubSpot",
    role="marketing",
    connector="leadsync.connectors.hubspot.connector:HubSpotConnector",
    settings=HubSpotSettings,
    # Contacts first: every event stream refers to them.
    streams=("contacts", "page_views", "form_submissions", "email_events", "marketing_events"),
    people=(PersonObject("contact", "contacts", "hubspot_contact"),),
    vocabularies=(LEAD_STATUS, LIFECYCLE),
    field_maps={"contact": CONTACT_FIELDS},
    writeback={"contact": WRITEBACK},
    # Every property is a string on the wire; planning compares in that encoding.
    text_values=True,
    # Marketing's profile is usually the richer one for who a person is.
    precedence=10,
    engagement=hubspot_engagement,
    person_events=hubspot_contact_events,
    stamps=frozenset({"lastmodifieddate", "updatedAt"}),
    # They move with the lifecycle stage, which tells the change itself, and with leadsync's
    # own stage writes too.
    stage_stamps=("hs_date_entered_", "hs_date_exited_"),
    reads=reads,
    webhooks=WEBHOOKS,
    error_codes=ERROR_CODES,
    renamed_keys={"scoring.trust_hubspot_manual_changes": "scoring.trust_marketing_manual_changes"},
)
