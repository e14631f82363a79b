"""Default picklist vocabularies of a fresh org, with the flags some values carry.

Values and defaults follow the recorded describe calls in tests/fixtures/salesforce
(CumulusCI cassettes) and the facts sheet (B8): a new org's Lead Status has four values. An
org's own values are added with the `picklist_values` knob (see `org`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Value:
    """One picklist entry; flags say what choosing it implies for derived fields."""

    value: str
    default: bool = False
    converted: bool = False  # LeadStatus.IsConverted
    closed: bool = False  # OpportunityStage / TaskStatus IsClosed
    won: bool = False  # OpportunityStage.IsWon
    responded: bool = False  # CampaignMemberStatus.HasResponded
    probability: int | None = None  # OpportunityStage.DefaultProbability
    forecast: str | None = None  # OpportunityStage.ForecastCategoryName


def _plain(*values: str, default: str | None = None) -> tuple[Value, ...]:
    return tuple(Value(v, default=v == default) for v in values)


LEAD_STATUS = (
    Value("Open - Not Contacted", default=True),
    Value("Working - Contacted"),
    Value("Closed - Converted", converted=True),
    Value("Closed - Not Converted"),
)

OPPORTUNITY_STAGE = (
    Value("Prospecting", probability=10, forecast="Pipeline"),
    Value("Qualification", probability=10, forecast="Pipeline"),
    Value("Needs Analysis", probability=20, forecast="Pipeline"),
    Value("Value Proposition", probability=50, forecast="Pipeline"),
    Value("Id. Decision Makers", probability=60, forecast="Pipeline"),
    Value("Perception Analysis", probability=70, forecast="Pipeline"),
    Value("Proposal/Price Quote", probability=75, forecast="Pipeline"),
    Value("Negotiation/Review", probability=90, forecast="Pipeline"),
    Value("Closed Won", closed=True, won=True, probability=100, forecast="Closed"),
    Value("Closed Lost", closed=True, probability=0, forecast="Omitted"),
)

CAMPAIGN_MEMBER_STATUS = (Value("Sent", default=True), Value("Responded", responded=True))

TASK_STATUS = (
    Value("Not Started", default=True),
    Value("In Progress"),
    Value("Completed", closed=True),
    Value("Waiting on someone else"),
    Value("Deferred"),
)

INDUSTRY = _plain(
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
    "Utilities", "Other",
)  # fmt: skip
LEAD_SOURCE = _plain("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
RATING = _plain("Hot", "Warm", "Cold")
SALUTATION = _plain("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")
ACCOUNT_TYPE = _plain(
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
)  # fmt: skip
OPPORTUNITY_TYPE = _plain(
    "Existing Customer - Upgrade", "Existing Customer - Replacement",
    "Existing Customer - Downgrade", "New Customer",
)  # fmt: skip
FORECAST_CATEGORY = _plain("Omitted", "Pipeline", "Best Case", "Commit", "Closed")
CONTACT_ROLE = _plain(
    "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator",
    "Executive Sponsor", "Influencer", "Technical Buyer", "Other",
)  # fmt: skip
TASK_PRIORITY = _plain("High", "Normal", "Low", default="Normal")
TASK_SUBTYPE = _plain("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
EVENT_SUBTYPE = _plain("Event")
ACTIVITY_TYPE = _plain("Call", "Email", "Meeting", "Other")
CALL_TYPE = _plain("Internal", "Inbound", "Outbound")
CAMPAIGN_TYPE = _plain(
    "Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program",
    "Advertisement", "Banner Ads", "Direct Mail", "Email", "Telemarketing", "Other",
)  # fmt: skip
CAMPAIGN_STATUS = _plain("Planned", "In Progress", "Completed", "Aborted")
USER_TYPE = _plain("Standard", "AutomatedProcess", default="Standard")


def find(values: tuple[Value, ...], chosen: object) -> Value | None:
    """The entry for `chosen` (exact, like the platform's picklist match), or None."""
    return next((v for v in values if v.value == chosen), None)


def default_of(values: tuple[Value, ...]) -> str | None:
    return next((v.value for v in values if v.default), None)
