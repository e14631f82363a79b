"""Tenants: registered once, each in its own schema, its own secrets, dropped alone."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from leadsync.distributed import runner
from leadsync.distributed.registry import open_registry

from .conftest import Fleet, tenant_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def fleet_db(postgres_server, tmp_path):
    """A fleet without workers: PostgreSQL only (cycles run in this process)."""
    from tests.conftest import fresh_postgres_database

    for url in fresh_postgres_database(postgres_server):
        made = Fleet(url, "unused", tmp_path, env={"LEADSYNC_TENANTS_DATABASE_URL": url})
        try:
            yield made
        finally:
            made.stop()


def _tables(url: str, schema: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def _cycle(fleet: Fleet, name: str, monkeypatch) -> runner.Outcome:
    for key, value in fleet.env.items():
        monkeypatch.setenv(key, value)
    return runner.run_locked(open_registry(fleet.url), fleet.url, name, "cycle", runner.sync_cycle)


def test_each_tenant_syncs_into_its_own_schema_and_drops_alone(fleet_db, monkeypatch):
    fleet_db.add("acme", tenant_world(fleet_db, "acme", 20, 1))
    fleet_db.add("globex", tenant_world(fleet_db, "globex", 20, 2))
    assert {"persons", "stage_ledger", "alembic_version"} <= _tables(fleet_db.url, "tenant_acme")

    assert _cycle(fleet_db, "acme", monkeypatch).status == "ok"
    assert _cycle(fleet_db, "globex", monkeypatch).status == "ok"
    engine = create_engine(fleet_db.url)
    with engine.connect() as conn:
        people = {s: conn.execute(text(f"SELECT count(*) FROM {s}.persons")).scalar()
                  for s in ("tenant_acme", "tenant_globex")}  # fmt: skip
    engine.dispose()
    assert people["tenant_acme"] >= 20 and people["tenant_globex"] >= 20

    if shutil.which("pg_dump"):
        dump = fleet_db.tmp / "globex.sql"
        assert fleet_db.leadsync("tenants", "export", "globex", str(dump)).exit_code == 0
        assert "CREATE TABLE tenant_globex.persons" in dump.read_text()
        assert "tenant_acme" not in dump.read_text()

    listed = json.loads(fleet_db.leadsync("tenants", "list", "--json").output)
    assert [row["name"] for row in listed] == ["acme", "globex"]
    done = fleet_db.leadsync("tenants", "remove", "acme", "--drop-data")
    assert done.exit_code == 0, done.output
    assert _tables(fleet_db.url, "tenant_acme") == set()
    assert "persons" in _tables(fleet_db.url, "tenant_globex")
    assert _cycle(fleet_db, "globex", monkeypatch).status == "ok"


def test_a_tenant_reads_only_its_own_secrets(fleet_db, monkeypatch, tmp_path):
    world = tenant_world(fleet_db, "initech", 10, 3)
    secrets = tmp_path / "initech-secrets.toml"
    token = world.env["LEADSYNC_HUBSPOT__ACCESS_TOKEN"]
    secrets.write_text(f'[hubspot]\naccess_token = "{token}"\n', encoding="utf-8")
    # The single-tenant variable holds a wrong token: a tenant must never read it.
    fleet_db.env["LEADSYNC_HUBSPOT__ACCESS_TOKEN"] = "pat-wrong-0000"
    fleet_db.env["LEADSYNC_TENANT_INITECH__SALESFORCE__ACCESS_TOKEN"] = world.env[
        "LEADSYNC_SALESFORCE__ACCESS_TOKEN"
    ]
    done = fleet_db.leadsync("tenants", "add", "initech", "--config", str(world.config),
                             "--secrets", str(secrets))  # fmt: skip
    assert done.exit_code == 0, done.output
    fleet_db.worlds["initech"] = world
    assert token not in done.output
    assert _cycle(fleet_db, "initech", monkeypatch).status == "ok"


def test_bad_names_duplicates_and_missing_secrets_are_one_clear_line(fleet_db, monkeypatch):
    world = tenant_world(fleet_db, "hooli", 5, 4)
    fleet_db.worlds["hooli"] = world
    bad = fleet_db.leadsync("tenants", "add", "Hooli-EU", "--config", str(world.config))
    assert bad.exit_code == 2 and "lowercase letters" in bad.output
    assert (
        fleet_db.leadsync("tenants", "add", "hooli", "--config", str(world.config)).exit_code == 0
    )
    again = fleet_db.leadsync("tenants", "add", "hooli", "--config", str(world.config))
    assert again.exit_code == 2 and "exists" in again.output

    broken = fleet_db.tmp / "hooli-broken.toml"
    broken.write_text(world.config.read_text() + "[sync]\ninterval_minutes = 0\n")
    refused = fleet_db.leadsync("tenants", "update", "hooli", "--config", str(broken))
    assert refused.exit_code == 2 and "interval_minutes" in refused.output
    assert fleet_db.tenant("hooli").config_text == world.config.read_text()

    outcome = _cycle(fleet_db, "hooli", monkeypatch)  # no LEADSYNC_TENANT_HOOLI__ tokens set
    assert outcome.status == "config"
    assert "LEADSYNC_TENANT_HOOLI__" in outcome.error
    status = json.loads(fleet_db.leadsync("tenants", "status", "hooli", "--json").output)
    assert status[0]["status"] == "config" and status[0]["last_ok_at"] is None
    assert fleet_db.leadsync("tenants", "status", "nobody").exit_code == 2


def test_a_backfill_window_pulls_that_window_into_the_tenants_store(fleet_db, monkeypatch):
    fleet_db.add("umbrella", tenant_world(fleet_db, "umbrella", 15, 5))
    for key, value in fleet_db.env.items():
        monkeypatch.setenv(key, value)
    window = runner.backfill_window("hubspot", "contacts", None, datetime.now(UTC))
    outcome = runner.run_locked(open_registry(fleet_db.url), fleet_db.url, "umbrella",
                                "backfill", window)  # fmt: skip
    assert outcome.status == "ok" and outcome.pulled == 15
    assert _cycle(fleet_db, "umbrella", monkeypatch).status == "ok"


def test_a_missing_fleet_database_is_one_line_saying_what_to_check(postgres_server, tmp_path):
    missing = make_url(postgres_server).set(database="leadsync_no_such_fleet")
    url = missing.render_as_string(hide_password=False)
    fleet = Fleet(url, "unused", tmp_path, env={"LEADSYNC_TENANTS_DATABASE_URL": url})
    done = fleet.leadsync("tenants", "list")
    assert done.exit_code == 1
    assert "LEADSYNC_TENANTS_DATABASE_URL" in done.output and "Traceback" not in done.output
