"""Read the next pages while the current one is ingested.

A backfill is bound by the API's rate limit; the client waits out its pacing between calls.
Fetching on a second thread lets ingest use those waits, so the read runs at the API's pace
instead of at the API's pace plus the ingest time. At most `depth` pages wait in memory.

`ReadAhead` does the same for a whole run's reads, one thread per CRM: one CRM is read while
another waits on its rate limit, and the pages are still committed in an order fixed by the
run's plan, never by which CRM answered first.
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

    `reads` are (step, lane, read): a lane's reads run one after another on its thread, by step,
    so one CRM waiting out its rate limit holds up no other CRM's reads. `turns()` takes their
    pages back step by step and, within a step, one page of each lane in turn: a fixed order
    (what keeps ids and duplicate choices free of timing) in which the pages of a CRM that
    answers fast commit while a throttled one waits. What a lane has read and nobody has taken
    yet is at most `limit` items (one page at least). Use as a context manager.
    """

    def __init__(
        self, reads: Sequence[tuple[int, str, Callable[[], Iterable[T]]]], *, page: int, limit: int
    ) -> None:
        order = sorted(range(len(reads)), key=lambda i: reads[i][0])
        self._steps: dict[int, dict[str, list[int]]] = {}
        for i in order:
            step, lane, _ = reads[i]
            self._steps.setdefault(step, {}).setdefault(lane, []).append(i)
        lanes = dict.fromkeys(reads[i][1] for i in order)
        self._lanes = {
            lane: _Lane([reads[i][2] for i in order if reads[i][1] == lane], page=page, limit=limit)
            for lane in lanes
        }

    def __enter__(self) -> ReadAhead[T]:
        for lane in self._lanes.values():
            lane.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for lane in self._lanes.values():
            lane.close()

    def turns(self) -> Iterator[tuple[int, list[T] | None]]:
        """(read index, page) in the fixed order; (read index, None) once that read is done.

        A read's error re-raises here, after the pages before it.
        """
        for step in sorted(self._steps):
            waiting = {lane: collections.deque(ids) for lane, ids in self._steps[step].items()}
            while waiting:
                for lane, ids in list(waiting.items()):
                    yield from self._turn(self._lanes[lane], ids)
                    if not ids:
                        del waiting[lane]

    @staticmethod
    def _turn(lane: _Lane, ids: collections.deque[int]) -> Iterator[tuple[int, Any]]:
        """The lane's next page, and the ends of the reads before it, within this step."""
        while ids:
            item = lane.take()
            if isinstance(item, _Failed):
                raise item.error
            if item is _DONE:
                yield ids.popleft(), None
                continue
            yield ids[0], item
            return


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

    def take(self) -> object:
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
