"""HubSpot's request limits: a rolling 10-second bucket, a daily bucket and search's 5/s.

The clock is injected (epoch seconds) so tests can step time instead of sleeping. Rejected
requests do not consume the allowance. Search requests count against the daily bucket and
their own per-second bucket, and carry no `X-HubSpot-RateLimit-*` headers.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadsync.sandbox.hubspot.responses import correlation_id
from leadsync.sandbox.hubspot.settings import HubSpotSettings

TEN_SECONDS = 10.0
DAY = 86_400

MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
    "SECONDLY": "You have reached your secondly limit.",
}


def rate_limit_body(policy: str) -> dict[str, Any]:
    """The 429 body HubSpot documents, for `policy` in MESSAGES."""
    return {
        "status": "error",
        "message": MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "requestId": correlation_id(),
    }


@dataclass
class Decision:
    """The outcome for one request: `policy` is set when it must be answered with a 429."""

    policy: str | None
    headers: dict[str, str] = field(default_factory=dict)


class _Window:
    """Timestamps of accepted requests inside a rolling window of `span` seconds."""

    def __init__(self, span: float) -> None:
        self.span = span
        self.times: deque[float] = deque()

    def used(self, now: float) -> int:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        return len(self.times)


class RateLimiter:
    def __init__(self, settings: HubSpotSettings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self._burst = _Window(TEN_SECONDS)
        self._search = _Window(1.0)
        self._day = -1
        self._daily_used = 0

    def admit(self, *, search: bool) -> Decision:
        """Count one request if the limits allow it."""
        with self._lock:
            now = self.clock()
            self._roll_day(now)
            window, limit = self._bucket(search)
            if (
                self.settings.daily_limit is not None
                and self._daily_used >= self.settings.daily_limit
            ):
                return Decision("DAILY", self._headers(now, search))
            if limit is not None and window.used(now) >= limit:
                policy = "SECONDLY" if search else "TEN_SECONDLY_ROLLING"
                return Decision(policy, self._headers(now, search))
            window.times.append(now)
            self._daily_used += 1
            return Decision(None, self._headers(now, search))

    def _bucket(self, search: bool) -> tuple[_Window, int | None]:
        if search:
            return self._search, self.settings.search_per_second
        return self._burst, self.settings.ten_second_limit

    def _roll_day(self, now: float) -> None:
        # The daily allowance resets at midnight (UTC here; the account's zone in HubSpot).
        day = int(now // DAY)
        if day != self._day:
            self._day = day
            self._daily_used = 0

    def _headers(self, now: float, search: bool) -> dict[str, str]:
        if search:
            return {}
        headers: dict[str, str] = {}
        daily = self.settings.daily_limit
        if daily is not None:
            headers["X-HubSpot-RateLimit-Daily"] = str(daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, daily - self._daily_used))
        burst = self.settings.ten_second_limit
        if burst is not None:
            remaining = max(0, burst - self._burst.used(now))
            headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(int(TEN_SECONDS * 1000))
            headers["X-HubSpot-RateLimit-Max"] = str(burst)
            headers["X-HubSpot-RateLimit-Remaining"] = str(remaining)
        return headers
