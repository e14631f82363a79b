"""The Celery app: RabbitMQ by default, its URL and the optional result backend from the
environment (see `settings`). Delivery is at least once: a task is acknowledged only when it
ends (`acks_late`), and a task whose worker process died is put back on the queue
(`reject_on_worker_lost`); every task is safe to run twice (cycles are idempotent)."""

from __future__ import annotations

from celery import Celery

from leadsync.distributed.settings import FleetSettings


def make_app(fleet: FleetSettings | None = None) -> Celery:
    fleet = fleet or FleetSettings()
    celery = Celery("leadsync", broker=fleet.broker_url, backend=fleet.result_backend,
                    include=["leadsync.distributed.tasks"])  # fmt: skip
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: a long cycle never holds others back unstarted.
        worker_prefetch_multiplier=1,
        task_default_queue=fleet.queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=fleet.result_backend is None,
        result_expires=3600,
        timezone="UTC",
        enable_utc=True,
        beat_scheduler="leadsync.distributed.beat:TenantScheduler",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return celery


app = make_app()
