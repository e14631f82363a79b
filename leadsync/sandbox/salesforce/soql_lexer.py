"""SOQL tokens: identifiers (dotted paths), quoted strings with backslash escapes, numbers,
date and datetime literals, comparison operators and punctuation.

Errors carry the character offset so the message can point at it the way Salesforce does
("ERROR at Row:1:Column:43").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadsync.sandbox.salesforce.errors import ApiError

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_TEMPORAL = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w:.])"
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?![\w.])")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", ":")
# Backslash escapes allowed in SOQL string literals; \% and \_ keep their meaning for LIKE.
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident | string | number | date | datetime | op | eof
    text: str  # the source text (for strings: the unescaped value)
    offset: int
    # For strings: the value with LIKE escapes kept as ("\\%", "\\_") markers.
    like: str = ""

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


def query_error(code: str, query: str, offset: int, message: str) -> ApiError:
    """Salesforce's positioned error text: the query, a caret, row and column, the reason."""
    row = query.count("\n", 0, offset) + 1
    line_start = query.rfind("\n", 0, offset) + 1
    line_end = query.find("\n", offset)
    line = query[line_start : line_end if line_end >= 0 else len(query)]
    column = offset - line_start + 1
    caret = " " * (column - 1) + "^"
    return ApiError(400, code, f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{message}")


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        char = query[pos]
        if char.isspace():
            pos += 1
        elif char == "'":
            token, pos = _string(query, pos)
            tokens.append(token)
        elif match := _TEMPORAL.match(query, pos):
            text = match.group()
            tokens.append(Token("datetime" if "T" in text else "date", text, pos))
            pos = match.end()
        elif (match := _NUMBER.match(query, pos)) and _sign_allowed(tokens, char):
            tokens.append(Token("number", match.group(), pos))
            pos = match.end()
        elif match := _IDENT.match(query, pos):
            tokens.append(Token("ident", match.group(), pos))
            pos = match.end()
        else:
            op = next((o for o in _OPERATORS if query.startswith(o, pos)), None)
            if op is None:
                raise query_error("MALFORMED_QUERY", query, pos, f"unexpected token: '{char}'")
            tokens.append(Token("op", "!=" if op == "<>" else op, pos))
            pos += len(op)
    tokens.append(Token("eof", "<EOF>", len(query)))
    return tokens


def _sign_allowed(tokens: list[Token], char: str) -> bool:
    """A leading sign only where a value may start (SOQL has no arithmetic)."""
    if char not in "+-":
        return True
    return bool(tokens) and tokens[-1].kind == "op" and tokens[-1].text not in (")",)


def _string(query: str, start: int) -> tuple[Token, int]:
    value: list[str] = []
    like: list[str] = []
    pos = start + 1
    while pos < len(query):
        char = query[pos]
        if char == "'":
            return Token("string", "".join(value), start, "".join(like)), pos + 1
        if char == "\\":
            escaped = query[pos + 1 : pos + 2]
            if escaped in ("%", "_"):
                value.append(escaped)
                like.append("\\" + escaped)
            elif escaped in _ESCAPES:
                value.append(_ESCAPES[escaped])
                like.append(_ESCAPES[escaped])
            else:
                raise query_error(
                    "MALFORMED_QUERY",
                    query,
                    pos,
                    f"Invalid string literal '{query[start : pos + 2]}'. Illegal character "
                    f"sequence '\\{escaped}' in string literal.",
                )
            pos += 2
            continue
        value.append(char)
        like.append(char)
        pos += 1
    raise query_error("MALFORMED_QUERY", query, start, "unexpected token: <EOF>")
