"""`[push]` in config.toml: how pushed changes are batched and how polling relaxes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PushSettings(BaseModel):
    """Push is healthy while a verified notification arrived within `healthy_within_minutes`;
    the scheduler then polls every `reconcile_every_minutes` instead of every
    `sync.interval_minutes`, and a dropped webhook is still caught by that poll."""

    model_config = ConfigDict(extra="forbid")

    reconcile_every_minutes: int = Field(60, ge=1, le=1440)
    healthy_within_minutes: int = Field(30, ge=1, le=1440)
    # A burst (a form fill stamps several properties) becomes one mini-cycle, not several.
    batch_wait_seconds: float = Field(0.3, ge=0, le=60)
    # The URL registered with the CRM, when a proxy stands in front: the signature covers it.
    public_url: str | None = None
    # A notification whose mini-cycle failed this often is left to the next poll.
    max_attempts: int = Field(5, ge=1, le=100)
    # Event streams read in a mini-cycle when a contact just converted (a form submission).
    conversion_streams: list[str] = Field(default_factory=lambda: ["form_submissions"])
    # Change events streamed by a CRM that offers them (its connector's `ChangeFeed`),
    # subscribed by `leadsync push serve`; `cdc_topics` empty: the connector's own topics.
    change_streams: bool = False
    cdc_topics: list[str] = Field(default_factory=list)
