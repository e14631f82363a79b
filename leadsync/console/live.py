"""What the CRMs offer the Mappings editor: picklist values and property names, kept a while.

Asking a CRM takes a round trip, and an unreachable one takes as long as the connector's
retries: a page must never wait for that. `LiveOptions.refresh` fetches in the background
(one thread at a time) and the page shows what is kept, polling until the fetch is over. What
was fetched is kept `KEEP_SECONDS`; a CRM that could not be asked is asked again after
`RETRY_SECONDS`, and until then the editor simply offers no values from it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.connectors.base import Connector
from leadsync.errors import LeadsyncError
from leadsync.sync.redact import redact

log = logging.getLogger("leadsync.console")

KEEP_SECONDS = 600.0
RETRY_SECONDS = 60.0

# ("picklist", system, object, property) or ("properties", system, object)
Key = tuple[str, ...]


def picklist(system: str, obj: str, prop: str) -> Key:
    return ("picklist", system, obj, prop)


def properties(system: str, obj: str) -> Key:
    return ("properties", system, obj)


@dataclass(frozen=True)
class Snapshot:
    """What is known now: values per key (None: not a picklist there), and per CRM the reason
    it could not be asked."""

    values: Mapping[Key, list[str] | None]
    unreachable: Mapping[str, str]
    fetching: bool

    def get(self, key: Key) -> list[str] | None:
        return self.values.get(key)


@dataclass
class _Kept:
    at: float
    values: list[str] | None


@dataclass
class LiveOptions:
    clock: Callable[[], float] = time.monotonic
    _kept: dict[Key, _Kept] = field(default_factory=dict)
    _failed: dict[str, tuple[float, str]] = field(default_factory=dict)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> Snapshot:
        now = self.clock()
        failed = {system: why for system, (at, why) in self._failed.items()
                  if now - at < RETRY_SECONDS}  # fmt: skip
        values = {key: kept.values for key, kept in self._kept.items()}
        return Snapshot(values, failed, self._thread is not None and self._thread.is_alive())

    def refresh(
        self, connectors: Callable[[], Mapping[str, Connector]], keys: Iterable[Key]
    ) -> None:
        """Fetch, in the background, the keys not kept or kept too long."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            wanted = [k for k in dict.fromkeys(keys) if self._due(k)]
            if not wanted:
                return
            self._thread = threading.Thread(target=self._fetch, args=(connectors, wanted),
                                            daemon=True)  # fmt: skip
            self._thread.start()

    def wait(self, timeout: float) -> None:
        """Until the current fetch ends (tests and benchmarks; pages never wait)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _due(self, key: Key) -> bool:
        now = self.clock()
        failed = self._failed.get(key[1])
        if failed is not None and now - failed[0] < RETRY_SECONDS:
            return False
        kept = self._kept.get(key)
        return kept is None or now - kept.at > KEEP_SECONDS

    def _fetch(self, connectors: Callable[[], Mapping[str, Connector]], keys: list[Key]) -> None:
        try:
            built = connectors()
        except LeadsyncError as exc:
            for system in {k[1] for k in keys}:
                self._failed[system] = (self.clock(), redact(str(exc)))
            return
        for key in keys:
            if key[1] in self._failed and self.clock() - self._failed[key[1]][0] < RETRY_SECONDS:
                continue  # that CRM just failed: do not wait out its retries once per key
            self._one(built.get(key[1]), key)

    def _one(self, connector: Connector | None, key: Key) -> None:
        ask = _question(connector, key)
        if ask is None:
            return
        try:
            self._kept[key] = _Kept(self.clock(), ask())
            self._failed.pop(key[1], None)
        except LeadsyncError as exc:
            self._failed[key[1]] = (self.clock(), redact(str(exc)))
        except Exception:  # a page must not lose its offers to one odd answer
            log.exception("console: asking %s for %s failed", key[1], key)
            self._failed[key[1]] = (
                self.clock(),
                "it could not be asked; the console's log says why",
            )


def _question(connector: Any, key: Key) -> Callable[[], list[str] | None] | None:
    """The call that answers `key` on this connector, if it offers one."""
    if key[0] == "picklist" and hasattr(connector, "options"):
        return lambda: connector.options(key[2], key[3])
    if key[0] == "properties" and hasattr(connector, "property_names"):
        return lambda: connector.property_names(key[2])
    return None
