"""The runtime the console reads, rebuilt when the config file changes on disk.

An admin who edits `config.toml` while the console runs sees the new mappings and rules on the
next page. A file that no longer loads keeps the last good runtime in use and its problems are
shown on every page, one line each, as `mapping validate` would print them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from leadsync.errors import ConfigError, LeadsyncError
from leadsync.sync.config import load_settings, read_text
from leadsync.sync.runtime import Runtime, build_runtime, utc_now


class ConsoleState:
    def __init__(self, config_path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config_path = config_path
        self.clock = clock
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._stamp = self._mtime()
        self._rt = build_runtime(load_settings(config_path), clock=clock)

    @property
    def where(self) -> str:
        """How problems name the file, as `mapping validate` does."""
        return str(self.config_path)

    def file_text(self) -> str:
        """The config file's text as it is now (what the editors start from and save over)."""
        return read_text(self.config_path)

    def _mtime(self) -> float | None:
        try:
            return self.config_path.stat().st_mtime
        except OSError:
            return None

    def runtime(self) -> Runtime:
        """The current runtime; reloads first when the file changed since the last load."""
        stamp = self._mtime()
        if stamp == self._stamp:
            return self._rt
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
        return self._rt

    def _reload(self, stamp: float | None) -> None:
        self._stamp = stamp
        try:
            fresh = build_runtime(load_settings(self.config_path), clock=self.clock)
        except ConfigError as exc:
            self.problems = exc.problems
            return
        except LeadsyncError as exc:  # e.g. the new database_url cannot be opened
            self.problems = [str(exc)]
            return
        old, self._rt, self.problems = self._rt, fresh, []
        old.sessions.kw["bind"].dispose()
