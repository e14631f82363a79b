"""Salesforce record ids: a 3-character key prefix per sObject, 15 case-sensitive characters
and a 3-character case-folding checksum that makes the 18-character form case-insensitive.
"""

from __future__ import annotations

import re
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
# The emulator's "pod" characters after the key prefix; any value works for clients.
_POD = "8d0"


def checksum(id15: str) -> str:
    """The 3-character suffix: one character per 5-character block, a bit per uppercase letter."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if ch.isupper())
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def make_id(prefix: str, serial: int) -> str:
    """The 18-character id of the `serial`-th record created with this key prefix."""
    digits = ""
    while True:
        serial, rest = divmod(serial, 62)
        digits = _BASE62[rest] + digits
        if serial == 0:
            break
    body = f"{prefix}{_POD}{digits.rjust(9, '0')}"
    return body + checksum(body)


def normalize(value: object) -> str | None:
    """The 18-character form of a well-formed id, or None when `value` is not an id.

    An 18-character id is taken as given: generated test data may not carry a true checksum.
    """
    if not isinstance(value, str) or not _ID_SHAPE.match(value):
        return None
    return value + checksum(value) if len(value) == 15 else value
