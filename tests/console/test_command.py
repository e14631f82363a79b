"""`leadsync console` itself: where it listens and how it keeps its session key."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from leadsync.console.settings import SECRET_ENV, key_file, secret_key
from leadsync.errors import ConfigError
from tests.console.conftest import TOKENS, offline_config


def test_the_key_lives_beside_a_sqlite_store_else_beside_the_config(tmp_path):
    config = tmp_path / "etc" / "leadsync.toml"
    assert key_file("sqlite:////var/lib/leadsync/store.db", config) == Path(
        "/var/lib/leadsync/store.console-key"
    )
    assert key_file("postgresql+psycopg://u@db/leadsync", config) == config.with_name(
        "leadsync.console-key"
    )


def test_a_generated_key_is_private_to_its_owner_and_kept(tmp_path):
    path = tmp_path / "store.console-key"
    first = secret_key(path, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(path, environ={}) == first and len(first) >= 32


def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "store.console-key"
    secret_key(path, environ={})
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=f"run `chmod 600 {path}`"):
        secret_key(path, environ={})


def test_the_environment_key_wins_and_must_be_long(tmp_path):
    path = tmp_path / "store.console-key"
    assert secret_key(path, environ={SECRET_ENV: "e" * 40}) == "e" * 40
    assert not path.exists()
    with pytest.raises(ConfigError, match="too short"):
        secret_key(path, environ={SECRET_ENV: "short"})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_leadsync_console_serves_on_localhost_and_never_prints_its_key(tmp_path):
    config = offline_config(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")} | TOKENS
    command = [str(Path(sys.executable).with_name("leadsync")), "console", "--config",
               str(config), "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        banner = process.stdout.readline()
        assert banner.strip() == f"leadsync console on http://127.0.0.1:{port} (Ctrl-C stops it)"
        answer = _get_when_up(f"http://127.0.0.1:{port}/health")
        assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/health"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    key = (tmp_path / "leadsync.console-key").read_text().strip()
    assert key not in banner + out + err


def _get_when_up(url: str) -> requests.Response:
    for _ in range(100):
        try:
            return requests.get(url, allow_redirects=False, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")
