"""Keep secrets out of everything leadsync prints, logs or stores.

Secrets only ever come from the environment, but an error raised deep in an HTTP library can
quote a request header, and a token read from a file often ends in a newline that makes the
header invalid and the error quote it. Every message leadsync shows or stores passes through
`redact`: the secret values it was given are cut out, and so is anything shaped like a
credential (an `Authorization` header, a bearer token, `access_token=...`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

HIDDEN = "[redacted]"
_SECRET_NAMES = ("TOKEN", "SECRET", "PASSWORD", "PRIVATE_KEY", "KEY")
_SHAPES = (
    re.compile(
        r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer\s+|basic\s+|oauth\s+)?[^\s'\",}]+"
    ),
    re.compile(r"(?i)(bearer\s+)[\w.~+/=!-]{8,}"),
    # A key named like a credential followed by a value shaped like one (not "missing").
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|session_?id|assertion)"
        r"['\"]?\s*[:=]\s*['\"]?)[\w.~+/=!-]{12,}"
    ),
)
_known: set[str] = set()


def remember(values: Iterable[str | None]) -> None:
    """Add secret values to cut out (with and without surrounding whitespace)."""
    for value in values:
        for form in (value, value.strip() if value else None):
            if form and len(form) >= 4:  # shorter strings would cut ordinary words apart
                _known.add(form)


def remember_environment() -> None:
    """Every `LEADSYNC_*` variable whose name says it holds a secret."""
    remember(
        value
        for name, value in os.environ.items()
        if name.startswith("LEADSYNC_") and any(part in name.upper() for part in _SECRET_NAMES)
    )


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    for shape in _SHAPES:
        text = shape.sub(lambda m: m.group(1) + HIDDEN, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
