"""How leadsync survives a CRM's failures and limits: classify first, then one retry policy.

Every failed call is classified by one table (`CLASSIFICATION`) into a `Failure`; each failure
kind raises one error type (`ERRORS`) and gets one treatment from `Policy`:

    rate_limited   wait as long as the API says (or `rate_limit_wait`), then retry; a storm
                   is waited out for up to `rate_limit_patience` seconds, then a message
                   says what to do
    transient      5xx, timeout, connection reset, an answer cut short or not JSON:
                   exponential backoff with jitter, bounded
    auth_expired   refresh the credentials once, then retry; a second refusal is fatal
    denied         credentials or scopes refused outright: fatal
    quota          the daily allowance is spent: stop the run, never retry in a loop
    rejected       the request itself is wrong: fatal for this request

`Pacer` keeps calls under a sliding-window limit on the client side, so the short-window limits
are rarely hit at all; `Budget` stops a run before a configured share of the daily allowance is
used, learning the allowance from the API's own headers.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

import tenacity
from pydantic import BaseModel, ConfigDict, Field

from leadsync.errors import (
    AuthError,
    ConnectorError,
    QuotaExhausted,
    RateLimited,
    Rejected,
    Transient,
)

T = TypeVar("T")


class Failure(StrEnum):
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    AUTH_EXPIRED = "auth_expired"
    DENIED = "denied"
    QUOTA = "quota"
    REJECTED = "rejected"


class ExpiredCredentials(AuthError):
    """A 401 that a fresh token may cure; `Policy` refreshes once before giving up."""


ERRORS: dict[Failure, type[ConnectorError]] = {
    Failure.RATE_LIMITED: RateLimited,
    Failure.TRANSIENT: Transient,
    Failure.AUTH_EXPIRED: ExpiredCredentials,
    Failure.DENIED: AuthError,
    Failure.QUOTA: QuotaExhausted,
    Failure.REJECTED: Rejected,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """Matches a failed call by HTTP status (None: no answer at all), API code and message text."""

    status: int | range | None
    failure: Failure
    code: str | None = None
    message: str | None = None

    def matches(self, status: int | None, code: str, message: str) -> bool:
        if isinstance(self.status, range):
            if status is None or status not in self.status:
                return False
        elif self.status != status:
            return False
        if self.code is not None and self.code != code:
            return False
        return self.message is None or self.message in message


_SERVER = range(500, 600)
_CLIENT = range(400, 500)

# First match wins. `code` is HubSpot's 429 `policyName` or `category`, Salesforce's `errorCode`.
CLASSIFICATION: dict[str, tuple[Rule, ...]] = {
    "hubspot": (
        Rule(429, Failure.QUOTA, code="DAILY"),
        # Some 429s carry only `category: RATE_LIMITS`; the daily one still says so in words.
        Rule(429, Failure.QUOTA, message="daily limit"),
        Rule(429, Failure.RATE_LIMITED),
        Rule(401, Failure.AUTH_EXPIRED),
        Rule(403, Failure.DENIED),
        Rule(408, Failure.TRANSIENT),
        Rule(None, Failure.TRANSIENT),
        Rule(_SERVER, Failure.TRANSIENT),
        Rule(_CLIENT, Failure.REJECTED),
    ),
    "salesforce": (
        # The concurrent long-request limit shares the daily limit's code; only it is worth a wait.
        Rule(403, Failure.RATE_LIMITED, code="REQUEST_LIMIT_EXCEEDED", message="Concurrent"),
        Rule(403, Failure.QUOTA, code="REQUEST_LIMIT_EXCEEDED"),
        # Not in Salesforce's documented answers, but proxies and edge limits send it.
        Rule(429, Failure.RATE_LIMITED),
        Rule(401, Failure.AUTH_EXPIRED),
        Rule(403, Failure.DENIED),
        Rule(408, Failure.TRANSIENT),
        Rule(None, Failure.TRANSIENT),
        Rule(_SERVER, Failure.TRANSIENT),
        Rule(_CLIENT, Failure.REJECTED),
    ),
}


def classify(system: str, status: int | None, code: str = "", message: str = "") -> Failure:
    """The failure kind of one failed call; every status classifies (unknown ones are rejected)."""
    for rule in CLASSIFICATION[system]:
        if rule.matches(status, code, message):
            return rule.failure
    return Failure.REJECTED


class RetrySettings(BaseModel):
    """Bounds of the retry policy; nested as `[hubspot.retry]` / `[salesforce.retry]`."""

    # An unknown key is a mistake to report, not to ignore.
    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(6, ge=1, description="tries per call for transient failures")
    backoff_initial: float = Field(0.5, ge=0, description="first backoff, seconds")
    backoff_max: float = Field(30.0, ge=0, description="longest single backoff, seconds")
    rate_limit_patience: float = Field(
        900.0, ge=0, description="seconds one call keeps waiting out consecutive 429s"
    )
    rate_limited_attempts: int | None = Field(
        None, ge=1, description="optional cap on tries per call while rate-limited"
    )
    rate_limit_wait: float = Field(1.0, ge=0, description="wait when a 429 names no duration")
    rate_limit_wait_max: float = Field(60.0, ge=0, description="longest wait for one 429")
    timeout: float = Field(30.0, gt=0, description="timeout of one request, seconds")


class Policy:
    """The one tenacity policy every connector call goes through.

    `call(fn, refresh=...)` runs `fn` until it returns, retrying what `ERRORS` marks retryable.
    It raises the classified `ConnectorError` when retries are spent or the failure is fatal;
    `QuotaExhausted`, `Rejected` and `AuthError` are raised at once. Rate limiting is bounded
    by time, not tries: one call keeps waiting as the API asks until `rate_limit_patience`
    seconds have passed since its first 429, then raises `RateLimited` saying what to do.
    """

    def __init__(
        self,
        settings: RetrySettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self.rate_limited = 0  # 429 answers seen, for metrics

    def call(self, fn: Callable[[], T], *, refresh: Callable[[], None] | None = None) -> T:
        tries = _Tries()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda exc: self._retryable(exc, tries, refresh)),
            wait=self._wait,
            stop=tenacity.stop_never,
            before_sleep=lambda state: self._before_sleep(state, refresh),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(fn)
        except RateLimited as exc:
            raise self._gave_up(exc, tries) from None

    def _retryable(
        self, exc: BaseException, tries: _Tries, refresh: Callable[[], None] | None
    ) -> bool:
        if isinstance(exc, ExpiredCredentials):
            kind, bound = Failure.AUTH_EXPIRED, 1 if refresh else 0
        elif isinstance(exc, RateLimited):
            return self._patient(exc, tries)
        elif isinstance(exc, Transient):
            kind, bound = Failure.TRANSIENT, self.settings.max_attempts - 1
        else:
            return False
        tries.counts[kind] += 1
        return tries.counts[kind] <= bound

    def _patient(self, exc: RateLimited, tries: _Tries) -> bool:
        """Keep waiting while the next wait still ends inside the patience window."""
        now = self._clock()
        tries.rate_limited_since = tries.rate_limited_since or now
        tries.counts[Failure.RATE_LIMITED] += 1
        self.rate_limited += 1
        cap = self.settings.rate_limited_attempts
        if cap is not None and tries.counts[Failure.RATE_LIMITED] >= cap:
            return False
        waited = now - tries.rate_limited_since
        return waited + self._rate_limit_wait(exc) <= self.settings.rate_limit_patience

    def _gave_up(self, exc: RateLimited, tries: _Tries) -> RateLimited:
        count = tries.counts[Failure.RATE_LIMITED]
        if not count:
            return exc
        minutes = (self._clock() - (tries.rate_limited_since or self._clock())) / 60
        prefix = f"{exc.system}." if exc.system else ""
        advice = (
            f" leadsync waited through {count} rate-limit answers in a row for {minutes:.1f} "
            "minutes, as the API asked, and stopped; nothing was lost. Run again later. If it "
            "keeps happening, another integration shares this API limit: slow it down, or "
            f"raise `{prefix}retry.rate_limit_patience` (seconds) to wait longer."
        )
        return RateLimited(
            f"{exc}{advice}", retry_after=exc.retry_after, system=exc.system, status=exc.status
        )

    def _rate_limit_wait(self, exc: RateLimited) -> float:
        wait = exc.retry_after if exc.retry_after > 0 else self.settings.rate_limit_wait
        return min(wait, self.settings.rate_limit_wait_max)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ExpiredCredentials):
            return 0.0
        if isinstance(exc, RateLimited):
            return self._rate_limit_wait(exc) * (1 + self._rng.random() / 10)
        exponent = state.attempt_number - 1
        ceiling = min(self.settings.backoff_max, self.settings.backoff_initial * 2**exponent)
        return self._rng.uniform(ceiling / 2, ceiling)

    def _before_sleep(
        self, state: tenacity.RetryCallState, refresh: Callable[[], None] | None
    ) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ExpiredCredentials) and refresh is not None:
            refresh()


@dataclass
class _Tries:
    """What one `Policy.call` has been through so far."""

    counts: dict[Failure, int] = field(default_factory=lambda: dict.fromkeys(Failure, 0))
    rate_limited_since: float | None = None


class Pacer:
    """At most `limit` calls in any `period` seconds, measured when each call starts.

    `margin` widens the window a little, so a server whose clock sees the calls slightly later
    still counts no more than `limit` in its own window.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.period = period * (1 + margin)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - self.period:
                self._starts.popleft()
            if len(self._starts) >= self.limit:
                self._sleep(self._starts[0] + self.period - now)
                self._starts.popleft()
                now = self._clock()
            self._starts.append(now)

    def observe(self, remaining: int) -> None:
        """Stay in step with the API's own count: when it has fewer calls left in its window
        than this pacer would allow (another integration shares the limit), take the
        difference now, so the next calls wait for the window to move on."""
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - self.period:
                self._starts.popleft()
            self._starts.extend([now] * (self.limit - len(self._starts) - remaining))


class Pacing(Protocol):
    def acquire(self) -> None: ...

    def observe(self, remaining: int) -> None: ...


# Makes the pacer of one named limit; a fleet of workers swaps in one shared through Redis
# (`leadsync.distributed.pacing`), so every process's calls count against the same window.
PacerFactory = Callable[[str, int, float], Pacing]


def _own_pacer(_key: str, limit: int, period: float) -> Pacing:
    return Pacer(limit, period)


_pacer_factory: PacerFactory = _own_pacer


def use_pacers(factory: PacerFactory | None) -> None:
    """Make every pacer made from now on with `factory` (None: each client paces alone)."""
    global _pacer_factory
    _pacer_factory = factory or _own_pacer


def pacer(key: str, limit: int, period: float) -> Pacing:
    """A pacer for the limit named `key` (e.g. one portal's ten-second limit)."""
    return _pacer_factory(key, limit, period)


class Budget:
    """Stops calls before `share` of the daily allowance is used.

    The allowance and usage are learnt from the API's headers via `observe`; between two
    observations every call is counted locally, so responses without headers still count.
    Until the allowance is known, nothing is stopped.
    """

    def __init__(self, system: str, share: float, *, setting: str, resets: str) -> None:
        self.system = system
        self.share = share
        self.setting = setting
        self.resets = resets
        self.used: int | None = None
        self.limit: int | None = None
        self.calls = 0

    def observe(self, used: int, limit: int) -> None:
        self.used, self.limit = used, limit

    def spend(self) -> None:
        """Count one call about to be made; raise `QuotaExhausted` if it would pass the share."""
        if self.used is not None and self.limit:
            allowed = int(self.share * self.limit)
            if self.used + 1 > allowed:
                raise QuotaExhausted(self._message(allowed), system=self.system)
            self.used += 1
        self.calls += 1

    def _message(self, allowed: int) -> str:
        return (
            f"{self.system}: leadsync stopped before passing its share of the daily API allowance "
            f"({self.used:,} of {self.limit:,} calls used; leadsync may use {self.share:.0%} = "
            f"{allowed:,}). Nothing was lost: run again after the allowance resets "
            f"({self.resets}), or raise `{self.setting}` in the config to allow more."
        )
