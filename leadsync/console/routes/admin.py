"""Users (owners only) and the audit log (everyone signed in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response

from leadsync.console import users
from leadsync.console.render import flash, render
from leadsync.console.routes import actor, runtime
from leadsync.console.security import current_account, require
from leadsync.console.users import Role, UserError
from leadsync.sync import audit
from leadsync.sync.schema import AuditRow

router = APIRouter(dependencies=[Depends(current_account)])
owners = APIRouter(dependencies=[Depends(require(Role.OWNER))])
AUDIT_PAGE = 50
ROLES = [r.value for r in Role]


@owners.get("/users")
def users_page(request: Request) -> Response:
    with runtime(request).sessions() as session:
        accounts = users.active_users(session)
    return render(request, "users.html", accounts=accounts, roles=ROLES)


def _change(request: Request, done: str, change) -> Response:
    """Run one account change in a transaction; report it, or the reason it was refused."""
    rt = runtime(request)
    try:
        with rt.sessions.begin() as session:
            change(session, rt.clock())
        flash(request, done)
    except UserError as exc:
        flash(request, str(exc), ok=False)
    return RedirectResponse("/users", status_code=303)


@owners.post("/users")
def add_user(
    request: Request,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    if password != confirm:
        flash(request, "The two passwords differ; nothing was changed.", ok=False)
        return RedirectResponse("/users", status_code=303)
    who = actor(request)

    def change(session, now):
        users.add_user(
            session, email=email, password=password, role=users.role_of(role), actor=who, now=now
        )

    return _change(request, f"{email.strip().lower()} can now sign in as {role}.", change)


@owners.post("/users/role")
def set_role(
    request: Request, email: Annotated[str, Form()], role: Annotated[str, Form()]
) -> Response:
    who = actor(request)

    def change(session, now):
        users.set_role(session, email=email, role=users.role_of(role), actor=who, now=now)

    return _change(request, f"{email} is now {role}.", change)


@owners.post("/users/remove")
def remove_user(request: Request, email: Annotated[str, Form()]) -> Response:
    who = actor(request)

    def change(session, now):
        users.remove_user(session, email=email, actor=who, now=now)

    return _change(request, f"{email} can no longer sign in.", change)


@router.get("/audit")
def audit_page(request: Request, page: int = 1) -> Response:
    page = max(page, 1)
    with runtime(request).sessions() as session:
        entries = audit.entries(session, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE)
        total = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    return render(
        request,
        "audit.html",
        entries=entries,
        page=page,
        total=total,
        has_next=page * AUDIT_PAGE < total,
    )
