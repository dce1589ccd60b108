"""Screening services: load list versions, screen parties, record analysts' dispositions.

Every state change writes exactly one audit entry (``screening:list:loaded``,
``screening:run:recorded``, ``screening:disposition:recorded``). Services take the session
explicitly and never commit. Screening records are resource kind ``vetting``: State and
DoD read them (auditors too), writers need ``vetting:write``.

Other code asks :func:`screen` for a :class:`ScreeningRun` and
:func:`secassist.vetting.screening.queries.has_unresolved_match` whether it still holds a
potential match nobody has resolved; the vetting engine treats that as a block, and a
confirmed true match as a block too (``status == "match"``). The reads are in
:mod:`secassist.vetting.screening.queries`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal, Resource, actor_of, check, require_permission
from secassist.vetting.screening.entities import ParsedList
from secassist.vetting.screening.matcher import ALGORITHM, DEFAULT_THRESHOLD, Match, Query
from secassist.vetting.screening.models import (
    DISPOSITIONS,
    ScreeningAlert,
    ScreeningDisposition,
    ScreeningEntity,
    ScreeningListVersion,
    ScreeningRun,
)
from secassist.vetting.screening.parsers import parse_path
from secassist.vetting.screening.queries import (
    active_index,
    dispositions,
    entry_hashes,
    get_run,
    latest_runs,
)
from secassist.vetting.screening.stored import encode_entities

MAX_NOTE = 4000
MAX_NAMES = 50


@dataclass
class Party:
    """A party to screen: its names (aliases), identifiers, and what else is known of it —
    country (ISO alpha-2), FtM schema (``Person``, ``Organization``...), birth dates (ISO);
    the matcher scores with them (:mod:`.matcher`, step 7)."""

    names: list[str]
    identifiers: list[str] = field(default_factory=list)
    country: str | None = None
    schema: str | None = None
    birth_dates: list[str] = field(default_factory=list)


# --- list versions ---------------------------------------------------------------


def content_hash(parsed: ParsedList) -> str:
    h = hashlib.sha256()
    for f in parsed.files:
        h.update(f"{f.name}\0{f.sha256}\n".encode())
    return h.hexdigest()


def load_list(
    session: Session,
    *,
    actor: Principal | None,
    path: str | Path,
    published: date | None = None,
    clock: Clock | None = None,
) -> ScreeningListVersion:
    """Parse the list at ``path`` and make it the active version of its list.

    The files are read and checked completely before anything is written: a corrupt or
    truncated file raises :class:`ValidationFailedError` naming file and line, and the
    previously active version stays active. ``published`` overrides the date the format
    carries (OFAC's CSV files carry none).
    """
    if actor is not None:
        require_permission(actor, "vetting:write")
    parsed = parse_path(path)
    return store_version(
        session,
        actor=actor,
        parsed=parsed,
        source_path=str(Path(path).resolve()),
        published=published,
        clock=clock,
    )


def _same_content(
    session: Session,
    active: Sequence[ScreeningListVersion],
    parsed: ParsedList,
    payload_sha256: str,
    published: date | None,
) -> ScreeningListVersion | None:
    """The active version holding exactly this content, if there is one."""
    digest = content_hash(parsed)
    for v in active:
        if (v.content_sha256, v.published) != (digest, published):
            continue
        stored = session.scalar(
            select(ScreeningEntity.payload_sha256).where(ScreeningEntity.version_id == v.id)
        )
        if stored == payload_sha256:
            return v
    return None


def store_version(
    session: Session,
    *,
    actor: Principal | None,
    parsed: ParsedList,
    source_path: str,
    published: date | None = None,
    clock: Clock | None = None,
) -> ScreeningListVersion:
    """Keep ``parsed`` as the active version of its list (the previous one stays, inactive).

    Idempotent by content: when the active version of the list already holds the same
    files (their SHA-256), the same entities and the same publication date, that version
    is returned and nothing is written, not even an audit entry. So a load rerun after a
    crash that landed after the commit adds no duplicate version. (An older, inactive
    version with the same content is made current by a new version: that is a change.)"""
    if actor is not None:
        require_permission(actor, "vetting:write")
    previous = session.scalars(
        select(ScreeningListVersion).where(
            ScreeningListVersion.list_name == parsed.list_name, ScreeningListVersion.active.is_(True)
        )
    ).all()
    payload = encode_entities(parsed.entities)
    payload_sha256 = hashlib.sha256(payload).hexdigest()
    same = _same_content(session, previous, parsed, payload_sha256, published or parsed.published)
    if same is not None:
        return same
    for old in previous:
        old.active = False
    who = actor_of(actor)
    version = ScreeningListVersion(
        list_name=parsed.list_name,
        source_format=parsed.source_format,
        source_path=source_path[:1000],
        published=published or parsed.published,
        files=[{"name": f.name, "sha256": f.sha256, "size": f.size, "rows": f.rows} for f in parsed.files],
        content_sha256=content_hash(parsed),
        record_count=parsed.record_count,
        entity_count=len(parsed.entities),
        alias_count=parsed.alias_count,
        identifier_count=parsed.identifier_count,
        orphan_rows=parsed.orphan_rows,
        active=True,
        loaded_at=now(clock),
        loaded_by=who.label[:300],
    )
    session.add(version)
    session.flush()
    data = ScreeningEntity(version_id=version.id, payload_sha256=payload_sha256, payload=payload)
    add_recorded(
        session,
        [version, data, *previous],
        actor=who,
        tag="screening:list:loaded",
        subject_type="screening_list_version",
        subject_id=version.id,
        note={
            "list": parsed.list_name,
            "entities": len(parsed.entities),
            "replaced": [v.id for v in previous],
        },
        clock=clock,
    )
    return version


# --- screenings ------------------------------------------------------------------


class FeatureJson(TypedDict):
    name: str
    value: str
    detail: str


class MatchJson(TypedDict):
    """One result as a screening keeps it."""

    party: int
    list: str
    entity_id: str
    name: str
    matched_name: str
    score: str
    features: list[FeatureJson]


def match_json(m: Match, party: int) -> MatchJson:
    """A match as a screening keeps it (scores as decimal strings)."""
    return {
        "party": party,
        "list": m.list_name,
        "entity_id": m.entity_id,
        "name": m.name,
        "matched_name": m.matched_name,
        "score": f"{m.score:.4f}",
        "features": [{"name": f.name, "value": f"{f.value:.4f}", "detail": f.detail} for f in m.features],
    }


def _threshold(value: float) -> str:
    if not 0.0 < value <= 1.0:
        raise ValidationFailedError(f"threshold {value} is not in (0, 1]", field="threshold")
    return f"{value:.4f}"


def _new_run(
    session: Session,
    *,
    actor: Principal | None,
    parties: Sequence[Party] | None,
    names: Sequence[str] | None,
    subject: str | None,
    threshold: float,
    limit: int,
    clock: Clock | None,
) -> ScreeningRun:
    """Match the parties against the active lists: the screening, added but not audited.
    Each result carries the SHA-256 of the listed entry's content (``entry_sha256``), so a
    later re-screening can tell whether the entry an analyst cleared has changed."""
    todo = list(parties or []) + [Party(names=[n]) for n in names or []]
    todo = [
        Party(
            [n.strip() for n in p.names if n.strip()],
            [i.strip() for i in p.identifiers if i.strip()],
            p.country,
            p.schema,
            [d.strip() for d in p.birth_dates if d.strip()],
        )
        for p in todo
    ]
    if not todo or not all(p.names or p.identifiers for p in todo):
        raise ValidationFailedError("give at least one name or identifier for each party", field="names")
    if sum(len(p.names) for p in todo) > MAX_NAMES:
        raise ValidationFailedError(f"at most {MAX_NAMES} names in one screening", field="names")
    limit_th = _threshold(threshold)
    index, versions = active_index(session)
    by_list = {v.list_name: v.id for v in versions}
    results: list[dict[str, Any]] = []
    for i, p in enumerate(todo):
        for m in index.match(
            Query(
                names=p.names,
                identifiers=p.identifiers,
                schema=p.schema,
                countries=[p.country] if p.country else [],
                birth_dates=p.birth_dates,
            ),
            threshold=threshold,
            limit=limit,
        ):
            item: dict[str, Any] = dict(match_json(m, i))
            version = by_list.get(m.list_name)
            if version is not None:
                item["entry_sha256"] = entry_hashes(session, version).get(m.entity_id, "")
            results.append(item)
    who = actor_of(actor)
    countries = {p.country for p in todo if p.country}
    run = ScreeningRun(
        at=now(clock),
        user_id=who.user_id,
        actor=who.label[:300],
        subject=subject[:300] if subject else None,
        country_code=countries.pop() if len(countries) == 1 else None,
        query={
            "parties": [
                {
                    "names": p.names,
                    "identifiers": p.identifiers,
                    "country": p.country,
                    "schema": p.schema,
                    "birth_dates": p.birth_dates,
                }
                for p in todo
            ]
        },
        list_versions=[
            {
                "id": v.id,
                "list_name": v.list_name,
                "content_sha256": v.content_sha256,
                "published": str(v.published),
            }
            for v in versions
        ],
        algorithm=ALGORITHM,
        threshold=limit_th,
        results=results,
        hit_count=len(results),
        status="potential_match" if results else "clear",
    )
    session.add(run)
    session.flush()
    return run


def screen(
    session: Session,
    *,
    actor: Principal | None,
    parties: Sequence[Party] | None = None,
    names: Sequence[str] | None = None,
    subject: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
    clock: Clock | None = None,
) -> ScreeningRun:
    """Screen ``parties`` (or bare ``names``, one party each) against the active lists and
    keep the screening: query, list versions and hashes, algorithm, threshold, results."""
    if actor is not None:
        require_permission(actor, "vetting:write")
    run = _new_run(
        session,
        actor=actor,
        parties=parties,
        names=names,
        subject=subject,
        threshold=threshold,
        limit=limit,
        clock=clock,
    )
    add_recorded(
        session,
        [run],
        actor=actor_of(actor),
        tag="screening:run:recorded",
        subject_type="screening_run",
        clock=clock,
    )
    return run


@dataclass(frozen=True)
class Rescreened:
    """What one party's re-screening found: its new screening, the results whose earlier
    disposition carried over (the entry unchanged), and the alerts it raised."""

    run: ScreeningRun
    carried: tuple[ScreeningDisposition, ...]
    alerts: tuple[ScreeningAlert, ...]


CARRIED = ("false_positive", "true_match")  # "unsure" asks for another look: never carried


def _prior_decisions(
    session: Session, subject: str, before: int
) -> dict[tuple[str, str], tuple[str, str, int]]:
    """For each (list, entry) an earlier screening of ``subject`` returned and an analyst
    decided: the latest disposition, the entry's SHA-256 as it was then, and the screening."""
    out: dict[tuple[str, str], tuple[str, str, int]] = {}
    for old in latest_runs(session, subject=subject):  # newest first: the first seen wins
        if old.id == before:
            continue
        sha = {(r["list"], r["entity_id"]): str(r.get("entry_sha256") or "") for r in old.results}
        if any(not v for v in sha.values()):
            # A screening from before entry hashes were kept: the hash of the entry in the
            # list version that screening used.
            for v in old.list_versions:
                hashes = entry_hashes(session, int(v["id"]))
                for key in sha:
                    if key[0] == v["list_name"] and not sha[key]:
                        sha[key] = hashes.get(key[1], "")
        latest: dict[tuple[str, str], str] = {}
        for d in dispositions(session, run=old):
            latest[(d.list_name, d.entity_id)] = d.disposition
        for key, disposition in latest.items():
            if key not in out and sha.get(key):
                out[key] = (disposition, sha[key], old.id)
    return out


def rescreen_party(
    session: Session,
    *,
    actor: Principal | None,
    party: Party,
    subject: str,
    reference: str,
    office: str | None,
    threshold: float = DEFAULT_THRESHOLD,
    clock: Clock | None = None,
) -> Rescreened:
    """Screen an open record's party again against the active lists (continuous screening,
    issue #14), keeping the new screening like any other (list versions and their hashes,
    algorithm, threshold, results).

    An analyst's earlier decision on a result (false positive, or confirmed match) carries
    over to the new screening while the listed entry is the same entry with the same
    content (its SHA-256 over every field the list gives); a changed entry — a new alias, a
    new identifier, a new country — is looked at again. Every result left undecided that
    has no open alert for this subject yet becomes an alert in the responsible office's
    queue, naming ``reference`` (the case, proposal or transfer it touches). One audit entry
    (``screening:run:rescreened``) carries the screening, the carried dispositions and the
    alerts. The lists change weekly and a clearance is for an entry as it was listed, so
    a party screened once at intake is not screened for the life of the case.
    """
    if actor is not None:
        require_permission(actor, "vetting:write")
    run = _new_run(
        session,
        actor=actor,
        parties=[party],
        names=None,
        subject=subject,
        threshold=threshold,
        limit=10,
        clock=clock,
    )
    who = actor_of(actor)
    prior = _prior_decisions(session, subject, run.id)
    open_keys = {
        (a.list_name, a.entity_id)
        for a in session.scalars(
            select(ScreeningAlert).where(
                ScreeningAlert.subject == run.subject, ScreeningAlert.status == "open"
            )
        )
    }
    at = now(clock)
    carried: list[ScreeningDisposition] = []
    alerts: list[ScreeningAlert] = []
    seen: set[tuple[str, str]] = set()
    for r in run.results:
        key = (r["list"], r["entity_id"])
        if key in seen:
            continue
        seen.add(key)
        before = prior.get(key)
        if before is not None and before[0] in CARRIED and before[1] == r.get("entry_sha256"):
            carried.append(
                ScreeningDisposition(
                    run_id=run.id,
                    list_name=key[0],
                    entity_id=key[1],
                    disposition=before[0],
                    note=f"carried over from screening {before[2]}: entry unchanged ({before[1][:16]})",
                    user_id=who.user_id,
                    actor=who.label[:300],
                    at=at,
                )
            )
            continue
        if key in open_keys:
            continue
        alerts.append(
            ScreeningAlert(
                run_id=run.id,
                reference=reference[:100],
                subject=subject[:300],
                country_code=run.country_code,
                office=office[:200] if office else None,
                list_name=key[0],
                entity_id=key[1],
                entity_name=str(r["name"])[:500],
                score=str(r["score"]),
                status="open",
                created_at=at,
            )
        )
    for d in carried:
        session.add(d)
    session.flush()
    run.status = status_of(run, carried)
    add_recorded(
        session,
        [run, *carried, *alerts],
        actor=who,
        tag="screening:run:rescreened",
        subject_type="screening_run",
        subject_id=run.id,
        note={"reference": reference, "carried": len(carried), "alerts": len(alerts)},
        clock=clock,
    )
    return Rescreened(run, tuple(carried), tuple(alerts))


def status_of(run: ScreeningRun, decided: Sequence[ScreeningDisposition]) -> str:
    """``match`` if any result is a confirmed true match; ``potential_match`` while any
    result has no disposition or is marked unsure; else ``clear``."""
    latest: dict[tuple[str, str], str] = {}
    for d in decided:
        latest[(d.list_name, d.entity_id)] = d.disposition
    keys = {(r["list"], r["entity_id"]) for r in run.results}
    if any(latest.get(k) == "true_match" for k in keys):
        return "match"
    if any(latest.get(k) in (None, "unsure") for k in keys):
        return "potential_match"
    return "clear"


def record_disposition(
    session: Session,
    *,
    actor: Principal | None,
    run_id: int,
    list_name: str,
    entity_id: str,
    disposition: str,
    note: str = "",
    clock: Clock | None = None,
) -> ScreeningDisposition:
    """An analyst's decision on one result: true match, false positive, or unsure."""
    run = get_run(session, actor=actor, run_id=run_id)
    if actor is not None:
        check(actor, "write", Resource(kind="vetting", country=run.country_code), what="screening")
    if disposition not in DISPOSITIONS:
        raise ValidationFailedError(
            f"disposition {disposition!r} is not one of {', '.join(DISPOSITIONS)}", field="disposition"
        )
    if not any(r["list"] == list_name and r["entity_id"] == entity_id for r in run.results):
        raise ValidationFailedError(
            f"{list_name} {entity_id} is not a result of screening {run_id}", field="entity_id"
        )
    if len(note) > MAX_NOTE:
        raise ValidationFailedError(f"note is longer than {MAX_NOTE} characters", field="note")
    who = actor_of(actor)
    d = ScreeningDisposition(
        run_id=run.id,
        list_name=list_name,
        entity_id=entity_id,
        disposition=disposition,
        note=note.strip(),
        user_id=who.user_id,
        actor=who.label[:300],
        at=now(clock),
    )
    session.add(d)
    session.flush()
    run.status = status_of(run, [*dispositions(session, run=run)])
    # The analyst has looked at the result: the re-screening alerts on it leave the queue.
    closed = list(
        session.scalars(
            select(ScreeningAlert).where(
                ScreeningAlert.subject == run.subject if run.subject else ScreeningAlert.run_id == run.id,
                ScreeningAlert.list_name == list_name,
                ScreeningAlert.entity_id == entity_id,
                ScreeningAlert.status == "open",
            )
        )
    )
    for alert in closed:
        alert.status = "closed"
    add_recorded(
        session,
        [d, run, *closed],
        actor=who,
        tag="screening:disposition:recorded",
        subject_type="screening_run",
        subject_id=run.id,
        clock=clock,
    )
    return d
