"""A tenant's settings and runtime: its config from the registry, its secrets from its own
environment prefix (`LEADSYNC_TENANT_ACME__HUBSPOT__ACCESS_TOKEN`) or the secrets file the
operator named, its store in its own schema."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadsync.distributed.registry import Tenant
from leadsync.distributed.schemas import tenant_url
from leadsync.errors import ConfigError
from leadsync.sync.config import SECRET_KEYS, ConfigSource, Settings, settings_from_text
from leadsync.sync.runtime import Runtime, build_runtime


def env_prefix(name: str) -> str:
    return f"LEADSYNC_TENANT_{name.upper()}__"


def secret_variables(name: str) -> list[str]:
    """The environment variables a tenant's secrets may come from (names only)."""
    return [env_prefix(name) + "__".join(part.upper() for part in path) for path in SECRET_KEYS]


def read_secrets(path: str | None) -> dict[str, dict[str, Any]]:
    """The operator's secrets file: TOML with `[hubspot]` and `[salesforce]` sections."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: secrets file not found; create it or re-add the tenant "
                          "without --secrets") from None  # fmt: skip
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({type(exc).__name__}); the secrets file "
                          "holds [hubspot] and [salesforce] sections of keys") from None  # fmt: skip
    allowed = {key[0] for key in SECRET_KEYS}
    unknown = sorted(set(data) - allowed)
    if unknown or not all(isinstance(v, Mapping) for v in data.values()):
        raise ConfigError(f"{path}: only [{'] and ['.join(sorted(allowed))}] sections of "
                          f"secrets belong here (found {', '.join(unknown) or 'plain keys'})")  # fmt: skip
    return {section: dict(values) for section, values in data.items()}


def tenant_settings(tenant: Tenant, base_url: str, *, secrets: bool = True) -> Settings:
    """The tenant's settings, its store being its schema whatever its file says."""
    where = f"tenant {tenant.name} ({tenant.config_path})"
    prefix = env_prefix(tenant.name)
    try:
        settings = settings_from_text(tenant.config_text, where, secrets=secrets,
                                      env_prefix=prefix, given=read_secrets(tenant.secrets_file))  # fmt: skip
    except ConfigError as exc:
        # Connectors name the single-tenant variables; this tenant's have its own prefix.
        raise ConfigError([_own_names(line, prefix) for line in exc.problems]) from None
    settings.database_url = tenant_url(base_url, tenant.schema)
    settings._source = ConfigSource(Path(tenant.config_path), tenant.config_text)
    return settings


def _own_names(line: str, prefix: str) -> str:
    return re.sub(r"\bLEADSYNC_(?!TENANT_)", prefix, line)


def tenant_runtime(tenant: Tenant, base_url: str, *, actor: str = "worker") -> Runtime:
    return build_runtime(tenant_settings(tenant, base_url), actor=actor)
