"""Config mistakes: each exits 2 with one line naming file and key, and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadsync.errors import ConfigError
from leadsync.sync.config import load_settings

BASE = """
database_url = "sqlite:///x.db"

[hubspot]
base_url = "http://127.0.0.1:1"

[salesforce]
instance_url = "https://127.0.0.1:2"
auth = "session"
"""

SECRETS = {"LEADSYNC_HUBSPOT__ACCESS_TOKEN": "hs-token", "LEADSYNC_SALESFORCE__ACCESS_TOKEN": "sf"}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def write(tmp_path: Path, extra: str = "", base: str = BASE) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(base + extra, encoding="utf-8")
    return path


def problems(tmp_path: Path, extra: str = "", base: str = BASE) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, extra, base))
    return err.value.problems


def test_a_minimal_config_loads_with_shipped_defaults(tmp_path):
    settings = load_settings(write(tmp_path))
    assert settings.hubspot.access_token.get_secret_value() == "hs-token"
    assert "hs-token" not in repr(settings) and "hs-token" not in str(settings.hubspot)
    assert len(settings.rules.fit) > 5


def test_the_example_config_is_valid():
    example = Path(__file__).parents[2] / "config.example.toml"
    assert load_settings(example).sync.handoff_stage.value == "mql"


def test_unknown_key_suggests_the_near_miss(tmp_path):
    [line] = problems(tmp_path, "\n[sync]\ninterval_minuts = 5\n")
    expected = 'sync.interval_minuts: unknown key (did you mean "interval_minutes"?)'
    assert line == f"{tmp_path / 'config.toml'}: {expected}"


def test_wrong_type_names_key_and_value(tmp_path):
    [line] = problems(tmp_path, '\n[sync]\ninterval_minutes = "often"\n')
    assert "sync.interval_minutes" in line and "'often'" in line and "integer" in line


def test_missing_required_section(tmp_path):
    base = 'database_url = "sqlite:///x.db"\n[hubspot]\nbase_url = "http://h"\n'
    lines = problems(tmp_path, base=base)
    assert any(
        "salesforce.instance_url: required but missing; add it (config.example.toml shows it)"
        in line
        for line in lines
    )


def test_unknown_stage_name_in_a_vocabulary(tmp_path):
    extra = """
[stages.hubspot.lifecyclestage]
object = "contact"
forward_only = true
inbound = { lead = "lead", marketingqualifiedlead = "mqll" }
outbound = { lead = "lead", mql = "marketingqualifiedlead", sql = "lead", prospect = "lead", \
opportunity = "lead", customer = "lead", suspect = "lead" }
"""
    lines = problems(tmp_path, extra)
    assert any(
        "stages.hubspot.lifecyclestage.inbound.marketingqualifiedlead: 'mqll' is not a stage"
        in line
        and 'did you mean "mql"?' in line
        for line in lines
    )


def test_outbound_value_that_maps_to_nothing_inbound(tmp_path):
    extra = """
[stages.salesforce.Status]
object = "Lead"
inbound = { "Open" = "lead", "Closed" = "suspect" }
outbound = { lead = "Open", mql = "MQL", sql = "Open", suspect = "Closed" }
"""
    [line] = problems(tmp_path, extra)
    assert "stages.salesforce.Status.outbound.mql: 'MQL' is not among the inbound values" in line


def test_canonical_stage_with_no_outbound_value(tmp_path):
    extra = """
[stages.salesforce.Status]
object = "Lead"
inbound = { "Open" = "lead", "Closed" = "suspect" }
outbound = { lead = "Open", suspect = "Closed" }
"""
    lines = problems(tmp_path, extra)
    assert any("canonical stage 'mql' has no outbound value" in line for line in lines)
    assert any("canonical stage 'sql' has no outbound value" in line for line in lines)


def test_secret_in_the_file_is_refused(tmp_path):
    lines = problems(
        tmp_path,
        base=BASE.replace(
            'base_url = "http://127.0.0.1:1"',
            'base_url = "http://127.0.0.1:1"\naccess_token = "pat-123"',
        ),
    )
    assert any(
        "hubspot.access_token: secrets are read from the environment only" in line
        and "LEADSYNC_HUBSPOT__ACCESS_TOKEN" in line
        for line in lines
    )
    assert not any("pat-123" in line for line in lines)


def test_missing_secret_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("LEADSYNC_HUBSPOT__ACCESS_TOKEN")
    lines = problems(tmp_path)
    assert any("set LEADSYNC_HUBSPOT__ACCESS_TOKEN" in line for line in lines)


def test_unknown_transform_in_a_field_map(tmp_path):
    [line] = problems(
        tmp_path,
        '\n[fields.hubspot.contact.employees]\nsource = "numemployees"\ntransform = "integr"\n',
    )
    assert "fields.hubspot.contact.employees.transform: 'integr' is not a transform" in line
    assert 'did you mean "integer"?' in line


def test_invalid_toml_says_where(tmp_path):
    [line] = problems(tmp_path, "\n[sync\n")
    assert "not valid TOML" in line and "line" in line


def test_every_problem_is_reported_at_once(tmp_path):
    lines = problems(tmp_path, '\n[sync]\ninterval_minuts = 5\nhandoff_stage = "sqll"\n')
    assert len(lines) == 2


def test_cli_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path):
    path = write(tmp_path, "\n[sync]\ninterval_minuts = 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "mapping", "validate", "--config", str(path)],
        capture_output=True,
        text=True,
        env={**SECRETS, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("config error") == 1
    assert "sync.interval_minuts" in done.stderr


def test_cli_validate_accepts_the_example(tmp_path):
    example = Path(__file__).parents[2] / "config.example.toml"
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "mapping", "validate", "--config", str(example)],
        capture_output=True,
        text=True,
        env={**SECRETS, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr


def _keys(model, prefix=()):
    import types
    import typing

    from pydantic import BaseModel

    for name, field in model.model_fields.items():
        annotation = field.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        optional = [a for a in typing.get_args(annotation) if a is not type(None)]
        if union and len(optional) == 1:  # a connector's table: `XSettings | None`
            annotation = optional[0]
        nested = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if nested is not None:
            yield from _keys(nested, (*prefix, name))
        else:
            yield (*prefix, name)


def test_every_setting_appears_in_the_example_with_a_comment():
    from leadsync.sync.config import SECRET_KEYS, Settings, SyncSettings

    text = (Path(__file__).parents[2] / "config.example.toml").read_text()
    lines = text.splitlines()
    from leadsync.mapping.catalog import catalog

    # Connectors from other packages (the tests' TinyCRM) document their own tables.
    elsewhere = {d.name for d in catalog().declarations.values()
                 if not d.connector.startswith("leadsync.")}  # fmt: skip
    missing = []
    for path in _keys(Settings):
        if (
            path in SECRET_KEYS
            or path[0] in elsewhere
            or path[0]
            in (
                "stages",
                "fields",
                "writeback",
                "scoring",
                "sources",
            )
        ):
            continue
        key = path[-1]
        if not any(line.lstrip("# ").startswith(f"{key} =") for line in lines):
            missing.append(".".join(path))
    assert not missing, f"not in config.example.toml: {missing}"
    tables = [f"[sync.{k}]" for k in SyncSettings.model_fields if f"{k} =" not in text]
    assert "[sync]" in text and all(table in text for table in tables), tables
    assert "[sources]" in text


def test_unknown_keys_in_connector_sections_are_reported_too(tmp_path):
    extra = "\n[hubspot.retry]\nmax_attempt = 3\n"
    lines = problems(
        tmp_path,
        extra,
        base=BASE.replace(
            'base_url = "http://127.0.0.1:1"', 'base_url = "http://127.0.0.1:1"\ntierr = "free"'
        ),
    )
    assert any('hubspot.tierr: unknown key (did you mean "tier"?)' in line for line in lines)
    assert any(
        'hubspot.retry.max_attempt: unknown key (did you mean "max_attempts"?)' in line
        for line in lines
    )


def test_the_example_config_ships_exactly_the_default_scoring_rules():
    import tomllib

    from leadsync.sync.config import SHIPPED_RULES

    root = Path(__file__).parents[2]
    example = tomllib.loads((root / "config.example.toml").read_text())["scoring"]
    assert example == tomllib.loads(SHIPPED_RULES.read_text())["scoring"]


def test_the_example_configs_own_decay_window_alternative_is_accepted(tmp_path):
    example = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    swapped = example.replace("half_life_days = 90\n# window_days = 180", "window_days = 180")
    assert swapped != example
    path = tmp_path / "config.toml"
    path.write_text(swapped, encoding="utf-8")
    settings = load_settings(path)
    assert settings.rules.decay.window_days == 180
    assert settings.rules.decay.half_life_days is None


def test_a_config_file_that_is_not_utf8_says_so_and_how_to_convert_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(BASE.encode() + "# café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "not UTF-8" in str(err.value) and "iconv" in str(err.value)


def test_an_empty_object_name_is_an_error_not_a_silently_disabled_vocabulary(tmp_path):
    extra = """
[stages.hubspot.lifecyclestage]
object = ""
inbound = { lead = "lead" }
outbound = { lead = "lead" }
"""
    found = problems(tmp_path, extra)
    assert any("stages.hubspot.lifecyclestage.object: empty" in line for line in found)


def test_checking_the_file_alone_needs_no_secrets(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    example = Path(__file__).parents[2] / "config.example.toml"
    done = subprocess.run(
        [sys.executable, "-m", "leadsync", "mapping", "validate", "--config", str(example)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


def test_a_bad_time_zone_is_caught_by_validate(tmp_path):
    [line] = problems(tmp_path, '\n[sync]\ntimezone = "Europe/Berln"\n')
    assert "sync.timezone" in line and "not an IANA time zone" in line


@pytest.mark.parametrize(
    ("value", "says"),
    [("2026-11-01T00:00:00", "no UTC offset"), ("yesterday", "not an ISO 8601")],
)
def test_a_fixed_clock_without_an_offset_or_not_a_date_says_what_to_write(value, says):
    from leadsync.sync.runtime import fixed_now

    with pytest.raises(ConfigError, match=says):
        fixed_now(value)
