"""``secassist demo``: load the demo dataset."""

from __future__ import annotations

import typer

from secassist.cli.common import settings, uow
from secassist.cli.output import info
from secassist.core.errors import ConfigurationError

app = typer.Typer(help="The demo dataset.", no_args_is_help=True)


@app.command("load")
def load() -> None:
    """Load (or refresh) the demo dataset in the configured database; idempotent."""
    from secassist.demo.dataset import load_demo

    if settings().is_production:
        raise ConfigurationError(
            "the demo dataset has published passwords; refusing to load it with SECASSIST_ENV=production"
        )
    with uow() as session:
        summary = load_demo(session)
    info(f"demo dataset loaded: {summary}")


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
