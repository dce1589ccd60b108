"""``secassist backup OUT`` and ``secassist restore IN``: the whole database in one file,
with a manifest tying it to the signed log (see :mod:`secassist.audit.backup`).

The audit key directory is not in a backup (``--include-trusted-keys`` adds the public
trusted-keys file, never a private key); docs/operations.md explains the custody.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secassist.cli.common import settings


def backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
    include_trusted_keys: Annotated[
        bool,
        typer.Option(
            "--include-trusted-keys",
            help="Also carry the public trusted-keys.json of the audit key directory (never a private key).",
        ),
    ] = False,
) -> None:
    """Back up the database (consistent while the server runs), with a manifest."""
    from secassist.audit.backup import backup as make_backup

    manifest = make_backup(settings(), out, include_trusted_keys=include_trusted_keys)
    checkpoint = manifest["checkpoint"]
    signed = (
        f"latest signed checkpoint: size {checkpoint['tree_size']}, root {checkpoint['root_hash']}"
        if checkpoint
        else "no signed checkpoint yet"
    )
    typer.echo(
        f"backup written to {out}: {manifest['database']} at schema revision "
        f"{manifest['schema_revision']}, {manifest['tree_size']} log entries, {signed}"
    )


def restore(
    source: Annotated[
        Path,
        typer.Argument(
            help="A backup file from `secassist backup`.", exists=True, dir_okay=False, readable=True
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a target database that already holds data.")
    ] = False,
) -> None:
    """Restore a backup into the configured database, after checking its manifest.

    Refuses a damaged or altered backup, one of a newer schema than this secassist, one
    of the other database kind, and a target that holds data (unless --force). Run
    `secassist db upgrade` afterwards when the backup's schema is older, then `audit verify`.
    """
    from secassist.audit.restore import restore as do_restore

    done = do_restore(settings(), source, force=force)
    checkpoint = done.manifest["checkpoint"]
    signed = (
        f"latest signed checkpoint root {checkpoint['root_hash']} "
        f"(size {checkpoint['tree_size']}) as in the manifest"
        if checkpoint
        else "no signed checkpoint"
    )
    typer.echo(
        f"restored {source.name}: schema revision {done.facts.schema_revision}, "
        f"{done.facts.tree_size} log entries, {signed}; trusted keys: {done.trusted_keys}"
    )
    if done.trusted_keys == "kept (differs)":
        typer.echo(
            "warning: the target's trusted-keys.json differs from the backup's; checkpoints verify "
            "only if it lists the keys that signed them",
            err=True,
        )
