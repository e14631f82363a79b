"""Configuration: a TOML file plus the environment, validated in one pass.

Each installed connector brings its own table (`[<name>]`, validated by the model its
declaration names; see `mapping.catalog`); a config uses the CRMs whose tables it has.
Secrets come only from the environment (`LEADSYNC_<NAME>__ACCESS_TOKEN`, ...) and are held as
`SecretStr`. Every problem is reported at once, one line each, naming file and key; a bad
config raises `ConfigError` (exit code 2) and nothing else happens.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from leadsync.errors import ConfigError
from leadsync.mapping.catalog import catalog
from leadsync.mapping.fields import CANONICAL_FIELDS
from leadsync.mapping.model import Stage
from leadsync.scoring.rules import Condition, ScoringConfig, load_scoring
from leadsync.sync import redact
from leadsync.sync.config_errors import explain
from leadsync.sync.config_mapping import (
    FieldMapConfig,
    SourceRuleConfig,
    StagesConfig,
    check_mapping,
    check_writeback,
)
from leadsync.sync.push.settings import PushSettings

CONFIG_ENV = "LEADSYNC_CONFIG"
DEFAULT_PATH = Path("config.toml")


class ConfigSource(NamedTuple):
    path: Path
    text: str


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HandoffCondition(Condition):
    """One condition a person must meet to be handed off: a canonical field, or `stage`."""

    field: str = Field(min_length=1)


class HandoffSettings(_Section):
    """Who gets a lead made for them in the sales CRM, how many a day, and whose it is.

    `when`: every condition must hold (like an inclusion list); `daily_cap`: at most this many
    leads a day (in `sync.timezone`; the rest wait for the next day); `owner_id`: every Lead's
    owner; `owners`: round robin over these user ids instead.
    """

    when: list[HandoffCondition] = Field(default_factory=list)
    daily_cap: int | None = Field(None, ge=1)
    owner_id: str | None = None
    owners: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_owner_rule(self) -> HandoffSettings:
        if self.owner_id and self.owners:
            raise ValueError("set owner_id (one owner) or owners (round robin), not both")
        return self


class SyncSettings(_Section):
    interval_minutes: int = Field(5, ge=1, le=1440)
    full_rescore_at: str = Field("02:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"
    handoff_stage: Stage = Stage.MQL
    create_sales_leads: bool = True
    max_attempts: int = Field(5, ge=1, le=100)
    on_duplicate_email: Literal["flag", "skip"] = "flag"
    # The nightly rescore sends its writes only when true; otherwise it leaves a plan to review.
    auto_apply_rescore: bool = False
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone; use a name such as "
                '"Europe/Berlin", "America/New_York" or "UTC"'
            ) from None
        return value


class _Settings(BaseSettings):
    """The whole configuration. Sections and keys mirror `config.example.toml`; each installed
    connector adds its own optional table (see `Settings` below)."""

    model_config = SettingsConfigDict(
        env_prefix="LEADSYNC_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database_url: str = "sqlite:///leadsync.db"
    sync: SyncSettings = Field(default_factory=SyncSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    stages: StagesConfig = Field(default_factory=StagesConfig)
    fields: dict[str, dict[str, dict[str, FieldMapConfig]]] = Field(default_factory=dict)
    writeback: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    # Which CRM's value a canonical field takes (see `mapping.sources`); absent: the default.
    sources: dict[str, SourceRuleConfig] = Field(default_factory=dict)
    # Validated on its own by `scoring.rules.load_scoring` (see `load_settings`); absent, the
    # shipped rules apply.
    scoring: dict[str, Any] | None = None
    _rules: ScoringConfig = PrivateAttr()
    _source: ConfigSource | None = PrivateAttr(default=None)
    # `[scoring] shadow`: as written, then the candidate it names (see `sync.shadow`).
    _shadow_ref: str | None = PrivateAttr(default=None)
    _shadow: _Settings | None = PrivateAttr(default=None)

    @property
    def rules(self) -> ScoringConfig:
        return self._rules

    @property
    def connectors(self) -> dict[str, BaseModel]:
        """The configured CRMs' tables, by connector name, in the catalog's order."""
        found = {name: getattr(self, name, None) for name in catalog().systems}
        return {name: table for name, table in found.items() if table is not None}

    @model_validator(mode="after")
    def _some_crm(self) -> _Settings:
        if not self.connectors:
            tables = ", ".join(f"[{name}]" for name in catalog().systems) or "none installed"
            raise ValueError(f"no CRM is configured: add the table of each CRM to sync ({tables})")
        return self

    @property
    def source(self) -> ConfigSource | None:
        """The file these settings were loaded from, and its text (None when built in code)."""
        return self._source

    @property
    def shadow(self) -> _Settings | None:
        """The candidate config `[scoring] shadow` names, loaded without secrets, or None."""
        return self._shadow

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment outranks the file; no dotenv files are read behind the admin's back.
        return (env_settings, init_settings)


def _with_connectors() -> type[_Settings]:
    """The settings model with one optional table per installed connector."""
    tables: dict[str, Any] = {
        d.name: (d.settings | None, None) for d in catalog().declarations.values()
    }
    return create_model("Settings", __base__=_Settings, __module__=__name__, **tables)


Settings = _with_connectors()


def resolve_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, else ./config.toml when present, else $LEADSYNC_CONFIG."""
    if explicit:
        return Path(explicit)
    if DEFAULT_PATH.exists():
        return DEFAULT_PATH
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    raise ConfigError(
        f"no config file: pass --config FILE, create ./{DEFAULT_PATH}, or set {CONFIG_ENV} "
        "(copy config.example.toml to start)"
    )


def read_text(path: Path) -> str:
    """The file's text exactly as stored (line endings kept): what a revision records."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found; pass --config FILE with an existing file"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; pass --config FILE") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x}); TOML "
            "files are UTF-8: save it as UTF-8 in your editor, or run "
            f"`iconv -f latin1 -t utf-8 {path}` to convert it"
        ) from None


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None


def read_toml(path: Path) -> dict[str, Any]:
    return parse_toml(read_text(path), str(path))


def _secret_keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = str(field.annotation)
        if "SecretStr" in annotation:
            keys.append((*prefix, name))
    return keys


SECRET_KEYS: tuple[tuple[str, ...], ...] = tuple(
    key for d in catalog().declarations.values() for key in _secret_keys(d.settings, (d.name,))
)


ENV_PREFIX = "LEADSYNC_"


def _env_name(path: tuple[str, ...], prefix: str = ENV_PREFIX) -> str:
    return prefix + "__".join(part.upper() for part in path)


def _secrets_in_file(data: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for path in SECRET_KEYS:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            env = _env_name(path)
            problems.append(
                f"{where}: {'.'.join(path)}: secrets are read from the environment only; "
                f"remove the key and set {env}"
            )
    return problems


OFFLINE = "not-needed-offline"


def load_settings(path: Path, *, secrets: bool = True) -> Settings:
    """Read, validate and cross-check the config; `ConfigError` lists every problem.

    The settings keep the file's path and text (`Settings.source`): the revision a run records.
    `secrets=False` checks the file alone (for `mapping validate`, `preview`): a secret missing
    from the environment is then no problem, and the settings must not reach a CRM.
    """
    text = read_text(path)
    settings = settings_from_text(text, str(path), secrets=secrets)
    settings._source = ConfigSource(path.resolve(), text)
    if settings._shadow_ref is not None:
        settings._shadow = _shadow_candidate(path, settings._shadow_ref)
    return settings


SHADOW_KEY = "shadow"


def _shadow_candidate(path: Path, ref: str) -> Settings:
    """The candidate `[scoring] shadow` names, relative to the config file; one line if bad."""
    candidate = path.parent / ref
    where = f"{path}: scoring.{SHADOW_KEY} = {ref!r}"
    try:
        text = read_text(candidate)
        settings = settings_from_text(text, str(candidate), secrets=False)
    except ConfigError as exc:
        first, more = exc.problems[0], len(exc.problems) - 1
        also = (
            f" (and {more} more: `leadsync mapping validate --config {candidate}`)" if more else ""
        )
        raise ConfigError(
            f"{where}: the shadow candidate is not usable: {first}{also}; fix it, or remove "
            f"the key to turn shadow mode off"
        ) from None
    settings._source = ConfigSource(candidate.resolve(), text)
    return settings


def settings_from_text(
    text: str, where: str, *, secrets: bool = True, env_prefix: str = ENV_PREFIX,
    given: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:  # fmt: skip
    """Validate a config's text as `load_settings` would a file; `where` names it in messages.

    `env_prefix`: where the environment's settings are read (a tenant's own prefix, so one
    tenant never picks up another's token); `given`: secrets from a file the operator named,
    by section (the environment still outranks them).
    """
    data = _renamed(parse_toml(text, where))
    problems = _secrets_in_file(data, where)
    for section, values in (given or {}).items():
        data[section] = {**data.get(section, {}), **values}
    if not secrets:
        data = _without_secrets(data, env_prefix)
    try:
        settings = Settings(**data, _env_prefix=env_prefix)
    except ValidationError as exc:
        envs = {path: _env_name(path, env_prefix) for path in SECRET_KEYS}
        raise ConfigError(problems + explain(exc, Settings, where, envs)) from None
    cross = check_mapping(settings.stages, settings.fields, settings.sources)
    cross += check_writeback(settings.writeback)
    problems += [f"{where}: {line}" for line in cross]
    try:
        settings._shadow_ref, section = _split_shadow(settings.scoring, where)
        settings._rules = _scoring(section, where)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    _strip_secrets(settings)
    return settings


def _renamed(data: dict[str, Any]) -> dict[str, Any]:
    """Keys a connector once named (its declaration's `renamed_keys`) under their new names,
    so an older config.toml still loads as it did."""
    for old, new in catalog().renamed_keys().items():
        (section, _, old_key), new_key = old.partition("."), new.partition(".")[2]
        table = data.get(section)
        if isinstance(table, dict) and old_key in table:
            table.setdefault(new_key, table.pop(old_key))
    return data


def _without_secrets(data: Mapping[str, Any], prefix: str = ENV_PREFIX) -> dict[str, Any]:
    """The file's data with a stand-in for every secret the environment does not hold."""
    filled = {key: dict(value) if isinstance(value, Mapping) else value
              for key, value in data.items()}  # fmt: skip
    for path in SECRET_KEYS:
        if os.environ.get(_env_name(path, prefix)) is None and len(path) == 2 and path[0] in filled:
            filled[path[0]].setdefault(path[1], OFFLINE)
    return filled


def _strip_secrets(settings: Settings) -> None:
    """A token from a file or a CRLF .env often ends in whitespace no CRM accepts; drop it."""
    for *sections, name in SECRET_KEYS:
        holder: Any = settings
        for section in sections:
            holder = getattr(holder, section)
        secret = getattr(holder, name, None)
        if isinstance(secret, SecretStr):
            value = secret.get_secret_value()
            redact.remember([value])
            if value != value.strip():
                setattr(holder, name, SecretStr(value.strip()))


def _split_shadow(
    section: Mapping[str, Any] | None, where: str
) -> tuple[str | None, Mapping[str, Any] | None]:
    """`[scoring] shadow` apart from the rules; a section holding nothing else keeps the
    shipped rules (shadow mode is a setting, not a rule set)."""
    if section is None or SHADOW_KEY not in section:
        return None, section
    ref = section[SHADOW_KEY]
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"{where}: scoring.{SHADOW_KEY}: {ref!r} is not a file name; write e.g. "
            f'{SHADOW_KEY} = "candidate.toml" (relative to this file)'
        )
    rest = {k: v for k, v in section.items() if k != SHADOW_KEY}
    return ref.strip(), rest or None


SHIPPED_RULES = Path(__file__).parent.parent / "scoring" / "example_rules.toml"


def _scoring(section: Mapping[str, Any] | None, where: str) -> ScoringConfig:
    fields = {*CANONICAL_FIELDS, "email_domain"}
    if section is None:
        shipped = tomllib.loads(SHIPPED_RULES.read_text())["scoring"]
        return load_scoring(shipped, fields=fields, source=str(SHIPPED_RULES))
    return load_scoring(section, fields=fields, source=where)


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
