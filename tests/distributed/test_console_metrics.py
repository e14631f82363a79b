"""The console's /metrics: scraped without signing in, and with a fleet's registry at hand it
reports each tenant's seconds since its last good cycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from leadsync.console.app import create_app
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.distributed import registry
from tests.console.conftest import SECRET_KEY, TOKENS, offline_config

from .conftest import Fleet, tenant_world


def _scrape(tmp_path, monkeypatch) -> str:
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    app = create_app(ConsoleState(offline_config(tmp_path)), ConsoleOptions(secret_key=SECRET_KEY))
    answer = TestClient(app, follow_redirects=False).get("/metrics")
    assert answer.status_code == 200
    return answer.text


def test_metrics_need_no_sign_in(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADSYNC_TENANTS_DATABASE_URL", raising=False)
    assert "# TYPE leadsync_records_pulled_total counter" in _scrape(tmp_path, monkeypatch)


@pytest.mark.postgres
def test_each_tenants_last_good_cycle_is_reported(postgres_server, tmp_path, monkeypatch):
    from tests.conftest import fresh_postgres_database

    for url in fresh_postgres_database(postgres_server):
        fleet = Fleet(url, "unused", tmp_path, env={"LEADSYNC_TENANTS_DATABASE_URL": url})
        try:
            fleet.add("acme", tenant_world(fleet, "acme", 5, 1))
            registry.record(fleet.control, "acme", status="ok", at=datetime.now(UTC))
            monkeypatch.setenv("LEADSYNC_TENANTS_DATABASE_URL", url)
            assert 'leadsync_seconds_since_last_good_cycle{tenant="acme"}' in _scrape(
                tmp_path, monkeypatch
            )
        finally:
            fleet.stop()
