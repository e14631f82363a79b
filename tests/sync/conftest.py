"""End-to-end fixtures: a fresh sandbox per test, a config pointing at it, and helpers that
act like the people who use the CRMs (a sales rep editing a Lead, a marketer's contact)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from leadsync.sandbox.cli import sandbox_config, token_environment
from leadsync.sandbox.server import Sandbox
from leadsync.sync.config import load_settings
from leadsync.sync.cycle import CycleResult, run_cycle
from leadsync.sync.runtime import Runtime, build_runtime
from leadsync.sync.wiring import build_connectors

CONTACTS = 60


@dataclass
class World:
    box: Sandbox
    config: Path
    env: dict[str, str]
    now: datetime

    @property
    def info(self) -> dict[str, Any]:
        return self.box.info()

    def tick(self, **delta: float) -> None:
        """Move the clock to the real now (things people did since are visible), plus `delta`."""
        self.now = max(self.now, datetime.now(UTC).replace(microsecond=0)) + timedelta(
            seconds=1, **delta
        )

    def runtime(self) -> Runtime:
        """A runtime for this world; its tokens come from this world's environment."""
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            settings = load_settings(self.config)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return build_runtime(settings, clock=lambda: self.now)

    def cycle(self, **kw: Any) -> CycleResult:
        rt = self.runtime()
        return run_cycle(rt, build_connectors(rt), **kw)

    # --- the sandbox's own API -----------------------------------------------------------

    def admin(self, method: str, path: str, **body: Any) -> Any:
        url = f"{self.info['sandbox_url']}/_sandbox/{path}"
        response = requests.request(method, url, json=body or None, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "stats")

    def reset_stats(self) -> None:
        self.admin("POST", "reset")

    # --- HubSpot, as a marketer sees it ------------------------------------------------

    def _hs(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.info['hubspot_token']}"}
        response = requests.request(method, f"{self.info['hubspot_url']}{path}", headers=headers,
                                    timeout=10, **kw)  # fmt: skip
        response.raise_for_status()
        return response.json() if response.content else None

    def hs_contacts(self, properties: list[str]) -> dict[str, dict[str, Any]]:
        found, after = {}, None
        while True:
            params: dict[str, Any] = {"limit": 100, "properties": ",".join(properties)}
            if after:
                params["after"] = after
            page = self._hs("GET", "/crm/v3/objects/contacts", params=params)
            found.update({r["id"]: r["properties"] for r in page["results"]})
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return found

    def hs_create(self, properties: dict[str, str]) -> str:
        return self._hs("POST", "/crm/v3/objects/contacts", json={"properties": properties})["id"]

    def hs_contact(self, contact_id: str, properties: list[str]) -> dict[str, Any]:
        path = f"/crm/v3/objects/contacts/{contact_id}"
        return self._hs("GET", path, params={"properties": ",".join(properties)})["properties"]

    # --- Salesforce, as a sales rep sees it --------------------------------------------

    def _sf(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.info['salesforce_token']}"}
        url = f"{self.info['salesforce_url']}/services/data/v59.0/{path}"
        response = requests.request(method, url, headers=headers, verify=self.info["ca_bundle"],
                                    timeout=10, **kw)  # fmt: skip
        response.raise_for_status()
        return response.json() if response.content else None

    def sf_query(self, soql: str) -> list[dict[str, Any]]:
        records, page = [], self._sf("GET", "query", params={"q": soql})
        records += page["records"]
        while not page["done"]:
            page = self._sf("GET", page["nextRecordsUrl"].split("/v59.0/", 1)[1])
            records += page["records"]
        return records

    def sf_update(self, obj: str, record_id: str, fields: dict[str, Any]) -> None:
        """A sales rep's edit (their own session: the record names them, not the API user)."""
        self._sf("PATCH", f"sobjects/{obj}/{record_id}", token=self.rep_token(), json=fields)

    def rep_token(self) -> str:
        if not hasattr(self, "_rep_token"):
            users = self.sf_query("SELECT Id, Username FROM User")
            rep = next(u for u in users if "integration" not in (u["Username"] or "").lower())
            self._rep_token = self.admin("POST", "salesforce/tokens", user=rep["Id"])["token"]
        return self._rep_token


def start_world(
    tmp_path: Path, database_url: str, contacts: int = CONTACTS, seed: int = 11, world: Any = None
):
    tmp_path.mkdir(parents=True, exist_ok=True)
    box = Sandbox(contacts=contacts, seed=seed, world=world).start()
    info = box.info()
    config = tmp_path / "config.toml"
    text = sandbox_config(info, "professional", tmp_path)
    text = "\n".join(
        f"database_url = {database_url!r}".replace("'", '"')
        if line.startswith("database_url")
        else line
        for line in text.splitlines()
    )
    config.write_text(text + "\n", encoding="utf-8")
    env = dict(line.split("=", 1) for line in token_environment(info))
    # The run's clock starts a whole second on: strictly after the world's history, which
    # ends at the moment it was generated, possibly within this same second.
    return World(
        box, config, env, (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
    )


def _running(tmp_path: Path, database_url: str, monkeypatch) -> Iterator[World]:
    made = start_world(tmp_path, database_url)
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    try:
        yield made
    finally:
        made.box.stop()


@pytest.fixture
def world(tmp_path, database_url, monkeypatch) -> Iterator[World]:
    """A fresh sandbox and store per test, on SQLite and (when reachable) PostgreSQL."""
    yield from _running(tmp_path, database_url, monkeypatch)


@pytest.fixture
def sqlite_world(tmp_path, monkeypatch) -> Iterator[World]:
    yield from _running(tmp_path, f"sqlite:///{tmp_path / 'leadsync.db'}", monkeypatch)


def subprocess_env(world: World, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")}
    return {**env, **world.env, "LEADSYNC_NOW": world.now.isoformat(), **extra}
