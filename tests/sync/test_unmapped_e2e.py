"""A vocabulary edited under stored records never wedges the worker.

Renaming a Lead Status value in the config leaves people whose Salesforce record still holds the
old value: each goes to the error queue naming the value and the config key, everyone else is
decided, and fixing the config brings them back without anyone retrying by hand.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from leadsync.mapping.stages import default_vocabularies
from leadsync.sync.config_mapping import vocabulary_config
from leadsync.sync.schema import ErrorRow

from .test_dry_runs_e2e import leadsync


def _inline(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in table.items()) + " }"


def _status_vocabulary(renamed: str) -> str:
    (vocab,) = [v for v in default_vocabularies() if v.prop == "Status"]
    cfg = vocabulary_config(vocab)
    new = renamed + " (renamed)"
    inbound = {new if k == renamed else k: v for k, v in cfg.inbound.items()}
    outbound = {k: new if v == renamed else v for k, v in cfg.outbound.items()}
    return (
        f'\n[stages.salesforce.Status]\nobject = "Lead"\ninbound = {_inline(inbound)}\n'
        f"outbound = {_inline(outbound)}\n"
    )


def test_a_renamed_status_value_quarantines_its_people_while_the_rest_are_decided(world):
    world.cycle()
    statuses = Counter(lead["Status"] for lead in world.sf_query("SELECT Id, Status FROM Lead"))
    renamed, holders = statuses.most_common(1)[0]
    original = world.config.read_text()
    world.config.write_text(original + _status_vocabulary(renamed))

    done = leadsync(world, "rescore", "--apply")
    assert done.returncode == 3, done.stdout + done.stderr  # errors arose in this run
    assert "Traceback" not in done.stderr
    with world.runtime().sessions() as session:
        errors = list(session.scalars(select(ErrorRow).where(ErrorRow.code == "UNMAPPED_VALUE")))
    assert 0 < len(errors) <= holders
    assert all(renamed in e.message and "stages.salesforce.Status" in e.message for e in errors)
    assert "rescored" in done.stdout  # everyone else went through

    world.config.write_text(original)
    world.tick()
    world.cycle()
    with world.runtime().sessions() as session:
        still = session.scalars(
            select(ErrorRow).where(
                ErrorRow.code == "UNMAPPED_VALUE", ErrorRow.resolved_at.is_(None)
            )
        ).all()
    assert still == []
