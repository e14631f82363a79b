"""The tenant list: one row per tenant in `leadsync_control.tenants`, beside (never inside) the
tenants' own schemas, so each tenant's schema carries only the normal migrations and dropping
one tenant touches no other.

A row holds the tenant's config text (workers on any machine read it from here, not from a
file), where that came from, an optional secrets file the operator points to, and how the
tenant's last piece of work ended (for `leadsync tenants status`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from leadsync.errors import StoreError, UsageError
from leadsync.sync.redact import redact
from leadsync.sync.store import make_engine

CONTROL = "leadsync_control"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

metadata = sa.MetaData(schema=CONTROL)
tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("config_path", sa.Text, nullable=False),
    sa.Column("config_text", sa.Text, nullable=False),
    sa.Column("secrets_file", sa.Text),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_status", sa.String(24)),
    sa.Column("last_error", sa.Text),
    sa.Column("last_run_id", sa.Integer),
    sa.Column("last_finished_at", sa.DateTime(timezone=True)),
    sa.Column("last_ok_at", sa.DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Tenant:
    name: str
    config_path: str
    config_text: str
    secrets_file: str | None
    added_at: datetime
    last_status: str | None = None
    last_error: str | None = None
    last_run_id: int | None = None
    last_finished_at: datetime | None = None
    last_ok_at: datetime | None = None

    @property
    def schema(self) -> str:
        return f"tenant_{self.name}"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsageError(
            f"tenant name {name!r}: use 1-40 lowercase letters, digits or _, starting with a "
            "letter (it names the PostgreSQL schema tenant_NAME and the environment prefix "
            "LEADSYNC_TENANT_NAME__)"
        )
    return name


def open_registry(url: str) -> Engine:
    """The control schema's engine; the schema and its table are made on first use."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # Two workers starting at once must not race to create the schema.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('leadsync_control'))"))
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {CONTROL}"))
            metadata.create_all(conn)
    except OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"cannot open the fleet's database {shown}: {str(exc.orig).strip().splitlines()[-1]}; "
            "check LEADSYNC_TENANTS_DATABASE_URL, that PostgreSQL runs and the database exists "
            "(createdb)"
        ) from None
    return engine


def ensure_absent(engine: Engine, name: str) -> None:
    if find(engine, name) is not None:
        raise UsageError(
            f"tenant {name!r} exists; `leadsync tenants remove {name}` first, or pick another name"
        )


def add(engine: Engine, tenant: Tenant) -> None:
    ensure_absent(engine, tenant.name)
    with engine.begin() as conn:
        conn.execute(tenants.insert().values(
            name=tenant.name, config_path=tenant.config_path, config_text=tenant.config_text,
            secrets_file=tenant.secrets_file, added_at=tenant.added_at,
        ))  # fmt: skip


def replace_config(engine: Engine, name: str, path: str, text: str) -> None:
    with engine.begin() as conn:
        conn.execute(tenants.update().where(tenants.c.name == name)
                     .values(config_path=path, config_text=text))  # fmt: skip


def all_tenants(engine: Engine) -> list[Tenant]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tenants).order_by(tenants.c.name)).mappings().all()
    return [Tenant(**row) for row in rows]


def find(engine: Engine, name: str) -> Tenant | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(tenants).where(tenants.c.name == name)).mappings().first()
    return Tenant(**row) if row else None


def get(engine: Engine, name: str) -> Tenant:
    tenant = find(engine, name)
    if tenant is None:
        known = ", ".join(t.name for t in all_tenants(engine)) or "none yet"
        raise UsageError(f"no tenant {name!r} (tenants: {known}); add it with "
                         f"`leadsync tenants add {name} --config FILE`")  # fmt: skip
    return tenant


def delete(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(tenants.delete().where(tenants.c.name == name))


def record(
    engine: Engine, name: str, *, status: str, at: datetime, run_id: int | None = None,
    error: str | None = None,
) -> None:  # fmt: skip
    """How the tenant's latest work ended; `ok` also moves the last good time."""
    values = {"last_status": status, "last_finished_at": at, "last_run_id": run_id,
              "last_error": redact(error)[:2000] if error else None}  # fmt: skip
    if status == "ok":
        values["last_ok_at"] = at
    with engine.begin() as conn:
        conn.execute(tenants.update().where(tenants.c.name == name).values(**values))
