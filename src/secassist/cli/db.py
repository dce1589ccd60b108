"""``secassist db``: migrate and check the schema."""

from __future__ import annotations

import typer

from secassist.cli.common import engine
from secassist.cli.output import info

app = typer.Typer(help="Database schema: upgrade, check, current revision.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from secassist.storage import migrate

    eng = engine(require_migrated=False)
    try:
        before = migrate.current_revision(eng)
        migrate.upgrade(eng, revision)
        after = migrate.current_revision(eng)
    finally:
        eng.dispose()
    info(f"database at {after} (was {before or 'empty'})")


@app.command()
def check() -> None:
    """Exit non-zero when the database is not at head or the models and migrations differ."""
    from secassist.storage import migrate

    eng = engine(require_migrated=False)
    try:
        migrate.check(eng)
    finally:
        eng.dispose()
    info("models and migrations agree; database at head")


@app.command()
def current() -> None:
    """Print the database's migration revision."""
    from secassist.storage import migrate

    eng = engine(require_migrated=False)
    try:
        rev = migrate.current_revision(eng)
    finally:
        eng.dispose()
    typer.echo(rev or "empty")
