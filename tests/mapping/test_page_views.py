"""Page views whose URL fields are empty (as recorded) still say where the person was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadsync.connectors.hubspot.normalize import hubspot_engagement, page_view_attributes
from leadsync.mapping.model import EventKind
from tests.scoring.factories import example_rules

RECORDED = (
    Path(__file__).parents[1] / "fixtures" / "hubspot" / "amp_labs_connectors" / "providers"
    / "hubspot" / "test" / "read" / "events" / "e_visited_page.json"
)  # fmt: skip


def view(**props: str) -> dict:
    return {"id": "pv-1", "objectId": "101", "occurredAt": "2026-05-11T23:47:17.075Z",
            "properties": props}  # fmt: skip


def rules_matched(attrs: dict[str, str]) -> set[str]:
    match = example_rules().events[EventKind.PAGE_VIEW](attrs)
    return {check.id for check in match.checks}


def test_the_recorded_page_views_fall_back_to_the_page_title():
    for event in json.loads(RECORDED.read_text())["results"]:
        found = hubspot_engagement("page_views", event["id"], {**event, "contact_id": "1"})
        assert found is not None
        attrs = found.event.attributes
        assert attrs["url_source"] == "hs_page_title"
        assert attrs["title"] == "Meet with Integration User"


@pytest.mark.parametrize(
    ("props", "url", "source"),
    [
        ({"hs_url": "https://acme.com/pricing?x=1", "hs_url_path": "/pricing"},
         "https://acme.com/pricing?x=1", "hs_url"),
        ({"hs_url": "", "hs_base_url": "acme.com", "hs_url_path": "/pricing"},
         "acme.com/pricing", "hs_base_url+hs_url_path"),
        ({"hs_url": "", "hs_base_url": "acme.com/pricing", "hs_url_path": "/pricing"},
         "acme.com/pricing", "hs_base_url"),
        ({"hs_url": "", "hs_base_url": "", "hs_url_path": "/pricing"}, "/pricing", "hs_url_path"),
    ],
)  # fmt: skip
def test_the_url_comes_from_whichever_field_is_present(props, url, source):
    attrs = page_view_attributes(props)
    assert (attrs["url"], attrs["url_source"], attrs["path"]) == (url, source, "/pricing")
    assert "pricing-page" in rules_matched(attrs)


@pytest.mark.parametrize(
    ("path", "rule"), [("/pricing", "pricing-page"), ("/kb/setup", "product-kb"),
                       ("/careers/", "careers-page")]
)  # fmt: skip
def test_url_rules_fire_on_views_that_only_carry_a_path(path, rule):
    found = hubspot_engagement("page_views", "pv-1", view(hs_url="", hs_url_path=path))
    assert found is not None and rule in rules_matched(dict(found.event.attributes))
