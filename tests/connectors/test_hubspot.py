"""The HubSpot connector against the HubSpot emulator, over HTTP with hubspot-api-client."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import pytest
import requests

from leadsync.connectors.base import Change, Window
from leadsync.connectors.hubspot import LEADSYNC_PROPERTY_SPECS, HubSpotConnector
from leadsync.errors import AuthError, QuotaExhausted

from .conftest import hubspot_settings, until_now

LIST = "GET /crm/v3/objects/contacts"
SEARCH = "POST /crm/v3/objects/contacts/search"
UPDATE = "POST /crm/v3/objects/contacts/batch/update"
CREATE = "POST /crm/v3/objects/contacts/batch/create"
READ = "POST /crm/v3/objects/contacts/batch/read"


@pytest.fixture
def frozen(sandbox, monkeypatch):
    """Stop the emulator's clock so that every write shares one `lastmodifieddate`."""
    moment = time.time()
    monkeypatch.setattr(sandbox.hubspot, "clock", lambda: moment)
    return datetime.fromtimestamp(math.floor(moment * 1000) / 1000, UTC)


def contacts(connector: HubSpotConnector, window: Window | None = None) -> list:
    """A read in stream order (a full-history read streams by id, so it is sorted here)."""
    records = list(connector.read("contacts", window or Window(None, until_now())))
    return sorted(records, key=lambda r: r.position) if window is None else records


def touch(connector: HubSpotConnector, records, value: str = "touched") -> list:
    changes = [Change(f"k{r.id}", "contact", r.id, {"jobtitle": value}) for r in records]
    results = connector.write(changes)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    return results


def test_a_backfill_reads_every_contact_through_the_list_api_at_100_per_call(hubspot, admin):
    records = contacts(hubspot)
    assert len(records) == 300
    assert admin.calls("hubspot", LIST) == 3
    assert admin.calls("hubspot", SEARCH) == 0
    assert {"email", "lifecyclestage", "hs_analytics_source"} <= set(records[0].data)


def test_an_incremental_read_after_50_modifications_returns_exactly_those_50(
    hubspot, admin, frozen
):
    everything = contacts(hubspot)
    cursor = everything[-1]
    modified = everything[100:150]
    touch(hubspot, modified)
    window = Window(cursor.modified_at, until_now(), after_id=cursor.id)
    found = contacts(hubspot, window)
    assert sorted(r.id for r in found) == sorted(r.id for r in modified)
    assert {r.modified_at for r in found} == {frozen}
    assert admin.calls("hubspot", SEARCH) == 1


def test_a_cursor_inside_a_run_of_equal_timestamps_resumes_after_its_id(hubspot, frozen):
    everything = contacts(hubspot)
    touch(hubspot, everything[:60])
    tied = [r for r in contacts(hubspot) if r.modified_at == frozen]
    assert len(tied) == 60
    # A reader that checkpointed at the 10th of them resumes with the other 50.
    cursor = tied[9]
    rest = contacts(hubspot, Window(cursor.modified_at, until_now(), after_id=cursor.id))
    assert [r.id for r in rest] == [r.id for r in tied[10:]]
    # Numeric id order: "99" sorts before "100".
    assert [int(r.id) for r in tied] == sorted(int(r.id) for r in tied)


def test_search_windows_never_page_past_the_result_cap(sandbox, admin):
    admin.settings(hubspot={"max_search_results": 100})
    hs = HubSpotConnector(hubspot_settings(sandbox, search_window_max=100, search_page_size=20))
    everything = contacts(hs)
    searched = contacts(hs, Window(datetime(2000, 1, 1, tzinfo=UTC), until_now()))
    assert [r.id for r in searched] == [r.id for r in everything]
    stats = admin.stats("hubspot")
    assert stats["errors"] == 0
    # ceil(300 / 20) pages plus one re-read page per restart at most.
    assert admin.calls("hubspot", SEARCH) <= 15 + 300 // 100


def test_more_ties_than_one_query_may_page_are_walked_by_id(sandbox, admin, frozen):
    hs = HubSpotConnector(hubspot_settings(sandbox, search_window_max=100, search_page_size=50))
    admin.settings(hubspot={"max_search_results": 100})
    everything = contacts(hs)
    touch(hs, everything[:150])
    found = contacts(hs, Window(frozen, until_now()))
    assert [r.id for r in found] == sorted((r.id for r in everything[:150]), key=int)
    assert admin.stats("hubspot")["errors"] == 0


def test_search_calls_are_paced_under_five_per_second(sandbox, admin):
    admin.settings(hubspot={"search_per_second": 5})
    hs = HubSpotConnector(hubspot_settings(sandbox, search_per_second=5, search_page_size=25))
    found = contacts(hs, Window(datetime(2000, 1, 1, tzinfo=UTC), until_now()))
    assert len(found) == 300
    assert admin.stats("hubspot")["throttled"] == 0


def test_a_backward_lifecycle_move_clears_then_sets_in_two_requests_and_reads_back(hubspot, admin):
    target = next(r for r in contacts(hubspot) if r.data["lifecyclestage"] == "customer")
    move = Change("m", "contact", target.id, {"lifecyclestage": "lead"}, ("lifecyclestage",))
    (result,) = hubspot.write([move])
    assert result.ok, result.reason
    assert admin.calls("hubspot", UPDATE) == 2
    assert admin.calls("hubspot", READ) == 1
    now = next(r for r in contacts(hubspot) if r.id == target.id)
    assert now.data["lifecyclestage"] == "lead"


def test_a_refused_value_fails_only_its_own_record(hubspot, admin):
    records = contacts(hubspot)[:100]
    changes = [Change(r.id, "contact", r.id, {"jobtitle": "VP"}) for r in records]
    changes[37] = Change(records[37].id, "contact", records[37].id, {"lifecyclestage": "bogus"})
    results = hubspot.write(changes)
    refused = [r for r in results if not r.ok]
    assert [r.key for r in refused] == [records[37].id]
    assert "bogus" in refused[0].reason and not refused[0].retryable
    assert admin.calls("hubspot", UPDATE) == 2


def test_creating_a_contact_that_exists_updates_it_instead(hubspot, admin):
    existing = contacts(hubspot)[0]
    changes = [
        Change("old", "contact", None, {"email": existing.data["email"], "jobtitle": "CTO"}),
        Change("new", "contact", None, {"email": "new.person@example.com", "firstname": "New"}),
    ]
    old, new = hubspot.write(changes)
    assert (old.ok, old.record_id) == (True, existing.id)
    assert new.ok and new.record_id and new.record_id != existing.id
    assert admin.calls("hubspot", CREATE) == 1
    assert admin.calls("hubspot", UPDATE) == 1
    again = hubspot.write(changes[1:])
    assert again[0].record_id == new.record_id  # a repeated create does not duplicate


def test_provisioning_creates_the_group_and_properties_once(hubspot, admin):
    first = hubspot.provision()
    assert first.group_created
    assert sorted(first.created) == sorted(p.name for p in LEADSYNC_PROPERTY_SPECS)
    second = hubspot.provision()
    assert not second.group_created and not second.created
    assert sorted(second.existing) == sorted(first.created)
    assert admin.stats("hubspot")["requests"] == 4
    record = contacts(hubspot)[0]
    (written,) = hubspot.write([Change("s", "contact", record.id, {"leadsync_total_score": 55})])
    assert written.ok


def test_engagement_streams_say_who_acted(hubspot, admin):
    end = until_now()
    people = {r.id for r in contacts(hubspot)}
    meetings = list(hubspot.read("meetings", Window(None, end)))
    assert meetings and all(m.data["contact_id"] in people for m in meetings)
    assert (
        admin.calls(
            "hubspot", "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"
        )
        == 1
    )
    views = list(hubspot.read("page_views", Window(None, end)))
    assert views and all(v.data["contact_id"] in people for v in views)
    emails = list(hubspot.read("email_events", Window(None, end)))
    forms = list(hubspot.read("form_submissions", Window(None, end)))
    assert all(e.data["email"] for e in emails) and all("form_id" in f.data for f in forms)


@pytest.mark.parametrize("stream", ["page_views", "email_events", "form_submissions", "calls"])
def test_engagement_windows_have_a_closed_lower_bound(hubspot, stream):
    # A full-history read may stream in the API's order: put it in stream order first.
    everything = sorted(hubspot.read(stream, Window(None, until_now())), key=lambda r: r.position)
    middle = everything[len(everything) // 2]
    later = list(hubspot.read(stream, Window(middle.modified_at, until_now())))
    assert middle.id in {r.id for r in later}
    assert [r.id for r in later] == [
        r.id for r in everything if r.modified_at >= middle.modified_at
    ]


def submit_form(sandbox, form_id: str, email: str) -> None:
    portal = sandbox.hubspot.settings.portal_id
    url = f"{sandbox.urls['hubspot_url']}/submissions/v3/integration/submit/{portal}/{form_id}"
    body = {"fields": [{"objectTypeId": "0-1", "name": "email", "value": email}]}
    requests.post(url, json=body, timeout=10).raise_for_status()


def test_form_submissions_cost_one_search_while_nobody_converts(sandbox, hubspot, admin):
    form_id = next(hubspot.read("form_submissions", Window(None, until_now()))).data["form_id"]
    since = datetime.now(UTC)
    before = admin.stats("hubspot")
    assert list(hubspot.read("form_submissions", Window(since, until_now()))) == []
    after = admin.stats("hubspot")
    assert after["requests"] - before["requests"] == 1, "one call: no forms list, no form read"
    assert after["by_route"].get(SEARCH, 0) - before["by_route"].get(SEARCH, 0) == 1

    submit_form(sandbox, form_id, "new.lead@example.org")
    (found,) = hubspot.read("form_submissions", Window(since, until_now()))
    assert (found.data["form_id"], found.data["email"]) == (form_id, "new.lead@example.org")


def test_the_daily_limit_stops_the_run_with_what_to_do_and_no_retry_loop(sandbox, admin):
    admin.settings(hubspot={"daily_limit": 2})
    hs = HubSpotConnector(hubspot_settings(sandbox, search_page_size=20))
    with pytest.raises(QuotaExhausted) as stopped:
        # Search answers carry no limit headers, so only HubSpot's own 429 can stop this.
        contacts(hs, Window(datetime(2000, 1, 1, tzinfo=UTC), until_now()))
    assert "daily_budget_share" in str(stopped.value) and "midnight" in str(stopped.value)
    assert admin.stats("hubspot")["throttled"] == 1


def test_the_budget_stops_before_the_configured_share_of_the_daily_limit(sandbox, admin):
    admin.settings(hubspot={"daily_limit": 40})
    hs = HubSpotConnector(hubspot_settings(sandbox, list_page_size=10, daily_budget_share=0.5))
    with pytest.raises(QuotaExhausted) as stopped:
        contacts(hs)
    assert "20 of 40" in str(stopped.value)
    stats = admin.stats("hubspot")
    assert stats["requests"] == 20 and stats["throttled"] == 0


def test_a_refused_token_is_an_auth_error_without_retries(hubspot, admin):
    admin.expire_hubspot_token()
    try:
        with pytest.raises(AuthError) as refused:
            hubspot.check()
    finally:
        admin.expire_hubspot_token(expired=False)
    assert "LEADSYNC_HUBSPOT__ACCESS_TOKEN" in str(refused.value)
    assert admin.stats("hubspot")["requests"] == 1
