"""A token read with a trailing newline (token files, CRLF .env files) works and never leaks.

Every command's output, the logs of `leadsync run` and every table of the store are searched for
the token after a run that also met a refused request, where error text is most likely to quote
a header.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import sqlalchemy as sa

from .conftest import subprocess_env
from .test_recovery_e2e import wait_for

COMMANDS = (
    ["sync"], ["status"], ["status", "--json"], ["plan", "--json"], ["report", "funnel"],
    ["mapping", "validate"], ["mapping", "validate", "--live"], ["sync", "--json"],
)  # fmt: skip


def _run(world, env, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", *args, "--config", str(world.config)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    return done.stdout + done.stderr


def _store_text(world) -> str:
    engine = world.runtime().sessions.kw["bind"]
    dumped = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            dumped += [
                repr(tuple(row)) for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))
            ]
    return "\n".join(dumped)


def _scheduler_log(world, env) -> str:
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "run", "--config", str(world.config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    wait_for(lambda: world.stats()["hubspot"]["requests"] > 0)
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=120)[0]


def test_a_token_with_a_trailing_newline_works_and_appears_nowhere(sqlite_world):
    world = sqlite_world
    hubspot_token = world.env["LEADSYNC_HUBSPOT__ACCESS_TOKEN"]
    salesforce_token = world.env["LEADSYNC_SALESFORCE__ACCESS_TOKEN"]
    env = subprocess_env(world)
    env["LEADSYNC_HUBSPOT__ACCESS_TOKEN"] = hubspot_token + "\n"
    env["LEADSYNC_SALESFORCE__ACCESS_TOKEN"] = salesforce_token + "\r\n"

    seen = [_run(world, env, *command) for command in COMMANDS]
    assert "pulled" in seen[0], seen[0]  # the token worked: the sync ran
    # A refused request, and one the server never answers, make the errors speak.
    world.admin("POST", "faults", system="hubspot", status=401, rate=1.0, route="*")
    world.reset_stats()
    seen.append(_run(world, env, "sync"))
    seen.append(_scheduler_log(world, env))
    world.admin("DELETE", "faults")
    seen.append(_store_text(world))

    everything = "\n".join(seen)
    for token in (hubspot_token, salesforce_token):
        assert token not in everything
    assert "Traceback" not in everything
