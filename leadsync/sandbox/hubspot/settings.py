"""Knobs of the HubSpot emulator: account tier, limits and the behaviours the docs leave open."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Private-app limits per account tier: (requests per rolling 10 s, requests per day).
# Source: developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines.
TIERS: dict[str, tuple[int, int]] = {
    "free": (100, 250_000),
    "starter": (100, 250_000),
    "professional": (190, 625_000),
    "enterprise": (190, 1_000_000),
}

BACKWARD_LIFECYCLE = ("ignore", "apply")
PAGE_VIEW_URLS = ("full", "path", "title")


@dataclass
class HubSpotSettings:
    """Mutable at run time through the admin app (`POST /_sandbox/settings`).

    A limit of None switches that limit off.
    """

    tier: str = "professional"
    ten_second_limit: int | None = 190
    daily_limit: int | None = 625_000
    search_per_second: int | None = 5
    # Records modified within the last N seconds are not yet visible to search.
    search_lag_seconds: float = 0.0
    # "ignore": a backward lifecycle write succeeds but does not change the value (HubSpot).
    backward_lifecycle: str = "ignore"
    # Enumeration values with leading/trailing whitespace are rejected (announced by HubSpot
    # for 2025, later postponed; stricter is the safe side for a test double).
    reject_whitespace: bool = True
    max_search_results: int = 10_000
    portal_id: int = 44_623_425
    # Batch create answers a conflicting email per input (207) when every input carries a
    # unique objectWriteTraceId; False refuses the whole batch (409) regardless, as HubSpot
    # does without trace ids ("multi-status" is opt-in and not promised for every endpoint).
    batch_multi_status: bool = True
    # Which URL properties page views carry: "full" (hs_url, hs_base_url, hs_url_path),
    # "path" (only hs_url_path) or "title" (every URL property empty, only hs_page_title:
    # as in the recorded real events).
    page_view_urls: str = "full"

    @classmethod
    def for_tier(cls, tier: str) -> HubSpotSettings:
        settings = cls()
        settings.set_tier(tier)
        return settings

    def set_tier(self, tier: str) -> None:
        if tier not in TIERS:
            raise ValueError(f"unknown HubSpot tier {tier!r}; expected one of {sorted(TIERS)}")
        self.tier = tier
        self.ten_second_limit, self.daily_limit = TIERS[tier]

    def update(self, changes: dict[str, Any]) -> None:
        """Apply admin changes; `tier` first so explicit limits in the same call win."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown HubSpot settings: {sorted(unknown)}")
        if "tier" in changes:
            self.set_tier(str(changes["tier"]))
        for name, value in changes.items():
            if name != "tier":
                setattr(self, name, _checked(name, value))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _checked(name: str, value: Any) -> Any:
    if name == "page_view_urls" and value not in PAGE_VIEW_URLS:
        raise ValueError(f"page_view_urls must be one of {PAGE_VIEW_URLS}")
    if name == "backward_lifecycle" and value not in BACKWARD_LIFECYCLE:
        raise ValueError(f"backward_lifecycle must be one of {BACKWARD_LIFECYCLE}")
    if name in ("ten_second_limit", "daily_limit", "search_per_second"):
        return None if value is None else _positive_int(name, value)
    if name in ("max_search_results", "portal_id"):
        return _positive_int(name, value)
    if name == "search_lag_seconds":
        return float(value)
    if name in ("reject_whitespace", "batch_multi_status"):
        return bool(value)
    return value


def _positive_int(name: str, value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    return number
