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
