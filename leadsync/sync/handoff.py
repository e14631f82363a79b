"""The handoff's daily cap and owners: how many sales leads a day, and whose each one is.

Decisions are made person by person; the cap and the round robin are state across them, kept
here for one decide step and seeded from the outbox (the leads already handed off today, and
in all, so the round robin goes on where it stopped). A person over the cap keeps their stage
and waits: they are decided again next cycle, and handed off on a day with room.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.mapping.catalog import catalog
from leadsync.sync.outbox import DISCARDED, MERGED
from leadsync.sync.outcome import HANDOFF, Outcome
from leadsync.sync.schema import OutboxRow


@dataclass
class HandoffBudget:
    left_today: int | None  # None: no cap
    made: int  # handed off so far, all days: where the round robin stands
    owner_id: str | None
    owners: tuple[str, ...]

    @classmethod
    def load(
        cls, session: Session, settings: object, timezone: str, now: datetime
    ) -> HandoffBudget:
        today = datetime.combine(now.astimezone(ZoneInfo(timezone)).date(), time(),
                                 tzinfo=ZoneInfo(timezone))  # fmt: skip
        cap = getattr(settings, "daily_cap", None)
        made_today = _handoffs(session, since=today) if cap else 0
        return cls(
            left_today=None if cap is None else max(cap - made_today, 0),
            made=_handoffs(session) if getattr(settings, "owners", None) else 0,
            owner_id=getattr(settings, "owner_id", None),
            owners=tuple(getattr(settings, "owners", ()) or ()),
        )

    def take(self, out: Outcome) -> None:
        """Keep the outcome's handoff within the cap, and give it its owner."""
        kept = []
        for write in out.writes:
            if write.record_id is not None or HANDOFF not in write.reason:
                kept.append(write)
            elif self.left_today == 0:
                out.deferred = True
            else:
                kept.append(self._owned(write))
                self.made += 1
                if self.left_today is not None:
                    self.left_today -= 1
        out.writes = kept

    def _owned(self, write):
        owner = self.owners[self.made % len(self.owners)] if self.owners else self.owner_id
        field = catalog()[write.system].owner_field if write.system in catalog() else None
        if owner is None or field is None:
            return write
        return replace(write, properties={**write.properties, field: owner})


def _handoffs(session: Session, since: datetime | None = None) -> int:
    query = (
        select(func.count())
        .select_from(OutboxRow)
        .where(OutboxRow.reason.like(f"%{HANDOFF}%"), OutboxRow.state.not_in((DISCARDED, MERGED)))
    )
    if since is not None:
        query = query.where(OutboxRow.created_at >= since)
    return session.scalar(query) or 0
