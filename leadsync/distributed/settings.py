"""Where the fleet's services are: read from the environment, never from a tenant's config.

LEADSYNC_TENANTS_DATABASE_URL  PostgreSQL holding the registry and one schema per tenant
LEADSYNC_BROKER_URL            Celery's broker (RabbitMQ by default; redis:// works too)
LEADSYNC_RESULT_BACKEND        optional: where task results go (e.g. redis://...)
LEADSYNC_REDIS_URL             optional: shared rate limits; unset, each process paces alone
LEADSYNC_METRICS_PORT          the worker's /healthz and /metrics (0: none)
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadsync.errors import ConfigError

DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"


class FleetSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADSYNC_", extra="ignore")

    tenants_database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/leadsync"
    broker_url: str = DEFAULT_BROKER
    # The queue workers take tasks from: fleets (or tests) sharing one broker keep apart.
    queue: str = "leadsync"
    result_backend: str | None = None
    redis_url: str | None = None
    metrics_port: int = Field(9808, ge=0, le=65535)
    # Seconds: a cycle past the soft limit stops where it is (what it committed stands).
    cycle_soft_limit: int = Field(900, ge=10)
    cycle_hard_limit: int = Field(1200, ge=20)
    # Nightly rescore: how many shards one tenant's people are split into.
    rescore_shards: int = Field(4, ge=1, le=256)


def fleet_settings() -> FleetSettings:
    settings = FleetSettings()
    if not settings.tenants_database_url.startswith("postgresql"):
        raise ConfigError(
            f"LEADSYNC_TENANTS_DATABASE_URL={settings.tenants_database_url!r}: tenants live in "
            "PostgreSQL schemas; set it to postgresql+psycopg://USER@HOST/DB"
        )
    return settings
