"""HubSpot connector settings: `[hubspot]` in config.toml, the token from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadsync.connectors.redact import Credential
from leadsync.connectors.retry import RetrySettings

Tier = Literal["free", "starter", "professional", "enterprise", "api_add_on"]

# Requests per 10 s per private app (usage guidelines, crm-api-facts A5).
TEN_SECOND_LIMITS: dict[str, int] = {
    "free": 100,
    "starter": 100,
    "professional": 190,
    "enterprise": 190,
    "api_add_on": 250,
}

CONTACT_PROPERTIES: tuple[str, ...] = (
    "email",
    "firstname",
    "lastname",
    "company",
    "jobtitle",
    "industry",
    "numemployees",
    "annualrevenue",
    "country",
    "ecommerce_platform",
    "lifecyclestage",
    "hs_lead_status",
    "createdate",
    "lastmodifieddate",
    "hs_object_id",
    # The last person to edit the contact in HubSpot (see `HubSpotConnector.actor`).
    "hs_updated_by_user_id",
    # web analytics and conversion properties
    "hs_analytics_source",
    "hs_analytics_source_data_1",
    "hs_analytics_source_data_2",
    "hs_latest_source",
    "hs_analytics_num_page_views",
    "hs_analytics_num_visits",
    "hs_analytics_first_visit_timestamp",
    "hs_analytics_last_visit_timestamp",
    "hs_analytics_first_url",
    "hs_analytics_last_url",
    "hs_email_last_open_date",
    "hs_email_last_click_date",
    "num_conversion_events",
    "first_conversion_event_name",
    "first_conversion_date",
    "recent_conversion_event_name",
    "recent_conversion_date",
)

# leadsync's own contact properties (created by `provision`, read back on every pull).
LEADSYNC_PROPERTIES: tuple[str, ...] = (
    "leadsync_stage",
    "leadsync_fit_score",
    "leadsync_engagement_score",
    "leadsync_total_score",
    "leadsync_grade",
    "leadsync_top_reasons",
)

ENGAGEMENT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "meetings": (
        "hs_timestamp",
        "hs_meeting_title",
        "hs_meeting_outcome",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
    ),
    "calls": ("hs_timestamp", "hs_call_title", "hs_call_direction", "hs_call_disposition"),
    # An INCOMING_EMAIL is the contact's reply. Notes and tasks are what sales wrote, not what
    # the contact did: no rule reads them, so they are not pulled (add them here to keep them).
    "emails": ("hs_timestamp", "hs_email_subject", "hs_email_direction", "hs_email_status"),
}


class HubSpotSettings(BaseModel):
    """Everything the HubSpot connector needs; limits default to the portal's tier."""

    # An unknown key is a mistake to report, not to ignore.
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.hubapi.com"
    access_token: Credential = Field(
        description="private-app token (LEADSYNC_HUBSPOT__ACCESS_TOKEN)"
    )
    # Signs the webhooks HubSpot sends to `leadsync push serve`; only the receiver needs it.
    client_secret: Credential | None = Field(
        None, description="the app's client secret (LEADSYNC_HUBSPOT__CLIENT_SECRET)"
    )
    tier: Tier = "professional"
    requests_per_10s: int | None = Field(None, gt=0, description="default: the tier's limit")
    # ⚠ documented as 5/s, some integrators still see 4/s
    search_per_second: int = Field(5, gt=0)
    daily_budget_share: float = Field(0.8, gt=0, le=1)
    lookback_seconds: float = Field(120.0, ge=0, description="covers the search index lag")
    search_window_max: int = Field(9_000, gt=0, le=10_000, description="results per search query")
    search_page_size: int = Field(200, gt=0, le=200)
    list_page_size: int = Field(100, gt=0, le=100)
    batch_size: int = Field(100, gt=0, le=100)
    association_batch_size: int = Field(1000, gt=0, le=1000)
    events_page_size: int = Field(100, gt=0)
    form_page_size: int = Field(50, gt=0, le=50)
    email_events_page_size: int = Field(1000, gt=0)
    list_backfill: bool = Field(True, description="read `start=None` windows through the list API")
    write_lifecycle_readback: bool = True
    property_group: str = "leadsync"
    property_group_label: str = "leadsync"
    contact_properties: list[str] = Field(
        default_factory=lambda: [*CONTACT_PROPERTIES, *LEADSYNC_PROPERTIES]
    )
    extra_contact_properties: list[str] = Field(default_factory=list)
    engagement_properties: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in ENGAGEMENT_PROPERTIES.items()}
    )
    page_view_event_type: str = "e_visited_page"
    form_ids: list[str] | None = Field(None, description="default: every form of the portal")
    form_probe: bool = Field(
        True, description="skip the per-form reads when no contact converted in the window"
    )
    # Other integrations that set lifecyclestage or lead status (HubSpot's own Salesforce
    # integration, say): their changes are a system's evidence, not a person's judgment.
    integration_users: list[str] = Field(default_factory=list, description="HubSpot user ids")
    unattributed_changes: Literal["person", "integration"] = Field(
        "person", description="who made a change that names no user (API, import, workflow)"
    )
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @property
    def ten_second_limit(self) -> int:
        return self.requests_per_10s or TEN_SECOND_LIMITS[self.tier]

    @property
    def properties(self) -> list[str]:
        return list(dict.fromkeys([*self.contact_properties, *self.extra_contact_properties]))
