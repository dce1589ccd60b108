"""The ``secassist`` command root; maps SecassistError to a message and an exit code once."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.exceptions import Abort, TyperException

from secassist import __version__
from secassist.cli import (
    audit,
    backup,
    cases,
    db,
    demo,
    equipment,
    leahy,
    notices,
    notification,
    orgs,
    programs,
    reference,
    reports,
    screening,
    serve,
    tokens,
    transfers,
    users,
    vetting,
)
from secassist.cli.common import AS_ENV, set_acting_as
from secassist.cli.output import set_quiet
from secassist.core.errors import SecassistError

app = typer.Typer(
    name="secassist",
    help="Security assistance: programs, FMS cases, vetting, notification, end-use monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar=AS_ENV,
            metavar="USER",
            help="The secassist user you act as (default: the user your operating-system account "
            "is mapped to). Changes are recorded under that person's name and duties.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="For scripts: no progress bars and no informational lines on standard error; "
            "the data output and errors are unchanged.",
        ),
    ] = False,
) -> None:
    """Security assistance: programs, FMS cases, vetting, notification, end-use monitoring."""
    set_acting_as(as_user)
    set_quiet(quiet)


app.add_typer(db.app, name="db")
app.add_typer(reference.app, name="reference")
app.add_typer(demo.app, name="demo")
app.add_typer(orgs.app, name="orgs")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(audit.app, name="audit")
app.add_typer(cases.app, name="cases")
app.add_typer(screening.app, name="screening")
app.add_typer(vetting.app, name="vetting")
app.add_typer(leahy.app, name="leahy")
app.add_typer(programs.app, name="programs")
app.add_typer(notification.app, name="notification")
app.add_typer(notices.app, name="notices")
app.add_typer(equipment.app, name="equipment")
app.add_typer(transfers.app, name="transfers")
app.add_typer(reports.app, name="reports")
app.command("serve")(serve.serve)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Run the CLI: usage errors exit 2, SecassistError exits with its code, never a traceback."""
    try:
        rv = app(standalone_mode=False)
    except SecassistError as exc:
        sys.stderr.write(f"error [{exc.code}]: {exc.message}\n")
        sys.exit(exc.exit_code)
    except TyperException as exc:  # usage errors: missing option, bad choice, no such command
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    if isinstance(rv, int) and rv:
        sys.exit(rv)
