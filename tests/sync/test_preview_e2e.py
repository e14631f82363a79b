"""Impact preview and rescore: see what a config change would do before it moves anyone."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from leadsync.sync.config import load_settings
from leadsync.sync.decide_step import DecideStep
from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.preview import candidate_decider, preview
from leadsync.sync.schema import LedgerRow, OutboxRow, ScoreRow

from .test_dry_runs_e2e import leadsync

RULES = Path(__file__).parents[2] / "leadsync" / "scoring" / "example_rules.toml"
EVERYONE_PLUS_100 = """
[[scoring.engagement]]
id = "everyone"
label = "Added by mistake"
kind = ["page_view", "email_open", "email_click", "form_submission"]
points = 100
max_times = 1
decay = false
"""


def candidate(world, name: str, rules: str) -> Path:
    path = world.config.parent / name
    path.write_text(world.config.read_text() + "\n" + rules, encoding="utf-8")
    return path


def _preview(world, path: Path) -> list[str]:
    return ["preview", "--config", str(path), "--current", str(world.config)]


def _stored(world) -> tuple[int, ...]:
    with world.runtime().sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t))
            for t in (LedgerRow, ScoreRow, OutboxRow)
        )


def test_preview_of_a_higher_mql_bar_reports_who_it_would_hold_and_writes_nothing(world):
    world.cycle()
    raised = RULES.read_text().replace("total_at_least = 50", "total_at_least = 150")
    path = candidate(world, "raised.toml", raised)
    stored, world_stats = _stored(world), world.reset_stats()

    done = leadsync(world, *_preview(world, path), "--json", "--examples", "2", config=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["people"] > 0
    assert data["holds"].get("mql->lead", 0) > 0  # MQLs who would no longer qualify
    example = data["hold_examples"]["mql->lead"][0]
    assert example["email"] and example["score_before"] == example["score_after"]
    assert _stored(world) == stored
    stats = world.stats()
    assert stats["hubspot"]["writes"] == 0 and stats["salesforce"]["writes"] == 0
    del world_stats


def test_preview_of_a_rule_added_by_mistake_shows_the_moves_writes_and_leads_it_would_make(world):
    world.cycle()
    path = candidate(world, "mistake.toml", RULES.read_text() + EVERYONE_PLUS_100)
    done = leadsync(world, *_preview(world, path), "--json", config=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["moves"].get("lead->mql", 0) > 0
    shown = data["examples"]["lead->mql"]
    assert shown[0]["rules_that_differ"]["everyone"] == {"before": 0.0, "after": 100.0}
    assert data["writes"]["hubspot"] > 0 and data["creates"] > 0
    assert data["api_calls"]["salesforce"] >= 1
    engagement = data["distribution"]["engagement"]
    assert engagement["after"]["p75"] >= engagement["before"]["p75"] + 90
    shown_text = leadsync(world, *_preview(world, path), config=False)
    assert "lead->mql" in shown_text.stdout and "nothing was stored" in shown_text.stdout


def test_a_candidate_s_daily_cap_limits_the_leads_its_preview_would_create(world):
    world.cycle()
    uncapped = candidate(world, "mistake.toml", RULES.read_text() + EVERYONE_PLUS_100)
    capped = candidate(world, "capped.toml", RULES.read_text() + EVERYONE_PLUS_100
                       + "\n[sync.handoff]\ndaily_cap = 1\n")  # fmt: skip
    made = [json.loads(leadsync(world, *_preview(world, path), "--json", config=False).stdout)
            for path in (uncapped, capped)]  # fmt: skip
    assert made[0]["creates"] > 1
    # At most one a day, less what the first cycle already created today.
    assert made[1]["creates"] <= 1 < made[0]["creates"]


def test_a_rescore_is_reviewed_before_it_is_sent(world):
    world.cycle()
    world.config.write_text(world.config.read_text() + "\n" + RULES.read_text() + EVERYONE_PLUS_100)
    stored = _stored(world)
    review = leadsync(world, "rescore", "--json")
    assert review.returncode == 0, review.stderr
    plan = json.loads(review.stdout)
    assert plan["moves"] and plan["creates"] > 0
    assert _stored(world) == stored
    status = json.loads(leadsync(world, "status", "--json").stdout)
    assert status["pending"]["rescore_waiting"]["moves"] == plan["moves"]

    world.reset_stats()
    applied = leadsync(world, "rescore", "--apply")
    assert applied.returncode in (0, 3), applied.stderr
    assert world.stats()["salesforce"]["writes"] > 0
    status = json.loads(leadsync(world, "status", "--json").stdout)
    assert status["pending"]["rescore_waiting"] is None


def test_a_preview_scored_on_columns_says_exactly_what_the_engine_says(world):
    world.cycle()
    raised = RULES.read_text().replace("total_at_least = 50", "total_at_least = 150")
    proposed = load_settings(
        candidate(world, "both.toml", raised + EVERYONE_PLUS_100), secrets=False
    )
    rt = world.runtime()
    assert rt.kernel is not None  # the shipped rules score on columns
    limits = {"hubspot": 100, "salesforce": 200}

    on_columns = preview(rt, proposed, now=world.now, examples=50).as_dict(limits)
    by_engine = preview(replace(rt, kernel=None), proposed, now=world.now, examples=50)

    assert on_columns == by_engine.as_dict(limits)
    assert on_columns["moves"] and on_columns["examples"]  # people move: examples compared too


def test_points_too_large_to_count_on_columns_are_scored_by_the_engine(world):
    world.cycle()
    huge = EVERYONE_PLUS_100.replace("points = 100", "points = 1e15")
    proposed = load_settings(candidate(world, "huge.toml", RULES.read_text() + huge),
                             secrets=False)  # fmt: skip
    rt = world.runtime()
    limits = {"hubspot": 100, "salesforce": 200}

    on_columns = preview(rt, proposed, now=world.now).as_dict(limits)

    assert on_columns == preview(replace(rt, kernel=None), proposed, now=world.now).as_dict(limits)
    assert on_columns["distribution"]["engagement"]["after"]["p75"] >= 1e15


def test_a_preview_plans_for_the_candidate_what_the_candidate_alone_would_plan(world):
    """The candidate's pass reuses writes planned for the current config only where nothing
    differs; with other CRM property names it plans every write afresh."""
    world.cycle()
    raised = RULES.read_text().replace("total_at_least = 50", "total_at_least = 40")
    renamed = raised + '\n[writeback.hubspot.contact]\ntotal = "leadsync_score_v2"\n'
    rt, limits = world.runtime(), {"hubspot": 100, "salesforce": 200}
    for rules in (raised, renamed):
        proposed = load_settings(candidate(world, "proposed.toml", rules), secrets=False)
        alone = PlanSummary()
        DecideStep(rt, run_id=None, now=world.now, decider=candidate_decider(rt, proposed)).run(
            everyone=True, dry=True, summary=alone
        )
        after = preview(rt, proposed, now=world.now).after
        assert after.as_dict(limits) == alone.as_dict(limits)
        assert alone.writes  # writes planned: compared too


def test_a_candidate_with_the_current_mapping_reuses_what_the_current_pass_read(world):
    """Connectors installed but not configured (the tests' third CRM is) play no part: a
    candidate with the current stages, fields and write-back names neither re-maps anyone's
    fields from their records nor reads their stage evidence and plans afresh."""
    raised = RULES.read_text().replace("total_at_least = 50", "total_at_least = 40")
    proposed = load_settings(candidate(world, "proposed.toml", raised), secrets=False)
    rt = world.runtime()
    decider = candidate_decider(rt, proposed)
    assert decider.field_maps is None
    assert decider.vocabularies is rt.vocabularies
    assert decider.outbound is rt.outbound
