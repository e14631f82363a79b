"""`leadsync console`: the web console, and its accounts (`console user add|list|remove`)."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from leadsync.sync.audit import shell_actor
from leadsync.sync.cli import config_option, load, report_errors
from leadsync.sync.runtime import Runtime, build_runtime

console = Console(highlight=False)
ROLES = ("viewer", "editor", "owner")


@click.group("console", invoke_without_command=True)
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; keep 127.0.0.1 and put a TLS proxy in front.",
)
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--trust-proxy",
    "trusted",
    multiple=True,
    metavar="ADDRESS",
    envvar="LEADSYNC_CONSOLE__TRUST_PROXY",
    help="A proxy whose X-Forwarded-Proto/-For are believed (repeatable).",
)
@click.pass_context
@report_errors
def console_group(
    ctx: click.Context, config_path: str | None, host: str, port: int, trusted: tuple[str, ...]
) -> None:
    """Start the web console (or manage its users: `leadsync console user --help`)."""
    if ctx.invoked_subcommand is not None:
        return
    from leadsync.console.app import create_app, server
    from leadsync.console.settings import ConsoleOptions, key_file, secret_key
    from leadsync.console.state import ConsoleState
    from leadsync.sync.config import resolve_path

    path = resolve_path(config_path)
    state = ConsoleState(path)
    key = secret_key(key_file(state.runtime().settings.database_url, path))
    options = ConsoleOptions(host=host, port=port, trusted_proxies=trusted, secret_key=key)
    app = create_app(state, options)
    app.state.funnel.warm(state.runtime())
    console.print(f"leadsync console on http://{host}:{port} (Ctrl-C stops it)")
    server(app, options).run()


@console_group.group()
def user() -> None:
    """Console accounts: add, list, remove."""


def _runtime(config_path: str | None) -> Runtime:
    return build_runtime(load(config_path))


def _password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@config_option
@report_errors
def user_add(email: str, role: str, config_path: str | None) -> None:
    """Add an account; the password is asked for (or read from the first line of stdin)."""
    from leadsync.console.users import Role, add_user

    rt = _runtime(config_path)
    password = _password()
    with rt.sessions.begin() as session:
        row = add_user(
            session,
            email=email,
            password=password,
            role=Role(role),
            actor=shell_actor(),
            now=rt.clock(),
        )
        added = row.email
    console.print(f"{added} can sign in to the console as {role}")


@user.command("list")
@config_option
@report_errors
def user_list(config_path: str | None) -> None:
    """Active accounts and their roles."""
    from leadsync.console.users import active_users

    with _runtime(config_path).sessions() as session:
        rows = [(u.email, u.role, str(u.created_at)[:19]) for u in active_users(session)]
    table = Table(title=f"console users ({len(rows)})")
    for column in ("email", "role", "since"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@user.command("remove")
@click.argument("email")
@config_option
@report_errors
def user_remove(email: str, config_path: str | None) -> None:
    """Disable an account; its open sessions end at their next request."""
    from leadsync.console.users import remove_user

    rt = _runtime(config_path)
    with rt.sessions.begin() as session:
        remove_user(session, email=email, actor=shell_actor(), now=rt.clock())
    console.print(f"{email} can no longer sign in")


COMMANDS = [console_group]
