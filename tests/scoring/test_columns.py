"""Columns built from what the store holds score exactly as the objects they came from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from leadsync.mapping.model import EngagementEvent, EventKind, Person
from leadsync.scoring import load_scoring, score
from leadsync.scoring.columns import EventColumns, PeopleColumns, microseconds, positions
from leadsync.scoring.kernel import compile_kernel
from tests.scoring.factories import NOW, example_config, example_table, page

AT = datetime(2026, 3, 4, 5, 6, 7, 891_011, tzinfo=UTC)
AT_US = ((AT - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1),)


@pytest.mark.parametrize(
    "given",
    [
        [AT],
        [AT.astimezone(timezone(timedelta(hours=-5)))],
        ["2026-03-04 05:06:07.891011"],  # SQLite's text for an aware UTC datetime
        ["2026-03-04T07:06:07.891011+02:00"],
        [AT.timestamp()],
        np.array(["2026-03-04T05:06:07.891011"], "datetime64[us]"),
    ],
)
def test_times_read_the_same_instant_to_the_microsecond(given) -> None:
    assert tuple(microseconds(given).tolist()) == AT_US


def test_float_seconds_keep_every_microsecond() -> None:
    instants = [AT + timedelta(microseconds=n * 7_919) for n in range(5_000)]
    expected = [(t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
                for t in instants]  # fmt: skip
    assert microseconds([t.timestamp() for t in instants]).tolist() == expected


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        microseconds([datetime(2026, 1, 1)])


def test_true_is_not_the_number_one_to_a_rule() -> None:
    table = example_table()
    table["fit"] = [{"id": "one", "label": "One", "field": "employees", "op": "equals",
                     "value": 1, "points": 5}]  # fmt: skip
    config = load_scoring(table)
    kernel = compile_kernel(config)
    who = [Person("a", None, {"employees": v}) for v in (1, True, 1.0, "1", [1])]
    result = kernel.score(PeopleColumns.from_persons(who, kernel.fields),
                          EventColumns.from_events([[]] * len(who)), NOW)  # fmt: skip
    assert result.fit.tolist() == [score(p, [], kernel.rules, NOW).fit for p in who]
    assert result.fit.tolist() == [5.0, 0.0, 5.0, 0.0, 0.0]


def test_the_email_domain_falls_back_to_the_email() -> None:
    kernel = compile_kernel(example_config())
    who = [("jo@competitor-one.com", {}), ("jo@gmail.com", {"email_domain": "shop.com"})]
    result = kernel.score(PeopleColumns.from_rows(who, kernel.fields),
                          EventColumns.from_rows([]), NOW)  # fmt: skip
    assert result.stage_of(0).value == "suspect" and result.stage_of(1).value == "lead"


def test_event_attributes_as_json_text_or_as_mappings_score_alike() -> None:
    kernel = compile_kernel(example_config())
    did = [page("/pricing", 1), page("/pricing", 1), page("/careers", 3),
           EngagementEvent("hubspot", "x", EventKind.WEBINAR, NOW, {"campaign": 7})]  # fmt: skip
    rows = [(0, e.kind.value, e.occurred_at, e.attributes) for e in did]
    texts = [(0, k, at, json.dumps(dict(a))) for _, k, at, a in rows]
    people = PeopleColumns.from_rows([(None, {})], kernel.fields)
    expected = score(Person("p", None), did, kernel.rules, NOW)
    for events in (EventColumns.from_rows(rows), EventColumns.from_rows(texts)):
        assert kernel.score(people, events, NOW).score(0) == expected
    assert len(EventColumns.from_rows(texts).shapes) == 3  # the same text is read once
    assert len(EventColumns.from_rows(rows).shapes) == 3


def test_events_must_belong_to_the_chunk() -> None:
    kernel = compile_kernel(example_config())
    people = PeopleColumns.from_rows([(None, {})], kernel.fields)
    with pytest.raises(ValueError, match="outside"):
        kernel.score(people, EventColumns.from_rows([(1, "webinar", AT, None)]), NOW)


def test_events_may_name_people_by_id() -> None:
    kernel = compile_kernel(example_config())
    ids = [205, 101]
    people = PeopleColumns.from_rows([("jo@shop.com", {}), ("al@gmail.com", {})], kernel.fields)
    did = [page("/pricing", 2), page("/careers", 1)]
    whose = positions(np.array(ids), np.array([101] * len(did)))
    rows = [(int(i), e.kind.value, e.occurred_at, json.dumps(dict(e.attributes)))
            for i, e in zip(whose, did, strict=True)]  # fmt: skip
    result = kernel.score(people, EventColumns.from_rows(rows), NOW)
    assert result.score(0) == score(Person("a", "jo@shop.com"), [], kernel.rules, NOW)
    assert result.score(1) == score(Person("b", "al@gmail.com"), did, kernel.rules, NOW)
    with pytest.raises(ValueError, match="id 7"):
        positions(np.array(ids), np.array([7]))
