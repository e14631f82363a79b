"""Prefetching pages on other threads keeps order, errors and early stops intact."""

from __future__ import annotations

import threading
import time

import pytest

from leadsync.errors import Transient
from leadsync.sync.prefetch import ReadAhead, prefetched


def test_pages_arrive_in_order_and_complete():
    assert [len(p) for p in prefetched(range(1050), page=500)] == [500, 500, 50]
    assert [x for p in prefetched(range(1050), page=500) for x in p] == list(range(1050))


def test_an_error_while_reading_reaches_the_reader_after_the_pages_before_it():
    def failing():
        yield from range(600)
        raise Transient("HubSpot answered 503 five times", system="hubspot")

    pages = prefetched(failing(), page=500)
    assert len(next(pages)) == 500
    with pytest.raises(Transient, match="503"):
        list(pages)


def test_stopping_early_stops_the_reader_instead_of_reading_everything():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    pages = prefetched(endless(), page=10, depth=2)
    next(pages)
    pages.close()
    assert len(produced) < 100
    assert not any(t.name == "leadsync-prefetch" and t.is_alive() for t in threading.enumerate())


def _ahead(reads, *, page=10, limit=100):
    return ReadAhead([(step, lane, lambda items=items: items) for step, lane, items in reads],
                     page=page, limit=limit)  # fmt: skip


def _slow(items):
    for item in items:
        time.sleep(0.001)
        yield item


@pytest.mark.parametrize("slow", ["hubspot", "salesforce"])
def test_pages_come_back_in_one_fixed_order_whichever_crm_answers_first(slow):
    def paced(lane, items):
        return _slow(items) if lane == slow else items

    reads = [(0, "hubspot", range(25)), (0, "salesforce", range(100, 130)),
             (1, "hubspot", range(200, 205)), (1, "salesforce", range(300, 301))]  # fmt: skip
    with _ahead([(step, lane, paced(lane, items)) for step, lane, items in reads]) as ahead:
        got = list(ahead.turns())
    # Step by step; within one, a page of each CRM in turn; a read's end right after its pages.
    assert got == [
        (0, list(range(10))), (1, list(range(100, 110))),
        (0, list(range(10, 20))), (1, list(range(110, 120))),
        (0, list(range(20, 25))), (1, list(range(120, 130))),
        (0, None), (1, None),
        (2, list(range(200, 205))), (3, [300]), (2, None), (3, None),
    ]  # fmt: skip


def test_one_crm_is_read_while_the_pages_of_another_are_still_being_taken():
    other_done = threading.Event()

    def waits_for_the_other():
        yield "hubspot"
        assert other_done.wait(timeout=30), "the second CRM was not read meanwhile"
        yield "hubspot again"

    def other():
        yield "salesforce"
        other_done.set()

    reads = [(0, "hubspot", waits_for_the_other()), (1, "salesforce", other())]
    with _ahead(reads, page=1) as ahead:
        got = list(ahead.turns())
    assert got == [(0, ["hubspot"]), (0, ["hubspot again"]), (0, None), (1, ["salesforce"]),
                   (1, None)]  # fmt: skip


def test_a_crm_reads_ahead_no_more_than_the_limit_while_another_is_taken():
    produced = []
    reached = threading.Event()

    def endless():
        while True:
            produced.append(1)
            if len(produced) >= 50:
                reached.set()
            yield len(produced)

    def first():
        reached.wait(timeout=30)
        yield "hubspot"

    reads = [(0, "hubspot", first()), (0, "salesforce", endless())]
    with _ahead(reads, page=10, limit=50) as ahead:
        assert next(ahead.turns()) == (0, ["hubspot"])
        held = len(produced)
    assert held <= 50 + 10 + 1  # the limit, the page being made, and the item it looked at


def test_a_read_error_reaches_the_reader_at_that_read_after_its_pages():
    def failing():
        yield from range(15)
        raise Transient("Salesforce answered 503 five times", system="salesforce")

    with _ahead([(0, "hubspot", range(3)), (0, "salesforce", failing())]) as ahead:
        turns = ahead.turns()
        assert [next(turns) for _ in range(3)] == [(0, [0, 1, 2]), (1, list(range(10))), (0, None)]
        with pytest.raises(Transient, match="503"):
            list(turns)


def test_leaving_early_stops_every_reader():
    def endless():
        n = 0
        while True:
            yield n
            n += 1

    with _ahead([(0, "hubspot", endless()), (0, "salesforce", endless())]) as ahead:
        next(ahead.turns())
    assert not any(t.name == "leadsync-read-ahead" and t.is_alive() for t in threading.enumerate())
