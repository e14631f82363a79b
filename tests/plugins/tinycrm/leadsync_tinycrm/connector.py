"""`TinyCrmConnector`: TinyCRM's people and activities, read and written over HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, SecretStr

from leadsync.connectors.base import Change, RawRecord, Window, WriteResult
from leadsync.errors import ConnectorError


class TinyCrmSettings(BaseModel):
    """`[tinycrm]` in config.toml; the key comes from LEADSYNC_TINYCRM__API_KEY."""

    base_url: str
    api_key: SecretStr
    batch_size: int = 50


class TinyCrmConnector:
    name: ClassVar[str] = "tinycrm"
    streams: tuple[str, ...] = ("people", "activities")

    def __init__(self, settings: TinyCrmSettings) -> None:
        self.settings = settings
        self.batch_limit = settings.batch_size
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"

    def check(self) -> None:
        if self._get("/health", {}).status_code == 401:
            raise ConnectorError("tinycrm: the API key was refused; set LEADSYNC_TINYCRM__API_KEY")

    def read(self, stream: str, window: Window) -> Iterator[RawRecord]:
        params = {"until": window.end.isoformat()}
        if window.start is not None:
            params["since"] = window.start.isoformat()
        answer = self._get(f"/{stream}", params)
        answer.raise_for_status()
        for row in answer.json()["results"]:
            at = datetime.fromisoformat(row["updated_at"])
            if window.admits(at, row["id"]):
                yield RawRecord(self.name, stream, row["id"], at, row)

    def write(self, changes: Sequence[Change]) -> list[WriteResult]:
        updates = [{"id": c.record_id, "properties": dict(c.properties)}
                   for c in changes if c.record_id is not None]  # fmt: skip
        creates = [{"properties": dict(c.properties)} for c in changes if c.record_id is None]
        answer = self._http.post(f"{self.settings.base_url}/people/batch", timeout=10,
                                 json={"updates": updates, "creates": creates})  # fmt: skip
        answer.raise_for_status()
        results = iter(answer.json()["results"])
        ordered = [*(c for c in changes if c.record_id is not None),
                   *(c for c in changes if c.record_id is None)]  # fmt: skip
        done = {c.key: next(results) for c in ordered}
        return [_result(c, done[c.key]) for c in changes]

    def _get(self, path: str, params: dict[str, str]) -> requests.Response:
        return self._http.get(f"{self.settings.base_url}{path}", params=params, timeout=10)


def _result(change: Change, answer: dict[str, Any]) -> WriteResult:
    if not answer["ok"]:
        return WriteResult(change.key, False, change.record_id, answer["error"], "NOT_FOUND")
    return WriteResult(change.key, True, answer["id"], written=dict(change.properties))
