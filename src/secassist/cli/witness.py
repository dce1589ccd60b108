"""``secassist audit witness``: check the log's latest checkpoint against the one this
witness kept, by a consistency proof, and countersign it (see :mod:`secassist.audit.witness`).

``audit witness init --key FILE --name NAME`` makes the witness's own key; ``audit witness
--state FILE --key FILE`` does the witnessing, run by the witness (congressional staff, an
inspector general) on a schedule with read access to the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secassist.cli.common import read_session, settings, uow
from secassist.cli.output import info

app = typer.Typer(
    help=(
        "Witness the log: check that its latest checkpoint extends the one this witness kept "
        "(a consistency proof), countersign it, and keep it. `init` makes the witness's key."
    ),
    invoke_without_command=True,
)


@app.callback()
def witness(
    ctx: typer.Context,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="The witness's state file (the last checkpoint it accepted)."),
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="The witness's key file (`audit witness init`).")
    ] = None,
    log_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--log-key",
            exists=True,
            dir_okay=False,
            help="The log's public key (PEM or verifier key) as the witness keeps it; repeat for keys "
            "from before a rotation. Default: the database's trusted-keys.json.",
        ),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store", help="Store the cosignature in the database (needs write access)."
        ),
    ] = True,
) -> None:
    """Check consistency from the kept checkpoint to the log's latest one and countersign it.

    Exit 1 naming the problem when the log shrank, forked or was rewritten before the size
    this witness saw; the state file is then left as it was. Prints the cosigned checkpoint.
    """
    if ctx.invoked_subcommand is not None:
        return
    if state is None or key is None:
        raise typer.BadParameter("--state and --key are required (make a key with `audit witness init`)")
    from secassist.audit import keys
    from secassist.audit import witness as w
    from secassist.cli.audit import _given_keys
    from secassist.core.clock import now

    witness_key = w.load_key(key)
    trusted = _given_keys(log_key) if log_key else keys.load_trusted(settings())
    with uow() if store else read_session() as session:
        done = w.witness(session, state=state, key=witness_key, log_keys=trusted, store=store)
    w.save_state(state, done.cosigned_note, now())
    before = "first checkpoint seen (trusted on first use)"
    if done.previous is not None:
        before = f"consistent with the kept checkpoint of {done.previous.tree_size} entries"
    info(f"witnessed checkpoint of {done.checkpoint.tree_size} entries: {before}")
    typer.echo(done.cosigned_note, nl=False)


@app.command()
def init(
    key: Annotated[
        Path, typer.Option("--key", help="Where to write the witness's key file (must not exist).")
    ],
    name: Annotated[
        str, typer.Option("--name", help="The witness's name in cosignatures, e.g. sfrc.senate.gov.")
    ],
) -> None:
    """Create the witness's Ed25519 key file; print its public verifier key to publish."""
    from secassist.audit import witness as w

    made = w.init_key(key, name)
    typer.echo(made.verifier)
