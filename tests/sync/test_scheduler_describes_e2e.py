"""`leadsync run` keeps Salesforce describes between its cycles; one-off commands do not."""

from __future__ import annotations

DESCRIBE = "GET /services/data/{version}/sobjects/{name}/describe/"


def _describes(world) -> int:
    return world.stats()["salesforce"]["by_route"].get(DESCRIBE, 0)


def test_the_scheduler_describes_each_object_once_an_hour_not_every_cycle(sqlite_world):
    from leadsync.sync.scheduler import scheduled_cycle

    world = sqlite_world
    world.reset_stats()
    scheduled_cycle(str(world.config))
    first = _describes(world)
    assert first > 0, "a first cycle describes the objects it reads"
    scheduled_cycle(str(world.config))
    scheduled_cycle(str(world.config))
    assert _describes(world) == first
    world.cycle()  # a one-off command's run describes afresh
    assert _describes(world) > first


def test_a_field_hidden_between_scheduled_cycles_costs_one_failed_cycle_not_an_hour(sqlite_world):
    from sqlalchemy import select

    from leadsync.sync.scheduler import scheduled_cycle
    from leadsync.sync.schema import RunRow

    world = sqlite_world
    scheduled_cycle(str(world.config))  # describes kept
    world.admin("POST", "settings", salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail"]})
    scheduled_cycle(str(world.config))  # its query names the hidden field: refused
    scheduled_cycle(str(world.config))  # described afresh: reads without it
    with world.runtime().sessions() as session:
        runs = session.scalars(select(RunRow).order_by(RunRow.id)).all()
    assert [r.status for r in runs[-3:]] == ["ok", "failed", "ok"], [
        (r.status, r.message) for r in runs
    ]
