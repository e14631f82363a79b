"""Every error leadsync raises on purpose.

    LeadsyncError
    ├── ConfigError            the config file or environment is wrong (exit 2)
    ├── UsageError             a command's argument names nothing that exists (exit 2)
    ├── MappingError           a record holds a value the mapping cannot place
    ├── ConnectorError         talking to a CRM failed
    │   ├── AuthError          credentials refused (after one refresh)
    │   ├── RateLimited        a short-window limit: wait `retry_after` seconds, then go on
    │   ├── QuotaExhausted     a daily allowance or the configured API budget is spent: stop
    │   ├── Transient          5xx, timeout, connection reset: retry with backoff
    │   └── Rejected           the CRM refused this record or request: do not retry as is
    └── StoreError             the local database is unusable

A message says what was wrong, where (file and key, record and field) and what to do.
Secrets never appear in messages.
"""

from __future__ import annotations


class LeadsyncError(Exception):
    """Base of every expected error; the CLI prints its message without a traceback."""

    exit_code = 1


class ConfigError(LeadsyncError):
    """One or more problems in the configuration, one line each."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(LeadsyncError):
    """An argument names a revision, entry or type that does not exist; the message says what does."""

    exit_code = 2


class MappingError(LeadsyncError):
    """A record's value has no place in the canonical model (quarantined, never defaulted)."""

    def __init__(self, message: str, *, record: str = "", field: str = "") -> None:
        self.record = record
        self.field = field
        super().__init__(message)


class ConnectorError(LeadsyncError):
    """A CRM call failed; `system` names the CRM."""

    def __init__(self, message: str, *, system: str = "", status: int | None = None) -> None:
        self.system = system
        self.status = status
        super().__init__(message)


class AuthError(ConnectorError):
    pass


class RateLimited(ConnectorError):
    def __init__(self, message: str, *, retry_after: float, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]


class QuotaExhausted(ConnectorError):
    pass


class Transient(ConnectorError):
    pass


class Rejected(ConnectorError):
    pass


class StoreError(LeadsyncError):
    pass
