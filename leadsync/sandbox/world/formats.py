"""How the two CRMs spell instants and record ids, made fast enough for millions of events.

Times inside the generator are integer epoch milliseconds (UTC). HubSpot shows them as
`2025-01-02T03:04:05.678Z`; Salesforce as `2025-01-02T03:04:05.000+0000` (whole seconds) and
dates as `2025-01-02`. A day prefix is cached and the time of day is looked up in a table
built once, because `strftime` per event would dominate the generation time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

_EPOCH = date(1970, 1, 1)
_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_MILLIS = [f".{ms:03d}" for ms in range(1000)]
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def fold(at: int, floor: int, now: int) -> int:
    """`at` folded back into [floor, now]: clamping instead would pile records up at `now`."""
    if at > now:
        at = now - (at - now) % (now - floor + 1)
    return max(at, floor)


def to_datetime(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


@cache
def _day(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()


def hubspot_time(ms: int) -> str:
    """`2025-01-02T03:04:05.678Z`, the shape of HubSpot v3 datetimes."""
    day, rest = divmod(ms, DAY_MS)
    second, milli = divmod(rest, 1000)
    return f"{_day(day)}T{_CLOCK[second]}{_MILLIS[milli]}Z"


def salesforce_time(ms: int) -> str:
    """`2025-01-02T03:04:05.000+0000`: Salesforce keeps whole seconds."""
    day, rest = divmod(ms, DAY_MS)
    return f"{_day(day)}T{_CLOCK[rest // 1000]}.000+0000"


def salesforce_date(ms: int) -> str:
    return _day(ms // DAY_MS)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, a base-62 counter (sorts in creation order), checksum.

    The last three characters are Salesforce's case-safe suffix, computed the real way: each
    encodes which letters of one 5-character chunk are upper case.
    """
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    body = prefix + "".join(reversed(digits)).rjust(12, "0")
    return body + "".join(_checksum(body[i : i + 5]) for i in (0, 5, 10))


def _checksum(chunk: str) -> str:
    bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
    return _CHECKSUM[bits]
