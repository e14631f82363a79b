"""Structured JSON log lines (structlog) carrying the tenant, the task and the run ids.

Every line is redacted: a CRM's error text can quote a header, and a tenant's token must never
reach a log collector.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

from leadsync.sync.redact import redact


def _redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    return {key: redact(value) if isinstance(value, str) else value
            for key, value in event.items()}  # fmt: skip


def configure(level: int = logging.INFO) -> None:
    """One JSON object a line on stderr, for structlog and the standard library alike."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, _redact, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_stderr()),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _redact,
                    structlog.processors.JSONRenderer()],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    ))  # fmt: skip
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Each task opens its tenant's store, which checks migrations: two lines a task otherwise.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _stderr() -> Any:
    import sys

    return sys.stderr


log = structlog.get_logger("leadsync.fleet")
