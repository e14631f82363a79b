"""`leadsync push serve` as an admin starts it: the secret from the environment, never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.console.conftest import TOKENS, offline_config
from tests.sync.push_support import SECRET_ENV, change_event, free_port, signed_post, wait_for

LEADSYNC = str(Path(sys.executable).with_name("leadsync"))


def _env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")} | TOKENS | extra


def test_without_a_client_secret_push_serve_says_which_variable_to_set(tmp_path):
    config = offline_config(tmp_path)
    done = subprocess.run([LEADSYNC, "push", "serve", "--config", str(config)], env=_env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert SECRET_ENV in done.stderr and "Traceback" not in done.stderr


def test_push_serve_verifies_webhooks_and_never_prints_the_secret(tmp_path):
    config, port, secret = offline_config(tmp_path), free_port(), "s3cret-" + "x" * 24
    command = [LEADSYNC, "push", "serve", "--config", str(config), "--port", str(port)]
    process = subprocess.Popen(command, env=_env(**{SECRET_ENV: secret}), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    url = f"http://127.0.0.1:{port}/webhooks/hubspot"
    try:
        banner = process.stdout.readline()
        assert url in banner
        answers = wait_for(lambda: _post(url, "wrong", secret), timeout=30, every=0.1)
        assert answers == (401, 200)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert secret not in banner + out + err


def _post(url: str, wrong: str, secret: str) -> tuple[int, int] | None:
    try:
        forged = signed_post(url, wrong, [change_event("1", 1)]).status_code
        genuine = signed_post(url, secret, [change_event("1", 2)]).status_code
    except OSError:
        return None
    return forged, genuine
