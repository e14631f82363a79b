"""Describes kept between the cycles of one long-running process.

Every run describes each object it reads (field-level security decides which fields a query
may name): 8 calls a cycle, about 2,300 a day at one cycle every five minutes. `leadsync run`
keeps one `Describes` for its lifetime, so a describe is asked again only once it is older
than `max_age`; one-off commands describe afresh, as before. A field that disappears within
that time fails that cycle's query with INVALID_FIELD, which drops every kept describe
(`clear`), so the next cycle describes afresh and reads without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Key = tuple[str, str]  # (org's instance URL, object)


class Describes:
    def __init__(self, max_age: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self._clock = clock
        self._kept: dict[Key, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key) -> dict[str, Any] | None:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or self._clock() - kept[0] > self.max_age:
            return None
        return kept[1]

    def put(self, key: Key, described: dict[str, Any]) -> None:
        with self._lock:
            self._kept[key] = (self._clock(), described)

    def forget(self, key: Key) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
