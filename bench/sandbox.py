"""The sandbox as a child process, so its synthetic world is not counted in leadsync's memory.

`leadsync sandbox serve` prints its connection details as the first stdout line and serves
until SIGTERM. The admin API (`sandbox_url`) gives per-system call counters; its own requests
are not counted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from leadsync.sandbox.cli import sandbox_config, token_environment

TIER = "professional"
# HubSpot Professional: 190 requests per rolling 10 s, search 5 per second.
HUBSPOT_LIMITS = {"tier": TIER, "ten_second_limit": 190, "search_per_second": 5}
SALESFORCE_DAILY_ALLOWANCE = 100_000  # a fresh Enterprise org's base allowance
SYSTEMS = ("hubspot", "salesforce")


class SandboxProcess:
    """`leadsync sandbox serve` in a subprocess; use as a context manager."""

    def __init__(self, contacts: int, seed: int) -> None:
        self.command = [
            sys.executable, "-m", "leadsync", "sandbox", "serve",
            "--contacts", str(contacts), "--seed", str(seed), "--port", "0", "--tier", TIER,
        ]  # fmt: skip
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}
        self.http = requests.Session()
        self.http.trust_env = False

    def __enter__(self) -> SandboxProcess:
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {' '.join(self.command)}")
        self.info = json.loads(line)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, f"{self.info['sandbox_url']}/_sandbox/{path}", json=body, timeout=120
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "stats")

    def reset(self) -> None:
        """Zero the counters and the HubSpot limiter; the data stays (`data` is false)."""
        self.admin("POST", "reset", {"data": False})
        self.admin(
            "POST",
            "settings",
            {
                "hubspot": HUBSPOT_LIMITS,
                "salesforce": {"daily_allowance": SALESFORCE_DAILY_ALLOWANCE},
            },
        )

    def settings(self) -> dict[str, Any]:
        return self.admin("GET", "settings")

    def cpu_seconds(self) -> float:
        """User + system CPU the sandbox has used so far (Linux /proc; 0 elsewhere)."""
        if self.process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def configure(self, directory: Path) -> Path:
        """Write config.toml (store: SQLite in `directory`) and export the tokens."""
        path = directory / "config.toml"
        path.write_text(sandbox_config(self.info, TIER, directory), encoding="utf-8")
        for line in token_environment(self.info):
            name, _, value = line.partition("=")
            os.environ[name] = value
        return path
