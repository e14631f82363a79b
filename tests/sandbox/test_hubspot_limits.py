"""Rate limits (rolling 10 s, daily, search per second) and bearer authentication."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts.exceptions import ApiException, UnauthorizedException

from leadsync.sandbox.control import Fault
from leadsync.sandbox.hubspot import HubSpotSettings
from leadsync.sandbox.hubspot.limits import RateLimiter
from tests.sandbox.conftest import FakeClock

pytestmark = pytest.mark.integration

LIST = "/crm/v3/objects/contacts"
SEARCH = "/crm/v3/objects/contacts/search"


def test_ten_second_bucket_rolls():
    clock = FakeClock(1000.0)
    limiter = RateLimiter(HubSpotSettings(ten_second_limit=3, daily_limit=None), clock)
    assert [limiter.admit(search=False).policy for _ in range(4)] == [
        None,
        None,
        None,
        "TEN_SECONDLY_ROLLING",
    ]
    clock.advance(9.9)
    assert limiter.admit(search=False).policy == "TEN_SECONDLY_ROLLING"
    clock.advance(0.2)
    assert limiter.admit(search=False).policy is None


def test_daily_bucket_resets_at_midnight():
    clock = FakeClock(86_400 * 20_000 + 86_399.0)
    limiter = RateLimiter(HubSpotSettings(ten_second_limit=None, daily_limit=2), clock)
    assert [limiter.admit(search=False).policy for _ in range(3)] == [None, None, "DAILY"]
    clock.advance(2)
    assert limiter.admit(search=False).policy is None


def test_search_has_its_own_per_second_bucket_and_no_headers():
    clock = FakeClock(5000.0)
    limiter = RateLimiter(HubSpotSettings(ten_second_limit=1, search_per_second=5), clock)
    decisions = [limiter.admit(search=True) for _ in range(6)]
    assert [d.policy for d in decisions] == [None] * 5 + ["SECONDLY"]
    assert decisions[0].headers == {}
    assert limiter.admit(search=False).policy is None
    clock.advance(1.01)
    assert limiter.admit(search=True).policy is None


def test_headers_count_down_on_ordinary_calls(hubspot_factory):
    hubspot = hubspot_factory(settings=HubSpotSettings.for_tier("starter"))
    first = hubspot.call("GET", LIST)
    second = hubspot.call("GET", LIST)
    assert first.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert int(first.headers["X-HubSpot-RateLimit-Remaining"]) == 99
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) == 98
    assert int(second.headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 249_998
    searched = hubspot.call("POST", SEARCH, json={})
    assert "X-HubSpot-RateLimit-Remaining" not in searched.headers


def test_burst_over_the_tier_gets_the_documented_429(hubspot_factory):
    settings = HubSpotSettings.for_tier("professional")
    settings.ten_second_limit = 5
    hubspot = hubspot_factory(settings=settings)
    answers = [hubspot.call("GET", LIST) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    body = answers[-1].json()
    assert body["status"] == "error"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert {"correlationId", "requestId"} <= set(body)
    assert answers[-1].headers["X-HubSpot-RateLimit-Remaining"] == "0"
    stats = hubspot.control.snapshot("hubspot", {})
    assert stats["throttled"] == 2


def test_client_sees_429_as_api_exception(hubspot_factory):
    settings = HubSpotSettings(ten_second_limit=1, daily_limit=None)
    hubspot = hubspot_factory(settings=settings)
    contacts = hubspot.client().crm.contacts.basic_api
    contacts.get_page(limit=1)
    with pytest.raises(ApiException) as limited:
        contacts.get_page(limit=1)
    assert limited.value.status == 429
    assert '"policyName":"TEN_SECONDLY_ROLLING"' in limited.value.body


def test_search_burst_gets_the_secondly_429(hubspot_factory):
    settings = HubSpotSettings(ten_second_limit=None, daily_limit=None, search_per_second=2)
    hubspot = hubspot_factory(settings=settings, clock=FakeClock())
    answers = [hubspot.call("POST", SEARCH, json={}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert hubspot.call("POST", SEARCH, json={}).json()["policyName"] == "SECONDLY"


def test_missing_or_unknown_token_is_invalid_authentication(hubspot):
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer not-a-token"}):
        answer = hubspot.call("GET", LIST, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["category"] == "INVALID_AUTHENTICATION"
        assert answer.headers["x-hubspot-auth-failure"] == "401 Unauthorized"
    with pytest.raises(UnauthorizedException):
        hubspot.client(token="wrong").crm.contacts.basic_api.get_page()


def test_expired_token_says_when_it_expired(hubspot):
    hubspot.state.expire_token(hubspot.state.token, at_ms=hubspot.state.now_ms() - 3000)
    answer = hubspot.call("GET", LIST)
    assert answer.status_code == 401
    body = answer.json()
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert body["message"].startswith(
        "The OAuth token used to make this call expired 3 second(s) ago"
    )
    assert len(body["context"]["expire time"]) == 1


def test_injected_429_looks_like_hubspot_and_counts_as_throttled(hubspot):
    hubspot.control.add_fault(
        Fault("hubspot", 429, route="GET /crm/v3/objects/contacts", remaining=1)
    )
    limited = hubspot.call("GET", LIST)
    assert limited.status_code == 429
    assert limited.json()["errorType"] == "RATE_LIMIT"
    assert hubspot.call("GET", LIST).status_code == 200
    assert hubspot.control.snapshot("hubspot", {})["throttled"] == 1
