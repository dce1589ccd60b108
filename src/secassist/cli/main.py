"""The ``secassist`` command root; maps SecassistError to a message and an exit code once."""

from __future__ import annotations

import sys

import typer

from secassist import __version__
from secassist.cli import db, demo, reference, serve
from secassist.core.errors import SecassistError

app = typer.Typer(
    name="secassist",
    help="Security assistance: programs, FMS cases, vetting, notification, end-use monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(reference.app, name="reference")
app.add_typer(demo.app, name="demo")
app.command("serve")(serve.serve)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app(standalone_mode=False)
    except SecassistError as exc:
        sys.stderr.write(f"error [{exc.code}]: {exc.message}\n")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here with standalone_mode off
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
