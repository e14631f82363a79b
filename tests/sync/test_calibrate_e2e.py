"""`leadsync calibrate` on the sandbox world, whose generator has a known model of who wins
(`sandbox.world.wins`): calibration must find its drivers, beat the shipped rules on later
people, and find nothing when the outcomes are shuffled.

One backfilled world per database serves every test here; the sandbox's request counts show
that calibrating calls neither CRM.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync.sandbox.world import generate
from leadsync.sync.backfill import backfill
from leadsync.sync.calibration import run_calibration
from leadsync.sync.wiring import build_connectors
from tests.conftest import fresh_postgres_database

from .conftest import start_world, subprocess_env

CONTACTS = 3_000
# The world's history ends at a fixed moment, and the run's clock stands just after it: a world
# generated up to today moves its month boundaries and ages every day, so which rules win the
# backtest drifted with the date (the suggestion lost on 2026-11-28 with the same seed).
ENDS = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# The world's fitting industries (`wins.TARGET_INDUSTRY`) as leadsync names them; internet
# companies map to "software" with the rest of technology, so they are not counted here.
TARGET_INDUSTRIES = {"retail", "apparel", "consumer_goods"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def calibrated(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"calibrate-{request.param}")
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp / 'leadsync.db'}"])
    else:
        urls = fresh_postgres_database(request.getfixturevalue("postgres_server"))
    url = next(urls)
    world = start_world(tmp, url, contacts=CONTACTS, seed=5,
                        world=generate(CONTACTS, 5, now=ENDS))  # fmt: skip
    world.now = ENDS + timedelta(seconds=1)
    saved = {name: os.environ.get(name) for name in world.env}
    os.environ.update(world.env)
    try:
        rt = world.runtime()
        backfill(rt, build_connectors(rt))
        world.reset_stats()
        yield world
    finally:
        world.box.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    next(urls, None)  # drops the PostgreSQL database


def calibrate(world, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "calibrate", *args, "--config", str(world.config)],
        env=subprocess_env(world), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    return done


def test_calibration_ranks_the_worlds_drivers_above_what_does_not_drive_wins(calibrated):
    data = json.loads(calibrate(calibrated, "--json").stdout)
    assert {"base_rate", "attributes", "suggested_rules", "backtest", "fields"} <= set(data)
    assert all({"field", "value", "people", "rate", "lift", "low", "high"} <= set(a)
               for a in data["attributes"])  # fmt: skip
    rules = {a["value"]: a for a in data["attributes"] if a["field"] == "rule"}
    # `sandbox.world.wins`: buyers come from the commerce industries the shipped rule
    # "industry-core" names; the country of their company has no effect, yet the shipped rule
    # "country-served" pays for it. Each group holds over a thousand people here.
    core, served = rules["industry-core"], rules["country-served"]
    assert core["low"] > 1, core
    assert served["low"] < 1 < served["high"], served
    assert core["lift"] > served["lift"] and core["low"] > served["low"]
    assert all(rows["lift"] > 1 for rows in _values(data, "industry", TARGET_INDUSTRIES))
    stats = calibrated.stats()
    assert stats["hubspot"]["requests"] == stats["salesforce"]["requests"] == 0


def _values(data: dict, field: str, values: set[str]) -> list[dict]:
    return [a for a in data["attributes"] if a["field"] == field and a["value"] in values]


def test_the_suggested_rules_beat_the_shipped_ones_on_later_people(calibrated):
    sides = json.loads(calibrate(calibrated, "--json").stdout)["backtest"]
    for side in ("current", "suggested"):
        assert {"auc", "precision", "recall"} <= set(sides[side])
    assert sides["suggested"]["auc"] > sides["current"]["auc"]


def test_with_the_outcomes_shuffled_there_is_nothing_to_learn(calibrated):
    rt = calibrated.runtime()
    honest = run_calibration(rt, "won")
    shuffled = run_calibration(rt, "won", shuffle=random.Random(11))
    assert shuffled.outcomes == honest.outcomes
    assert 0.4 <= shuffled.suggested.auc <= 0.6
    assert honest.suggested.auc > 0.75


def test_the_written_rules_are_a_config_preview_accepts(calibrated, tmp_path):
    candidate, charts = tmp_path / "candidate.toml", tmp_path / "charts"
    done = calibrate(calibrated, "--write-rules", str(candidate), "--plot", str(charts),
                     "--target-mql-rate", "0.1")  # fmt: skip
    assert "suggested rules" in done.stdout and "backtest" in done.stdout
    assert sorted(p.name for p in charts.iterdir()) == ["lift.png", "roc.png", "scores.png"]
    preview = subprocess.run(
        [sys.executable, "-m", "leadsync", "preview", "--config", str(candidate), "--json",
         "--current", str(calibrated.config)],
        env=subprocess_env(calibrated), capture_output=True, text=True,
    )  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    assert json.loads(preview.stdout)["people"] > 0
    again = calibrate(calibrated, "--write-rules", str(candidate), code=2)
    assert "--force" in again.stderr and len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--outcome", "revenue"], "--outcome 'revenue' is not known"),
        (["--since", "last spring"], "--since 'last spring' is not a date"),
        (["--since", "2099-01-01"], "no people created since 2099-01-01"),
        (["--target-mql-rate", "2"], "mql_rate must be a share"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(calibrated, args: list[str], said: str) -> None:
    done = calibrate(calibrated, *args, code=2)
    assert said in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_an_empty_store_says_to_backfill_first(calibrated, tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    config.write_text("\n".join(
        f'database_url = "{empty}"' if line.startswith("database_url") else line
        for line in calibrated.config.read_text().splitlines()
    ), encoding="utf-8")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "calibrate", "--config", str(config)],
        env=subprocess_env(calibrated), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "run `leadsync backfill` first" in done.stderr
