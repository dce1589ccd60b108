"""Read endpoints over the reference data (as of a date where the answer depends on it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from secassist.core.types import IsoDate
from secassist.http.deps import ReferenceDep
from secassist.reference.schemas import CodesAsOf, CountryOut, ItarAsOf, ItarEntryOut

router = APIRouter(prefix="/reference", tags=["reference"])

OnQuery = Annotated[IsoDate, Query(description="As-of date (YYYY-MM-DD).")]


@router.get("/countries", response_model=list[CountryOut])
def countries(ref: ReferenceDep, region: str | None = None) -> list[Any]:
    return [c.__dict__ for c in ref.countries(region)]


@router.get("/countries/{code}", response_model=CountryOut)
def country(code: str, ref: ReferenceDep) -> Any:
    return ref.country(code).__dict__


@router.get("/regions")
def regions(ref: ReferenceDep) -> dict[str, str]:
    return ref.regions()


@router.get("/nato/members", response_model=CodesAsOf)
def nato_members(on: OnQuery, ref: ReferenceDep) -> CodesAsOf:
    return CodesAsOf(on=on, codes=ref.nato_members(on))


@router.get("/nato/bodies")
def nato_bodies(ref: ReferenceDep) -> list[dict[str, Any]]:
    return [b.model_dump() for b in ref.bodies()]


@router.get("/notification-groups/{group}", response_model=CodesAsOf)
def notification_group(
    group: Literal["higher_thresholds", "short_review"], on: OnQuery, ref: ReferenceDep
) -> CodesAsOf:
    return CodesAsOf(on=on, codes=ref.group_members(group, on))


@router.get("/mnna", response_model=CodesAsOf)
def mnna(on: OnQuery, ref: ReferenceDep, include_treated_as: bool = False) -> CodesAsOf:
    return CodesAsOf(on=on, codes=ref.mnna(on, include_treated_as=include_treated_as))


@router.get("/itar-126-1", response_model=ItarAsOf)
def itar_126_1(
    on: OnQuery, ref: ReferenceDep, table: Annotated[int | None, Query(ge=1, le=2)] = None
) -> ItarAsOf:
    entries = [
        ItarEntryOut(code=e.code, table=e.table, status=e.status, note=e.note, source=e.source)
        for e in ref.itar_126_1(on, table)
    ]
    return ItarAsOf(on=on, entries=entries)


@router.get("/usml")
def usml(ref: ReferenceDep) -> list[dict[str, Any]]:
    return [{"number": c.number, "roman": c.roman, "title": c.title} for c in ref.usml_categories()]


@router.get("/implementing-agencies")
def implementing_agencies(ref: ReferenceDep) -> list[dict[str, Any]]:
    return [a.model_dump() for a in ref.implementing_agencies()]


@router.get("/coverage")
def coverage(ref: ReferenceDep) -> dict[str, dict[str, date]]:
    """The dates each dated list speaks for."""
    return {k: {"start": v.start, "end": v.end} for k, v in ref.coverage().items()}
