"""Config problems placed where an editor can fix them: at the cell, row or table they name.

`mapping validate` (and its `--live` checks) report one line per problem, naming the file and
the key: `config.toml: scoring.fit[3].points: must be a number, got 'ten'`. A page knows the key
of each of its cells (`scoring.fit[3].points`), rows (`scoring.fit[3]`) and tables
(`scoring.fit`); a problem goes to the most specific of those its key starts with, and to the
page when none matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

LIVE = "live check: "


def split(problem: str, where: str) -> tuple[str, str]:
    """(key, what is wrong) of one problem line; the key is '' when the line names none."""
    text = problem.removeprefix(f"{where}: ").removeprefix(LIVE)
    key, sep, rest = text.partition(": ")
    if not sep or " " in key.split(".", 1)[0]:
        return "", text
    return key, rest


def _under(key: str, prefix: str) -> bool:
    return key == prefix or key.startswith((prefix + ".", prefix + "["))


@dataclass
class Located:
    cells: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)
    page: list[str] = field(default_factory=list)

    def cell(self, key: str) -> list[str]:
        return self.cells.get(key, [])

    def row(self, key: str) -> list[str]:
        return self.rows.get(key, [])

    def table(self, key: str) -> list[str]:
        return self.tables.get(key, [])

    @property
    def count(self) -> int:
        return sum(len(v) for v in (*self.cells.values(), *self.rows.values(),
                                    *self.tables.values())) + len(self.page)  # fmt: skip


def _best(key: str, known: Iterable[str]) -> str | None:
    matches = [k for k in known if _under(key, k)]
    return max(matches, key=len) if matches else None


def locate(
    problems: Sequence[str], where: str, *, cells: Iterable[str], rows: Iterable[str] = (),
    tables: Iterable[str] = (),
) -> Located:  # fmt: skip
    """Each problem at its cell (message without the key), else its row or table (with the
    key, which then says more than the place), else the page (the whole line)."""
    cells, rows, tables = set(cells), set(rows), set(tables)
    found = Located()
    for problem in problems:
        key, what = split(problem, where)
        if key and (cell := _best(key, cells)):
            found.cells.setdefault(cell, []).append(what if key == cell else f"{key}: {what}")
        elif key and (row := _best(key, rows)):
            found.rows.setdefault(row, []).append(f"{key}: {what}")
        elif key and (table := _best(key, tables)):
            found.tables.setdefault(table, []).append(f"{key}: {what}")
        else:
            found.page.append(f"{key}: {what}" if key else what)
    return found
