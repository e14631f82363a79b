"""The text an editor works on, and what is wrong with it: shared by Mappings, Rules and the
draft's preview and save.

`working(...)` is the owner's draft, or the file when there is none, checked as `mapping
validate` checks a file (`settings_from_text`). When the owner's latest `mapping validate
--live` job ran on this very text, its findings are added.
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass, field
from typing import Any

from leadsync.console.drafts import Draft, Drafts
from leadsync.console.jobs import DONE, Jobs
from leadsync.console.state import ConsoleState
from leadsync.errors import ConfigError
from leadsync.sync import revisions
from leadsync.sync.config import Settings, settings_from_text
from leadsync.sync.config_mapping import build_vocabularies
from leadsync.sync.live_check import check_live

LIVE_CHECK = "live-check"


@dataclass
class Working:
    where: str
    file_text: str
    text: str
    draft: Draft | None
    problems: list[str]
    live: dict[str, Any] | None = None  # the live check of this text: problems, warnings
    data: dict[str, Any] = field(default_factory=dict)  # the text parsed (empty: not TOML)

    @property
    def hash(self) -> str:
        return revisions.content_hash(self.text)

    @property
    def stale(self) -> bool:
        return self.draft is not None and self.draft.stale(self.file_text)

    @property
    def all_problems(self) -> list[str]:
        return self.problems + (self.live or {}).get("problems", [])

    def diff(self) -> str:
        return revisions.unified_diff(self.file_text, self.text, f"{self.where} (file)", "draft")


def problems_of(text: str, where: str) -> list[str]:
    try:
        settings_from_text(text, where, secrets=False)
    except ConfigError as exc:
        return exc.problems
    return []


def working(state: ConsoleState, drafts: Drafts, jobs: Jobs, owner: str) -> Working:
    file_text = state.file_text()
    draft = drafts.get(owner)
    text = draft.text if draft else file_text
    found = Working(state.where, file_text, text, draft, problems_of(text, state.where))
    # Not TOML: the problems say so, and the tables show the shipped defaults.
    with contextlib.suppress(tomllib.TOMLDecodeError):
        found.data = tomllib.loads(text)
    job = jobs.latest(LIVE_CHECK, owner, key=found.hash)
    if job is not None and job.state == DONE:
        found.live = job.result
    return found


def live_check(text: str, where: str) -> dict[str, Any]:
    """`mapping validate --live` on `text`: problems (errors) and warnings, never raised."""
    settings: Settings = settings_from_text(text, where)  # the CRMs' secrets are needed here
    try:
        warnings = check_live(settings, build_vocabularies(settings.stages))
    except ConfigError as exc:
        return {"problems": [p for p in exc.problems if "(warning)" not in p],
                "warnings": [p for p in exc.problems if "(warning)" in p]}  # fmt: skip
    return {"problems": [], "warnings": warnings}
