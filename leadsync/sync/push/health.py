"""Push health, and what it means for polling: a healthy push lets the schedule relax.

Push is healthy while every channel (each CRM's webhooks, each change topic) delivered a verified
notification within `push.healthy_within_minutes` and no notification was given up on since. While it is, a scheduled poll runs only every
`push.reconcile_every_minutes`; otherwise at every `sync.interval_minutes`, as without push.
Either way polls never stop: they are what catches a webhook a CRM dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.sync.push import queue
from leadsync.sync.schema import PushChannelRow, PushEventRow, RunRow

if TYPE_CHECKING:
    from leadsync.sync.config import Settings

POLL_KINDS = ("sync", "nightly")


def healthy(session: Session, within: timedelta, now: datetime) -> bool:
    """Every push channel that ever delivered did so within `within`, and nothing was given up
    on since the last poll."""
    stamps = session.scalars(
        select(PushChannelRow.last_verified_at).where(PushChannelRow.last_verified_at.is_not(None))
    ).all()
    verified = min(stamps, default=None)
    if verified is None or now - verified > within:
        return False
    since = last_poll(session) or verified - within
    given_up = select(func.count()).where(
        PushEventRow.state == queue.FAILED, PushEventRow.received_at >= since
    )
    return not session.scalar(given_up)


def last_poll(session: Session) -> datetime | None:
    """When the last successful poll started (its reads cover everything changed before)."""
    return session.scalar(
        select(func.max(RunRow.started_at)).where(
            RunRow.kind.in_(POLL_KINDS), RunRow.status == "ok"
        )
    )


def poll_due(session: Session, settings: Settings, now: datetime) -> bool:
    """Whether a scheduled poll should run now."""
    push, interval = settings.push, timedelta(minutes=settings.sync.interval_minutes)
    if not healthy(session, timedelta(minutes=push.healthy_within_minutes), now):
        return True
    last = last_poll(session)
    # Half an interval of slack: the job's own start drifts by a moment each time.
    return (
        last is None or now - last >= timedelta(minutes=push.reconcile_every_minutes) - interval / 2
    )


def summary(session: Session, settings: Settings, now: datetime) -> dict[str, Any]:
    """For `leadsync status`: the queue by state, each channel, and whether push is healthy."""
    channels = session.execute(
        select(PushChannelRow.name, PushChannelRow.last_verified_at).order_by(PushChannelRow.name)
    ).all()
    within = timedelta(minutes=settings.push.healthy_within_minutes)
    return {
        "notices": queue.counts(session),
        "channels": {name: at for name, at in channels},
        "healthy": healthy(session, within, now),
    }


def describe(push: dict[str, Any]) -> str:
    """One line for `leadsync status`."""
    if not push["channels"]:
        return "push: nothing received yet (polling alone; see `leadsync push serve`)"
    notices = ", ".join(f"{n} {state}" for state, n in sorted(push["notices"].items())) or "none"
    health = "healthy: polls relax" if push["healthy"] else "not healthy: polls at every interval"
    last = max(at for at in push["channels"].values() if at is not None)
    return f"push: {health}; last notice {last:%Y-%m-%d %H:%M:%S}; notices {notices}"
