"""SOQL literals checked against the field they are compared with, and normalised for it.

Text compares case-insensitively in SOQL, so text literals are lower-cased once here; ids are
brought to their 18-character form; datetimes to the stored UTC string. Relative date
literals (TODAY, LAST_N_DAYS:n, ...) stay symbolic until the query runs against a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.schema import Field
from leadsync.sandbox.salesforce.soql_lexer import Token
from leadsync.sandbox.salesforce.values import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    format_datetime,
    is_date,
    parse_datetime,
)

_SOQL_TYPE = {
    **dict.fromkeys(TEXT_TYPES, "string"),
    **dict.fromkeys(ID_TYPES, "id"),
    **dict.fromkeys(NUMBER_TYPES, "double"),
    "int": "integer",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
}
# keyword -> (first day offset from today, number of days), with n for the `:n` forms.
_RELATIVE_DATES = {
    "TODAY": lambda n: (0, 1),
    "YESTERDAY": lambda n: (-1, 1),
    "TOMORROW": lambda n: (1, 1),
    "LAST_N_DAYS": lambda n: (-n, n + 1),
    "NEXT_N_DAYS": lambda n: (1, n),
    "N_DAYS_AGO": lambda n: (-n, 1),
}
_NEEDS_N = {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}


@dataclass(frozen=True, slots=True)
class DateRange:
    """A relative date literal: the half-open UTC span [start, end) it names on a given day."""

    keyword: str
    n: int = 0

    def bounds(self, now: datetime, field_type: str) -> tuple[str, str]:
        first, days = _RELATIVE_DATES[self.keyword](self.n)
        start_day = now.astimezone(UTC).date() + timedelta(days=first)
        end_day = start_day + timedelta(days=days)
        if field_type == "date":
            return start_day.isoformat(), end_day.isoformat()
        return _midnight(start_day), _midnight(end_day)


def _midnight(day: date) -> str:
    return format_datetime(datetime.combine(day, time(0), UTC))


def literal_value(f: Field, token: Token, argument: Token | None) -> object:
    """The normalised value of `token` for comparison with `f`; ValueError with the reason."""
    if token.kind == "ident":
        return _word(f, token, argument)
    if argument is not None:
        raise ValueError(f"unexpected token: '{token.text}'")
    kind = _SOQL_TYPE[f.type]
    if token.kind == "string":
        if kind == "id":
            return _id(token.text)
        if kind == "string":
            return token.text.lower()
        raise ValueError(_mismatch(f, "should not be enclosed in quotes"))
    if token.kind == "number" and kind in ("double", "integer"):
        return float(token.text)
    if token.kind == "date" and kind == "date" and is_date(token.text):
        return token.text
    if token.kind == "datetime" and kind == "dateTime":
        return format_datetime(parse_datetime(token.text, zone_required=True))
    quoted = "should be enclosed in quotes" if kind in ("string", "id") else "is not valid"
    raise ValueError(_mismatch(f, quoted))


def _word(f: Field, token: Token, argument: Token | None) -> object:
    word = token.text.upper()
    if word == "NULL" and argument is None:
        return None
    if word in ("TRUE", "FALSE") and argument is None:
        if f.type != "boolean":
            raise ValueError(_mismatch(f, "should be enclosed in quotes"))
        return word == "TRUE"
    if word in _RELATIVE_DATES:
        if f.type not in ("date", "datetime"):
            raise ValueError(_mismatch(f, "should be enclosed in quotes"))
        if (word in _NEEDS_N) != (argument is not None):
            raise ValueError(f"unexpected token: '{token.text}'")
        n = int(argument.text) if argument is not None and argument.text.isdigit() else 0
        if argument is not None and not argument.text.isdigit():
            raise ValueError(f"unexpected token: '{argument.text}'")
        return DateRange(word, n)
    raise ValueError(f"unexpected token: '{token.text}'")


def _id(text: str) -> str:
    normalized = ids.normalize(text)
    if normalized is None:
        raise ValueError(f"invalid ID field: {text}")
    return normalized


def _mismatch(f: Field, how: str) -> str:
    return (
        f"value of filter criterion for field '{f.name}' must be of type "
        f"{_SOQL_TYPE[f.type]} and {how}"
    )
