"""Config mistakes as one line each: where (the key path), what was wrong, what is allowed.

Validators raise `PydanticCustomError`s whose context carries `problems`: pairs of a key path
relative to the model that raised and a finished sentence. `config_problems` turns any
`ValidationError` (ours or pydantic's own) into lines such as

    scoring.engagement[3].kind: 'page_veiw' is not an event kind; allowed: page_view, ...;
    did you mean 'page_view'?
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

_PLAIN = {
    "missing": "required key is missing",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a text string",
    "list_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
}


def suggest(value: object, known: Iterable[str]) -> str:
    """'; did you mean 'x'?' for a near miss of a known value, else ''."""
    close = difflib.get_close_matches(str(value), list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(value: object, what: str, known: Sequence[str]) -> str:
    """The sentence for a value outside a closed set."""
    return f"{value!r} is not {what}; allowed: {', '.join(known)}{suggest(value, known)}"


def fail(problems: Sequence[Problem]) -> PydanticCustomError:
    """One pydantic error carrying several located problems."""
    detail = "; ".join(f"{key_path('', loc)}: {msg}" if loc else msg for loc, msg in problems)
    return PydanticCustomError("leadsync", "{detail}", {"detail": detail, "problems": problems})


def choice(enum: type[StrEnum], what: str) -> Callable[[Any], Any]:
    """A before-validator accepting only `enum`'s values, naming them and the nearest one."""
    values = [member.value for member in enum]

    def validate(value: Any) -> Any:
        if isinstance(value, enum):
            return value
        if isinstance(value, str) and value in values:
            return enum(value)
        raise fail([((), unknown(value, what, values))])

    return validate


def one_of(values: Callable[[], Sequence[str]], what: str) -> Callable[[Any], Any]:
    """A before-validator accepting only the strings `values()` gives (asked when validating:
    the installed connectors' names, say), naming them and the nearest one."""

    def validate(value: Any) -> Any:
        known = list(values())
        if isinstance(value, str) and value in known:
            return value
        raise fail([((), unknown(value, what, known))])

    return validate


def key_path(root: str, loc: Loc) -> str:
    """('engagement', 3, 'kind') under 'scoring' -> 'scoring.engagement[3].kind'."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def config_problems(error: ValidationError, root: str = "scoring") -> list[str]:
    """Every problem in `error` as 'key.path: what is wrong', in the order keys are declared."""
    lines = []
    for err in error.errors():
        located = (err.get("ctx") or {}).get("problems")
        for loc, msg in located or [((), _describe(err))]:
            lines.append(f"{key_path(root, (*err['loc'], *loc))}: {msg}")
    return lines


def _describe(err: Any) -> str:
    plain = _PLAIN.get(err["type"])
    if plain is None:
        plain = err["msg"][:1].lower() + err["msg"][1:]
    if err["type"] == "missing":
        return plain
    return f"{plain}, got {err['input']!r}"
