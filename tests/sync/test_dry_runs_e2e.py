"""Dry runs are dry: `sync --dry-run` and `plan` store no decision; `apply` sends what plan showed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from sqlalchemy import func, select

from leadsync.sync.plan_summary import PlanSummary
from leadsync.sync.schema import AuditRow, LedgerRow, OutboxRow, PersonRow, ScoreRow

from .conftest import subprocess_env


def _counts(world) -> tuple[int, int, int]:
    with world.runtime().sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (LedgerRow, ScoreRow, OutboxRow)
        )  # type: ignore[return-value]


def leadsync(world, *args: str, config: bool = True) -> subprocess.CompletedProcess:
    """Run a command as an admin would, with the world's config unless `config` is False."""
    chosen = ["--config", str(world.config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "leadsync", *args, *chosen],
        env=subprocess_env(world), capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_a_dry_run_twice_leaves_ledger_scores_and_outbox_as_they_were(world):
    before = _counts(world)
    for _ in range(2):
        done = leadsync(world, "sync", "--dry-run")
        assert done.returncode in (0, 3), done.stderr
        assert _counts(world) == before
    assert "stage moves" in done.stdout and "nothing was stored or written" in done.stdout
    stats = world.stats()
    assert stats["hubspot"]["writes"] == 0 and stats["salesforce"]["writes"] == 0


def test_plan_summarises_then_apply_sends_exactly_the_planned_writes(world):
    done = leadsync(world, "plan", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["moves"] and plan["writes"]["hubspot"] > 0 and plan["creates"] >= 0
    assert set(plan["api_calls"]) <= {"hubspot", "salesforce"}
    assert _counts(world)[0] == 0  # no ledger rows yet: nothing was decided for real

    world.reset_stats()
    applied = leadsync(world, "apply", "--json")
    assert applied.returncode in (0, 3), applied.stderr
    result = json.loads(applied.stdout)
    assert result["apply"]["done"] + result["apply"]["failed"] == sum(plan["writes"].values())
    assert result["decide"]["handoffs"] == plan["creates"]
    with world.runtime().sessions() as session:
        stages = Counter(session.scalars(select(PersonRow.stage)))
    planned_stages = Counter()
    for move, people in plan["moves"].items():
        planned_stages[move.split("->")[1]] += people
    assert stages == planned_stages  # everyone is new here: each lands where plan said
    contacts = world.hs_contacts(sorted({k for r in plan["rows"] for k in r["properties"]}))
    for row in plan["rows"]:
        if row["system"] == "hubspot":
            held = contacts[row["record_id"]]
            assert all(held.get(k) == v for k, v in row["properties"].items()), row


def test_plan_discard_drops_queued_writes_and_says_so_in_the_audit_log(world):
    summary = PlanSummary()
    world.cycle(apply=False, summary=summary)  # decided and stored, writes left queued
    queued = _counts(world)[2]
    assert queued > 0
    done = leadsync(world, "plan", "--discard", "--why", "wrong rule")
    assert done.returncode == 0, done.stderr
    with world.runtime().sessions() as session:
        states = set(session.scalars(select(OutboxRow.state)))
        (entry,) = session.scalars(select(AuditRow)).all()
    assert states == {"discarded"}
    assert entry.action == "plan.discard" and entry.why == "wrong rule"
    assert len(entry.before["outbox_ids"]) == queued


def test_backfilling_an_installed_crm_the_config_does_not_sync_says_what_to_do(world):
    """The tests' third CRM is installed, but the world's config has no [tinycrm] table."""
    before = _counts(world)
    done = leadsync(world, "backfill", "--system", "tinycrm")
    assert done.returncode == 2, done.stderr
    assert "no [tinycrm] table" in done.stderr and "hubspot, salesforce" in done.stderr
    assert str(world.config) in done.stderr
    assert "Traceback" not in done.stderr and "bug" not in done.stderr
    assert _counts(world) == before
