"""``secassist audit``: checkpoints, proofs, and verifying the log.

``verify-proof`` is the witness's command: it reads only files (a proof, a checkpoint
note, the public keys) and never opens a database.

Keys live in the database's key directory (see :mod:`secassist.audit.keys`). Only the
commands that sign or manage keys (``checkpoint``, ``init-key``, ``rotate-key``) create
one; every reading command reports a missing key, naming the path it expected.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secassist.cli import witness
from secassist.cli.common import FormatOpt, read_session, settings, uow
from secassist.cli.output import Format, emit_rows, progress

if TYPE_CHECKING:
    from secassist.audit.keys import TrustedKey, TrustedKeys

app = typer.Typer(
    help="The tamper-evident audit log: signed checkpoints, proofs, verification.",
    no_args_is_help=True,
)
app.add_typer(witness.app, name="witness")


class KeyFormat(StrEnum):
    pem = "pem"
    note = "note"


def _file(help_text: str) -> Any:
    return typer.Option(help=help_text, exists=True, dir_okay=False, readable=True, resolve_path=True)


def _print_json(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2))


def _given_keys(paths: list[Path]) -> TrustedKeys:
    """Public keys from files (PEM or verifier key), trusted at any time."""
    from secassist.audit.keys import TrustedKeys, load_public_key

    return TrustedKeys.given(load_public_key(p.read_text(encoding="utf-8"))[0] for p in paths)


def _describe(key: TrustedKey) -> str:
    from secassist.audit.keys import stamp

    until = f" until {stamp(key.signed_until)}" if key.signed_until else ""
    return f"{key.verifier} (signs from {stamp(key.signed_from)}{until})"


@app.command()
def checkpoint() -> None:
    """Sign and store a checkpoint of the log; print the note (keep it: it is a witness)."""
    from secassist.audit import checkpoint as cp

    s = settings()
    with uow() as session:
        row = cp.create(session, settings=s)
    typer.echo(row.note, nl=False)


@app.command()
def verify(
    skip_rows: Annotated[
        bool, typer.Option("--skip-rows", help="Check only the log itself, not the audited rows.")
    ] = False,
    public_key: Annotated[
        list[Path] | None,
        _file(
            "A public key (PEM or note verifier key) to check checkpoints with instead of the "
            "database's trusted keys; repeat for several."
        ),
    ] = None,
) -> None:
    """Recompute the tree, check the signed checkpoints and every audited row.

    Each checkpoint is checked against the key its note names, which must be among the
    trusted keys of the database's key directory (or the --public-key files). Exit 0 when
    everything holds; otherwise exit 1 naming the first divergent entry or row.
    """
    from secassist.audit import checkpoint as cp
    from secassist.audit import keys
    from secassist.audit.errors import LogVerificationError
    from secassist.audit.verify import verify_log

    with read_session() as session:
        if public_key:
            trusted = _given_keys(public_key)
        elif cp.any_signed(session):
            trusted = keys.load_trusted(settings())
        else:  # a fresh install: no signature to check, so no key is needed
            trusted = keys.TrustedKeys.none()
        with progress("verifying the audit log") as tick:
            report = verify_log(session, keys=trusted, check_rows=not skip_rows, progress=tick.update)
    if not report.ok:
        raise LogVerificationError(report.problems[0])
    rows = "rows not checked" if skip_rows else f"{report.rows} audited rows match their last entries"
    typer.echo(
        f"audit log verifies: {report.entries} entries, {report.nodes} tree nodes, "
        f"{report.checkpoints} signed checkpoints, {rows}"
    )


@app.command("prove-inclusion")
def prove_inclusion(
    seq: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    tree_size: Annotated[
        int | None, typer.Option("--tree-size", help="Prove against this tree size (default: current).")
    ] = None,
) -> None:
    """Print the RFC 9162 inclusion proof of entry SEQ (JSON, with the entry itself)."""
    from secassist.audit import service

    with read_session() as session:
        proof = service.inclusion_proof(session, seq, tree_size)
    _print_json(proof)


@app.command("prove-consistency")
def prove_consistency(
    old: Annotated[int, typer.Argument(help="The older tree size (e.g. a kept checkpoint's).")],
    new: Annotated[int | None, typer.Option("--new", help="The newer tree size (default: current).")] = None,
) -> None:
    """Print the RFC 9162 consistency proof between tree sizes OLD and NEW (JSON)."""
    from secassist.audit import service

    with read_session() as session:
        proof = service.consistency_proof(session, old, new)
    _print_json(proof)


@app.command("verify-proof")
def verify_proof(
    proof: Annotated[Path, _file("Proof JSON from prove-inclusion or prove-consistency.")],
    checkpoint: Annotated[Path, _file("Signed checkpoint note the proof is checked against.")],
    public_key: Annotated[
        list[Path],
        _file("The log's public key (PEM or note verifier key); repeat for keys from before a rotation."),
    ],
    old_checkpoint: Annotated[
        Path | None, _file("For consistency proofs: an older checkpoint note you kept as a witness.")
    ] = None,
) -> None:
    """Check a proof against a checkpoint and a public key, with no database access."""
    from secassist.audit.errors import ProofInvalidError
    from secassist.audit.standalone import verify_proof as check

    try:
        doc = json.loads(proof.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProofInvalidError(f"{proof.name} is not a JSON proof: {exc}") from None
    if not isinstance(doc, dict):
        raise ProofInvalidError(f"{proof.name} is not a JSON proof object")
    summary = check(
        doc,
        checkpoint_note=checkpoint.read_text(encoding="utf-8"),
        keys=_given_keys(public_key),
        old_checkpoint_note=old_checkpoint.read_text(encoding="utf-8") if old_checkpoint else None,
    )
    typer.echo(f"proof verifies: {summary}")


@app.command("public-key")
def public_key(
    fmt: Annotated[KeyFormat, typer.Option("--format", "-f", help="PEM, or a signed-note verifier key.")] = (
        KeyFormat.pem
    ),
) -> None:
    """Print the log's current public key, for witnesses and `verify-proof`."""
    from secassist.audit import keys

    current = keys.current_key(settings())
    if fmt is KeyFormat.pem:
        typer.echo(keys.public_pem(current.public), nl=False)
    else:
        typer.echo(current.verifier)


@app.command("init-key")
def init_key() -> None:
    """Create the database's first signing key and its trusted-keys file (no database access).

    In development the first `checkpoint` does this itself; in production provision the
    key with this command (SECASSIST_AUDIT_KEY_PATH names the directory).
    """
    from secassist.audit import keys

    s = settings()
    key = keys.init_key(s)
    typer.echo(f"created audit key {_describe(key)} in {keys.key_dir(s)}")


@app.command("rotate-key")
def rotate_key() -> None:
    """Retire the current signing key and start a new one (no database access).

    The retired key stays trusted for the checkpoints it signed until now; its private key
    is deleted, so it signs nothing more. Hand the new public key to witnesses.
    """
    from secassist.audit import keys

    retired, new = keys.rotate_key(settings())
    typer.echo(f"retired audit key {_describe(retired)}")
    typer.echo(f"new audit key {_describe(new)}")


@app.command()
def entries(
    tag: Annotated[str | None, typer.Option("--tag", help="Tag prefix, e.g. identity:user.")] = None,
    after: Annotated[int | None, typer.Option("--after", help="Only entries after this seq.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries (1..1000).")] = 100,
    fmt: FormatOpt = Format.table,
) -> None:
    """List log entries in order."""
    from secassist.audit import queries

    with read_session() as session:
        found = queries.list_entries(session, tag=tag, after=after, limit=limit)
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "tag": e.tag,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "rows": len(json.loads(e.payload)["rows"]),
            }
            for e in found
        ]
    emit_rows(
        rows,
        fmt,
        columns=["seq", "at", "actor", "tag", "subject_type", "subject_id", "rows"],
        title="Audit log",
    )


@app.command()
def checkpoints(fmt: FormatOpt = Format.table) -> None:
    """List the signed checkpoints, oldest first."""
    from secassist.audit import checkpoint as cp

    with read_session() as session:
        rows = [
            {
                "id": c.id,
                "tree_size": c.tree_size,
                "root_hash": bytes(c.root_hash).hex(),
                "at": c.at,
                "key_id": c.key_id,
            }
            for c in cp.all_checkpoints(session)
        ]
    emit_rows(rows, fmt, columns=["id", "tree_size", "root_hash", "at", "key_id"], title="Checkpoints")


@app.command()
def show(seq: Annotated[int, typer.Argument(help="The entry's sequence number.")]) -> None:
    """Print one entry as the JSON document its leaf hash covers."""
    from secassist.audit import queries

    with read_session() as session:
        doc = queries.entry_json(queries.get_entry(session, seq))
    _print_json(doc)
