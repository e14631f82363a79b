"""Value transforms from CRM representations to canonical Python values.

Some CRMs return every property as a string ("51-200", "1,000", epoch-ms dates); others
return JSON types but free-text countries. Each transform takes the raw value and its options
and returns the canonical value or raises `ValueError` with a message fit for a user.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from leadsync.mapping.geo import country_name, us_state_name

Transform = Callable[[Any, Mapping[str, Any]], Any]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_RANGE = re.compile(r"^(?P<low>[\d.,]+)\s*(?:-|–|to)\s*(?P<high>[\d.,]+)$")
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}
# Control characters carry no meaning in a name or a title, and PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# RFC 5321: a forward path holds at most 256 octets, so an address at most 254.
EMAIL_MAX = 254


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: str) -> str:
    """Without control characters (NUL included); tabs and line breaks stay."""
    return _CONTROL.sub("", value)


def text(value: Any, options: Mapping[str, Any]) -> str | None:
    if _blank(value):
        return None
    return clean_text(str(value)).strip() or None


def email(value: Any, options: Mapping[str, Any]) -> str | None:
    """Lower-case and trim; an address without one @ and a dotted domain is an error."""
    if _blank(value):
        return None
    address = str(value).strip().lower()
    if len(address) > EMAIL_MAX:
        raise ValueError(
            f"an email address of {len(address)} characters (at most {EMAIL_MAX} are possible)"
        )
    if _CONTROL.search(address) or not _EMAIL.match(address):
        raise ValueError(f"{_shown(address)} is not an email address")
    return address


def _shown(value: str, limit: int = 80) -> str:
    """A value for a message: control characters escaped, long ones cut."""
    shown = repr(value[:limit])
    return shown if len(value) <= limit else f"{shown}... ({len(value)} characters)"


def _plain_number(raw: str) -> float:
    cleaned = raw.replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip()
    multiplier = 1.0
    if cleaned[-1:].lower() in _SUFFIX:
        multiplier = _SUFFIX[cleaned[-1].lower()]
        cleaned = cleaned[:-1]
    if cleaned.endswith("+"):
        cleaned = cleaned[:-1]
    if not _NUMBER.match(cleaned):
        raise ValueError(f"{_shown(raw)} is not a number")
    return _finite(float(cleaned) * multiplier, raw)


def _finite(result: float, raw: Any) -> float:
    # "1" and 400 zeros parses as infinity, which no database column or JSON document holds.
    if not math.isfinite(result):
        raise ValueError(f"{_shown(str(raw))} is not a finite number (too large to store)")
    return result


def number(value: Any, options: Mapping[str, Any]) -> float | None:
    """Numbers from strings: "1,000", "$2.5M", "1000+", and ranges such as "51-200".

    A range becomes its lower bound unless the option `range` says "mid" or "high": the lower
    bound is the claim the source actually makes ("at least 51 employees").
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        try:
            return _finite(float(value), value)
        except OverflowError:  # an int past float range
            return _finite(math.inf, value)
    raw = str(value).strip()
    match = _RANGE.match(raw)
    if match:
        low, high = _plain_number(match["low"]), _plain_number(match["high"])
        pick = options.get("range", "low")
        return {"low": low, "high": high, "mid": (low + high) / 2}[pick]
    return _plain_number(raw)


def integer(value: Any, options: Mapping[str, Any]) -> int | None:
    result = number(value, options)
    return None if result is None else round(result)


def timestamp(value: Any, options: Mapping[str, Any]) -> datetime | None:
    """Aware UTC datetimes from epoch milliseconds or ISO 8601 (with or without a colon)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    raw = str(value).strip()
    if raw.isdigit():
        # Integer arithmetic: float seconds lose a millisecond on dates past 2038.
        return EPOCH + timedelta(milliseconds=int(raw))
    # Some CRMs write "+0000"; fromisoformat wants "+00:00".
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", raw.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"{raw!r} is not a timestamp (epoch ms or ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def boolean(value: Any, options: Mapping[str, Any]) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def picklist(value: Any, options: Mapping[str, Any]) -> str | None:
    """Map through `values`; an unmapped value is an error unless a `default` is configured."""
    if _blank(value):
        return None
    raw = str(value).strip()
    values: Mapping[str, str] = options.get("values", {})
    if raw in values:
        return values[raw]
    if "default" in options:
        return options["default"]
    known = ", ".join(sorted(values)) or "none configured"
    raise ValueError(f"{raw!r} is not a known value (known: {known})")


_SENIORITY = (
    ("c_level", re.compile(r"\b(chief|ceo|cto|cfo|cmo|coo|cio|cro|founder|owner|president)\b")),
    ("vp", re.compile(r"\b(vp|svp|evp|vice president|head of)\b")),
    ("director", re.compile(r"\bdirector\b")),
    ("student", re.compile(r"\b(student|graduate|phd candidate)\b")),
    ("intern", re.compile(r"\b(intern|trainee|apprentice)\b")),
    ("manager", re.compile(r"\b(manager|lead|principal)\b")),
)


def seniority(value: Any, options: Mapping[str, Any]) -> str | None:
    """A seniority band read from a job title; unmatched titles are individual contributors."""
    if _blank(value):
        return None
    title = str(value).casefold()
    return next((band for band, pattern in _SENIORITY if pattern.search(title)), "individual")


def country(value: Any, options: Mapping[str, Any]) -> str | None:
    return None if _blank(value) else country_name(str(value))


def us_state(value: Any, options: Mapping[str, Any]) -> str | None:
    return None if _blank(value) else us_state_name(str(value))


TRANSFORMS: Mapping[str, Transform] = {
    "text": text,
    "email": email,
    "number": number,
    "integer": integer,
    "timestamp": timestamp,
    "boolean": boolean,
    "picklist": picklist,
    "country": country,
    "state": us_state,
    "seniority": seniority,
}
