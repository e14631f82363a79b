"""Read the next pages while the current one is ingested.

A backfill is bound by the API's rate limit; the client waits out its pacing between calls.
Fetching on a second thread lets ingest use those waits, so the read runs at the API's pace
instead of at the API's pace plus the ingest time. At most `depth` pages wait in memory.

`ReadAhead` does the same for a whole run's reads, one thread per CRM: one CRM is read while
another waits on its rate limit, and the pages are still committed in the run's own order.
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], *, page: int, depth: int = 4) -> Iterator[list[T]]:
    """Pages of `items`, produced on a background thread; its errors re-raise here.

    Closing the iterator early (a stop, an error while ingesting) stops the producer after
    the page it is on.
    """
    pages: queue.Queue[object] = queue.Queue(maxsize=depth)
    closing = threading.Event()

    def produce() -> None:
        try:
            iterator = iter(items)
            while not closing.is_set() and (chunk := list(islice(iterator, page))):
                _put(pages, chunk, closing)
        except BaseException as error:  # handed to the consumer, which re-raises it
            _put(pages, _Failed(error), closing)
        finally:
            _put(pages, _DONE, closing)

    worker = threading.Thread(target=produce, name="leadsync-prefetch", daemon=True)
    worker.start()
    try:
        while (item := pages.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        closing.set()
        _drain(pages)
        worker.join(timeout=60)


def _put(pages: queue.Queue[object], item: object, closing: threading.Event) -> None:
    while not closing.is_set():
        try:
            pages.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(pages: queue.Queue[object]) -> None:
    while True:
        try:
            pages.get_nowait()
        except queue.Empty:
            return


class ReadAhead(Generic[T]):
    """Reads taken back in a fixed order, each CRM's read ahead on a thread of its own.

    `reads` are (lane, read) pairs in the order their pages are to be committed. A lane's reads
    run one after another on its thread, so one CRM waiting out its rate limit holds up no
    other CRM's reads; the consumer still takes every page in the given order, which is what
    keeps ids and duplicate choices free of timing. What a lane has read and nobody has taken
    yet is at most `limit` items (one page at least). Use as a context manager.
    """

    def __init__(
        self, reads: Sequence[tuple[str, Callable[[], Iterable[T]]]], *, page: int, limit: int
    ) -> None:
        self._order = [lane for lane, _ in reads]
        self._lanes = {
            lane: _Lane([read for name, read in reads if name == lane], page=page, limit=limit)
            for lane in dict.fromkeys(self._order)
        }
        self._next = 0

    def __enter__(self) -> ReadAhead[T]:
        for lane in self._lanes.values():
            lane.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for lane in self._lanes.values():
            lane.close()

    def pages(self) -> Iterator[list[T]]:
        """The pages of the next read in the order given; its read error re-raises here."""
        lane = self._lanes[self._order[self._next]]
        self._next += 1
        return lane.pages()


class _Lane:
    """One thread reading its sources in turn into a queue bounded by the items it holds."""

    def __init__(self, reads: list[Callable[[], Iterable[Any]]], *, page: int, limit: int) -> None:
        self.reads, self.page, self.limit = reads, page, limit
        self.queue: collections.deque[object] = collections.deque()
        self.held = 0
        self.changed = threading.Condition()
        self.closing = False
        self.worker = threading.Thread(target=self._produce, name="leadsync-read-ahead",
                                       daemon=True)  # fmt: skip

    def start(self) -> None:
        self.worker.start()

    def _produce(self) -> None:
        try:
            for read in self.reads:
                if self.closing:
                    return
                iterator = iter(read())
                while not self.closing and (chunk := list(islice(iterator, self.page))):
                    self._put(chunk, len(chunk))
                self._put(_DONE, 0)
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(_Failed(error), 0)

    def _put(self, item: object, size: int) -> None:
        with self.changed:
            while not self.closing and self.held and self.held + size > self.limit:
                self.changed.wait()
            self.queue.append((item, size))
            self.held += size
            self.changed.notify_all()

    def pages(self) -> Iterator[list[Any]]:
        while (item := self._take()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    def _take(self) -> object:
        with self.changed:
            while not self.queue:
                self.changed.wait()
            item, size = self.queue.popleft()
            self.held -= size
            self.changed.notify_all()
            return item

    def close(self) -> None:
        with self.changed:
            self.closing = True
            self.queue.clear()
            self.held = 0
            self.changed.notify_all()
        if self.worker.is_alive():
            self.worker.join(timeout=60)
