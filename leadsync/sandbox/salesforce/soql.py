"""A recursive-descent parser for the SOQL subset leadsync and its tests use.

    SELECT field, Parent.field | COUNT() FROM sObject
    [WHERE condition] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

Field and object names resolve case-insensitively against the schema and every literal is
type-checked against its field at parse time, as the platform does: quoting a datetime or
comparing a number field to a string is an error here exactly when it is one in a real org.
Like SOQL, a condition may not mix AND and OR at one level without parentheses. Clauses the
emulator does not implement (GROUP BY, subqueries, TYPEOF, ...) are refused with
MALFORMED_QUERY rather than half-supported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from leadsync.sandbox.salesforce.errors import ApiError
from leadsync.sandbox.salesforce.schema import Field, SObject, sobject
from leadsync.sandbox.salesforce.soql_lexer import Token, query_error, tokenize
from leadsync.sandbox.salesforce.soql_literals import DateRange, literal_value

_UNSUPPORTED = ("GROUP", "HAVING", "TYPEOF", "WITH", "FOR", "USING", "UPDATE", "FIELDS")
_CLAUSE_ENDS = ("WHERE", "ORDER", "LIMIT", "OFFSET", *_UNSUPPORTED)


@dataclass(frozen=True, slots=True)
class FieldPath:
    """`Field` of the queried object, or `Relationship.Field` through a lookup."""

    field: Field
    relationship: Field | None = None  # the lookup field (e.g. AccountId for Account.Name)

    @property
    def key(self) -> tuple[str, ...]:
        if self.relationship is None:
            return (self.field.name,)
        return (self.relationship.relationship or "", self.field.name)


@dataclass(frozen=True, slots=True)
class Compare:
    path: FieldPath
    op: str  # = != < <= > >=
    value: object  # normalised for the field's type, or a DateRange


@dataclass(frozen=True, slots=True)
class InList:
    path: FieldPath
    values: tuple[object, ...]
    negate: bool


@dataclass(frozen=True, slots=True)
class Like:
    path: FieldPath
    pattern: str  # the literal with \% and \_ escapes kept


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # AND | OR | NOT
    items: tuple[Condition, ...]


Condition = Compare | InList | Like | Logical


@dataclass(frozen=True, slots=True)
class Order:
    path: FieldPath
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    text: str
    sobject: SObject
    fields: list[FieldPath] = field(default_factory=list)
    count_only: bool = False
    where: Condition | None = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


# Resolves an sObject name to what the querying user may see of it (see `org.Org.sobject`).
Schema = Callable[[str], SObject | None]


def parse(text: str, schema: Schema = sobject) -> Query:
    """Parse and type-check one query; raises ApiError (400) with Salesforce's error codes."""
    return _Parser(text, schema).query()


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def accept_word(self, *words: str) -> Token | None:
        return self.advance() if self.tok.is_word(*words) else None

    def accept_op(self, op: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == op:
            self.advance()
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            raise self.unexpected()

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.unexpected()

    def unexpected(self, token: Token | None = None) -> ApiError:
        token = token or self.tok
        shown = token.text if token.kind == "eof" else f"'{token.text}'"
        return self.error("MALFORMED_QUERY", token, f"unexpected token: {shown}")

    def error(self, code: str, token: Token, message: str) -> ApiError:
        return query_error(code, self.text, token.offset, message)

    def unsupported(self, token: Token, what: str) -> ApiError:
        return self.error(
            "MALFORMED_QUERY", token, f"{what} is not supported by the leadsync Salesforce emulator"
        )

    # -- grammar ---------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect_word("SELECT")
        select = self.select_list()
        self.expect_word("FROM")
        name = self.advance()
        if name.kind != "ident" or "." in name.text or name.is_word(*_CLAUSE_ENDS):
            raise self.unexpected(name)
        target = self.schema(name.text)
        if target is None:
            raise self.error("INVALID_TYPE", name, unknown_type_message(name.text))
        result = Query(self.text, target)
        self.resolve_select(result, select)
        self.clauses(result)
        return result

    def select_list(self) -> list[Token]:
        items: list[Token] = []
        while True:
            token = self.advance()
            if token.is_word("COUNT") and self.accept_op("("):
                if not self.accept_op(")"):
                    raise self.unsupported(token, "Aggregate functions other than COUNT()")
                items.append(Token("count", "COUNT()", token.offset))
            elif token.is_word("TYPEOF", "FIELDS") or (token.kind == "op" and token.text == "("):
                raise self.unsupported(token, f"'{token.text}' in SELECT")
            elif token.kind != "ident" or token.is_word("FROM"):
                raise self.unexpected(token)
            else:
                items.append(token)
            if not self.accept_op(","):
                return items

    def resolve_select(self, query: Query, items: list[Token]) -> None:
        if any(t.kind == "count" for t in items):
            if len(items) > 1:
                raise self.unexpected(items[1])
            query.count_only = True
            return
        seen: set[tuple[str, ...]] = set()
        for token in items:
            path = self.field_path(query.sobject, token)
            if path.key in seen:
                raise self.error(
                    "MALFORMED_QUERY", token, f"duplicate field selected: {token.text}"
                )
            seen.add(path.key)
            query.fields.append(path)

    def clauses(self, query: Query) -> None:
        if self.accept_word("WHERE"):
            query.where = self.condition(query.sobject)
        self.refuse_unsupported()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            query.order = self.order_list(query.sobject)
        if self.accept_word("LIMIT"):
            query.limit = self.integer()
        if self.accept_word("OFFSET"):
            query.offset = self.integer()
            if query.offset > 2000:
                raise ApiError(
                    400, "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000"
                )
        self.refuse_unsupported()
        if self.tok.kind != "eof":
            raise self.unexpected()

    def refuse_unsupported(self) -> None:
        if word := self.accept_word(*_UNSUPPORTED):
            clause = word.text.upper()
            raise self.unsupported(word, f"{clause} BY" if clause == "GROUP" else clause)

    def integer(self) -> int:
        token = self.advance()
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected(token)
        return int(token.text)

    def order_list(self, target: SObject) -> list[Order]:
        orders = []
        while True:
            path = self.field_path(target, self.advance())
            descending = bool(self.accept_word("DESC"))
            if not descending:
                self.accept_word("ASC")
            nulls_last = descending
            if self.accept_word("NULLS"):
                nulls_last = bool(self.accept_word("LAST"))
                if not nulls_last:
                    self.expect_word("FIRST")
            orders.append(Order(path, descending, nulls_last))
            if not self.accept_op(","):
                return orders

    # -- conditions: AND and OR never mix at one level ---------------------------------------
    def condition(self, target: SObject) -> Condition:
        first = self.simple(target)
        joiner = self.accept_word("AND", "OR")
        if joiner is None:
            return first
        op = joiner.text.upper()
        items = [first, self.simple(target)]
        while word := self.accept_word("AND", "OR"):
            if word.text.upper() != op:
                raise self.unexpected(word)
            items.append(self.simple(target))
        return Logical(op, tuple(items))

    def simple(self, target: SObject) -> Condition:
        if self.accept_word("NOT"):
            return Logical("NOT", (self.simple(target),))
        if self.accept_op("("):
            inner = self.condition(target)
            self.expect_op(")")
            return inner
        return self.comparison(target)

    def comparison(self, target: SObject) -> Condition:
        name = self.advance()
        path = self.field_path(target, name)
        if self.accept_word("LIKE"):
            value = self.advance()
            if value.kind != "string" or path.field.type in _NOT_TEXT:
                raise self.error("INVALID_FIELD", value, _like_message(path.field))
            return Like(path, value.like)
        negate = bool(self.accept_word("NOT"))
        if self.accept_word("IN"):
            return InList(path, self.value_list(path), negate)
        if negate:
            raise self.unexpected()
        if word := self.accept_word("INCLUDES", "EXCLUDES"):
            raise self.unsupported(word, word.text.upper())
        op = self.advance()
        if op.kind != "op" or op.text not in ("=", "!=", "<", "<=", ">", ">="):
            raise self.unexpected(op)
        return Compare(path, op.text, self.value(path))

    def value_list(self, path: FieldPath) -> tuple[object, ...]:
        self.expect_op("(")
        if self.tok.is_word("SELECT"):
            raise self.unsupported(self.tok, "A semi-join subquery")
        values = [self.value(path)]
        while self.accept_op(","):
            values.append(self.value(path))
        self.expect_op(")")
        if any(isinstance(v, DateRange) for v in values):
            raise self.unsupported(self.tok, "A date literal inside IN")
        return tuple(values)

    def value(self, path: FieldPath) -> object:
        start = self.advance()
        if start.kind == "op":
            raise self.unexpected(start)
        argument = None
        if start.kind == "ident" and self.accept_op(":"):
            argument = self.advance()
        try:
            return literal_value(path.field, start, argument)
        except ValueError as exc:
            raise self.error(_literal_code(str(exc)), start, str(exc)) from None

    # -- fields ----------------------------------------------------------------------------
    def field_path(self, target: SObject, token: Token) -> FieldPath:
        if token.kind != "ident" or token.is_word(*_CLAUSE_ENDS, "FROM", "SELECT"):
            raise self.unexpected(token)
        parts = token.text.split(".")
        if parts[0].lower() == target.name.lower() and len(parts) > 1:
            parts = parts[1:]  # `Lead.Email` in a query FROM Lead
        if len(parts) == 1:
            found = target.field(parts[0])
            if found is None:
                raise self.error("INVALID_FIELD", token, _no_column(parts[0], target.name))
            return FieldPath(found)
        if len(parts) > 2:
            raise self.unsupported(token, "A relationship path deeper than one level")
        lookup = target.relationship(parts[0])
        if lookup is None:
            raise self.error("INVALID_FIELD", token, _no_relationship(parts[0]))
        parents = [p for p in map(self.schema, lookup.reference_to) if p is not None]
        if not parents:
            raise self.unsupported(token, f"The {lookup.relationship} relationship")
        found = _common_field(parents, parts[1])
        if found is None:
            raise self.error("INVALID_FIELD", token, _no_column(parts[1], parents[0].name))
        return FieldPath(found, lookup)


_NOT_TEXT = {"boolean", "int", "double", "currency", "percent", "date", "datetime"}


def _common_field(parents: list[SObject], name: str) -> Field | None:
    """A polymorphic lookup (Who, What) only exposes fields every target has."""
    found = [p.field(name) for p in parents]
    return found[0] if all(found) else None


def unknown_type_message(name: str) -> str:
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def _no_column(name: str, entity: str) -> str:
    return (
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name. Please reference your "
        "WSDL or the describe call for the appropriate names."
    )


def _no_relationship(name: str) -> str:
    return (
        f"Didn't understand relationship '{name}' in field path. If you are attempting to use a "
        "custom relationship, be sure to append the '__r' after the custom relationship name. "
        "Please reference your WSDL or the describe call for the appropriate names."
    )


def _like_message(f: Field) -> str:
    return f"invalid operator on {f.type} field: {f.name}. LIKE works on text fields only."


def _literal_code(message: str) -> str:
    if message.startswith("unexpected token"):
        return "MALFORMED_QUERY"
    if message.startswith("invalid ID"):
        return "INVALID_QUERY_FILTER_OPERATOR"
    return "INVALID_FIELD"
