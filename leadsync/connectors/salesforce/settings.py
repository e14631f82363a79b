"""Salesforce connector settings: `[salesforce]` in config.toml, secrets from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadsync.connectors.redact import Credential, Trimmed
from leadsync.connectors.retry import RetrySettings

LEADSYNC_FIELDS: tuple[str, ...] = (
    "Leadsync_Stage__c",
    "Leadsync_Fit_Score__c",
    "Leadsync_Engagement_Score__c",
    "Leadsync_Score__c",
    "Leadsync_Grade__c",
    "Leadsync_Top_Reasons__c",
)

# LastModifiedById names who changed a record (see `SalesforceConnector.actor`).
_AUDIT = ("CreatedDate", "SystemModstamp", "IsDeleted", "LastModifiedById")

OBJECT_FIELDS: dict[str, tuple[str, ...]] = {
    "Lead": (
        "Id",
        "Email",
        "FirstName",
        "LastName",
        "Company",
        "Title",
        "Industry",
        "NumberOfEmployees",
        "AnnualRevenue",
        "Country",
        "LeadSource",
        "Status",
        "Rating",
        "HasOptedOutOfEmail",
        "IsConverted",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        "OwnerId",
        *_AUDIT,
        *LEADSYNC_FIELDS,
    ),
    "Contact": (
        "Id",
        "AccountId",
        "Email",
        "FirstName",
        "LastName",
        "Title",
        "LeadSource",
        "MailingCountry",
        "HasOptedOutOfEmail",
        "OwnerId",
        *_AUDIT,
        *LEADSYNC_FIELDS,
    ),
    "Opportunity": (
        "Id",
        "AccountId",
        "ContactId",
        "Name",
        "StageName",
        "Amount",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "LeadSource",
        "CampaignId",
        *_AUDIT,
    ),
    "OpportunityContactRole": ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", *_AUDIT),
    "Task": (
        "Id",
        "WhoId",
        "WhatId",
        "Subject",
        "ActivityDate",
        "Status",
        "Type",
        "TaskSubtype",
        "IsClosed",
        "CallType",
        "CallDurationInSeconds",
        *_AUDIT,
    ),
    "Event": (
        "Id",
        "WhoId",
        "WhatId",
        "Subject",
        "ActivityDate",
        "StartDateTime",
        "EndDateTime",
        "Type",
        "EventSubtype",
        *_AUDIT,
    ),
    "CampaignMember": (
        "Id",
        "CampaignId",
        "LeadId",
        "ContactId",
        "Status",
        "HasResponded",
        "FirstRespondedDate",
        # The campaign's type tells webinar attendance from other responses.
        "Campaign.Type",
        "Campaign.Name",
        *_AUDIT,
    ),
}

Auth = Literal["client_credentials", "jwt", "session"]


class SalesforceSettings(BaseModel):
    """Everything the Salesforce connector needs.

    `auth`: `client_credentials` (connected app id + secret), `jwt` (connected app id,
    username, private key), or `session` (a ready access token; it cannot be refreshed).
    """

    # An unknown key is a mistake to report, not to ignore.
    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(description="https://<my-domain>.my.salesforce.com")
    api_version: str = "59.0"
    auth: Auth = "client_credentials"
    token_url: str | None = Field(None, description="default: <instance_url>/services/oauth2/token")
    client_id: Trimmed | None = None
    client_secret: Credential | None = None
    username: Trimmed | None = None
    private_key_file: Path | None = None
    jwt_audience: str = Field("https://login.salesforce.com", description="test.… for sandboxes")
    access_token: Credential | None = None
    ca_bundle: Path | None = Field(None, description="CA certificates the HTTPS session trusts")
    bulk_threshold: int = Field(50_000, ge=0, description="records above which Bulk API 2.0 reads")
    bulk_page_size: int = Field(50_000, gt=0)
    bulk_poll_seconds: float = Field(2.0, ge=0)
    bulk_timeout_seconds: float = Field(3600.0, gt=0)
    query_batch_size: int | None = Field(None, ge=200, le=2000, description="default: 2000")
    batch_size: int = Field(200, gt=0, le=200)
    external_id_field: str = Field(
        "LeadSync_Id__c",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="External ID field creates are upserted on (created when missing)",
    )
    daily_budget_share: float = Field(0.8, gt=0, le=1)
    # Other integrations that write Lead Status or Contacts (HubSpot's own Salesforce
    # connector, say): their changes are evidence from a system, not a person's judgment.
    integration_users: list[str] = Field(
        default_factory=list, description="user ids (15 or 18 characters) or usernames"
    )
    lookback_seconds: float = Field(60.0, ge=0)
    fields: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in OBJECT_FIELDS.items()}
    )
    retry: RetrySettings = Field(default_factory=RetrySettings)
    # Change Data Capture (`leadsync push serve` with `push.change_streams`): the Pub/Sub API
    # endpoint (host:port, TLS; `ca_bundle` is trusted here too) and the org's id, which the
    # API calls the tenant id (default: read from the org).
    pubsub_url: str = "api.pubsub.salesforce.com:7443"
    org_id: str | None = None

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        needed = {
            "client_credentials": ("client_id", "client_secret"),
            "jwt": ("client_id", "username", "private_key_file"),
            "session": ("access_token",),
        }[self.auth]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"auth = {self.auth!r} needs {', '.join(missing)} "
                "(secrets come from LEADSYNC_SALESFORCE__CLIENT_SECRET / __ACCESS_TOKEN)"
            )
        return self

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{self.instance_url.rstrip('/')}/services/oauth2/token"
