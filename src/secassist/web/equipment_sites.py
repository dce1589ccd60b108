"""Equipment forms of a country's monitoring set-up (issue #15): its storage sites and their
physical-security inspections, its recipient units, and routine end-use checks. The form
pattern (offered only to roles that may, 403 for others, 422 with the input kept, a
confirmation after success) is :mod:`secassist.web.equipment_forms`'s."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.equipment import checks, queries, sites
from secassist.equipment.models import INSPECTION_RESULTS
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only
from secassist.vetting import leahy
from secassist.web.auth import WebUserDep, form_write, load_web_user
from secassist.web.equipment_forms import (
    WRITE,
    Day,
    Field,
    Long,
    Short,
    Spec,
    allowed,
    country_code,
    login_redirect,
    offered,
    options_of,
    required_day,
    show_form,
)
from secassist.web.forms import FORM_ERRORS, CsrfField, FormState, redirect_with_flash
from secassist.web.render import country_name
from secassist.workflows.recipient_unit import register_recipient_unit

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


# --- sites and their inspections --------------------------------------------------------


def _site_spec(code: str) -> Spec:
    return Spec(
        title=f"Register a storage site in {country_name(code)}",
        action=f"/equipment/countries/{code}/sites",
        back=f"/equipment/countries/{code}",
        back_label=country_name(code),
        button="Register the site",
        fields=(
            Field("name", "Site name (unique)", required=True),
            Field("organization", "Organization holding what is stored there", required=True),
        ),
    )


@router.get("/equipment/countries/{cc}/sites/new", response_class=HTMLResponse)
def site_form(cc: str, request: Request, web_user: WebUserDep) -> Response:
    """The form registering a storage site in a country."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}/sites/new")
    p = offered(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")
    return show_form(request, _site_spec(code), FormState())


@router.post("/equipment/countries/{cc}/sites", response_class=HTMLResponse)
def add_site(
    cc: str,
    request: Request,
    web_user: WebUserDep,
    name: Short = "",
    organization: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Register the site; on to its page."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}")
    p = allowed(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")  # another country: 404, as its pages
    form = FormState({"name": name, "organization": organization})
    try:
        with form_write(request, csrf) as s:
            row = sites.create_site(
                s, actor=p, country=code, name=name, organization=organization, clock=clock_of(request)
            )
            s.flush()
            site_id, site_name = row.id, row.name
    except FORM_ERRORS as exc:
        return show_form(request, _site_spec(code), form.refused(exc), status=422)
    return redirect_with_flash(request, f"/equipment/sites/{site_id}", f"Site {site_name} registered.")


def _inspection_spec(site_id: int, site_name: str) -> Spec:
    return Spec(
        title=f"Record a physical-security inspection: {site_name}",
        action=f"/equipment/sites/{site_id}/inspections",
        back=f"/equipment/sites/{site_id}",
        back_label=site_name,
        intro="EEUM storage sites are inspected for physical security (SAMM C8.4).",
        button="Record the inspection",
        fields=(
            Field("on", "Date of the inspection", "date", required=True),
            Field("result", "Result", "select", options=options_of(INSPECTION_RESULTS), required=True),
            Field("office", "Inspecting office", required=True),
            Field("note", "Note", "textarea"),
        ),
    )


@router.get("/equipment/sites/{site_id}/inspections/new", response_class=HTMLResponse)
def inspection_form(
    site_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """The inspection form of a site the user may see."""
    if web_user is None:
        return login_redirect(f"/equipment/sites/{site_id}/inspections/new")
    p = offered(web_user, WRITE)
    site = queries.get_site(session, actor=p, ref=site_id)
    values = {"on": clock_of(request).today().isoformat(), "result": INSPECTION_RESULTS[0]}
    return show_form(request, _inspection_spec(site.id, site.name), FormState(values))


@router.post("/equipment/sites/{site_id}/inspections", response_class=HTMLResponse)
def inspect(
    site_id: int,
    request: Request,
    web_user: WebUserDep,
    on: Day = "",
    result: Short = "",
    office: Short = "",
    note: Long = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the inspection; back to the site's page."""
    if web_user is None:
        return login_redirect(f"/equipment/sites/{site_id}")
    p = allowed(web_user, WRITE)
    form = FormState({"on": on, "result": result, "office": office, "note": note})
    try:
        day = required_day(on, "on")
        with form_write(request, csrf) as s:
            site_name = queries.get_site(s, actor=p, ref=site_id).name
            sites.inspect_site(
                s, actor=p, site=site_id, on=day, result=result, office=office, note=note or None,
                clock=clock_of(request),
            )  # fmt: skip
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            site_name = queries.get_site(s, actor=p, ref=site_id).name
        return show_form(request, _inspection_spec(site_id, site_name), form.refused(exc), status=422)
    done = f"Inspection of {site_name} on {day} recorded: {result}."
    return redirect_with_flash(request, f"/equipment/sites/{site_id}", done)


# --- recipient units and routine checks of a country ----------------------------------------


def _unit_spec(code: str, leahy_units: tuple[tuple[str, str], ...]) -> Spec:
    fields = [Field("name", "Unit name", hint="Default: the Leahy unit's name.")]
    if leahy_units:
        fields.append(
            Field("leahy_unit", "Leahy unit (vetting)", "select", options=leahy_units, blank="— none —")
        )
    return Spec(
        title=f"Register a recipient unit in {country_name(code)}",
        action=f"/equipment/countries/{code}/units",
        back=f"/equipment/countries/{code}",
        back_label=country_name(code),
        intro="The unit of the partner's forces that holds equipment, linked to the unit Leahy vetting "
        "holds for it (FAA §620M, 10 U.S.C. 362).",
        button="Register the unit",
        fields=tuple(fields),
    )


def _leahy_options(session: Session, p: Principal, code: str) -> tuple[tuple[str, str], ...]:
    """The country's Leahy units, for a role that may read vetting (else no link is offered)."""
    if "vetting:read" not in p.permissions:
        return ()
    return tuple((str(u.id), u.name) for u in leahy.list_units(session, actor=p, country=code))


@router.get("/equipment/countries/{cc}/units/new", response_class=HTMLResponse)
def unit_form(cc: str, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The form registering a recipient unit."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}/units/new")
    p = offered(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")
    return show_form(request, _unit_spec(code, _leahy_options(session, p, code)), FormState())


@router.post("/equipment/countries/{cc}/units", response_class=HTMLResponse)
def add_unit(
    cc: str,
    request: Request,
    web_user: WebUserDep,
    name: Short = "",
    leahy_unit: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Register the unit; back to the country's page."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}")
    p = allowed(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")  # another country: 404, as its pages
    form = FormState({"name": name, "leahy_unit": leahy_unit})
    try:
        link = int(leahy_unit) if leahy_unit.strip().isdigit() else None
        if leahy_unit.strip() and link is None:
            raise ValidationFailedError("leahy_unit: choose a Leahy unit from the list", field="leahy_unit")
        with form_write(request, csrf) as s:
            unit = register_recipient_unit(
                s,
                actor=p,
                country=code,
                name=name.strip() or None,
                leahy_unit_id=link,
                clock=clock_of(request),
            )
            unit_name = unit.name
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            spec = _unit_spec(code, _leahy_options(s, p, code))
        return show_form(request, spec, form.refused(exc, {"leahy_unit_id": "leahy_unit"}), status=422)
    return redirect_with_flash(request, f"/equipment/countries/{code}#units", f"Unit {unit_name} registered.")


def _check_spec(code: str) -> Spec:
    return Spec(
        title=f"Record a routine end-use check in {country_name(code)}",
        action=f"/equipment/countries/{code}/checks",
        back=f"/equipment/countries/{code}",
        back_label=country_name(code),
        intro="Routine EUM (SAMM C8.3): the security cooperation office, or U.S. personnel on its behalf, "
        "checks how the partner uses and stores what it received.",
        button="Record the check",
        fields=(
            Field("on", "Date of the check", "date", required=True),
            Field("office", "Office that did the check", required=True),
            Field("findings", "Findings (one a line; empty: nothing found)", "textarea"),
        ),
    )


@router.get("/equipment/countries/{cc}/checks/new", response_class=HTMLResponse)
def check_form(cc: str, request: Request, web_user: WebUserDep) -> Response:
    """The routine check form of a country."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}/checks/new")
    p = offered(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")
    return show_form(request, _check_spec(code), FormState({"on": clock_of(request).today().isoformat()}))


@router.post("/equipment/countries/{cc}/checks", response_class=HTMLResponse)
def add_check(
    cc: str,
    request: Request,
    web_user: WebUserDep,
    on: Day = "",
    office: Short = "",
    findings: Annotated[str, Form(max_length=20_000)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the check; back to the country's page."""
    if web_user is None:
        return login_redirect(f"/equipment/countries/{quote(cc)}")
    p = allowed(web_user, WRITE)
    code = country_code(cc)
    queries.require(p, "write", code, what="country")  # another country: 404, as its pages
    form = FormState({"on": on, "office": office, "findings": findings})
    notes = [x.strip() for x in findings.splitlines() if x.strip()]
    try:
        day = required_day(on, "on")
        with form_write(request, csrf) as s:
            checks.record_check(s, actor=p, country=code, on=day, office=office, findings=notes,
                                clock=clock_of(request))  # fmt: skip
    except FORM_ERRORS as exc:
        return show_form(request, _check_spec(code), form.refused(exc), status=422)
    found = f"{len(notes)} finding(s)" if notes else "nothing found"
    done = f"Routine check in {country_name(code)} on {day} recorded ({found})."
    return redirect_with_flash(request, f"/equipment/countries/{code}#checks", done)
