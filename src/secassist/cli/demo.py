"""``secassist demo``: load the demo dataset."""

from __future__ import annotations

import typer
from rich.console import Console

from secassist.cli.common import uow

app = typer.Typer(help="The demo dataset.", no_args_is_help=True)


@app.command("load")
def load() -> None:
    """Load (or refresh) the demo dataset in the configured database; idempotent."""
    from secassist.workflows.demo import load_demo

    with uow() as session:
        summary = load_demo(session)
    Console(stderr=True).print(f"demo dataset loaded: {summary}")


@app.command("logins")
def logins() -> None:
    """Print the demo logins (one per stakeholder kind once identity exists)."""
    from secassist.workflows.demo import DEMO_LOGINS

    if not DEMO_LOGINS:
        typer.echo("  Demo logins:          none yet (the demo has no user accounts in this version)")
        return
    typer.echo("  Demo logins (user / password / organization):")
    for user, password, org in DEMO_LOGINS:
        typer.echo(f"    {user:<20} {password:<20} {org}")
