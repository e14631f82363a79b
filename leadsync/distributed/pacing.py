"""HubSpot's short-window limits shared by every worker, through Redis (`limits`, moving window).

Each HubSpot client asks `connectors.retry.pacer` for its pacers; `share_through(url)` makes
those pacers count calls in Redis under the portal's key, so workers calling the same portal
at once (two tenants sharing a portal, one per Salesforce org) together stay under 190 calls
per 10 s and 5 searches a second. The daily allowances need no shared counter: both CRMs report the account's own
usage in every answer's headers, which each client's `Budget` follows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from leadsync.connectors.retry import Pacing, use_pacers

# A worker's clock and Redis's may differ by a little; HubSpot counts on its own.
MARGIN = 0.05
SHORTEST_WAIT = 0.02


class SharedPacer:
    """At most `limit` calls in any `period` seconds for `key`, counted across processes."""

    def __init__(
        self, limiter: MovingWindowRateLimiter, key: str, limit: int, period: float,
        *, sleep: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.limiter = limiter
        self.key = key
        self.period = period
        # Whole seconds only (the library's granularity); the margin lowers the count instead.
        self.item = RateLimitItemPerSecond(max(1, math.floor(limit / (1 + MARGIN))),
                                           max(1, math.ceil(period)), namespace="leadsync")  # fmt: skip
        self._sleep = sleep

    def observe(self, remaining: int) -> None:
        """Take now what the API says is gone from its window beyond what was counted here."""
        free = self.limiter.get_window_stats(self.item, self.key).remaining
        if free > remaining:
            self.limiter.hit(self.item, self.key, cost=free - remaining)

    def acquire(self) -> None:
        while not self.limiter.hit(self.item, self.key):
            stats = self.limiter.get_window_stats(self.item, self.key)
            # A call reaches the API a little after its slot was taken: waiting a margin past
            # the window's end keeps a burst from landing inside the previous one's window.
            wait = stats.reset_time - time.time() + MARGIN * self.period
            self._sleep(max(SHORTEST_WAIT, wait))


def shared_factory(redis_url: str) -> Callable[[str, int, float], Pacing]:
    limiter = MovingWindowRateLimiter(storage_from_string(redis_url))

    def make(key: str, limit: int, period: float) -> Pacing:
        return SharedPacer(limiter, key, limit, period)

    return make


def share_through(redis_url: str) -> None:
    """From now on, every HubSpot client in this process paces through Redis at `redis_url`."""
    use_pacers(shared_factory(redis_url))
