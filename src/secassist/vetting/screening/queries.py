"""Reads of screening records: list versions, the index over the active lists, screenings
and their dispositions.

Screenings are resource kind ``vetting``, scoped by country through the access policy
(:func:`secassist.identity.policy.scope`); a screening outside the actor's scope is "not
found". ``actor=None`` is the system: unscoped. The writes are in
:mod:`secassist.vetting.screening.service`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.core.types import row_id_of
from secassist.identity.policy import Principal, require_permission, scope
from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.matcher import Index
from secassist.vetting.screening.models import (
    ScreeningAlert,
    ScreeningDisposition,
    ScreeningEntity,
    ScreeningListVersion,
    ScreeningRun,
)
from secassist.vetting.screening.stored import decode_entities

# --- list versions ---------------------------------------------------------------


def list_versions(session: Session, *, actor: Principal | None) -> list[ScreeningListVersion]:
    """Every loaded version, newest first (the lists are public data; reading the
    versions needs ``vetting:read``)."""
    stmt = select(ScreeningListVersion).order_by(ScreeningListVersion.id.desc())
    if actor is not None:
        require_permission(actor, "vetting:read")
    return list(session.scalars(stmt))


def active_versions(session: Session) -> list[ScreeningListVersion]:
    """The active version of each loaded list, by list name (unscoped: public data)."""
    stmt = (
        select(ScreeningListVersion)
        .where(ScreeningListVersion.active.is_(True))
        .order_by(ScreeningListVersion.list_name)
    )
    return list(session.scalars(stmt))


_INDEX_CACHE: dict[tuple[tuple[int, str], ...], Index] = {}


def active_index(session: Session) -> tuple[Index, list[ScreeningListVersion]]:
    """The in-memory index over the active versions (built once per set of versions)."""
    versions = active_versions(session)
    if not versions:
        raise ValidationFailedError(
            "no screening list is loaded (secassist screening load PATH)", field="lists"
        )
    key = tuple((v.id, v.content_sha256) for v in versions)
    index = _INDEX_CACHE.get(key)
    if index is None:
        index = Index()
        for v in versions:
            data = session.get(ScreeningEntity, v.id)
            if data is None:  # pragma: no cover - written together with the version
                raise NotFoundError(f"entities of list version {v.id} are missing")
            index.extend(v.list_name, decode_entities(data.payload))
        index.finalize()
        if len(_INDEX_CACHE) >= 4:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = index
    return index, versions


def entry_sha256(entity: ListEntity) -> str:
    """The SHA-256 of a listed entry's content (every field the list gives, canonical JSON):
    a clearance carries over to a new list version only while this is unchanged."""
    doc = json.dumps(dataclasses.asdict(entity), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


# Keyed by the database and the version id: a stored version never changes, but ids repeat
# across databases (tests run many in one process; the in-process CLI opens others).
_ENTRY_CACHE: dict[tuple[str, int], dict[str, str]] = {}


def entry_hashes(session: Session, version_id: int) -> dict[str, str]:
    """Each entry of a list version by id, to its :func:`entry_sha256` (a version's
    entities never change once stored, so the map is kept per database and version)."""
    key = (session.connection().engine.url.render_as_string(hide_password=True), version_id)
    found = _ENTRY_CACHE.get(key)
    if found is None:
        data = session.get(ScreeningEntity, version_id)
        if data is None:
            raise NotFoundError(f"entities of list version {version_id} are missing")
        found = {e.entity_id: entry_sha256(e) for e in decode_entities(data.payload)}
        if len(_ENTRY_CACHE) >= 8:
            _ENTRY_CACHE.clear()
        _ENTRY_CACHE[key] = found
    return found


# --- screenings ------------------------------------------------------------------


def _visible_runs(actor: Principal | None) -> Select[ScreeningRun]:
    stmt = select(ScreeningRun)
    if actor is not None:
        stmt = scope(stmt, actor, "vetting", country=ScreeningRun.country_code)
    return stmt


def get_run(session: Session, *, actor: Principal | None, run_id: int) -> ScreeningRun:
    """One screening; a screening the actor may not see is "not found"."""
    run: ScreeningRun | None = session.scalars(_visible_runs(actor).where(ScreeningRun.id == run_id)).first()
    if run is None:
        raise NotFoundError(f"screening {run_id} not found")
    return run


def find_run(session: Session, *, actor: Principal | None, ref: str) -> ScreeningRun:
    """A screening by its id, or by its subject (``--subject`` when it was kept) when exactly
    one screening the actor may see has it; several are refused with their ids."""
    text = ref.strip()
    if (run_id := row_id_of(text)) is not None:
        return get_run(session, actor=actor, run_id=run_id)
    found = list(
        session.scalars(_visible_runs(actor).where(ScreeningRun.subject == text).order_by(ScreeningRun.id))
    )
    if not found:
        raise NotFoundError(f"screening: none with id or subject {text!r}", field="screening")
    if len(found) > 1:
        ids = ", ".join(str(r.id) for r in found)
        raise ValidationFailedError(
            f"screening: subject {text!r} names screenings {ids}; give the id", field="screening"
        )
    return found[0]


def list_runs(session: Session, *, actor: Principal | None, limit: int = 100) -> list[ScreeningRun]:
    """The screenings the actor may see, newest first."""
    stmt = _visible_runs(actor).order_by(ScreeningRun.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def dispositions(session: Session, *, run: ScreeningRun) -> list[ScreeningDisposition]:
    """The analysts' dispositions of a screening's results, oldest first (later ones win)."""
    stmt = select(ScreeningDisposition).where(ScreeningDisposition.run_id == run.id)
    return list(session.scalars(stmt.order_by(ScreeningDisposition.id)))


def has_unresolved_match(session: Session, *, run_id: int) -> bool:
    """True while the screening holds a potential match that no analyst has resolved
    (no disposition, or "unsure"). Called by the vetting engine, which blocks on it."""
    run = session.get(ScreeningRun, run_id)
    if run is None:
        raise NotFoundError(f"screening {run_id} not found")
    return run.status == "potential_match"


def latest_runs(session: Session, *, subject: str) -> list[ScreeningRun]:
    """Every screening kept for ``subject``, newest first (unscoped: for the system's
    re-screening, which carries dispositions over)."""
    stmt = select(ScreeningRun).where(ScreeningRun.subject == subject).order_by(ScreeningRun.id.desc())
    return list(session.scalars(stmt))


def open_alerts(
    session: Session, *, actor: Principal | None, reference: str | None = None
) -> list[ScreeningAlert]:
    """The open re-screening alerts the actor may see (scoped by country like screenings),
    oldest first: the responsible offices' queue."""
    stmt = select(ScreeningAlert).where(ScreeningAlert.status == "open")
    if actor is not None:
        stmt = scope(stmt, actor, "vetting", country=ScreeningAlert.country_code)
    if reference is not None:
        stmt = stmt.where(ScreeningAlert.reference == reference)
    return list(session.scalars(stmt.order_by(ScreeningAlert.id)))
