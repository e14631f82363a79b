"""The console serves the HubSpot webhook receiver too, at the same path, by signature only."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from tests.console.conftest import SECRET_KEY, TOKENS, offline_config
from tests.sync.push_support import SECRET_ENV, change_event, signed_body

PUBLIC = "https://leadsync.example.com/webhooks/hubspot"


def console(tmp_path, monkeypatch, extra: str = "") -> TestClient:
    for name, value in {**TOKENS, SECRET_ENV: "console-secret"}.items():
        monkeypatch.setenv(name, value)
    config = offline_config(tmp_path)
    config.write_text(config.read_text() + extra)
    return TestClient(create_app(ConsoleState(config), ConsoleOptions(secret_key=SECRET_KEY)))


@pytest.fixture
def client(tmp_path, monkeypatch):
    with console(tmp_path, monkeypatch) as made:
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


def test_behind_a_proxy_the_signature_covers_the_public_url(tmp_path, monkeypatch):
    url = "http://testserver/webhooks/hubspot"
    with console(tmp_path, monkeypatch, f'[push]\npublic_url = "{PUBLIC}"\n') as client:
        as_proxied, proxied = signed_body(PUBLIC, "console-secret", [change_event("12", 3)])
        as_seen, seen = signed_body(url, "console-secret", [change_event("12", 4)])
        assert client.post(url, content=as_proxied, headers=proxied).status_code == 200
        assert client.post(url, content=as_seen, headers=seen).status_code == 401
