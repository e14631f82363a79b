"""One PostgreSQL schema per tenant, holding the normal leadsync tables.

A tenant's store is the fleet's database with `search_path` set to `tenant_NAME, public` on
every connection (libpq `options`), so the existing migrations, triggers, indexes and the
cycle lock (keyed on `current_schema()`) all work unchanged, each inside its own schema.
`public` stays on the path only for extensions (pg_trgm) that live there once for everyone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from leadsync.sync.store import open_store


def tenant_url(base_url: str, schema: str) -> str:
    """The fleet database's URL with the tenant's schema first on the search path."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema},public"})
    return url.render_as_string(hide_password=False)


def create(engine: Engine, schema: str) -> None:
    """Make the schema and bring it to the current migration."""
    _shared_extensions(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    sessions = open_store(tenant_url(engine.url.render_as_string(hide_password=False), schema))
    sessions.kw["bind"].dispose()


def _shared_extensions(engine: Engine) -> None:
    # Made in `public` once: made inside a tenant's schema, dropping that tenant would take it
    # (and every other tenant's search indexes) along.
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except DBAPIError:
        pass  # no privilege: people search scans instead (migration 0004 says how to fix)


def drop(engine: Engine, schema: str) -> None:
    """Drop the tenant's schema and everything in it; no other schema is touched."""
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def exists(engine: Engine, schema: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
            {"s": schema},
        )
        return found.first() is not None
