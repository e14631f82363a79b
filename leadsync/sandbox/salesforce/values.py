"""Field values as Salesforce stores and returns them.

Datetimes are kept as `2025-01-02T03:04:05.000+0000` strings in UTC: that is the wire form,
and in one fixed offset the strings sort like the instants, so SOQL compares them directly.
Dates are `YYYY-MM-DD`; numbers and booleans are JSON numbers and booleans.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "combobox", "multipicklist"}
)
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"double", "currency", "percent"})


class ValueTypeError(ValueError):
    """A JSON value that cannot be deserialized into the field's type."""


def format_datetime(moment: datetime) -> str:
    """Salesforce's wire form, truncated to the second like the platform stores it."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_datetime(text: str, *, zone_required: bool = False) -> datetime:
    """Parse ISO-8601 with `Z`, `+hh:mm` or `+hhmm`; without a zone the time is UTC."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"not a datetime: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None and zone_required:
        raise ValueError(f"datetime without a time zone: {text!r}")
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros)
    return moment.replace(tzinfo=UTC) - _offset(zone)


def _offset(zone: str | None) -> timedelta:
    if zone in (None, "Z"):
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -delta if zone[0] == "-" else delta


_CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")


def normalize_datetime(text: str) -> str:
    if _CANONICAL.match(text):
        return text  # already the stored form (bulk loads are mostly this)
    return format_datetime(parse_datetime(text))


def is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def coerce(field_type: str, value: Any) -> Any:
    """The stored form of a JSON `value` written to a field of `field_type`; None stays None.

    Lenient where Salesforce's JSON deserializer is (numeric strings for numbers,
    "true"/"false" for booleans), strict where it is not.
    """
    if value is None:
        return None
    try:
        return _COERCE[field_type](value)
    except (ValueError, TypeError, OverflowError):
        raise ValueTypeError(_deserialize_message(field_type, value)) from None


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    return value if isinstance(value, str) else str(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    number = float(value) if isinstance(value, str) else value
    if not isinstance(number, int | float) or number != int(number):
        raise TypeError
    return int(number)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    return float(value)


def _date(value: Any) -> str:
    if not isinstance(value, str) or not is_date(value):
        raise TypeError
    return value


def _datetime(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return normalize_datetime(value)


_COERCE = {
    **dict.fromkeys(TEXT_TYPES, _text),
    **dict.fromkeys(ID_TYPES, _text),
    "boolean": _boolean,
    "int": _integer,
    **dict.fromkeys(NUMBER_TYPES, _number),
    "date": _date,
    "datetime": _datetime,
}

_JAVA_TYPES = {"int": "int", "boolean": "boolean", "date": "Date", "datetime": "Datetime"}


def _deserialize_message(field_type: str, value: Any) -> str:
    java = _JAVA_TYPES.get(field_type, "double" if field_type in NUMBER_TYPES else "String")
    token = "VALUE_STRING" if isinstance(value, str) else "VALUE_" + type(value).__name__.upper()
    return (
        f"Cannot deserialize instance of {java} from {token} value {value} or request may be "
        "missing a required field"
    )
