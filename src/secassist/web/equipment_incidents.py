"""Incident forms (issue #15): record a possible end-use violation, record the date it was
reported to the offices, and close it — closing asks once, naming the incident. The form
pattern is :mod:`secassist.web.equipment_forms`'s."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import monitoring
from secassist.equipment.models import INCIDENT_KINDS, Incident
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only
from secassist.web.auth import WebUserDep, form_write, load_web_user
from secassist.web.equipment_forms import (
    WRITE,
    Day,
    Field,
    Long,
    Short,
    Spec,
    allowed,
    login_redirect,
    offered,
    options_of,
    parse_day,
    required_day,
    show_form,
)
from secassist.web.forms import (
    FORM_ERRORS,
    ConfirmField,
    CsrfField,
    FormState,
    confirmation,
    is_confirmed,
    redirect_with_flash,
)
from secassist.web.render import country_name, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


# --- incidents ------------------------------------------------------------------------------


def _incident_spec() -> Spec:
    return Spec(
        title="Record a possible end-use violation",
        action="/equipment/incidents",
        back="/equipment/incidents",
        back_label="Incidents",
        intro="Loss, theft, unauthorized access, use or transfer (SAMM C8.6): the report deadline and the "
        "offices to be told follow from the catalog.",
        button="Record the incident",
        fields=(
            Field("country", "Country (ISO alpha-2)", required=True),
            Field("kind", "Kind", "select", options=options_of(INCIDENT_KINDS), required=True),
            Field("discovered_on", "Discovered on", "date", required=True),
            Field("occurred_on", "Occurred on (if known)", "date"),
            Field("serial", "Serial (if one item)"),
            Field("site", "Site (name or number)"),
            Field("description", "What happened", "textarea", required=True),
        ),
    )


@router.get("/equipment/incidents/new", response_class=HTMLResponse)
def incident_form(request: Request, web_user: WebUserDep, country: str = "") -> Response:
    """The incident form."""
    if web_user is None:
        return login_redirect("/equipment/incidents/new")
    p = offered(web_user, WRITE)
    values = {"country": (country or p.country or "")[:2].upper(),
              "discovered_on": clock_of(request).today().isoformat()}  # fmt: skip
    return show_form(request, _incident_spec(), FormState(values))


@router.post("/equipment/incidents", response_class=HTMLResponse)
def add_incident(
    request: Request,
    web_user: WebUserDep,
    country: Short = "",
    kind: Short = "",
    discovered_on: Day = "",
    occurred_on: Day = "",
    serial: Short = "",
    site: Short = "",
    description: Long = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the incident; on to the country's incidents."""
    if web_user is None:
        return login_redirect("/equipment/incidents/new")
    p = allowed(web_user, WRITE)
    form = FormState({"country": country, "kind": kind, "discovered_on": discovered_on,
                      "occurred_on": occurred_on, "serial": serial, "site": site,
                      "description": description})  # fmt: skip
    try:
        found = required_day(discovered_on, "discovered_on")
        happened = parse_day(occurred_on, "occurred_on", required=False)
        if not country.strip():
            raise ValidationFailedError("country: name the country", field="country")
        with form_write(request, csrf) as s:
            row = monitoring.record_incident(
                s, actor=p, country=country.strip(), kind=kind.strip().lower(), discovered_on=found,
                description=description, serial=serial.strip() or None, site=site.strip() or None,
                occurred_on=happened, clock=clock_of(request),
            )  # fmt: skip
            s.flush()
            number, code, due = row.id, row.country_code, row.report_due_on
    except FORM_ERRORS as exc:
        return show_form(request, _incident_spec(), form.refused(exc), status=422)
    done = f"Incident {number} recorded; report it to the offices by {due}."
    return redirect_with_flash(request, f"/equipment/incidents?country={code}", done)


STEPS = {"report": "Record the date it was reported", "close": "Close the incident"}


def _incident(session: Session, p: Principal, incident_id: int) -> Incident:
    """An incident the user may see (the same 404 otherwise)."""
    rows = [r for r in monitoring.list_incidents(session, actor=p) if r.id == incident_id]
    if not rows:
        raise NotFoundError(f"incident {incident_id} not found")
    return rows[0]


def _step_spec(row: Incident, step: str) -> Spec:
    what = f"incident {row.id}: {row.kind.replace('_', ' ')} in {country_name(row.country_code)}"
    return Spec(
        title=f"{STEPS[step]} — {what}",
        action=f"/equipment/incidents/{row.id}/{step}",
        back=f"/equipment/incidents?country={row.country_code}",
        back_label="Incidents",
        intro=row.description,
        button=STEPS[step],
        fields=(Field("on", "Date", "date", required=True),),
    )


@router.get("/equipment/incidents/{incident_id}/{step}", response_class=HTMLResponse)
def incident_step_form(
    incident_id: int, step: str, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """The date form of an incident's report or closing."""
    if web_user is None:
        return login_redirect(f"/equipment/incidents/{incident_id}/{quote(step)}")
    p = offered(web_user, WRITE)
    if step not in STEPS:
        raise NotFoundError("page not found")
    row = _incident(session, p, incident_id)
    return show_form(request, _step_spec(row, step), FormState({"on": clock_of(request).today().isoformat()}))


@router.post("/equipment/incidents/{incident_id}/{step}", response_class=HTMLResponse)
def incident_step(
    incident_id: int,
    step: str,
    request: Request,
    web_user: WebUserDep,
    on: Day = "",
    confirmed: ConfirmField = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the report date, or close the incident — which asks once, naming the incident."""
    if web_user is None:
        return login_redirect("/equipment/incidents")
    p = allowed(web_user, WRITE)
    if step not in STEPS:
        raise NotFoundError("page not found")
    with read_only(session_factory(request)) as s:
        row = _incident(s, p, incident_id)
        spec, code = _step_spec(row, step), row.country_code
        kind, discovered, description = row.kind, row.discovered_on, row.description
    form = FormState({"on": on})
    try:
        day = required_day(on, "on")
        if step == "close" and not is_confirmed(
            request, f"incident:{incident_id}:close", form.values, confirmed
        ):
            if day < discovered:  # the service's rule, shown before the question
                raise ValidationFailedError("on: before the incident was discovered", field="on")
            ask = confirmation(
                request, action=f"incident:{incident_id}:close", values=form.values, url=spec.action,
                summary=f"Close incident {incident_id} on {day}", cancel=spec.back, button="Close it",
                details=(("Kind", kind.replace("_", " ")), ("Country", country_name(code)),
                         ("Discovered", str(discovered)), ("Description", description)),
                warning="A closed incident no longer counts as open in the country's monitoring.",
            )  # fmt: skip
            return page(request, "confirm.html", active="equipment", confirm=ask)
        with form_write(request, csrf) as s:
            if step == "close":
                monitoring.close_incident(
                    s, actor=p, incident_id=incident_id, on=day, clock=clock_of(request)
                )
            else:
                monitoring.report_incident(
                    s, actor=p, incident_id=incident_id, on=day, clock=clock_of(request)
                )
    except FORM_ERRORS as exc:
        return show_form(request, spec, form.refused(exc), status=422)
    done = (
        f"Incident {incident_id} closed on {day}."
        if step == "close"
        else f"Incident {incident_id} reported on {day}."
    )
    return redirect_with_flash(request, f"/equipment/incidents?country={code}", done)
