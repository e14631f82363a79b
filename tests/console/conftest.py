"""Console fixtures: a store filled by a real cycle against the sandbox, the console app on
it, and Debian's Chromium driven by Playwright.

One store and one app server per test module (module scope), so the browser tests stay fast
and each xdist worker has its own. The store holds what an admin would see after a first
sync, plus a few things a first sync on a healthy sandbox does not make: open errors of two
types, a pending plan, a run that recorded its API use, and a fit rule whose label is a
`<script>` tag.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from leadsync.console.app import create_app, server
from leadsync.console.settings import ConsoleOptions
from leadsync.console.state import ConsoleState
from leadsync.console.users import Role, add_user
from leadsync.sync.config import SHIPPED_RULES
from leadsync.sync.errorq import Retry, quarantine
from leadsync.sync.schema import OutboxRow, PersonRow, RunRow
from tests.conftest import fresh_postgres_database
from tests.sync.conftest import World, start_world

PASSWORD = "correct horse battery staple"
USERS = {"owner@example.com": Role.OWNER, "editor@example.com": Role.EDITOR,
         "viewer@example.com": Role.VIEWER}  # fmt: skip
SCRIPT_LABEL = "<script>window.__pwned = 1</script>Core industry"
# The seeded error queue: two refused writes (type rejected-value), one unmapped value
# (type invalid-value).
PICKLIST = ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "apply")
UNMAPPED = ("UNMAPPED_VALUE", "decide")
SECRET_KEY = "k" * 48
CHROMIUM = os.environ.get("LEADSYNC_CHROMIUM", "/usr/bin/chromium")
# What works for Debian's Chromium on these machines: headless, no sandbox (root in a
# container), nothing that phones home. Playwright gives every launch a fresh user-data-dir.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


# For commands that only touch the store: the CRMs behind these addresses are never called.
TOKENS = {"LEADSYNC_HUBSPOT__ACCESS_TOKEN": "hs-token-never-shown",
          "LEADSYNC_SALESFORCE__ACCESS_TOKEN": "sf-token-never-shown"}  # fmt: skip


def offline_config(directory: Path) -> Path:
    """A config over a SQLite store in `directory`, with CRMs that are never reached."""
    path = directory / "config.toml"
    path.write_text(
        f'database_url = "sqlite:///{directory / "leadsync.db"}"\n'
        '[hubspot]\nbase_url = "http://127.0.0.1:9"\n'
        '[salesforce]\ninstance_url = "https://127.0.0.1:9"\nauth = "session"\n'
    )
    return path


@dataclass
class Store:
    config: Path
    env: dict[str, str]
    now: datetime
    tokens: list[str]
    world: World

    def state(self) -> ConsoleState:
        return ConsoleState(self.config, clock=lambda: self.now)


def _rules_with_script_label() -> str:
    text = SHIPPED_RULES.read_text(encoding="utf-8")
    assert 'label = "Core industry (commerce)"' in text
    return text.replace('label = "Core industry (commerce)"', f"label = {SCRIPT_LABEL!r}")


def _seed(state: ConsoleState, now: datetime) -> None:
    rt = state.runtime()
    with rt.sessions.begin() as session:
        for email, role in USERS.items():
            add_user(session, email=email, password=PASSWORD, role=role, actor="cli:test", now=now)
        people = session.scalars(select(PersonRow).order_by(PersonRow.id).limit(3)).all()
        for i, person in enumerate(people):
            code, stage = PICKLIST if i < 2 else UNMAPPED
            quarantine(session, run_id=None, system="salesforce", stage=stage,
                       record=f"Lead/00Q{i}", code=code, retry=Retry.FIX, now=now,
                       message=f"Lead.Status value {i} is not in the picklist; map it in "
                               "stages.salesforce.Status", person_id=person.id)  # fmt: skip
        session.add_all([
            OutboxRow(system="salesforce", obj="Lead", record_id=None, properties={"Status": "x"},
                      created_at=now, updated_at=now),
            OutboxRow(system="hubspot", obj="contact", record_id="1", properties={"a": "b"},
                      created_at=now, updated_at=now),
        ])  # fmt: skip
        run = session.scalars(select(RunRow).order_by(RunRow.id.desc())).first()
        run.counts = {**run.counts, "api": {
            "hubspot": {"calls": 42, "used": 1200, "limit": 250000, "share": 0.8},
            "salesforce": {"calls": 17},
        }}  # fmt: skip


def build_store(directory: Path, database_url: str) -> Iterator[Store]:
    world = start_world(directory, database_url)
    saved = {name: os.environ.get(name) for name in world.env}
    os.environ.update(world.env)  # the console loads the config, and so the tokens, itself
    try:
        with world.config.open("a", encoding="utf-8") as handle:
            handle.write("\n" + _rules_with_script_label())
        assert world.cycle().error is None
        store = Store(world.config, world.env, world.now, list(world.env.values()), world)
        _seed(store.state(), world.now)
        yield store
    finally:
        world.box.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    directory = tmp_path_factory.mktemp("console")
    yield from build_store(directory, f"sqlite:///{directory / 'leadsync.db'}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def any_store(request, tmp_path_factory) -> Iterator[Store]:
    """The store on SQLite, and again on PostgreSQL when one is reachable."""
    directory = tmp_path_factory.mktemp("console")
    if request.param == "sqlite":
        yield from build_store(directory, f"sqlite:///{directory / 'leadsync.db'}")
        return
    for url in fresh_postgres_database(request.getfixturevalue("postgres_server")):
        yield from build_store(directory, url)


# --- the app, served for real ------------------------------------------------------------


@pytest.fixture(scope="module")
def live(store) -> Iterator[str]:
    """The console on a free port of 127.0.0.1; yields its base URL."""
    options = ConsoleOptions(port=0, secret_key=SECRET_KEY)
    running = server(create_app(store.state(), options), options, log_level="warning")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(client, email: str, password: str = PASSWORD):
    """Sign `client` in through the login form, as a browser would."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token, "next": "/health"})  # fmt: skip


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(or: apt-get install chromium); Playwright never downloads a browser here")  # fmt: skip
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def screenshots() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture
def contexts(browser, live) -> Iterator[Callable[[], object]]:
    opened = []

    def new():
        context = browser.new_context(base_url=live)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def sign_in(contexts) -> Callable[[str], object]:
    def as_user(email: str):
        page = contexts().new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/health")
        return page

    return as_user


def token(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")
