"""The console serves the HubSpot webhook receiver too, at the same path, by signature only."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from tests.console.conftest import SECRET_KEY, TOKENS, offline_config
from tests.sync.push_support import SECRET_ENV, change_event, signed_body


@pytest.fixture
def client(tmp_path, monkeypatch):
    for name, value in {**TOKENS, SECRET_ENV: "console-secret"}.items():
        monkeypatch.setenv(name, value)
    app = create_app(ConsoleState(offline_config(tmp_path)), ConsoleOptions(secret_key=SECRET_KEY))
    with TestClient(app) as made:
        yield made


def test_the_console_answers_webhooks_without_a_login_but_only_when_signed(client):
    url = "http://testserver/webhooks/hubspot"
    events = [change_event("12", 1)]
    body, headers = signed_body(url, "console-secret", events)
    forged_body, forged = signed_body(url, "wrong-secret", events)
    assert client.post(url, content=forged_body, headers=forged).status_code == 401
    answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["new"] == 1


def test_a_body_bigger_than_any_webhook_batch_is_refused_unread(client):
    url = "http://testserver/webhooks/hubspot"
    body, headers = signed_body(url, "console-secret", [change_event("12", 2)] * 5000)
    assert client.post(url, content=body, headers=headers).status_code == 413
