"""HubSpot's short-window limits: the search limit (5 a second per portal) held by two clients
together through Redis, as two workers syncing one portal would be (each pacing alone, they
are throttled), and the ten-second window followed from the answers' own headers."""

from __future__ import annotations

import threading

import pytest
import requests

from leadsync.connectors.hubspot.client import HubSpotClient
from leadsync.connectors.retry import use_pacers
from leadsync.distributed.pacing import share_through
from leadsync.sandbox.server import Sandbox

from ..connectors.conftest import hubspot_settings
from .conftest import REDIS, _closed

pytestmark = pytest.mark.integration
SEARCHES = 8


@pytest.fixture
def portal():
    with Sandbox(contacts=10, seed=3) as running:
        yield running
    use_pacers(None)


def _share_through_redis() -> None:
    if _closed(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (`bash .ci/services` starts it)")
    share_through(REDIS)


def _search_from_two_clients(sandbox: Sandbox) -> int:
    """Two clients of one portal search at once; return how many 429s the portal sent."""
    settings = hubspot_settings(sandbox, search_per_second=5)
    clients = [HubSpotClient(settings), HubSpotClient(settings)]
    body = {"filterGroups": [], "properties": ["email"], "limit": 1}

    def search(client: HubSpotClient) -> None:
        for _ in range(SEARCHES):
            client.call("search contacts", client.search_api.do_search, "contacts", body,
                        search=True)  # fmt: skip

    threads = [threading.Thread(target=search, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sandbox.control.snapshot("hubspot", {})["throttled"]


def test_two_clients_of_one_portal_share_its_search_limit_through_redis(portal):
    _share_through_redis()
    # At most one stray 429: on a loaded 2-core host a call can reach the in-process sandbox
    # well after it took its slot. Pacing alone, the same calls meet about a dozen.
    assert _search_from_two_clients(portal) <= 1


def test_each_client_pacing_alone_is_throttled(portal):
    use_pacers(None)
    assert _search_from_two_clients(portal) >= SEARCHES // 2


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_calls_of_another_app_on_the_portal_are_followed_from_its_headers(portal, shared):
    """Another integration spent most of the portal's 10-second window: the answers' own
    count says so, and leadsync waits for the window instead of meeting 429s."""
    if shared:
        _share_through_redis()
    admin = portal.urls["sandbox_url"] + "/_sandbox/settings"
    requests.post(admin, json={"hubspot": {"ten_second_limit": 10}}, timeout=10).raise_for_status()
    client = HubSpotClient(hubspot_settings(portal, requests_per_10s=10))
    other = {"Authorization": f"Bearer {portal.hubspot_token}"}
    for _ in range(7):
        requests.get(portal.urls["hubspot_url"] + "/crm/v3/objects/contacts", headers=other,
                     timeout=10).raise_for_status()  # fmt: skip
    for _ in range(5):
        client.call("read one contact", client.objects.get_page, "contacts", limit=1)
    assert portal.control.snapshot("hubspot", {})["throttled"] == 0
