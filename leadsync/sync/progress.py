"""Progress bars for long reads: one line per stream with records so far and the rate."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class StreamProgress:
    """`advance(stream, n)` counts records per stream; `expect(stream, total)` sets a bar."""

    def __init__(self, *, disable: bool = False, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            disable=disable,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StreamProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self._tasks.values():
            self._finish(task)
        self._progress.stop()

    def _task(self, stream: str) -> TaskID:
        if stream not in self._tasks:
            # Streams are read one after another: a new one means the last has finished.
            for task in self._tasks.values():
                self._finish(task)
            self._tasks[stream] = self._progress.add_task(stream, total=None)
        return self._tasks[stream]

    def _finish(self, task: TaskID) -> None:
        done = self._progress.tasks[task].completed
        self._progress.update(task, total=done)
        self._progress.stop_task(task)

    def expect(self, stream: str, total: int | None) -> None:
        self._progress.update(self._task(stream), total=total)

    def advance(self, stream: str, records: int) -> None:
        self._progress.advance(self._task(stream), records)
