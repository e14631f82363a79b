"""What may go into the store: values cleaned so that no record can fail a page's transaction.

PostgreSQL refuses NUL in text and JSON, non-finite numbers in JSON, and strings longer than a
column; SQLite accepts all three and stores invalid JSON. Cleaning here makes both databases
hold the same thing. What cleaning cannot fix (an id longer than any CRM issues) is refused with
a message, and the record goes to the error queue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadsync.mapping.transforms import clean_text

# Column widths of `schema.py` that record data reaches.
RECORD_ID_MAX = 64
SOURCE_ID_MAX = 128


_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]").search


def storable(value: Any) -> Any:
    """A JSON-safe copy: control characters out of strings, non-finite numbers as None."""
    kind = type(value)
    if kind is str:  # by far the most common: checked first, copied only when unsafe
        return clean_text(value) if _UNSAFE(value) else value
    if kind is dict or isinstance(value, Mapping):
        return {(clean_text(k) if _UNSAFE(k) else k) if type(k) is str else str(k): storable(v)
                for k, v in value.items()}  # fmt: skip
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def too_long(value: str, limit: int, what: str) -> str | None:
    """A message when `value` cannot fit its column, else None."""
    if len(value) <= limit:
        return None
    return f"{what} is {len(value)} characters long; leadsync stores ids of up to {limit}"


def overflow(row_class: type, values: Mapping[str, Any]) -> str | None:
    """A message naming the first string too long for its column of `row_class`, else None."""
    columns = row_class.__table__.columns
    for name, value in values.items():
        length = getattr(columns[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            return f"{name} is {len(value)} characters long; leadsync stores up to {length}"
    return None


def first_line(error: BaseException, limit: int = 300) -> str:
    """A database error in one line, for the error queue (no SQL, no parameters)."""
    orig = getattr(error, "orig", None) or error
    text = clean_text(str(orig)).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:limit]
