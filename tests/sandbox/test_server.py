"""Starting and stopping the sandbox, in-process and as `sandbox serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib

import pytest
import requests
from click.testing import CliRunner

from leadsync.sandbox.cli import sandbox as sandbox_group
from leadsync.sandbox.cli import sandbox_config
from leadsync.sandbox.server import Sandbox

pytestmark = pytest.mark.integration

SERVE = "from leadsync.sandbox.cli import sandbox; sandbox()"
INFO_KEYS = {
    "hubspot_url",
    "salesforce_url",
    "sandbox_url",
    "ca_bundle",
    "pubsub_url",
    "hubspot_token",
    "salesforce_token",
}


def test_session_sandbox_serves_the_seeded_world(sandbox):
    info = sandbox.info()
    assert set(info) == INFO_KEYS
    headers = {"Authorization": f"Bearer {info['hubspot_token']}"}
    answer = requests.get(
        info["hubspot_url"] + "/crm/v3/objects/contacts", headers=headers, timeout=30
    )
    assert answer.status_code == 200
    assert requests.get(info["sandbox_url"] + "/_sandbox/info", timeout=30).json() == info
    assert sandbox.hubspot.counts()["contacts"] == 200


def test_salesforce_is_served_over_tls_with_the_printed_ca(sandbox):
    info = sandbox.info()
    if info["salesforce_url"] is None:
        pytest.skip("the Salesforce emulator is not available")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
    session.verify = info["ca_bundle"]
    answer = session.get(
        info["salesforce_url"] + "/services/data/v59.0/limits/",
        headers={"Authorization": f"Bearer {info['salesforce_token']}"},
        timeout=30,
    )
    assert answer.status_code == 200


def test_stop_releases_the_ports():
    running = Sandbox(contacts=0, seed=1).start()
    url = running.urls["hubspot_url"]
    assert len({running.urls[k] for k in ("hubspot_url", "sandbox_url")}) == 2
    running.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)


def test_config_writer_keeps_secrets_out(tmp_path):
    info = {
        "hubspot_url": "http://127.0.0.1:1",
        "salesforce_url": "https://127.0.0.1:2",
        "sandbox_url": "http://127.0.0.1:3",
        "ca_bundle": "/tmp/ca.pem",
        "hubspot_token": "secret-hubspot",
        "salesforce_token": "secret-salesforce",
    }
    text = sandbox_config(info, "starter", tmp_path)
    config = tomllib.loads(text)
    assert config["hubspot"] == {"base_url": "http://127.0.0.1:1", "tier": "starter"}
    assert config["salesforce"]["instance_url"] == "https://127.0.0.1:2"
    assert config["salesforce"]["ca_bundle"] == "/tmp/ca.pem"
    assert config["database_url"].startswith("sqlite:///")
    assert "secret" not in text


def test_serve_prints_connection_details_first_and_stops_on_sigterm(tmp_path):
    config = tmp_path / "config.toml"
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--contacts", "20", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        info = json.loads(process.stdout.readline())
        assert set(info) == INFO_KEYS
        assert requests.get(info["sandbox_url"] + "/_sandbox/stats", timeout=30).status_code == 200
        assert tomllib.loads(config.read_text())["hubspot"]["base_url"] == info["hubspot_url"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"LEADSYNC_HUBSPOT__ACCESS_TOKEN={info['hubspot_token']}" in errors
    assert info["hubspot_token"] not in config.read_text()


def test_serve_rejects_an_unknown_tier():
    result = CliRunner().invoke(sandbox_group, ["serve", "--tier", "platinum"])
    assert result.exit_code == 2
