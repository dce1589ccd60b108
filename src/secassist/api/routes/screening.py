"""Screening API: yente-compatible ``/match``, screenings, dispositions, list versions.

``POST /screening/match`` takes yente's ``/match`` request shape
(``{"queries": {"q1": {"schema": "Person", "properties": {"name": [...]}}}}``) and answers
``{"responses": {"q1": {"status": 200, "results": [...], "total": {...}, "query": {...}}}}``.
Unlike yente, every query is kept: the answer names the screening that recorded it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, status

from secassist.http.deps import PrincipalDep, ReadSessionDep, WriterDep, WriteSessionDep
from secassist.http.params import Id
from secassist.vetting.screening import queries, service
from secassist.vetting.screening.matcher import ALGORITHM, DEFAULT_THRESHOLD
from secassist.vetting.screening.models import ScreeningDisposition, ScreeningListVersion, ScreeningRun
from secassist.vetting.screening.schemas import (
    DispositionIn,
    DispositionOut,
    EntityExample,
    EntityMatchQuery,
    RunOut,
    ScreenIn,
    VersionOut,
)

router = APIRouter(prefix="/screening", tags=["screening"])

# FtM properties read as identifiers of the queried party.
ID_PROPERTIES = (
    "idNumber",
    "passportNumber",
    "registrationNumber",
    "imoNumber",
    "taxNumber",
    "innCode",
    "ogrnCode",
    "leiCode",
    "swiftBic",
    "vatCode",
)
NAME_PROPERTIES = ("name", "alias", "previousName", "firstName", "lastName")
FEATURE_DOCS = {
    "token_alignment": "Weighted share of query and listed words aligned one to one, in any order.",
    "query_coverage": "Share of the query's words (weighted by rarity) explained by the listed name.",
    "name_coverage": "Share of the listed name's words explained by the query.",
    "joined_similarity": "Character similarity of the joined words (split/merged words, scattered typos).",
    "typing_slips": "Typing slips (edits, a transposition is one) on the whole name as written, "
    "within an allowance growing with its length.",
    "identifier": "An identifier of the query (passport, IMO, registration...) is on the list: decisive.",
    "matched_name": "The listed name or alias that scored best.",
    "name_score": "The name alone, before the query's context.",
    "short_name": "A one- or two-word name needs a closer match: its shortfall counts more.",
    "schema": "An organisation, vessel or aircraft query against a listed person (or the reverse).",
    "information": "How distinctive the listed name is, from its words' frequency on the loaded lists.",
    "country": "The query's country agrees with a listed country, or with none (costs more for a "
    "generic name; a whole name costs little unless every word is list-common and none is a proper "
    "name only the listed countries' entries bear).",
    "birth_date": "The query's birth date agrees or disagrees with the listed ones.",
    "identifiers": "Both sides give identifiers and none is shared.",
    "single_word": "A one-word name must be spelt almost exactly (an aircraft's mark is read whole).",
    "one_word_person": "One word against a listed person of several words: a shared given name or "
    "surname is not the person.",
    "common_words": "The words shared with a listed organisation carry little of its name's information.",
    "weak_alias": "A weak alias on the list, counted only with a supporting birth date or identifier.",
}


def _values(props: dict[str, str | list[Any]], key: str) -> list[str]:
    v = props.get(key, [])
    items = [v] if isinstance(v, str) else v
    return [str(x).strip() for x in items if str(x).strip()]


def _party(q: EntityExample) -> service.Party:
    props = q.properties
    names = [n for k in ("name", "alias", "previousName") for n in _values(props, k)]
    if not names and (_values(props, "firstName") or _values(props, "lastName")):
        names = [" ".join(_values(props, "firstName") + _values(props, "lastName"))]
    ids = [i for k in ID_PROPERTIES for i in _values(props, k)]
    countries = _values(props, "country") or _values(props, "nationality") or _values(props, "jurisdiction")
    return service.Party(
        names=names,
        identifiers=ids,
        country=countries[0].upper()[:2] if countries else None,
        schema=q.schema_,
        birth_dates=_values(props, "birthDate") or _values(props, "incorporationDate"),
    )


@router.post("/match")
def match(
    body: EntityMatchQuery,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
    threshold: float = Query(DEFAULT_THRESHOLD, gt=0, le=1),
    limit: int = Query(5, ge=1, le=50),
) -> dict[str, Any]:
    """yente's ``/match``: score each query against the active lists (kept as one screening)."""
    keys = list(body.queries)
    parties = [_party(body.queries[k]) for k in keys]
    run = service.screen(session, actor=principal, parties=parties, threshold=threshold, limit=limit)
    responses: dict[str, Any] = {}
    for i, key in enumerate(keys):
        results = [
            {
                "id": r["entity_id"],
                "caption": r["name"],
                "schema": "LegalEntity",
                "properties": {"name": [r["name"]], "alias": [r["matched_name"]]},
                "datasets": [r["list"]],
                "referents": [],
                "target": True,
                "score": float(r["score"]),
                "features": {f["name"]: float(f["value"]) for f in r["features"]},
                "explanation": {f["name"]: f["detail"] for f in r["features"]},
                "match": float(r["score"]) >= threshold,
            }
            for r in run.results
            if r["party"] == i
        ]
        q = body.queries[key]
        responses[key] = {
            "status": 200,
            "results": results,
            "total": {"value": len(results), "relation": "eq"},
            "query": {"id": q.id, "schema": q.schema_, "properties": q.properties},
        }
    return {
        "responses": responses,
        "matcher": {"name": ALGORITHM, "features": FEATURE_DOCS},
        "limit": limit,
        "screening_id": run.id,
        "status": run.status,
    }


def version_out(v: ScreeningListVersion) -> VersionOut:
    return VersionOut.model_validate(v, from_attributes=True)


@router.get("/lists", response_model=list[VersionOut])
def lists(principal: PrincipalDep, session: ReadSessionDep) -> list[VersionOut]:
    """Every loaded list version, newest first."""
    return [version_out(v) for v in queries.list_versions(session, actor=principal)]


def run_out(run: ScreeningRun, decided: list[ScreeningDisposition]) -> RunOut:
    data = {c: getattr(run, c) for c in RunOut.model_fields if c != "dispositions"}
    return RunOut(
        **data, dispositions=[DispositionOut.model_validate(d, from_attributes=True) for d in decided]
    )


@router.post("/screenings", response_model=RunOut, status_code=status.HTTP_201_CREATED)
def create_screening(
    body: ScreenIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> RunOut:
    """Screen parties against the active lists and keep the screening."""
    parties = [
        service.Party(
            names=p.names,
            identifiers=p.identifiers,
            country=p.country,
            schema=p.schema_,
            birth_dates=p.birth_dates,
        )
        for p in body.parties
    ]
    run = service.screen(
        session, actor=principal, parties=parties, subject=body.subject, threshold=body.threshold
    )
    return run_out(run, [])


@router.get("/screenings", response_model=list[RunOut])
def screenings(principal: PrincipalDep, session: ReadSessionDep) -> list[RunOut]:
    return [
        run_out(r, queries.dispositions(session, run=r)) for r in queries.list_runs(session, actor=principal)
    ]


@router.get("/screenings/{run_id}", response_model=RunOut)
def screening(run_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> RunOut:
    run = queries.get_run(session, actor=principal, run_id=run_id)
    return run_out(run, queries.dispositions(session, run=run))


@router.post("/screenings/{run_id}/dispositions", response_model=RunOut, status_code=status.HTTP_201_CREATED)
def dispose(
    run_id: Id, body: DispositionIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> RunOut:
    """Record an analyst's disposition of one result."""
    service.record_disposition(
        session,
        actor=principal,
        run_id=run_id,
        list_name=body.list,
        entity_id=body.entity_id,
        disposition=body.disposition,
        note=body.note,
    )
    run = queries.get_run(session, actor=principal, run_id=run_id)
    return run_out(run, queries.dispositions(session, run=run))
