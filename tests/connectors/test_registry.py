"""Connectors are found through entry points; a miss or a bad settings table says what to do."""

from __future__ import annotations

import textwrap

import pytest

from leadsync.connectors import registry
from leadsync.connectors.base import Connector
from leadsync.connectors.hubspot import HubSpotConnector, HubSpotSettings
from leadsync.errors import ConfigError

PLUGIN = """
from dataclasses import dataclass

from pydantic import BaseModel

from leadsync.mapping.catalog import Declaration, PersonObject

class PipedriveSettings(BaseModel):
    api_token: str

DECLARATION = Declaration(
    name="pipedrive", label="Pipedrive", role="sales",
    connector="leadsync_pipedrive:PipedriveConnector", settings=PipedriveSettings,
    streams=("persons",), people=(PersonObject("person", "persons", "pipedrive_person"),),
)

@dataclass
class PipedriveConnector:
    settings: PipedriveSettings
    name = "pipedrive"
    streams = ("persons",)
    batch_limit = 100

    def check(self):
        pass

    def read(self, stream, window):
        return iter(())

    def write(self, changes):
        return []
"""


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    """An installed package `leadsync_pipedrive` whose only link to leadsync is one line."""
    (tmp_path / "leadsync_pipedrive.py").write_text(PLUGIN)
    dist = tmp_path / "leadsync_pipedrive-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: leadsync-pipedrive\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [leadsync.connectors]
            pipedrive = leadsync_pipedrive:DECLARATION
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_both_shipped_connectors_are_registered():
    assert {"hubspot", "salesforce"} <= set(registry.available())
    assert registry.load("hubspot") is HubSpotConnector
    assert registry.declaration("hubspot").settings is HubSpotSettings


def test_a_third_party_connector_is_a_package_plus_one_entry_point_line(third_party):
    connector = registry.create("pipedrive", {"api_token": "x"})
    assert isinstance(connector, Connector)
    assert connector.name == "pipedrive" and connector.settings.api_token == "x"


def test_an_entry_point_that_is_no_declaration_says_so(third_party, tmp_path):
    points = tmp_path / "leadsync_pipedrive-0.1.dist-info" / "entry_points.txt"
    points.write_text("[leadsync.connectors]\npipedrive = leadsync_pipedrive:PipedriveConnector\n")
    with pytest.raises(ConfigError, match="not a leadsync Declaration"):
        registry.create("pipedrive", {"api_token": "x"})


def test_an_unknown_connector_names_the_available_ones():
    with pytest.raises(ConfigError) as miss:
        registry.load("pipedrive")
    assert "available: hubspot, salesforce" in str(miss.value)


def test_settings_are_validated_against_the_connectors_model_with_the_key_named():
    with pytest.raises(ConfigError) as bad:
        registry.create("hubspot", {"base_url": "http://127.0.0.1:9", "daily_budget_share": 3})
    problems = bad.value.problems
    assert any(p.startswith("[hubspot] access_token:") for p in problems)
    assert any(p.startswith("[hubspot] daily_budget_share:") for p in problems)


def test_salesforce_auth_modes_name_their_missing_credentials():
    with pytest.raises(ConfigError) as bad:
        registry.create(
            "salesforce", {"instance_url": "https://x.my.salesforce.com", "auth": "jwt"}
        )
    assert "client_id, username, private_key_file" in str(bad.value)
