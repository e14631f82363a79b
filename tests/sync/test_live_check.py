"""`mapping validate --live` against the sandbox's real picklists and fields."""

from __future__ import annotations

import subprocess
import sys

import pytest

from leadsync.errors import ConfigError
from leadsync.sync.config import load_settings
from leadsync.sync.config_mapping import build_vocabularies
from leadsync.sync.live_check import check_live

from .conftest import subprocess_env


def test_the_shipped_mapping_matches_the_sandbox_crms(sqlite_world):
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "mapping", "validate", "--live",
         "--config", str(sqlite_world.config)],
        env=subprocess_env(sqlite_world), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_an_unmapped_crm_value_and_an_unaccepted_outbound_value_are_named(sqlite_world):
    sqlite_world.config.write_text(sqlite_world.config.read_text() + """
[stages.hubspot.lifecyclestage]
object = "contact"
forward_only = true
inbound = { subscriber = "lead", lead = "lead", marketingqualifiedlead = "mql", salesqualifiedlead = "sql", opportunity = "opportunity", customer = "customer", other = "suspect", nurture = "lead" }
outbound = { lead = "nurture", mql = "marketingqualifiedlead", sql = "salesqualifiedlead", prospect = "salesqualifiedlead", opportunity = "opportunity", customer = "customer", suspect = "other" }
""")  # fmt: skip
    settings = load_settings(sqlite_world.config)
    with pytest.raises(ConfigError) as err:
        check_live(settings, build_vocabularies(settings.stages))
    problems = "\n".join(err.value.problems)
    assert "'evangelist' exists in hubspot but is not mapped" in problems
    assert (
        "stages.hubspot.lifecyclestage.outbound.lead: 'nurture' is not a value hubspot accepts"
        in problems
    )


def validate_live(world) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leadsync", "mapping", "validate", "--live",
         "--config", str(world.config)],
        env=subprocess_env(world), capture_output=True, text=True,
    )  # fmt: skip


def test_hidden_salesforce_fields_are_reported_optional_as_warnings(sqlite_world):
    sqlite_world.admin(
        "POST", "settings", salesforce={"hidden_fields": ["Lead.HasOptedOutOfEmail"]}
    )
    done = validate_live(sqlite_world)
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout and "Lead.HasOptedOutOfEmail" in done.stdout
    assert "Unsubscribes from Salesforce are not scored" in done.stdout

    hidden = ["Lead.HasOptedOutOfEmail", "Lead.Email"]
    sqlite_world.admin("POST", "settings", salesforce={"hidden_fields": hidden})
    done = validate_live(sqlite_world)
    assert done.returncode == 2
    assert "Lead.Email" in done.stderr and "Field-Level Security" in done.stderr
    assert "Lead.HasOptedOutOfEmail" in done.stderr  # the warning is listed too
    assert "Traceback" not in done.stderr
