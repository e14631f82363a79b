"""Each editor's draft of the config file: edits gather here until saved or discarded.

A draft starts as the file's text the moment its owner first changes a table on Mappings or
Rules; every later edit changes the draft, never the file. It remembers the hash of the text it
started from, so a save can refuse to overwrite a file someone else changed meanwhile
(`config_save.save`). Drafts live in the console's memory, one per account: a restart forgets
them (the file and its revisions are untouched).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from leadsync.sync.revisions import content_hash


@dataclass(frozen=True)
class Draft:
    base_hash: str
    text: str
    edits: tuple[str, ...]

    @property
    def hash(self) -> str:
        return content_hash(self.text)

    def stale(self, file_text: str) -> bool:
        """The file no longer holds the text this draft started from."""
        return content_hash(file_text) != self.base_hash


class Drafts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = {}

    def get(self, owner: str) -> Draft | None:
        return self._drafts.get(owner)

    def working_text(self, owner: str, file_text: str) -> str:
        """What the editors show this owner: the draft, or the file when there is none."""
        draft = self._drafts.get(owner)
        return draft.text if draft else file_text

    def change(self, owner: str, file_text: str, edit: Callable[[str], str], note: str) -> Draft:
        """Apply `edit` to the owner's draft (started from `file_text` when there is none)."""
        with self._lock:
            draft = self._drafts.get(owner) or Draft(content_hash(file_text), file_text, ())
            text = edit(draft.text)
            if text == draft.text:
                return draft
            changed = Draft(draft.base_hash, text, (*draft.edits, note))
            self._drafts[owner] = changed
            return changed

    def discard(self, owner: str) -> None:
        with self._lock:
            self._drafts.pop(owner, None)
