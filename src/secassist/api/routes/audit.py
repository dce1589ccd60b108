"""Read endpoints over the audit log: entries, proofs, checkpoints, the public key.

Every endpoint needs ``audit:read`` (auditors, State, DoD; not partners). Proofs carry
what a client needs to check them itself against a checkpoint it keeps.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from secassist.api.deps import PrincipalDep, ReadSessionDep, SettingsDep
from secassist.audit import checkpoint as cp
from secassist.audit import keys, service
from secassist.core.errors import NotFoundError
from secassist.identity.policy import Principal, require_permission

router = APIRouter(prefix="/audit", tags=["audit"])

PERMISSION = "audit:read"


def _authorize(p: Principal) -> None:
    require_permission(p, PERMISSION)


class EntrySummary(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_user_id: int | None
    actor_org_id: int | None
    tag: str
    subject_type: str
    subject_id: str
    rows: int


class EntryPage(BaseModel):
    items: list[EntrySummary]
    next_after: int | None  # pass as ``after`` for the next page; null on the last page


class InclusionProof(BaseModel):
    type: str
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str
    entry: dict[str, Any]


class ConsistencyProof(BaseModel):
    type: str
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class CheckpointOut(BaseModel):
    id: int
    tree_size: int
    root_hash: str
    at: datetime
    key_id: str
    note: str


class PublicKeyOut(BaseModel):
    origin: str
    key_id: str
    pem: str
    verifier_key: str


@router.get("/entries", response_model=EntryPage)
def entries(
    principal: PrincipalDep,
    session: ReadSessionDep,
    tag: Annotated[str | None, Query(description="Tag prefix, e.g. identity:user.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
    after: Annotated[int | None, Query(ge=-1, description="Entries with seq greater than this.")] = None,
) -> Any:
    """Log entries in order, paged by ``after`` (the last seq seen)."""
    _authorize(principal)
    found = service.list_entries(session, tag=tag, after=after, limit=limit)
    items = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "actor_user_id": e.actor_user_id,
            "actor_org_id": e.actor_org_id,
            "tag": e.tag,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "rows": len(json.loads(e.payload)["rows"]),
        }
        for e in found
    ]
    return {"items": items, "next_after": found[-1].seq if len(found) == limit else None}


@router.get("/entries/{seq}")
def entry(seq: int, principal: PrincipalDep, session: ReadSessionDep) -> dict[str, Any]:
    """One entry as the JSON document its leaf hash covers (RFC 8785 canonical form hashed)."""
    _authorize(principal)
    return service.entry_json(service.get_entry(session, seq))


@router.get("/proofs/inclusion/{seq}", response_model=InclusionProof)
def inclusion(
    seq: int,
    principal: PrincipalDep,
    session: ReadSessionDep,
    tree_size: Annotated[int | None, Query(ge=0, description="Default: the current size.")] = None,
) -> Any:
    """RFC 9162 inclusion proof of entry ``seq``, with the entry document."""
    _authorize(principal)
    return service.inclusion_proof(session, seq, tree_size)


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


@router.get("/checkpoints/latest", response_model=CheckpointOut)
def latest_checkpoint(principal: PrincipalDep, session: ReadSessionDep) -> Any:
    """The most recent signed checkpoint, with its note text."""
    _authorize(principal)
    row = cp.latest(session)
    return {
        "id": row.id,
        "tree_size": row.tree_size,
        "root_hash": bytes(row.root_hash).hex(),
        "at": row.at,
        "key_id": row.key_id,
        "note": row.note,
    }


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
