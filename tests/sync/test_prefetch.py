"""Prefetching pages on a second thread keeps order, errors and early stops intact."""

from __future__ import annotations

import threading

import pytest

from leadsync.errors import Transient
from leadsync.sync.prefetch import prefetched


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
