"""Shadow mode: a candidate config decides beside the live one for real cycles, writes nothing,
and its report shows where and how the two differ."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from leadsync.sandbox.world import generate
from leadsync.sync.schema import (
    LedgerRow,
    LinkRow,
    OutboxRow,
    PersonRow,
    ShadowCandidateRow,
    ShadowDecisionRow,
    ShadowMoveRow,
)

from .conftest import CONTACTS, World, start_world, subprocess_env
from .test_dry_runs_e2e import leadsync

RULES = Path(__file__).parents[2] / "leadsync" / "scoring" / "example_rules.toml"
MQL_GATE = "fit_at_least = 20\nengagement_at_least = 10\ntotal_at_least = 50"
LOWER_GATE = "fit_at_least = 0\nengagement_at_least = 1\ntotal_at_least = 5"
SHADOW_TABLES = (ShadowCandidateRow, ShadowDecisionRow, ShadowMoveRow)


def lower_bar(world: World, name: str = "candidate.toml") -> Path:
    """A candidate whose MQL bar is far lower than the shipped one."""
    rules = RULES.read_text()
    assert MQL_GATE in rules
    path = world.config.parent / name
    path.write_text(world.config.read_text() + "\n" + rules.replace(MQL_GATE, LOWER_GATE))
    return path


def shadowing(world: World, ref: str) -> None:
    with world.config.open("a", encoding="utf-8") as out:
        out.write(f'\n[scoring]\nshadow = "{ref}"\n')


@pytest.fixture
def twins(tmp_path, database_url) -> Iterator[tuple[World, World]]:
    """Two sandboxes holding the same world: one runs with a shadow candidate, one without."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    made = [
        start_world(tmp_path / name, url, world=generate(CONTACTS, 11, at))
        for name, url in (("shadow", database_url), ("plain", f"sqlite:///{tmp_path}/plain.db"))
    ]
    try:
        yield made[0], made[1]
    finally:
        for world in made:
            world.box.stop()


def _cycle_both(shadow: World, plain: World, **kw: Any) -> None:
    for world in (shadow, plain):
        world.tick()
    shadow.now = plain.now = max(shadow.now, plain.now)
    for world in (shadow, plain):
        world.cycle(**kw)


def _writes(world: World) -> tuple[Any, ...]:
    """What the live side sent or queued, named by email: comparable across two stores."""
    with world.runtime().sessions() as session:
        emails = {i: e for i, e in session.execute(select(PersonRow.id, PersonRow.email))}
        outbox = Counter(
            (emails[r.person_id], r.system, r.obj, json.dumps(r.properties, sort_keys=True),
             r.state)
            for r in session.scalars(select(OutboxRow))
        )  # fmt: skip
        ledger = Counter(
            (emails[r.person_id], r.from_stage, r.to_stage, r.cause)
            for r in session.scalars(select(LedgerRow))
        )
    stats = world.stats()
    sent = {
        system: {route: n for route, n in stats[system]["by_route"].items() if _writes_to(route)}
        for system in ("hubspot", "salesforce")
    }  # fmt: skip
    return outbox, ledger, sent


def _writes_to(route: str) -> bool:
    """A route that changes a CRM. Searches and batch reads are POSTs too, and how many a
    cycle makes depends on timing (a window split, a probe), not on what it writes."""
    return not route.startswith("GET") and not route.endswith(("/search", "/batch/read"))


def _differ(a: Any, b: Any) -> dict[str, Any]:
    """What one side has that the other has not (counters and per-system route counts)."""
    if isinstance(a, Counter):
        return {"only_with_shadow": dict(a - b), "only_without": dict(b - a)}
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _count(world: World, table: Any) -> int:
    with world.runtime().sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_shadow_candidate_decides_every_cycle_and_changes_no_live_write(twins):
    shadow, plain = twins
    shadowing(shadow, lower_bar(shadow).name)
    _cycle_both(shadow, plain)
    for world in (shadow, plain):  # a marketer adds someone who read the pricing page
        world.hs_create({"email": "new.reader@example.org", "firstname": "New",
                         "lifecyclestage": "lead"})  # fmt: skip
    _cycle_both(shadow, plain)
    _cycle_both(shadow, plain, everyone=True)  # the nightly rescore decides everyone

    for name, with_shadow, without in zip(("outbox", "ledger", "sent"), _writes(shadow),
                                          _writes(plain), strict=True):  # fmt: skip
        assert with_shadow == without, (name, _differ(with_shadow, without))
    assert all(_writes(plain)[2].values()), (
        "both CRMs were written to: the comparison means something"
    )
    assert all(_count(plain, table) == 0 for table in SHADOW_TABLES)
    with shadow.runtime().sessions() as session:
        people = session.scalar(select(func.count()).select_from(PersonRow))
        decided = session.scalar(select(func.count()).select_from(ShadowDecisionRow))
        promoted = session.scalar(
            select(func.count()).select_from(ShadowMoveRow).where(ShadowMoveRow.to_stage == "mql")
        )
        live_mqls = session.scalar(
            select(func.count()).select_from(LedgerRow).where(LedgerRow.to_stage == "mql")
        )
    assert decided == people  # the rescore decided everyone: one latest decision each
    assert promoted > live_mqls  # the lower bar qualifies more people


def _only_the_candidates_mql_with_a_lead(world: World) -> str:
    """The Salesforce Lead of someone the candidate qualified and the live config did not."""
    with world.runtime().sessions() as session:
        return session.scalars(
            select(LinkRow.record_id)
            .join(ShadowDecisionRow, ShadowDecisionRow.person_id == LinkRow.person_id)
            .where(LinkRow.kind == "salesforce_lead",
                   ShadowDecisionRow.live_stage == "lead", ShadowDecisionRow.stage == "mql")
            .order_by(LinkRow.record_id)
        ).first()  # fmt: skip


def test_the_report_shows_agreement_divergence_and_what_each_sides_mqls_became(world):
    shadowing(world, lower_bar(world).name)
    world.cycle()
    world.tick()
    world.cycle(everyone=True)
    # A rep works a Lead only the candidate had qualified: the candidate's MQL converted.
    world.sf_update("Lead", _only_the_candidates_mql_with_a_lead(world),
                    {"Status": "Working - Contacted"})  # fmt: skip
    world.tick()
    world.cycle()

    done = leadsync(world, "shadow", "report", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["candidate"]["path"].endswith("candidate.toml")
    assert 0 < data["agree"] < data["people"]
    assert data["agreement"] == pytest.approx(data["agree"] / data["people"], abs=1e-4)
    lower = {(d["live"], d["candidate"]): d for d in data["divergence"]}
    assert lower[("lead", "mql")]["people"] > 0
    assert len(lower[("lead", "mql")]["examples"]) <= 3
    assert all("@" in email for d in data["divergence"] for email in d["examples"])
    assert data["moves"]["lead->mql"]["candidate"] > data["moves"]["lead->mql"]["live"]
    conversion = data["conversion"]
    assert conversion["candidate"]["mqls"] > conversion["live"]["mqls"]
    assert conversion["only_candidate"]["mqls"] > 0 and conversion["only_candidate"]["sql"] >= 1
    assert conversion["only_live"]["sql"] == conversion["only_live"]["mqls"] == 0
    for side in conversion.values():
        assert side["mqls"] >= side["sql"] >= side["opportunity"] >= side["won"] >= 0

    shown = leadsync(world, "shadow", "report")
    assert shown.returncode == 0, shown.stderr
    assert "where they differ" in shown.stdout and "leadsync preview --config" in shown.stdout
    later = leadsync(world, "shadow", "report", "--json", "--since", "2999-01-01")
    assert json.loads(later.stdout)["people"] == 0
    status = leadsync(world, "status")
    assert "shadow mode is on" in status.stdout and "candidate.toml" in status.stdout
    on = json.loads(leadsync(world, "status", "--json").stdout)["shadow"]
    assert on["since"] == data["candidate"]["since"]


def _candidate_stages(world: World) -> dict[str, tuple[str | None, str]]:
    """Per email: (live stage, candidate stage) of the latest shadow decision."""
    with world.runtime().sessions() as session:
        rows = session.execute(
            select(PersonRow.email, ShadowDecisionRow.live_stage, ShadowDecisionRow.stage)
            .join(ShadowDecisionRow, ShadowDecisionRow.person_id == PersonRow.id)
        )  # fmt: skip
        return {email: (live, shadow) for email, live, shadow in rows}


def test_a_stricter_candidate_keeps_its_own_stages_and_takes_an_admins_move(world):
    stricter = RULES.read_text().replace("total_at_least = 50", "total_at_least = 500")
    (world.config.parent / "strict.toml").write_text(world.config.read_text() + stricter)
    shadowing(world, "strict.toml")
    world.cycle()
    world.tick()
    world.cycle(everyone=True)  # scoring never demotes: had it copied live, it would say mql
    held = sorted(e for e, (live, shadow) in _candidate_stages(world).items()
                  if live == "mql" and shadow == "lead")  # fmt: skip
    assert held, "the live config qualified nobody the stricter bar holds back"

    done = leadsync(world, "move", held[0], "--to", "suspect", "--why", "a student, per sales")
    assert done.returncode == 0, done.stdout + done.stderr
    world.tick()
    world.cycle(everyone=True)
    stages = _candidate_stages(world)
    assert stages[held[0]] == ("suspect", "suspect")  # a person's word counts on both sides
    assert all(stages[email] == ("mql", "lead") for email in held[1:])


def test_the_report_before_any_shadow_says_how_to_start(sqlite_world):
    sqlite_world.cycle()
    # An analyst without the CRMs' tokens may read it.
    env = {k: v for k, v in subprocess_env(sqlite_world).items() if not k.endswith("_TOKEN")}
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "shadow", "report", "--config",
         str(sqlite_world.config)], env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[scoring] shadow" in done.stdout
    assert "shadow mode" not in leadsync(sqlite_world, "status").stdout


@pytest.mark.parametrize(
    ("gate", "said"),
    [(None, "file not found"), ('total_at_least = "fifty"', "total_at_least")],
    ids=["missing", "invalid"],
)
def test_a_bad_shadow_candidate_stops_the_cycle_before_anything_is_written(
    sqlite_world, gate, said
):
    world = sqlite_world
    if gate is not None:
        rules = RULES.read_text().replace("total_at_least = 50", gate)
        (world.config.parent / "candidate.toml").write_text(world.config.read_text() + rules)
    shadowing(world, "candidate.toml")
    done = leadsync(world, "sync")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "config.toml: scoring.shadow = 'candidate.toml'" in lines[0] and said in lines[0]
    assert not (world.config.parent / "leadsync.db").exists()
    stats = world.stats()
    assert stats["hubspot"]["requests"] == 0 and stats["salesforce"]["requests"] == 0
