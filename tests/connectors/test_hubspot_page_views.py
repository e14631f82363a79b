"""Page views read from the sandbox in each URL shape still reach the URL rules."""

from __future__ import annotations

import pytest
import requests

from leadsync.connectors.base import Window
from leadsync.connectors.hubspot import HubSpotConnector
from leadsync.connectors.hubspot.normalize import hubspot_engagement
from leadsync.mapping.model import EventKind
from tests.scoring.factories import example_rules

from .conftest import hubspot_settings, until_now


@pytest.mark.parametrize(
    ("urls", "source"),
    [("full", "hs_url"), ("path", "hs_url_path"), ("title", "hs_page_title")],
)
def test_page_views_in_every_url_shape_are_normalized(sandbox, admin, urls, source):
    admin.settings(hubspot={"page_view_urls": urls})
    hubspot = HubSpotConnector(hubspot_settings(sandbox))
    contact = next(iter(hubspot.read("contacts", Window(None, until_now()))))
    seeded = requests.post(
        f"{admin.url}/_sandbox/hubspot/page_views",
        json={"contact_id": contact.id, "url": "https://www.example.com/pricing",
              "title": "Pricing | Example"},
        timeout=10,
    ).json()  # fmt: skip
    (view,) = [v for v in hubspot.read("page_views", Window(None, until_now()))
               if v.id == seeded["id"]]  # fmt: skip
    found = hubspot_engagement("page_views", view.id, view.data)
    assert found is not None and found.event.attributes["url_source"] == source
    match = example_rules().events[EventKind.PAGE_VIEW](dict(found.event.attributes))
    fired = {check.id for check in match.checks}
    assert ("pricing-page" in fired) is (urls != "title")
