"""Leahy vetting pages and forms: the units registry, a unit's vettings and its status
today, a vetting request with the sources checked, the outcome, and the duty-to-inform
tasks a denial opens.

Law (see :mod:`secassist.vetting.leahy`): no FAA or AECA assistance to a foreign
security-force unit where the Secretary of State has credible information of a gross
violation of human rights (22 U.S.C. 2378d, FAA §620M); 10 U.S.C. 362 for DoD-funded
assistance; the duty to inform the foreign government is in §620M.

Users whose role may read vetting records (State, DoD, auditors); every read is scoped by
the vetting queries, anything else is the same 404 page as a record that does not exist.
Forms call the service the CLI and the API call; a refused form is shown again (422) with
the input and the error beside its field; a success redirects with a confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, Resource, allowed
from secassist.reference.service import get_reference
from secassist.storage.uow import read_only
from secassist.vetting import leahy, schemas
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user
from secassist.web.forms import FORM_ERRORS, CsrfField, FormState, redirect_with_flash
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
Text = Annotated[str, Form(max_length=8000)]
Short = Annotated[str, Form(max_length=300)]
Day = Annotated[str, Form(max_length=10)]
UNIT_LABELS = {
    "military": "Military",
    "reserve": "Reserve",
    "police": "Police",
    "border_guard": "Border guard",
    "customs": "Customs",
    "prison_guard": "Prison guard",
    "other_security": "Other security force",
}
OUTCOME_LABELS = {
    "approved": "Approved",
    "suspended": "Suspended",
    "denied": "Denied",
    "cancelled": "Cancelled",
}


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _reader(web_user: WebUser) -> Principal:
    """The principal, if its role may read vetting records; otherwise the 404 page."""
    if "vetting:read" not in web_user.principal.permissions:
        raise NotFoundError("page not found")
    return web_user.principal


def _may(p: Principal, action: str, country: str | None = None) -> bool:
    """Whether to offer a form (the service checks again, on the record's country)."""
    if country is None:
        return f"vetting:{action}" in p.permissions and p.org_kind is not OrgKind.auditor
    return allowed(p, action, Resource("vetting", country=country))


def _day(value: str, field: str, *, required: bool = True) -> date | None:
    text = value.strip()
    if not text:
        if required:
            raise ValidationFailedError(f"{field}: give a date (YYYY-MM-DD)", field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _units_view(
    request: Request, session: Session, p: Principal, *, form: FormState | None = None, status: int = 200
) -> Response:
    today = clock_of(request).today()
    units = leahy.list_units(session, actor=p)
    return page(
        request,
        "leahy/index.html",
        active="vetting",
        status=status,
        units=[(schemas.unit_read(u), leahy.status_on(session, u.id, today)) for u in units],
        tasks=[schemas.inform_read(t) for t in leahy.list_duty_to_inform(session, actor=p, status="open")],
        pending=[schemas.vetting_read(v) for v in leahy.list_vettings(session, actor=p, status="requested")],
        names={u.id: u.name for u in units},
        unit_types=list(UNIT_LABELS.items()),
        unit_labels=UNIT_LABELS,
        countries=[(c.code, f"{c.name} ({c.code})") for c in get_reference().countries()],
        may_write=_may(p, "write"),
        form=form or FormState(name="unit"),
        today=today,
    )


@router.get("/leahy", response_class=HTMLResponse)
def units(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The units registry with each unit's status today, vettings awaiting an outcome, and
    open duty-to-inform tasks."""
    if web_user is None:
        return _login("/leahy")
    return _units_view(request, session, _reader(web_user))


def _step(
    request: Request,
    web_user: WebUser | None,
    back: str,
    form: FormState,
    step: Callable[[Session, Principal], tuple[str, str]],
    refused: Callable[[Session, Principal, FormState], Response],
    csrf: str,
) -> Response:
    """Run ``step`` (returning the page to go to and the confirmation) in the form's unit of
    work; a refusal is ``refused`` rendered on a fresh session with the error beside its field."""
    if web_user is None:
        return _login(back)
    p = _reader(web_user)
    try:
        with form_write(request, csrf) as s:
            url, message = step(s, p)
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return refused(s, p, form.refused(exc, {"unit_id": "form", "status": "form"}))
    return redirect_with_flash(request, url, message)


@router.post("/leahy/units", response_class=HTMLResponse)
def create_unit(
    request: Request,
    web_user: WebUserDep,
    country: Annotated[str, Form(max_length=8)] = "",
    name: Short = "",
    unit_type: Annotated[str, Form(max_length=40)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Register a foreign security-force unit."""
    form = FormState({"country": country, "name": name, "unit_type": unit_type}, name="unit")

    def step(s: Session, p: Principal) -> tuple[str, str]:
        if not country.strip():
            raise ValidationFailedError("country: name the unit's country", field="country")
        u = leahy.create_unit(
            s, actor=p, country=country, name=name, unit_type=unit_type, clock=clock_of(request)
        )
        return f"/leahy/units/{u.id}", f"Unit {u.name} registered."

    def refused(s: Session, p: Principal, f: FormState) -> Response:
        return _units_view(request, s, p, form=f, status=422)

    return _step(request, web_user, "/leahy", form, step, refused, csrf)


def _unit_view(
    request: Request,
    session: Session,
    p: Principal,
    unit_id: int,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    today = clock_of(request).today()
    u = leahy.get_unit(session, actor=p, unit_id=unit_id)
    return page(
        request,
        "leahy/unit.html",
        active="vetting",
        status=status,
        unit=schemas.unit_read(u),
        unit_label=UNIT_LABELS.get(u.unit_type, u.unit_type),
        state=leahy.status_on(session, u.id, today),
        vettings=[schemas.vetting_read(v) for v in leahy.list_vettings(session, actor=p, unit_id=u.id)],
        may_request=_may(p, "write", u.country_code),
        form=form or FormState({"requested_on": today.isoformat()}, name="request"),
        today=today,
    )


@router.get("/leahy/units/{unit_id}", response_class=HTMLResponse)
def unit(unit_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One unit: its Leahy status today, its vettings, and the request form."""
    if web_user is None:
        return _login(f"/leahy/units/{unit_id}")
    return _unit_view(request, session, _reader(web_user), unit_id)


@router.post("/leahy/units/{unit_id}/vettings", response_class=HTMLResponse)
def request_vetting(
    unit_id: int,
    request: Request,
    web_user: WebUserDep,
    requested_on: Day = "",
    purpose: Text = "",
    sources: Text = "",
    csrf: CsrfField = "",
) -> Response:
    """Open a vetting request for the unit, one source checked a line."""
    form = FormState({"requested_on": requested_on, "purpose": purpose, "sources": sources}, name="request")

    def step(s: Session, p: Principal) -> tuple[str, str]:
        day = _day(requested_on, "requested_on")
        assert day is not None
        v = leahy.request_vetting(
            s, actor=p, unit_id=unit_id, requested_on=day, purpose=purpose,
            sources_checked=sources.splitlines(), clock=clock_of(request),
        )  # fmt: skip
        return f"/leahy/vettings/{v.id}", f"Vetting {v.id} requested."

    def refused(s: Session, p: Principal, f: FormState) -> Response:
        f.errors = {("sources" if k == "sources_checked" else k): m for k, m in f.errors.items()}
        return _unit_view(request, s, p, unit_id, form=f, status=422)

    return _step(request, web_user, f"/leahy/units/{unit_id}", form, step, refused, csrf)


def _vetting_view(
    request: Request,
    session: Session,
    p: Principal,
    vetting_id: int,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    v = leahy.get_vetting(session, actor=p, vetting_id=vetting_id)
    u = leahy.get_unit(session, actor=p, unit_id=v.unit_id)
    tasks = [
        schemas.inform_read(t) for t in leahy.list_duty_to_inform(session, actor=p) if t.vetting_id == v.id
    ]
    today = clock_of(request).today()
    return page(
        request,
        "leahy/vetting.html",
        active="vetting",
        status=status,
        v=schemas.vetting_read(v),
        unit=schemas.unit_read(u),
        tasks=tasks,
        outcomes=list(OUTCOME_LABELS.items()),
        may_decide=_may(p, "approve", v.country_code) and v.status not in ("denied", "cancelled"),
        may_inform=_may(p, "write", v.country_code),
        form=form,
        today=today,
    )


@router.get("/leahy/vettings/{vetting_id}", response_class=HTMLResponse)
def vetting(vetting_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One vetting: the sources checked, the outcome and its window, duty-to-inform."""
    if web_user is None:
        return _login(f"/leahy/vettings/{vetting_id}")
    return _vetting_view(request, session, _reader(web_user), vetting_id)


@router.post("/leahy/vettings/{vetting_id}/outcome", response_class=HTMLResponse)
def outcome(
    vetting_id: int,
    request: Request,
    web_user: WebUserDep,
    result: Annotated[str, Form(alias="outcome", max_length=20)] = "",
    decided_on: Day = "",
    basis: Text = "",
    valid_until: Day = "",
    csrf: CsrfField = "",
) -> Response:
    """Decide the vetting; a denial withholds assistance and opens a duty-to-inform task."""
    values = {"outcome": result, "decided_on": decided_on, "basis": basis, "valid_until": valid_until}
    form = FormState(values, name="outcome")

    def step(s: Session, p: Principal) -> tuple[str, str]:
        day = _day(decided_on, "decided_on")
        assert day is not None
        v = leahy.record_outcome(
            s, actor=p, vetting_id=vetting_id, outcome=result, decided_on=day, basis=basis,
            valid_until=_day(valid_until, "valid_until", required=False), clock=clock_of(request),
        )  # fmt: skip
        extra = f", valid until {v.valid_until}" if v.status == "approved" else ""
        if v.status == "denied":
            extra = "; a duty-to-inform task is open"
        return f"/leahy/vettings/{v.id}", f"Vetting {v.id}: {OUTCOME_LABELS[v.status].lower()}{extra}."

    def refused(s: Session, p: Principal, f: FormState) -> Response:
        return _vetting_view(request, s, p, vetting_id, form=f, status=422)

    return _step(request, web_user, f"/leahy/vettings/{vetting_id}", form, step, refused, csrf)


@router.post("/leahy/duty-to-inform/{task_id}/complete", response_class=HTMLResponse)
def inform_done(
    task_id: int,
    request: Request,
    web_user: WebUserDep,
    completed_on: Day = "",
    note: Text = "",
    csrf: CsrfField = "",
) -> Response:
    """Record that the foreign government was informed (FAA §620M)."""
    form = FormState({"completed_on": completed_on, "note": note}, name=f"inform-{task_id}")
    if web_user is None:
        return _login("/leahy")
    with read_only(session_factory(request)) as s:
        found = [t for t in leahy.list_duty_to_inform(s, actor=_reader(web_user)) if t.id == task_id]
    if not found:
        raise NotFoundError("duty-to-inform task not found")
    vetting_id = found[0].vetting_id

    def step(s: Session, p: Principal) -> tuple[str, str]:
        day = _day(completed_on, "completed_on")
        assert day is not None
        leahy.complete_duty_to_inform(
            s, actor=p, task_id=task_id, completed_on=day, note=note, clock=clock_of(request)
        )
        return f"/leahy/vettings/{vetting_id}", "Duty to inform recorded as done."

    def refused(s: Session, p: Principal, f: FormState) -> Response:
        return _vetting_view(request, s, p, vetting_id, form=f, status=422)

    return _step(request, web_user, "/leahy", form, step, refused, csrf)
