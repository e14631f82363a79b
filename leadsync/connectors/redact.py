"""Secrets in, secrets out: credentials trimmed on load, and kept out of error text.

A token read from a file or a CRLF `.env` ends in a line break; HTTP libraries then refuse
the `Authorization` header and quote it in their error (`Invalid header value b'Bearer …\\n'`).
So credentials are stripped when settings load (`Credential`), and any text a connector
lifts out of a library exception goes through `scrub` first, which removes the known secrets
(as given and as `repr` would escape them) and anything shaped like a bearer credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr

MASK = "[redacted]"
_BEARER = re.compile(r"(?i)\b(bearer|basic|oauth)\s+[^\s'\",;]+")
_AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n,}]+")


def _stripped(value: Any) -> Any:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value.strip() if isinstance(value, str) else value


# A secret setting: surrounding whitespace (a token file's newline, CRLF) is not part of it.
Credential = Annotated[SecretStr, BeforeValidator(_stripped)]
# A plain setting that is still an identifier pasted from somewhere (a client id).
Trimmed = Annotated[str, BeforeValidator(_stripped)]


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` without the given secrets or anything shaped like a credential header."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for form in {secret, repr(secret)[1:-1], secret.strip()}:
            if form:
                text = text.replace(form, MASK)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def header_refusal(system: str, variable: str, exc: BaseException) -> str:
    """What to say when a credential cannot be sent in a header at all."""
    return (
        f"{system}: the credential in {variable} cannot be sent in an HTTP header: it holds a "
        f"line break, a space or another character a header cannot carry "
        f"({type(exc).__name__}). Set it to the token alone, with nothing around or inside it."
    )
