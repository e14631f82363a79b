"""`[scoring] shadow`: where the candidate is looked for, and what a wrong value says."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.errors import ConfigError
from leadsync.sync.config import load_settings

from .test_config import BASE, SECRETS

RULES = Path(__file__).parents[2] / "leadsync" / "scoring" / "example_rules.toml"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _live(directory: Path, shadow: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(BASE + f"\n[scoring]\nshadow = {shadow}\n", encoding="utf-8")
    return path


def test_the_candidate_is_found_beside_the_config_wherever_leadsync_runs(tmp_path, monkeypatch):
    live = _live(tmp_path / "etc", '"rules/candidate.toml"')
    (tmp_path / "etc" / "rules").mkdir()
    raised = RULES.read_text().replace("total_at_least = 50", "total_at_least = 70")
    (tmp_path / "etc" / "rules" / "candidate.toml").write_text(BASE + raised)
    monkeypatch.chdir(tmp_path)

    settings = load_settings(live)
    assert settings.shadow is not None
    assert settings.shadow.rules.stages.mql.total_at_least == 70
    # A [scoring] table holding only `shadow` leaves the live config on the shipped rules.
    assert settings.rules.stages.mql.total_at_least == 50
    assert settings.shadow.source is not None
    assert settings.shadow.source.path == (tmp_path / "etc" / "rules" / "candidate.toml")


@pytest.mark.parametrize("value", ["5", '""', '["a.toml"]'])
def test_a_shadow_that_is_not_a_file_name_says_what_to_write(tmp_path, value):
    with pytest.raises(ConfigError) as err:
        load_settings(_live(tmp_path, value))
    [line] = err.value.problems
    assert "config.toml: scoring.shadow" in line and 'shadow = "candidate.toml"' in line


def test_without_a_shadow_there_is_no_candidate(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_settings(path).shadow is None
