"""Turn pydantic validation errors into one line per problem that a RevOps admin can act on.

Each line names the file, the key path, the bad value, what is allowed, and a "did you mean"
for near-misses of known values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for a close match, else ''."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Known keys of the model found by walking `loc` from `model` (best effort)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            return _fields_of(current)
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
    return _fields_of(current)


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_of(model: Any) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _expected(ctx: dict[str, Any] | None) -> list[str]:
    raw = (ctx or {}).get("expected", "")
    return re.findall(r"'([^']*)'", raw)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(
    error: dict[str, Any],
    model: type[BaseModel],
    where: str,
    secrets: Mapping[tuple[str, ...], str] | None = None,
) -> str:
    loc = tuple(error["loc"])
    key = dotted(loc)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        hint = did_you_mean(loc[-1], known) or (
            f"; known keys: {', '.join(known)}" if known else ""
        )
        return f"{where}: {key}: unknown key{hint}"
    if kind == "missing" and secrets and loc in secrets:
        return f"{where}: {key}: missing; secrets come from the environment: set {secrets[loc]}"
    if kind == "missing":
        return f"{where}: {key}: required but missing; add it (config.example.toml shows it)"
    if kind in ("literal_error", "enum"):
        allowed = _expected(error.get("ctx"))
        hint = did_you_mean(value, allowed)
        return (
            f"{where}: {key}: {_show(value)} is not allowed; use one of: {', '.join(allowed)}{hint}"
        )
    message = error["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return f"{where}: {key}: {message}"
    return f"{where}: {key}: {message} (got {_show(value)})"


def explain(
    exc: ValidationError,
    model: type[BaseModel],
    where: str,
    secrets: Mapping[tuple[str, ...], str] | None = None,
) -> list[str]:
    """One line per problem, in the order pydantic found them, without duplicates."""
    lines: list[str] = []
    for error in exc.errors():
        line = describe(dict(error), model, where, secrets)
        if line not in lines:
            lines.append(line)
    return lines
