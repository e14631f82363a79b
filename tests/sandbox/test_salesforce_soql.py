"""The emulator's SOQL: what parses, what the platform refuses, and what rows come back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsync.sandbox.salesforce import soql
from leadsync.sandbox.salesforce.errors import ApiError
from leadsync.sandbox.salesforce.query import run

NOW = datetime(2025, 3, 10, 12, 30, tzinfo=UTC)


def lead(n: int, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "Id": f"00Q8d{n:010d}AAA",
        "Email": f"lead{n}@example.com",
        "LastName": f"L{n}",
        "Company": "Acme",
        "Status": "Open - Not Contacted",
        "NumberOfEmployees": None,
        "IsConverted": False,
        "IsDeleted": False,
        "Industry": None,
        "CreatedDate": "2025-03-01T00:00:00.000+0000",
        "ConvertedDate": None,
    }
    record.update(fields)
    return record


def select(text: str, rows: list[dict[str, object]]) -> list[object]:
    return [r["Id"] for r in run(soql.parse(text), rows, lambda _id: None, NOW)]


def refusal(text: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        soql.parse(text)
    return caught.value


def soql_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_string_survives_soql_escaping(text: str) -> None:
    query = soql.parse(f"SELECT Id FROM Lead WHERE LastName = {soql_quote(text)}")
    assert isinstance(query.where, soql.Compare)
    assert query.where.value == text.lower()


def test_escaped_quotes_and_backslashes_match_stored_values() -> None:
    rows = [lead(1, Email="o'brien@example.com"), lead(2, LastName="a\\b")]
    assert select("SELECT Id FROM Lead WHERE Email = 'O\\'Brien@example.com'", rows) == [
        rows[0]["Id"]
    ]
    assert select("SELECT Id FROM Lead WHERE LastName = 'a\\\\b'", rows) == [rows[1]["Id"]]


def test_text_comparisons_ignore_case_like_soql() -> None:
    rows = [lead(1, Email="Ada@Example.com")]
    assert select("SELECT Id FROM Lead WHERE Email = 'ada@example.COM'", rows) == [rows[0]["Id"]]


def test_and_or_must_not_mix_without_parentheses() -> None:
    error = refusal("SELECT Id FROM Lead WHERE Email = 'a' AND LastName = 'b' OR Company = 'c'")
    assert error.code == "MALFORMED_QUERY"
    assert "unexpected token: 'OR'" in error.message
    soql.parse("SELECT Id FROM Lead WHERE Email = 'a' AND (LastName = 'b' OR Company = 'c')")


def test_boolean_logic_with_not_and_parentheses() -> None:
    rows = [lead(1, Status="Qualified"), lead(2, IsConverted=True), lead(3)]
    text = (
        "SELECT Id FROM Lead WHERE NOT (Status = 'Qualified' OR IsConverted = true) "
        "AND Company = 'Acme'"
    )
    assert select(text, rows) == [rows[2]["Id"]]


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "SELECT Id, foo__c FROM Lead",
            "INVALID_FIELD",
            "No such column 'foo__c' on entity 'Lead'",
        ),
        ("SELECT Id FROM Leads", "INVALID_TYPE", "sObject type 'Leads' is not supported"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
        ("SELECT Id FROM Lead WHERE Email = 'open", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id FROM Lead WHERE Email = 'a\\q'", "MALFORMED_QUERY", "Illegal character"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > '2025-01-01T00:00:00Z'",
            "INVALID_FIELD",
            "must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2025-01-01",
            "INVALID_FIELD",
            "must be of type dateTime",
        ),
        (
            "SELECT Id FROM Lead WHERE NumberOfEmployees > '5'",
            "INVALID_FIELD",
            "must be of type integer",
        ),
        ("SELECT Id FROM Lead WHERE Email = 5", "INVALID_FIELD", "should be enclosed in quotes"),
        ("SELECT Id FROM Lead WHERE Id = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID"),
        ("SELECT Id FROM Lead GROUP BY Status", "MALFORMED_QUERY", "GROUP BY is not supported"),
        ("SELECT Id, (SELECT Id FROM Tasks) FROM Lead", "MALFORMED_QUERY", "not supported"),
    ],
)
def test_refusals_carry_salesforce_codes_and_position(text: str, code: str, message: str) -> None:
    error = refusal(text)
    assert error.status == 400
    assert error.code == code
    assert message in error.message
    assert "ERROR at Row:1:Column:" in error.message


@pytest.mark.parametrize(
    "literal",
    ["2025-03-01T00:00:00Z", "2025-03-01T00:00:00.000Z", "2025-03-01T00:00:00.000+0000",
     "2025-03-01T01:00:00+01:00", "2025-02-28T19:00:00-05:00"],
)  # fmt: skip
def test_datetime_literal_forms_name_the_same_instant(literal: str) -> None:
    rows = [lead(1), lead(2, CreatedDate="2025-03-01T00:00:01.000+0000")]
    assert select(f"SELECT Id FROM Lead WHERE CreatedDate = {literal}", rows) == [rows[0]["Id"]]
    assert select(f"SELECT Id FROM Lead WHERE CreatedDate > {literal}", rows) == [rows[1]["Id"]]


def test_null_semantics_follow_soql_not_sql() -> None:
    rows = [lead(1, Industry="Retail"), lead(2)]
    assert select("SELECT Id FROM Lead WHERE Industry = null", rows) == [rows[1]["Id"]]
    assert select("SELECT Id FROM Lead WHERE Industry != null", rows) == [rows[0]["Id"]]
    # != and NOT IN keep rows whose field is null.
    assert select("SELECT Id FROM Lead WHERE Industry != 'Retail'", rows) == [rows[1]["Id"]]
    assert select("SELECT Id FROM Lead WHERE Industry NOT IN ('Retail')", rows) == [rows[1]["Id"]]
    assert select("SELECT Id FROM Lead WHERE NumberOfEmployees < 10", rows) == []


def test_in_list_and_like_with_escaped_wildcards() -> None:
    rows = [lead(1, LastName="50%_off"), lead(2, LastName="50 and off"), lead(3)]
    assert select("SELECT Id FROM Lead WHERE LastName LIKE '50\\%\\_%'", rows) == [rows[0]["Id"]]
    assert select("SELECT Id FROM Lead WHERE LastName LIKE '50%off'", rows) == [
        rows[0]["Id"],
        rows[1]["Id"],
    ]
    text = "SELECT Id FROM Lead WHERE Email IN ('LEAD3@example.com', 'x@y.z')"
    assert select(text, rows) == [rows[2]["Id"]]


def test_order_by_with_nulls_placement_then_limit_and_offset() -> None:
    rows = [lead(1, NumberOfEmployees=5), lead(2), lead(3, NumberOfEmployees=50), lead(4)]
    ids = [r["Id"] for r in rows]
    asc = select("SELECT Id FROM Lead ORDER BY NumberOfEmployees, Id", rows)
    assert asc == [ids[1], ids[3], ids[0], ids[2]]
    desc = select("SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC, Id DESC", rows)
    assert desc == [ids[2], ids[0], ids[3], ids[1]]
    last = select("SELECT Id FROM Lead ORDER BY NumberOfEmployees ASC NULLS LAST, Id", rows)
    assert last == [ids[0], ids[2], ids[1], ids[3]]
    paged = select("SELECT Id FROM Lead ORDER BY Id LIMIT 2 OFFSET 1", rows)
    assert paged == [ids[1], ids[2]]


def test_relative_date_literals_use_the_emulator_clock() -> None:
    rows = [
        lead(1, CreatedDate="2025-03-10T01:00:00.000+0000"),
        lead(2, CreatedDate="2025-03-09T23:59:59.000+0000"),
        lead(3, CreatedDate="2025-03-02T00:00:00.000+0000"),
    ]
    ids = [r["Id"] for r in rows]
    assert select("SELECT Id FROM Lead WHERE CreatedDate = TODAY", rows) == [ids[0]]
    assert select("SELECT Id FROM Lead WHERE CreatedDate = YESTERDAY", rows) == [ids[1]]
    assert select("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:7", rows) == ids[:2]
    assert select("SELECT Id FROM Lead WHERE CreatedDate < LAST_N_DAYS:7", rows) == [ids[2]]


def test_count_and_field_names_resolve_case_insensitively() -> None:
    query = soql.parse("select count() from lead where email != null")
    assert query.count_only and query.sobject.name == "Lead"
    fields = soql.parse("SELECT id, EMAIL, lead.Status FROM LEAD").fields
    assert [f.field.name for f in fields] == ["Id", "Email", "Status"]
