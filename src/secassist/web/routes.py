"""The web shell: overview and reference-data pages (public; logging in is web/auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from secassist.core.errors import DateOutOfRangeError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, ReferenceDep, clock_of
from secassist.reports.home import home_for
from secassist.reports.proofs import browser_proofs, signed_checkpoint
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page

# Public pages; the dependency only puts the logged-in user (if any) in the top bar.
router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
T = TypeVar("T")


def _if_covered(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """A dated list, or None when the date is outside that list's coverage."""
    try:
        return fn(*args, **kwargs)
    except DateOutOfRangeError:
        return None


def _entry_no(value: str | None) -> int | None:
    if not value or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailedError(f"entry: {value!r} is not an entry number", field="entry") from None


def _as_of(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"on: {value!r} is not a date (YYYY-MM-DD)", field="on") from None


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    ref: ReferenceDep,
    web_user: WebUserDep,
    session: ReadSessionDep,
    entry: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """A signed-in stakeholder's work (reports/home.py); anonymous visitors the public overview."""
    today = clock_of(request).today()
    if web_user is not None:
        seq = _entry_no(entry)
        settings = request.app.state.settings
        mine = home_for(session, actor=web_user.principal, today=today, settings=settings, proof_seq=seq)
        # The same proof for the browser to check itself (static/verify.js).
        signed = signed_checkpoint(session, settings) if mine.proof is not None else None
        browser = None
        if signed is not None and seq is not None:
            browser = browser_proofs(session, actor=web_user.principal, seqs=[seq], signed=signed).get(seq)
        return page(
            request,
            "stakeholder_home.html",
            active="home",
            home=mine,
            entry=entry or "",
            signed=signed,
            browser=browser,
        )
    cov = ref.coverage()
    on = min(today, cov["nato"].end)
    return page(
        request,
        "home.html",
        active="home",
        on=on,
        nato_count=len(ref.nato_members(on)),
        mnna_count=len(ref.mnna(on)),
        itar_count=len(ref.itar_126_1(min(on, cov["itar_126_1"].end))),
        country_count=len(ref.countries()),
    )


@router.get("/reference", response_class=HTMLResponse)
def reference(request: Request, ref: ReferenceDep, on: str | None = None) -> HTMLResponse:
    cov = ref.coverage()
    as_of = _as_of(on, min(clock_of(request).today(), cov["itar_126_1"].end))
    names = {c.code: c.name for c in ref.countries()}
    return page(
        request,
        "reference.html",
        active="reference",
        on=as_of,
        names=names,
        nato=ref.nato_members(as_of),
        bodies=ref.bodies(),
        higher=_if_covered(ref.group_members, "higher_thresholds", as_of),
        short=_if_covered(ref.group_members, "short_review", as_of),
        mnna=_if_covered(ref.mnna, as_of),
        mnna_treated=sorted(
            set(_if_covered(ref.mnna, as_of, include_treated_as=True) or [])
            - set(_if_covered(ref.mnna, as_of) or [])
        ),
        itar=_if_covered(ref.itar_126_1, as_of),
        usml=ref.usml_categories(),
        agencies=ref.implementing_agencies(),
        coverage=cov,
    )


@router.get("/reference/countries", response_class=HTMLResponse)
def countries(request: Request, ref: ReferenceDep, region: str | None = None) -> HTMLResponse:
    region = region or None
    return page(
        request,
        "countries.html",
        active="countries",
        countries=ref.countries(region),
        regions=ref.regions(),
        region=region.upper() if region else None,
    )
