"""Sandbox fixtures: the full sandbox (session-scoped) and small HubSpot emulators per test.

`sandbox` is a running `Sandbox` shared by the whole session (both CRMs, the admin API,
the seeded world). Tests that change settings or data build their own HubSpot emulator
with `hubspot_factory` so they never disturb each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from werkzeug.serving import BaseWSGIServer, make_server

from leadsync.sandbox.control import Control
from leadsync.sandbox.hubspot import HubSpotSettings, HubSpotState, create_app
from leadsync.sandbox.server import Sandbox

BASE_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"]


class FakeClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float = BASE_MS / 1000 + 86_400 * 30) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def iso(ms: int) -> str:
    from leadsync.sandbox.hubspot.responses import iso_ms

    return iso_ms(ms)


def small_world(contacts: int = 30) -> SimpleNamespace:
    """A HubSpotWorld-shaped world: contact N (id 100+N) was last modified at BASE_MS + N s."""
    people = []
    for n in range(1, contacts + 1):
        properties = {
            "email": f"person{n}@example{n % 3}.com",
            "firstname": f"First{n}",
            "lastname": f"Last{n}",
            "lifecyclestage": STAGES[n % len(STAGES)],
            "numemployees": ["1-5", "25-50", "1000+"][n % 3],
            "hs_analytics_num_page_views": str(n % 7),
        }
        if n % 2:
            properties["jobtitle"] = "VP Engineering" if n % 4 == 1 else "Student"
        people.append(
            {
                "id": str(100 + n),
                "properties": properties,
                "createdAt": iso(BASE_MS),
                "updatedAt": iso(BASE_MS + n * 1000),
            }
        )
    forms = [{"guid": "form-demo", "name": "Demo request"}, {"guid": "form-ebook", "name": "Ebook"}]
    submissions = [
        {
            "conversion_id": f"conv-{n}",
            "form_guid": "form-demo" if n % 2 else "form-ebook",
            "contact_id": str(100 + n),
            "submitted_at": BASE_MS + n * 60_000,
            "page_url": "https://www.example.com/demo",
            "values": [{"name": "email", "value": f"person{n}@example{n % 3}.com"}],
        }
        for n in range(1, min(contacts, 12) + 1)
    ]
    views = [
        {
            "id": str(n),
            "contact_id": str(101 + n % 3),
            "occurred_at": iso(BASE_MS + n * 1000),
            "url": f"https://www.example.com/page-{n}",
        }
        for n in range(1, 26)
    ]
    emails = [
        {
            "id": str(n),
            "type": "OPEN" if n % 2 else "CLICK",
            "recipient": "person1@example1.com" if n % 3 else "person2@example2.com",
            "created": BASE_MS + n * 1000,
            "email_campaign_id": 77,
            "url": "https://www.example.com/pricing",
        }
        for n in range(1, 16)
    ]
    meetings = [
        {
            "id": "5001",
            "properties": {"hs_timestamp": iso(BASE_MS), "hs_meeting_title": "Discovery"},
            "contact_ids": ["101", "102"],
        }
    ]
    return SimpleNamespace(
        contacts=people,
        page_views=views,
        forms=forms,
        form_submissions=submissions,
        email_events=emails,
        engagements={"meetings": meetings},
    )


@dataclass
class RunningHubSpot:
    state: HubSpotState
    control: Control
    server: BaseWSGIServer
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def client(self, token: str | None = None) -> HubSpot:
        return HubSpot(access_token=token or self.state.token, host=self.url)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.state.token}", **kwargs.pop("headers", {})}
        return self.session.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture
def hubspot_factory() -> Iterator[Callable[..., RunningHubSpot]]:
    """Start a HubSpot emulator on a free port: `hubspot_factory(world=..., settings=..., clock=...)`."""
    started: list[RunningHubSpot] = []

    def start(
        world: Any = None,
        settings: HubSpotSettings | None = None,
        clock: Callable[[], float] | None = None,
    ) -> RunningHubSpot:
        settings = settings or HubSpotSettings(
            ten_second_limit=None, daily_limit=None, search_per_second=None
        )
        state = HubSpotState(settings, clock=clock) if clock else HubSpotState(settings)
        state.load(world if world is not None else small_world())
        control = Control()
        server = make_server("127.0.0.1", 0, create_app(state, control), threaded=True)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        running = RunningHubSpot(state, control, server)
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.shutdown()
        running.server.server_close()
        running.session.close()


@pytest.fixture
def hubspot(hubspot_factory: Callable[..., RunningHubSpot]) -> RunningHubSpot:
    """A fresh HubSpot emulator with `small_world()` and the limits switched off."""
    return hubspot_factory()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The whole sandbox (HubSpot, Salesforce when available, admin API) with 200 contacts."""
    with Sandbox(contacts=200, seed=7) as running:
        yield running
