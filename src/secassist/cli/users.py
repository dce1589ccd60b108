"""``secassist users``: the administrator's console for user accounts.

Changes are made as the user ``--as`` names (or the one the operating-system account is
mapped to, ``--os-user``/``map-os-user``), who needs the administrator's permissions;
while the database has no account yet, the first ones are created as the system. Every
change is audited.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, read_session, uow
from secassist.cli.output import Format, emit_rows, info
from secassist.core.errors import NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="User accounts: add, list, disable, enable.", no_args_is_help=True)

USER_COLUMNS = [
    "id",
    "username",
    "display_name",
    "organization",
    "kind",
    "country",
    "roles",
    "active",
    "locked_until",
    "last_login_at",
    "os_user",
]


def listing(values: list[str], fmt: Format) -> Any:
    """A list column: an array in JSON, space-separated in a table or CSV."""
    return values if fmt is Format.json else " ".join(values)


def read_password() -> str:
    """The password: the first line of stdin (never argv, where `ps` would show it);
    a hidden prompt, asked twice, when stdin is a terminal."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationFailedError(
            "password: empty; give it on the first line of standard input", field="password"
        )
    return password


def organization_id(session: Session, name: str) -> int:
    """The id of the organization named ``name``; an unknown name is an error naming --org."""
    from secassist.identity.service import organization_by_name

    try:
        return organization_by_name(session, name).id
    except NotFoundError:
        raise ValidationFailedError(f"--org: no organization named {name!r}", field="org") from None


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Lowercase login name.")],
    org: Annotated[str, typer.Option("--org", help="The organization's name.")],
    role: Annotated[list[str], typer.Option("--role", help="A role; repeat for several.")],
    display_name: Annotated[str, typer.Option("--display-name", help="Full name.")] = "",
    os_user: Annotated[
        str | None,
        typer.Option("--os-user", help="The operating-system account the command line maps to this user."),
    ] = None,
) -> None:
    """Add a user; the password is read from the first line of standard input."""
    from secassist.identity.service import create_user

    password = read_password()
    with uow() as session:
        user = create_user(
            session,
            actor=acting(session),
            username=username,
            display_name=display_name,
            organization_id=organization_id(session, org),
            roles=role,
            password=password,
            os_user=os_user,
        )
        uid, name = user.id, user.username
    typer.echo(f"created user {name} (id {uid}) in {org}", err=True)


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization's users.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List users with their organization and roles."""
    from secassist.identity import queries
    from secassist.identity.service import get_organization

    with read_session() as session:
        org_id = organization_id(session, org) if org is not None else None
        users = queries.list_users(session, actor=None, organization_id=org_id)
        roles = queries.roles_by_user(session, [u.id for u in users])
        rows = []
        for u in users:
            o = get_organization(session, u.organization_id)
            rows.append(
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "organization": o.name,
                    "kind": o.kind,
                    "country": o.country_code,
                    "roles": listing(roles[u.id], fmt),
                    "active": u.is_active,
                    "locked_until": u.locked_until,
                    "last_login_at": u.last_login_at,
                    "os_user": u.os_user,
                }
            )
    emit_rows(rows, fmt, columns=USER_COLUMNS, title="Users")


def _set_active(username: str, active: bool) -> None:
    from secassist.identity.service import set_active, user_by_name

    with uow() as session:
        user = set_active(
            session, actor=acting(session), user_id=user_by_name(session, username).id, active=active
        )
        name = user.username
    info(f"{'enabled' if active else 'disabled'} user {name}")


@app.command("map-os-user")
def map_os_user(
    username: Annotated[str, typer.Argument(help="The secassist user.")],
    account: Annotated[
        str | None, typer.Argument(help="The operating-system account; omit to remove the mapping.")
    ] = None,
) -> None:
    """Map an operating-system account to a user: commands run from that account without
    ``--as`` act as that user."""
    from secassist.identity.service import set_os_user, user_by_name

    with uow() as session:
        user = set_os_user(
            session, actor=acting(session), user_id=user_by_name(session, username).id, os_user=account
        )
        name, mapped = user.username, user.os_user
    info(f"{name} is mapped to the account {mapped}" if mapped else f"{name} has no account mapped")


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user: logins refused, web sessions ended, API tokens revoked."""
    _set_active(username, False)


@app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The user to enable again.")]) -> None:
    """Enable a disabled user (revoked tokens stay revoked)."""
    _set_active(username, True)
