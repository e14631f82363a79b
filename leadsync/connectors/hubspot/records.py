"""HubSpot timestamps and stream order.

HubSpot ids are numeric strings, "9" before "10": streams order and tie-break with
`base.id_order` through `RawRecord.position` and `Window.admits`, never by text comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from leadsync.connectors.base import RawRecord, Window

SYSTEM = "hubspot"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(value: object) -> datetime | None:
    """HubSpot sends ISO-8601 (`2019-12-07T16:50:06.678Z`) or epoch milliseconds as text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    text = str(value)
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, rounded up: `>= to_ms(t)` and `< to_ms(t)` then match `>= t`, `< t`."""
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return -(-micros // 1000)


def iso(moment: datetime) -> str:
    """ISO-8601 at millisecond precision, rounded up like `to_ms`."""
    ceiled = datetime.fromtimestamp(to_ms(moment) / 1000, UTC)
    return ceiled.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def order(record: RawRecord) -> tuple[datetime, tuple[int, str]]:
    return record.position


def admits(window: Window, record: RawRecord) -> bool:
    return window.admits(record.modified_at, record.id)


def in_order(pages: Iterable[Iterable[RawRecord]]) -> Iterator[RawRecord]:
    """Re-emit records that arrive sorted by time only, in full `(time, id)` order.

    Records sharing the latest time seen so far are held back until a later time shows that
    none of their ties can still arrive on a following page.
    """
    held: list[RawRecord] = []
    for page in pages:
        held.extend(page)
        if not held:
            continue
        latest = max(r.modified_at for r in held)
        ready = sorted((r for r in held if r.modified_at < latest), key=order)
        held = [r for r in held if r.modified_at == latest]
        yield from ready
    yield from sorted(held, key=order)


def record(stream: str, record_id: str, modified_at: datetime, data: dict) -> RawRecord:
    return RawRecord(SYSTEM, stream, str(record_id), modified_at, data)
