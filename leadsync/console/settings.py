"""How the console runs: where it listens, which proxy it trusts, and how it signs sessions.

The signing key lets whoever holds it forge a login. It comes from
`LEADSYNC_CONSOLE__SECRET_KEY`, or is generated once and kept beside the store in a file only
its owner may read (0600); a file others can read is refused. It is never printed.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from leadsync.errors import ConfigError

SECRET_ENV = "LEADSYNC_CONSOLE__SECRET_KEY"
MIN_SECRET = 32
KEY_SUFFIX = ".console-key"


@dataclass(frozen=True)
class ConsoleOptions:
    """`trusted_proxies`: addresses whose X-Forwarded-Proto/-For are believed (none: no proxy)."""

    host: str = "127.0.0.1"
    port: int = 8700
    trusted_proxies: tuple[str, ...] = ()
    session_hours: float = 12.0
    secret_key: str = field(default="", repr=False)


def key_file(database_url: str, config_path: Path) -> Path:
    """Beside a SQLite store's file; beside the config file for a server database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        store = Path(url.database)
        return store.with_name(store.stem + KEY_SUFFIX)
    return config_path.with_name(config_path.stem + KEY_SUFFIX)


def secret_key(path: Path, environ: Mapping[str, str] = os.environ) -> str:
    """The session signing key: the environment's, else the file's, else a new one in the file."""
    given = environ.get(SECRET_ENV, "")
    if given:
        if len(given) < MIN_SECRET:
            raise ConfigError(
                f"{SECRET_ENV} is too short: use at least {MIN_SECRET} random characters "
                '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return given
    try:
        return _create(path)
    except FileExistsError:
        return _read(path)


def _create(path: Path) -> str:
    key = secrets.token_urlsafe(48)
    # O_EXCL: two consoles starting at once must not both write a key; the loser reads it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path}: the console's session key is readable by other users (mode {mode:o}); "
            f"run `chmod 600 {path}`, or delete the file to have a new key made"
        )
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET:
        raise ConfigError(f"{path}: the console's session key is damaged; delete the file")
    return key
