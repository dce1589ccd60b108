"""``secassist tokens``: API bearer tokens (stored hashed; shown once when issued)."""

from __future__ import annotations

from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, acting, read_session, uow
from secassist.cli.output import Format, emit_rows, info
from secassist.cli.users import listing

app = typer.Typer(help="API tokens: issue, list, revoke.", no_args_is_help=True)

TOKEN_COLUMNS = [
    "id",
    "username",
    "name",
    "prefix",
    "status",
    "scopes",
    "created_at",
    "expires_at",
    "revoked_at",
]


@app.command("issue")
def issue(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A permission (resource:action); repeat. Default: all the user's."),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Days until it expires (1-365).")] = 90,
) -> None:
    """Issue a token. The token goes to standard output, once: only its hash is kept."""
    from secassist.identity.service import user_by_name
    from secassist.identity.tokens import issue_token

    with uow() as session:
        raw, token = issue_token(
            session,
            actor=acting(session),
            user_id=user_by_name(session, username).id,
            name=name,
            scopes=scope or None,
            days=days,
        )
        tid, expires, n = token.id, token.expires_at, len(token.scopes.split())
    typer.echo(raw)
    typer.echo(
        f"issued token {tid} for {username.strip().lower()}: {n} permissions, "
        f"expires {expires.isoformat(timespec='seconds')}",
        err=True,
    )


@app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id.")]) -> None:
    """Revoke a token; it stops working at once."""
    from secassist.identity.tokens import revoke_token

    with uow() as session:
        token = revoke_token(session, actor=acting(session), token_id=token_id)
        tid = token.id
    info(f"revoked token {tid}")


@app.command("list")
def list_(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List tokens (never their hashes), newest first."""
    from secassist.core.clock import now as clock_now
    from secassist.identity import queries
    from secassist.identity.service import get_user, user_by_name

    now = clock_now()
    with read_session() as session:
        user_id = user_by_name(session, username).id if username is not None else None
        rows = [
            {
                "id": t.id,
                "username": get_user(session, t.user_id).username,
                "name": t.name,
                "prefix": t.prefix,
                "status": queries.token_status(t, now),
                "scopes": listing(t.scopes.split(), fmt),
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
            }
            for t in queries.list_tokens(session, actor=None, user_id=user_id)
        ]
    emit_rows(rows, fmt, columns=TOKEN_COLUMNS, title="API tokens")
