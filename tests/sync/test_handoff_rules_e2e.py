"""The handoff's inclusion filter, daily cap and owner rule."""

from __future__ import annotations

import json
from datetime import timedelta

from .test_dry_runs_e2e import leadsync


def _configure(world, handoff: str) -> None:
    world.config.write_text(world.config.read_text() + "\n[sync.handoff]\n" + handoff)


def _new_leads(world) -> list[dict]:
    return world.sf_query("SELECT Id, OwnerId FROM Lead WHERE LeadSync_Id__c != null")


def _users(world) -> list[str]:
    rows = world.sf_query("SELECT Id, Username FROM User")
    return [u["Id"] for u in rows if "integration" not in (u["Username"] or "").lower()][:2]


def test_only_people_the_filter_admits_are_handed_off(world):
    plan = json.loads(leadsync(world, "plan", "--json").stdout)
    assert plan["creates"] >= 2, "the world needs several handoffs for this test"
    _configure(world, 'when = [{ field = "email_domain", op = "regex", value = "^no-such-" }]\n')
    assert json.loads(leadsync(world, "plan", "--json").stdout)["creates"] == 0


def test_the_daily_cap_holds_the_rest_until_the_next_day(world):
    planned = json.loads(leadsync(world, "plan", "--json").stdout)["creates"]
    assert planned >= 3
    _configure(world, "daily_cap = 2\n")
    world.cycle()
    assert len(_new_leads(world)) == 2
    # Later the same day (the world's clock is the real one: an hour after 23:00 is tomorrow).
    midnight = world.now.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    world.tick(milliseconds=min(3_600_000.0, (midnight - world.now).total_seconds() * 500))
    world.cycle()  # the same day: still two
    assert len(_new_leads(world)) == 2
    world.tick(days=1)
    world.cycle()
    assert len(_new_leads(world)) == min(planned, 4)


def test_owners_take_turns_with_new_leads(world):
    first, second = _users(world)
    _configure(world, f'owners = ["{first}", "{second}"]\n')
    world.cycle()
    owners = [lead["OwnerId"] for lead in sorted(_new_leads(world), key=lambda lead: lead["Id"])]
    assert len(owners) >= 2
    assert set(owners) == {first, second}
    assert abs(owners.count(first) - owners.count(second)) <= 1
