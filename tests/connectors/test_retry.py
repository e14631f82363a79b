"""The failure table is total, and the one policy treats each failure kind as promised."""

from __future__ import annotations

import random

import pytest

from leadsync.connectors.retry import (
    CLASSIFICATION,
    ERRORS,
    Budget,
    ExpiredCredentials,
    Failure,
    Pacer,
    Policy,
    RetrySettings,
    classify,
)
from leadsync.errors import AuthError, QuotaExhausted, RateLimited, Rejected, Transient

SYSTEMS = tuple(CLASSIFICATION)


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_failure_kind_is_reachable_and_raises_one_error_type(system):
    assert set(ERRORS) == set(Failure)
    assert {rule.failure for rule in CLASSIFICATION[system]} == set(Failure)


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_status_and_a_missing_answer_classify(system):
    for status in [None, *range(400, 600)]:
        assert classify(system, status) in Failure
    assert classify(system, None) is Failure.TRANSIENT
    assert classify(system, 503) is Failure.TRANSIENT
    assert classify(system, 401) is Failure.AUTH_EXPIRED
    assert classify(system, 400) is Failure.REJECTED


@pytest.mark.parametrize(
    ("system", "status", "code", "message", "expected"),
    [
        # Bodies as recorded in ../shared/fixtures/real/issue_thread_error_bodies.
        ("hubspot", 429, "DAILY", "You have reached your daily limit.", Failure.QUOTA),
        ("hubspot", 429, "SECONDLY", "You have reached your secondly limit.", Failure.RATE_LIMITED),
        ("hubspot", 429, "RATE_LIMITS", "You have reached your daily limit.", Failure.QUOTA),
        ("hubspot", 429, "TEN_SECONDLY_ROLLING", "", Failure.RATE_LIMITED),
        ("hubspot", 401, "EXPIRED_AUTHENTICATION", "", Failure.AUTH_EXPIRED),
        ("hubspot", 403, "MISSING_SCOPES", "", Failure.DENIED),
        ("hubspot", 409, "CONFLICT", "Contact already exists", Failure.REJECTED),
        (
            "salesforce",
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            Failure.QUOTA,
        ),
        (
            "salesforce",
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
            Failure.RATE_LIMITED,
        ),
        (
            "salesforce",
            401,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
            Failure.AUTH_EXPIRED,
        ),
        ("salesforce", 403, "INSUFFICIENT_ACCESS", "", Failure.DENIED),
        ("salesforce", 400, "MALFORMED_QUERY", "unexpected token: q", Failure.REJECTED),
    ],
)
def test_documented_failures_classify_as_the_api_means_them(
    system, status, code, message, expected
):
    assert classify(system, status, code, message) is expected


class Calls:
    """A call that fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def policy(**settings) -> tuple[Policy, list[float]]:
    waits: list[float] = []
    return Policy(RetrySettings(**settings), sleep=waits.append, rng=random.Random(1)), waits


def test_transient_failures_back_off_exponentially_with_jitter_then_succeed():
    retry, waits = policy(backoff_initial=1.0, backoff_max=3.0)
    call = Calls(Transient("503"), Transient("503"), Transient("503"))
    assert retry.call(call) == "done"
    assert call.count == 4
    ceilings = [1.0, 2.0, 3.0]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))


def test_transient_failures_stop_after_the_configured_attempts():
    retry, _waits = policy(max_attempts=3, backoff_initial=0.0)
    call = Calls(*[Transient("503")] * 10)
    with pytest.raises(Transient):
        retry.call(call)
    assert call.count == 3


def test_rate_limited_waits_as_long_as_the_api_says():
    retry, waits = policy()
    call = Calls(RateLimited("429", retry_after=7.0))
    assert retry.call(call) == "done"
    assert 7.0 <= waits[0] <= 7.7


def test_rate_limited_without_a_duration_waits_the_configured_default():
    retry, waits = policy(rate_limit_wait=2.0)
    retry.call(Calls(RateLimited("429", retry_after=0.0)))
    assert 2.0 <= waits[0] <= 2.2


@pytest.mark.parametrize("error", [QuotaExhausted("daily"), Rejected("bad"), AuthError("scope")])
def test_quota_rejection_and_denial_are_never_retried(error):
    retry, waits = policy()
    call = Calls(error)
    with pytest.raises(type(error)):
        retry.call(call)
    assert call.count == 1
    assert waits == []


def test_expired_credentials_refresh_once_and_repeat_the_call():
    retry, _ = policy()
    refreshed = []
    call = Calls(ExpiredCredentials("401"))
    assert retry.call(call, refresh=lambda: refreshed.append(1)) == "done"
    assert refreshed == [1]
    assert call.count == 2


def test_credentials_refused_after_a_refresh_are_fatal():
    retry, _ = policy()
    refreshed = []
    call = Calls(ExpiredCredentials("401"), ExpiredCredentials("401"))
    with pytest.raises(AuthError):
        retry.call(call, refresh=lambda: refreshed.append(1))
    assert (refreshed, call.count) == ([1], 2)


def test_expired_credentials_without_a_way_to_refresh_fail_at_once():
    retry, _ = policy()
    call = Calls(ExpiredCredentials("401"))
    with pytest.raises(AuthError):
        retry.call(call)
    assert call.count == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_keeps_any_window_under_its_limit():
    clock = Clock()
    pacer = Pacer(3, 1.0, margin=0.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(10):
        pacer.acquire()
        starts.append(clock.now)
        clock.now += 0.01
    for first in starts:
        assert sum(1 for s in starts if first <= s < first + 1.0) <= 3
    assert starts[-1] < 3.1


def test_budget_stops_before_the_configured_share_and_says_what_to_do():
    budget = Budget("HubSpot", 0.8, setting="hubspot.daily_budget_share", resets="at midnight")
    budget.spend()  # allowance unknown yet: nothing is stopped
    budget.observe(used=78, limit=100)
    budget.spend()
    budget.spend()
    with pytest.raises(QuotaExhausted) as stopped:
        budget.spend()
    message = str(stopped.value)
    assert "80 of 100" in message
    assert "hubspot.daily_budget_share" in message
    assert "at midnight" in message


def storm_policy(**settings) -> tuple[Policy, Clock]:
    clock = Clock()
    return Policy(RetrySettings(**settings), sleep=clock.sleep, clock=clock), clock


def test_a_long_429_storm_is_waited_out_as_the_api_asks():
    retry, clock = storm_policy()
    call = Calls(*[RateLimited("429", retry_after=10.0, system="hubspot")] * 40)
    assert retry.call(call) == "done"
    assert call.count == 41 and 400 <= clock.now <= 440


def test_a_429_storm_past_the_patience_stops_with_what_to_do():
    retry, clock = storm_policy(rate_limit_patience=120.0)
    call = Calls(*[RateLimited("HubSpot rate-limited", retry_after=30.0, system="hubspot")] * 99)
    with pytest.raises(RateLimited) as stopped:
        retry.call(call)
    assert clock.now <= 120.0 * 1.1 and call.count == 5
    message = str(stopped.value)
    assert "HubSpot rate-limited" in message and "nothing was lost" in message
    assert "hubspot.retry.rate_limit_patience" in message


def test_salesforce_429_is_rate_limited_not_fatal():
    assert classify("salesforce", 429, "REQUEST_LIMIT_EXCEEDED", "Too many") is Failure.RATE_LIMITED
