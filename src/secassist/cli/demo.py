"""``secassist demo``: load the demo dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from secassist.cli.common import settings, uow
from secassist.cli.output import info
from secassist.core.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secassist.core.config import Settings

app = typer.Typer(help="The demo dataset.", no_args_is_help=True)


@app.command("load")
def load() -> None:
    """Load (or refresh) the demo dataset in the configured database; idempotent. Then,
    where the database's audit keys can live, sign a checkpoint of the log as loaded."""
    from secassist.demo.dataset import load_demo

    s = settings()
    if s.is_production:
        raise ConfigurationError(
            "the demo dataset has published passwords; refusing to load it with SECASSIST_ENV=production"
        )
    with uow() as session:
        summary = load_demo(session)
        signed = _sign_demo_checkpoint(session, s)
    info(f"demo dataset loaded: {summary}; {signed}")


def _sign_demo_checkpoint(session: Session, s: Settings) -> str:
    """Sign a checkpoint of the log as the demo left it, so the auditor's home shows one and
    offers its proof check. The key is handled exactly as ``secassist audit checkpoint``
    does in development (``audit/keys.py``): on a SQLite file it is made beside the
    database on first use; elsewhere only where ``SECASSIST_AUDIT_KEY_PATH`` names a
    directory — without it the demo signs nothing rather than guess where a key belongs
    (docs/operations.md, key custody). A reload that added nothing signs nothing more."""
    from secassist.audit import checkpoint as cp
    from secassist.audit import keys, service

    try:
        keys.key_dir(s)
    except ConfigurationError as exc:
        return f"no checkpoint signed ({exc.message}; then run `secassist audit checkpoint`)"
    size = service.tree_size(session)
    if cp.any_signed(session) and cp.latest(session).tree_size == size:
        return f"checkpoint at {size} entries already signed"
    row = cp.create(session, settings=s)
    return f"checkpoint signed at {row.tree_size} entries"


@app.command("logins")
def logins() -> None:
    """Print the demo logins: one user per stakeholder kind (demo-only passwords)."""
    from secassist.demo.dataset import DEMO_LOGINS

    if not DEMO_LOGINS:
        typer.echo("  Demo logins:          none yet (the demo has no user accounts in this version)")
        return
    typer.echo("  Demo logins (user / password / organization) — demo-only, published passwords:")
    for user, password, org in DEMO_LOGINS:
        typer.echo(f"    {user:<16} {password:<22} {org}")
