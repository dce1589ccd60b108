"""Read endpoints over the audit log: entries, proofs, checkpoints, the public key.

Every endpoint needs ``audit:read`` (auditors, State, DoD; not partners), except
``/audit/witness``, which needs ``checkpoint:read`` (auditors and committee staff too): it
serves only the latest signed checkpoint and a consistency proof, hashes and sizes. Proofs
carry what a client needs to check them itself against a checkpoint it keeps.

An entry is shown whole only to a caller who may read the records it touches
(:func:`secassist.identity.policy.may_read_audit_entry`). To anyone else an entry is its
sequence number, time, tag and leaf hash (``"redacted": true``): enough to verify the
log, nothing to read. In the entry list such a summary also leaves out the actor, the
subject id and the row count (``null``), since an id or an actor outside the caller's
scope would reveal that a record exists; the subject type is a kind, not a record, and
stays.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from secassist.audit import checkpoint as cp
from secassist.audit import keys, queries, service
from secassist.audit.canonical import EntryDocument
from secassist.audit.models import AuditCheckpoint
from secassist.audit.schemas import (
    CheckpointOut,
    ConsistencyProof,
    EntryPage,
    InclusionProof,
    PublicKeyOut,
    WitnessView,
)
from secassist.core.errors import NotFoundError
from secassist.http.deps import PrincipalDep, ReadSessionDep, SettingsDep
from secassist.identity.policy import Principal, may_read_audit_entry, require_permission

router = APIRouter(prefix="/audit", tags=["audit"])

PERMISSION = "audit:read"
MAX_SIZE = 2**53 - 1  # tree sizes are exact JSON integers


def _authorize(p: Principal) -> None:
    require_permission(p, PERMISSION)


def _readable(p: Principal, doc: EntryDocument) -> bool:
    """May ``p`` read the entry document ``doc`` (:func:`queries.entry_json`) in full?"""
    tables = frozenset(str(row["table"]) for row in doc["payload"]["rows"])
    return may_read_audit_entry(p, doc["subject"]["type"], tables)


def _redacted(doc: EntryDocument, leaf_hash: str) -> dict[str, object]:
    """What a caller outside the entry's scope sees: enough to verify, nothing to read."""
    return {"seq": doc["seq"], "at": doc["at"], "tag": doc["tag"], "leaf_hash": leaf_hash, "redacted": True}


@router.get("/entries", response_model=EntryPage)
def entries(
    principal: PrincipalDep,
    session: ReadSessionDep,
    tag: Annotated[str | None, Query(description="Tag prefix, e.g. identity:user.")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 100,
    after: Annotated[int | None, Query(ge=-1, description="Entries with seq greater than this.")] = None,
) -> Any:
    """Log entries in order, paged by ``after`` (the last seq seen)."""
    _authorize(principal)
    found = queries.list_entries(session, tag=tag, after=after, limit=limit)
    items = []
    for e in found:
        rows = json.loads(e.payload)["rows"]
        whole = may_read_audit_entry(principal, e.subject_type, frozenset(str(r["table"]) for r in rows))
        items.append(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor if whole else None,
                "actor_user_id": e.actor_user_id if whole else None,
                "actor_org_id": e.actor_org_id if whole else None,
                "tag": e.tag,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id if whole else None,
                "rows": len(rows) if whole else None,
                "redacted": not whole,
            }
        )
    return {"items": items, "next_after": found[-1].seq if len(found) == limit else None}


@router.get("/entries/{seq}")
def entry(seq: int, principal: PrincipalDep, session: ReadSessionDep) -> dict[str, Any]:
    """One entry as the JSON document its leaf hash covers (RFC 8785 canonical form hashed),
    or, outside the caller's scope, its redacted form with the leaf hash."""
    _authorize(principal)
    entry = queries.get_entry(session, seq)
    doc = queries.entry_json(entry)
    if _readable(principal, doc):
        return dict(doc)
    return _redacted(doc, queries.leaf_of(entry).hex())


@router.get("/proofs/inclusion/{seq}", response_model=InclusionProof)
def inclusion(
    seq: int,
    principal: PrincipalDep,
    session: ReadSessionDep,
    tree_size: Annotated[int | None, Query(ge=0, description="Default: the current size.")] = None,
) -> Any:
    """RFC 9162 inclusion proof of entry ``seq``, with the entry document (redacted
    outside the caller's scope: the proof then starts from ``leaf_hash``)."""
    _authorize(principal)
    proof = service.inclusion_proof(session, seq, tree_size)
    if _readable(principal, proof["entry"]):
        return proof
    return {**proof, "entry": _redacted(proof["entry"], proof["leaf_hash"])}


@router.get("/proofs/consistency", response_model=ConsistencyProof)
def consistency(
    principal: PrincipalDep,
    session: ReadSessionDep,
    old: Annotated[int, Query(ge=1, description="The older tree size.")],
    new: Annotated[int | None, Query(ge=1, description="Default: the current size.")] = None,
) -> Any:
    """RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
    _authorize(principal)
    return service.consistency_proof(session, old, new)


def _checkpoint_out(row: AuditCheckpoint) -> dict[str, Any]:
    return {
        "id": row.id,
        "tree_size": row.tree_size,
        "root_hash": bytes(row.root_hash).hex(),
        "at": row.at,
        "key_id": row.key_id,
        "note": row.note,
    }


@router.get("/checkpoints/latest", response_model=CheckpointOut)
def latest_checkpoint(principal: PrincipalDep, session: ReadSessionDep) -> Any:
    """The most recent signed checkpoint, with its note text."""
    _authorize(principal)
    return _checkpoint_out(cp.latest(session))


@router.get("/witness", response_model=WitnessView)
def witness_view(
    principal: PrincipalDep,
    session: ReadSessionDep,
    from_size: Annotated[
        int,
        Query(ge=0, le=MAX_SIZE, description="The tree size of the checkpoint the witness kept (0: none)."),
    ] = 0,
) -> Any:
    """For a witness (``checkpoint:read``: auditors, committee staff): the latest signed
    checkpoint and the RFC 9162 consistency proof from ``from_size`` to its size. The proof
    is null when ``from_size`` is 0, or larger than the checkpoint's size — the log shrank,
    which the witness must refuse (see ``secassist audit witness``)."""
    require_permission(principal, "checkpoint:read")
    row = cp.latest(session)
    proof = None
    if 0 < from_size <= row.tree_size:
        proof = service.consistency_proof(session, from_size, row.tree_size)
    return {"checkpoint": _checkpoint_out(row), "proof": proof}


@router.get("/checkpoints/latest.txt", response_class=PlainTextResponse)
def latest_checkpoint_text(principal: PrincipalDep, session: ReadSessionDep) -> PlainTextResponse:
    """The most recent signed checkpoint as a note to keep as a witness."""
    _authorize(principal)
    return PlainTextResponse(cp.latest(session).note)


@router.get("/public-key", response_model=PublicKeyOut)
def public_key(principal: PrincipalDep, settings: SettingsDep) -> Any:
    """The key that signs checkpoints, as PEM and as a signed-note verifier key."""
    _authorize(principal)
    trusted = keys.find_trusted(settings)  # reads only: never creates a key
    current = trusted.current if trusted is not None else None
    if current is None or current.name is None:
        raise NotFoundError("the log has no signing key yet; no checkpoint has been signed")
    return {
        "origin": current.name,
        "key_id": keys.key_id(current.name, current.public).hex(),
        "pem": keys.public_pem(current.public),
        "verifier_key": current.verifier,
    }
