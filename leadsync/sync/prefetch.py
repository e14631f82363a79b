"""Read the next pages while the current one is ingested.

A backfill is bound by the API's rate limit; the client waits out its pacing between calls.
Fetching on a second thread lets ingest use those waits, so the read runs at the API's pace
instead of at the API's pace plus the ingest time. At most `depth` pages wait in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

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
