"""Work too long for one request, run in the background and watched by polling.

Applying the plan talks to both CRMs, a preview decides everyone twice, a live check calls
both APIs: none of that may hold a request open. `Jobs.start` runs the work on a thread and
returns at once; the page polls `/jobs/<id>` (HTMX, every second) until the job is done. A job
belongs to the account that started it and is found only with its unguessable id. The table is
in memory and keeps the newest `KEEP` jobs.

Work that mostly waits (on a CRM) runs on the thread itself. Work that computes for long (a
preview) runs in a child process (`Jobs.in_process`): on a thread it
would hold Python's interpreter lock for seconds at a time, and every page of the console would
wait behind it (a 30 ms page took 9 s during a preview of 20,000 people).
"""

from __future__ import annotations

import logging
import multiprocessing
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from leadsync.errors import LeadsyncError
from leadsync.sync.redact import redact

log = logging.getLogger("leadsync.console")
KEEP = 50
RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    key: str = ""  # what it was started for (e.g. a draft's hash): the same again joins it
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    state: str = RUNNING
    progress: int = 0
    result: Any = None
    error: str | None = None

    def advance(self, n: int) -> None:
        self.progress += n

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


class Jobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._processes: ProcessPoolExecutor | None = None

    def in_process(self, fn: Callable[..., Any], *args: Any) -> Callable[[Job], Any]:
        """Work that runs `fn(*args)` in the console's child process (one, started on first
        use; `fn` and `args` must pickle). Spawned, not forked: the console has threads."""
        with self._lock:
            if self._processes is None:
                context = multiprocessing.get_context("spawn")
                self._processes = ProcessPoolExecutor(max_workers=1, mp_context=context)
            processes = self._processes

        def work(job: Job) -> Any:
            try:
                return processes.submit(fn, *args).result()
            except BrokenProcessPool:  # killed (out of memory?): the next job starts a new one
                with self._lock:
                    if self._processes is processes:
                        self._processes = None
                raise LeadsyncError("its process stopped before it finished; try again") from None

        return work

    def start(self, kind: str, owner: str, work: Callable[[Job], Any], *, key: str = "") -> Job:
        """Run `work(job)` on a thread; its return value becomes `job.result`. A job of the
        same kind, owner and key still running is returned instead of starting another."""
        with self._lock:
            running = self._find(kind, owner, key, RUNNING)
            if running is not None:
                return running
            job = Job(secrets.token_urlsafe(12), kind, owner, key)
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, work), daemon=True).start()
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def latest(self, kind: str, owner: str, key: str | None = None) -> Job | None:
        """The owner's newest job of `kind` (for `key`, when given)."""
        with self._lock:
            for job in reversed(self._jobs.values()):
                if job.kind == kind and job.owner == owner and key in (None, job.key):
                    return job
        return None

    def _find(self, kind: str, owner: str, key: str, state: str) -> Job | None:
        return next((j for j in self._jobs.values()
                     if (j.kind, j.owner, j.key, j.state) == (kind, owner, key, state)), None)  # fmt: skip

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
            job.state = DONE
        except LeadsyncError as exc:
            job.error, job.state = redact(str(exc)), FAILED
        except Exception:
            log.exception("console: %s job failed", job.kind)
            job.error = "It failed unexpectedly; the console's log has the details."
            job.state = FAILED
        finally:
            job.finished = time.monotonic()
