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
    return ReadAhead([(lane, lambda items=items: items) for lane, items in reads],
                     page=page, limit=limit)  # fmt: skip


def test_reads_come_back_in_the_order_given_whichever_crm_answers_first():
    def slow(n):
        for i in range(n):
            time.sleep(0.001)
            yield i

    reads = [("hubspot", slow(25)), ("salesforce", range(100, 130)), ("hubspot", range(200, 205)),
             ("salesforce", range(300, 301))]  # fmt: skip
    with _ahead(reads) as ahead:
        got = [[x for page in ahead.pages() for x in page] for _ in reads]
    assert got == [list(range(25)), list(range(100, 130)), list(range(200, 205)), [300]]


def test_one_crm_is_read_while_the_pages_of_another_are_still_being_taken():
    other_done = threading.Event()

    def waits_for_the_other():
        yield "hubspot"
        assert other_done.wait(timeout=30), "the second CRM was not read meanwhile"
        yield "hubspot again"

    def other():
        yield "salesforce"
        other_done.set()

    with _ahead([("hubspot", waits_for_the_other()), ("salesforce", other())], page=1) as ahead:
        first = [x for page in ahead.pages() for x in page]
        second = [x for page in ahead.pages() for x in page]
    assert (first, second) == (["hubspot", "hubspot again"], ["salesforce"])


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

    with _ahead([("hubspot", first()), ("salesforce", endless())], page=10, limit=50) as ahead:
        assert [x for page in ahead.pages() for x in page] == ["hubspot"]
        held = len(produced)
    assert held <= 50 + 10 + 1  # the limit, the page being made, and the item it looked at


def test_a_read_error_reaches_the_reader_at_that_read_after_its_pages():
    def failing():
        yield from range(15)
        raise Transient("Salesforce answered 503 five times", system="salesforce")

    with _ahead([("hubspot", range(3)), ("salesforce", failing())]) as ahead:
        assert [x for page in ahead.pages() for x in page] == [0, 1, 2]
        pages = ahead.pages()
        assert next(pages) == list(range(10))
        with pytest.raises(Transient, match="503"):
            list(pages)


def test_leaving_early_stops_every_reader():
    def endless():
        n = 0
        while True:
            yield n
            n += 1

    with _ahead([("hubspot", endless()), ("salesforce", endless())]) as ahead:
        next(ahead.pages())
    assert not any(t.name == "leadsync-read-ahead" and t.is_alive() for t in threading.enumerate())
