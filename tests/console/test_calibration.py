"""Calibration on the Funnel page: the same figures as `leadsync calibrate`, as a job."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from leadsync.console.app import create_app
from leadsync.console.calibration import page_data
from leadsync.console.render import environment
from leadsync.console.settings import ConsoleOptions
from leadsync.errors import UsageError
from leadsync.scoring.calibrate import calibrate
from leadsync.sync.calibration import run_calibration
from tests.console.conftest import SECRET_KEY, signed_in
from tests.console.test_actions import finished, htmx
from tests.scoring import synthetic
from tests.scoring.factories import example_config


@pytest.fixture(scope="module")
def page(store) -> TestClient:
    client = TestClient(create_app(store.state(), ConsoleOptions(secret_key=SECRET_KEY)),
                        follow_redirects=False)  # fmt: skip
    assert signed_in(client, "editor@example.com").status_code == 303
    return client


def test_an_editor_calibrates_from_the_funnel_page_and_hears_why_it_cannot_yet(store, page):
    """The console's store holds one cycle of a young world: too little history to learn
    from, and the page says what `leadsync calibrate` says about it."""
    with pytest.raises(UsageError) as refused:
        run_calibration(store.state().runtime(), "won")
    assert 'action="/funnel/calibrate"' in page.get("/funnel").text
    started = page.post("/funnel/calibrate", data={"outcome": "won"}, headers=htmx(page))
    assert started.status_code == 200
    said = html.unescape(finished(page, started))
    assert "No calibration:" in said
    assert re.sub(r"\s+", " ", str(refused.value))[:60] in said


def test_a_viewer_cannot_start_a_calibration(store):
    client = TestClient(create_app(store.state(), ConsoleOptions(secret_key=SECRET_KEY)),
                        follow_redirects=False)  # fmt: skip
    assert signed_in(client, "viewer@example.com").status_code == 303
    assert 'action="/funnel/calibrate"' not in client.get("/funnel").text
    refused = client.post("/funnel/calibrate", data={"outcome": "won"}, headers=htmx(client))
    assert refused.status_code == 403


def test_a_calibration_shows_its_backtest_strongest_attributes_and_charts():
    result = calibrate(synthetic.world(3000, 5), example_config())
    shown = environment().get_template("_calibration.html").render(c=page_data(result, "won"))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown))
    for side, name in (("current", "in use"), ("suggested", "suggested")):
        assert f"{name} {result.to_json()['backtest'][side]['auc']:.3f}" in text
    strongest = page_data(result, "won")["top"][0]
    assert f"{strongest['field']} {strongest['value']}" in text
    assert shown.count("<svg") == 2
