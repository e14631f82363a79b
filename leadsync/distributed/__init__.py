"""Many tenants on Celery workers (DESIGN §8): one room for everything a fleet needs.

settings     where the fleet's services are (environment only: LEADSYNC_TENANTS_DATABASE_URL, ...)
registry     the tenant list, in its own `leadsync_control` schema, outside every tenant's store
schemas      one PostgreSQL schema per tenant, migrated by the normal Alembic migrations
tenant       a tenant's settings (its own secrets) and runtime
runner       one tenant's cycle, rescore shard or backfill window, its outcome recorded
app, tasks   the Celery app and its tasks; beat: each tenant's schedule from its config
pacing       HubSpot's short-window limits shared by every worker through Redis
metrics      Prometheus metrics per tenant and CRM; logs: JSON lines with tenant and run ids
health       `/healthz` and `/metrics` served from a worker
cli          `leadsync tenants ...`, `leadsync worker`, `leadsync beat`

None of it is imported by the single-machine mode (`leadsync run`, SQLite).
"""
