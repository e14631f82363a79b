"""Console accounts: one role each, passwords stored as argon2 hashes, every change audited.

Roles are ordered: a viewer reads, an editor also changes the sync (retries, plans, config),
an owner also manages accounts. Removing an account disables it (its row stays for history);
adding the same email again enables it with the new password and role. The last owner can be
neither removed nor demoted, so the console can never lock everyone out of account management.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadsync.errors import LeadsyncError
from leadsync.sync import audit
from leadsync.sync.schema import ConsoleUserRow

MIN_PASSWORD = 12
_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def may(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class UserError(LeadsyncError):
    """A console account request that cannot be done as asked (usage error, exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in user as the console sees it: never the password hash."""

    id: int
    email: str
    role: Role


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in cleaned):
        raise UserError(f"{email!r} is not an email address; give one like admin@example.com")
    return cleaned


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def role_of(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserError(f"{value!r} is not a role; use one of: {allowed}") from None


def fingerprint(password_hash: str) -> str:
    """A short digest of the hash: sessions carry it, so changing a password ends them."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _find(session: Session, email: str) -> ConsoleUserRow | None:
    return session.scalars(select(ConsoleUserRow).where(ConsoleUserRow.email == email)).first()


def active_users(session: Session) -> list[ConsoleUserRow]:
    query = select(ConsoleUserRow).where(ConsoleUserRow.disabled_at.is_(None))
    return list(session.scalars(query.order_by(ConsoleUserRow.email)))


def _owners(session: Session) -> int:
    query = select(func.count()).where(
        ConsoleUserRow.role == Role.OWNER.value, ConsoleUserRow.disabled_at.is_(None)
    )
    return session.scalar(query) or 0


def add_user(
    session: Session, *, email: str, password: str, role: Role, actor: str, now: datetime
) -> ConsoleUserRow:
    """Create an account, or enable a removed one again; an active account is an error."""
    email = normalise_email(email)
    check_password(password)
    row = _find(session, email)
    if row is not None and row.disabled_at is None:
        raise UserError(f"{email} already has an account; remove it first or change its role")
    before = {"role": row.role, "disabled": True} if row is not None else None
    if row is None:
        row = ConsoleUserRow(email=email, created_at=now)
        session.add(row)
    row.password_hash, row.role, row.disabled_at = _hasher.hash(password), role.value, None
    audit.record(
        session,
        at=now,
        actor=actor,
        action="console.user.add",
        target=email,
        before=before,
        after={"role": role.value},
    )
    return row


def _active(session: Session, email: str) -> ConsoleUserRow:
    row = _find(session, normalise_email(email))
    if row is None or row.disabled_at is not None:
        raise UserError(f"no console account for {email}; `leadsync console user list` shows them")
    return row


def _keep_an_owner(session: Session, row: ConsoleUserRow, doing: str) -> None:
    if row.role == Role.OWNER.value and _owners(session) <= 1:
        raise UserError(
            f"cannot {doing} {row.email}: it is the last owner; make another owner first"
        )


def remove_user(session: Session, *, email: str, actor: str, now: datetime) -> None:
    """Disable an account: its sessions end at their next request."""
    row = _active(session, email)
    _keep_an_owner(session, row, "remove")
    row.disabled_at = now
    audit.record(
        session,
        at=now,
        actor=actor,
        action="console.user.remove",
        target=row.email,
        before={"role": row.role},
        after=None,
    )


def set_role(session: Session, *, email: str, role: Role, actor: str, now: datetime) -> None:
    row = _active(session, email)
    if row.role == role.value:
        return
    if role is not Role.OWNER:
        _keep_an_owner(session, row, "demote")
    before = {"role": row.role}
    row.role = role.value
    audit.record(
        session,
        at=now,
        actor=actor,
        action="console.user.role",
        target=row.email,
        before=before,
        after={"role": role.value},
    )


def authenticate(session: Session, email: str, password: str) -> ConsoleUserRow | None:
    """The active account with this email and password, or None (never says which was wrong)."""
    try:
        row = _find(session, normalise_email(email))
    except UserError:
        row = None
    usable = row is not None and row.disabled_at is None
    try:
        _hasher.verify(row.password_hash if usable else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if not usable:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return row


def account(session: Session, user_id: int, print_: str) -> Account | None:
    """The account a session names, while it is active and its password unchanged."""
    row = session.get(ConsoleUserRow, user_id)
    if row is None or row.disabled_at is not None or fingerprint(row.password_hash) != print_:
        return None
    return Account(row.id, row.email, Role(row.role))
