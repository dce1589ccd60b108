"""Equipment forms (issue #15, "every job on the web"): a delivery against a case line and a
custody event on an item, plus the form pattern the other equipment forms share
(:mod:`secassist.web.equipment_sites` for sites, inspections, units and routine checks;
:mod:`secassist.web.equipment_incidents` for incidents).

Each form is its own page (``equipment/form.html``, fields listed by a :class:`Spec`) and
goes through the same services and workflows as ``secassist equipment`` and
``/api/v1/equipment``: the access policy is checked again there, on the record. A form is
offered only to a role that may use it (the page answers 404 otherwise, as for a record one
may not see); a post from any other role is refused (403) before anything is read. A refused
form is shown again (422) with what was typed and the error beside its field — a custody
event the chronology forbids names its rule there — and nothing is written; a success
redirects to the page the change shows on, with a confirmation (:mod:`secassist.web.forms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.equipment import custody, queries
from secassist.equipment import service as equipment
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.reference.service import get_reference
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user
from secassist.web.forms import (
    FORM_ERRORS,
    CsrfField,
    FormState,
    redirect_with_flash,
)
from secassist.web.render import page
from secassist.workflows.deliver import deliver

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

WRITE = "equipment:write"
# Delivering against a line is the implementing agency's act (workflows/deliver.py).
DELIVER = (WRITE, "case_line:write")
Short = Annotated[str, Form(max_length=300)]
Day = Annotated[str, Form(max_length=10)]
Long = Annotated[str, Form(max_length=4000)]
EVENT_KINDS = tuple(k for k in custody.KINDS if k != "delivered")  # deliveries go against a line


@dataclass(frozen=True)
class Field:
    """One input of a form page: ``type`` is text, date, number, textarea or select."""

    name: str
    label: str
    type: str = "text"
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    blank: str = ""


@dataclass(frozen=True)
class Spec:
    """A form page: what it is for, where it posts, and where "back" leads."""

    title: str
    action: str
    back: str
    back_label: str
    fields: tuple[Field, ...]
    button: str
    intro: str = ""


def login_redirect(path: str) -> RedirectResponse:
    """To the login page, and back to ``path`` after it."""
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def may(p: Principal, *permissions: str) -> bool:
    """Whether to offer the form (the services check again, on the record)."""
    return p.org_kind is not OrgKind.auditor and all(x in p.permissions for x in permissions)


def offered(web_user: WebUser, *permissions: str) -> Principal:
    """A form page: the same 404 as a missing page for a role that may not use it."""
    p = web_user.principal
    if not may(p, *permissions):
        raise NotFoundError("page not found")
    return p


def allowed(web_user: WebUser, *permissions: str) -> Principal:
    """A form post: refused (403) for a role that may not do it, before anything is read."""
    p = web_user.principal
    if not may(p, *permissions):
        raise PermissionDeniedError("your role may not do this")
    return p


def parse_day(value: str, field: str, *, required: bool = True) -> date | None:
    """A form's date field (YYYY-MM-DD); empty is None unless ``required``."""
    text = value.strip()
    if not text:
        if required:
            raise ValidationFailedError(f"{field}: give a date (YYYY-MM-DD)", field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def required_day(value: str, field: str) -> date:
    """A required date field."""
    day = parse_day(value, field)
    assert day is not None  # required: _day raised on an empty date
    return day


def country_code(cc: str) -> str:
    """The reference code of a country in a URL; an unknown one is a 404."""
    try:
        return get_reference().country(cc).code
    except UnknownCodeError:
        raise NotFoundError("country not found") from None


def show_form(request: Request, spec: Spec, form: FormState, *, status: int = 200) -> Response:
    """The form page of ``spec`` with ``form``'s values and errors."""
    return page(request, "equipment/form.html", active="equipment", status=status, spec=spec, form=form)


def options_of(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Select options of a small enumeration, labelled in words."""
    return tuple((v, v.replace("_", " ").capitalize()) for v in values)


# --- a delivery against a case line ----------------------------------------------------


def _delivery_spec() -> Spec:
    return Spec(
        title="Deliver against a case line",
        action="/equipment/deliveries",
        back="/equipment",
        back_label="Equipment",
        intro="Serialized items by their serials, or a bulk lot (ammunition) by its quantity — not both. "
        "The case must be accepted or implemented; a line cannot be delivered beyond its quantity.",
        button="Record the delivery",
        fields=(
            Field("case", "Case (identifier, e.g. PL-D-AAA)", required=True),
            Field("line", "Line number (001)", required=True),
            Field("on", "Delivery date", "date", required=True),
            Field("site", "Receiving site (its name or number)", required=True),
            Field("serials", "Serials (spaces, commas or one a line)", "textarea"),
            Field(
                "quantity", "Or a bulk quantity (a lot)", "number", hint="Leave empty for serialized items."
            ),
            Field("lot_number", "Lot number (bulk lots)"),
            Field("item_type", "Item type", hint="Default: the line's."),
            Field("manufacturer", "Manufacturer"),
        ),
    )


@router.get("/equipment/deliveries/new", response_class=HTMLResponse)
def delivery_form(request: Request, web_user: WebUserDep, case: str = "", line: str = "") -> Response:
    """The delivery form (the implementing agency's case managers)."""
    if web_user is None:
        return login_redirect("/equipment/deliveries/new")
    offered(web_user, *DELIVER)
    values = {"case": case[:40], "line": line[:8], "on": clock_of(request).today().isoformat()}
    return show_form(request, _delivery_spec(), FormState(values))


@router.post("/equipment/deliveries", response_class=HTMLResponse)
def delivery(
    request: Request,
    web_user: WebUserDep,
    case: Short = "",
    line: Short = "",
    on: Day = "",
    site: Short = "",
    serials: Annotated[str, Form(max_length=200_000)] = "",
    quantity: Short = "",
    lot_number: Short = "",
    item_type: Short = "",
    manufacturer: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Deliver the serials (or a lot) against the line; on to the receiving site's page."""
    if web_user is None:
        return login_redirect("/equipment/deliveries/new")
    p = allowed(web_user, *DELIVER)
    form = FormState({"case": case, "line": line, "on": on, "site": site, "serials": serials,
                      "quantity": quantity, "lot_number": lot_number, "item_type": item_type,
                      "manufacturer": manufacturer})  # fmt: skip
    try:
        day = required_day(on, "on")
        names = serials.replace(",", " ").split()
        count: int | None = None
        if quantity.strip():
            try:
                count = int(quantity.strip())
            except ValueError:
                raise ValidationFailedError(
                    f"quantity: {quantity!r} is not a whole number", field="quantity"
                ) from None
        if bool(names) == (count is not None):
            raise ValidationFailedError("serials: give serials or a bulk quantity, not both", field="serials")
        with form_write(request, csrf) as s:
            d = deliver(
                s, actor=p, case_ref=case.strip(), line_no=line, on=day, site=site.strip(), serials=names,
                quantity=count, item_type=item_type.strip() or None, manufacturer=manufacturer.strip(),
                lot_number=lot_number.strip() or None, clock=clock_of(request),
            )  # fmt: skip
            site_id, site_name = d.site.id, d.site.name
            what = f"a lot of {d.lot.quantity}" if d.lot is not None else f"{len(d.items)} item(s)"
    except FORM_ERRORS as exc:
        return show_form(request, _delivery_spec(), form.refused(exc), status=422)
    done = f"Delivered {what} against {case.strip().upper()} line {line.strip().zfill(3)} to {site_name}."
    return redirect_with_flash(request, f"/equipment/sites/{site_id}", done)


# --- a custody event on an item --------------------------------------------------------


def _event_spec(serial: str) -> Spec:
    return Spec(
        title=f"Record a custody event: {serial}",
        action="/equipment/events",
        back=f"/equipment/items/{quote(serial)}",
        back_label=serial,
        intro="The chronology is checked against the item's custody chain (SAMM C8): an event before the "
        "delivery, after the item left service, or out of order is refused with its rule.",
        button="Record the event",
        fields=(
            Field("serial", "Serial", required=True),
            Field("item_type", "Item type", "hidden"),
            Field("kind", "Event", "select", options=options_of(EVENT_KINDS), required=True),
            Field("on", "Date", "date", required=True),
            Field("site", "Site (name or number)", hint="Where it is stored, or the site it goes to."),
            Field("unit", "Recipient unit (name or number)", hint="Who it is issued or loaned to."),
            Field("holder_country", "New holder country (transfers)"),
            Field("found", "Inventory result", "select", options=(("yes", "Found"), ("no", "Not found"))),
            Field("note", "Note", "textarea"),
        ),
    )


@router.get("/equipment/events/new", response_class=HTMLResponse)
def event_form(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, serial: str = "", item_type: str = ""
) -> Response:
    """The custody event form for one serial the user may see."""
    if web_user is None:
        return login_redirect(f"/equipment/events/new?serial={quote(serial)}")
    p = offered(web_user, WRITE)
    row = queries.find_item(session, actor=p, serial=serial, item_type=item_type or None)
    values = {"serial": row.serial, "item_type": row.item_type, "kind": "inventoried",
              "on": clock_of(request).today().isoformat(), "found": "yes"}  # fmt: skip
    return show_form(request, _event_spec(row.serial), FormState(values))


@router.post("/equipment/events", response_class=HTMLResponse)
def event(
    request: Request,
    web_user: WebUserDep,
    serial: Short = "",
    item_type: Short = "",
    kind: Short = "",
    on: Day = "",
    site: Short = "",
    unit: Short = "",
    holder_country: Short = "",
    found: Short = "",
    note: Long = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the event; a refusal of the chronology is shown beside its field with its rule."""
    if web_user is None:
        return login_redirect("/equipment")
    p = allowed(web_user, WRITE)
    form = FormState({"serial": serial, "item_type": item_type, "kind": kind, "on": on, "site": site,
                      "unit": unit, "holder_country": holder_country, "found": found,
                      "note": note})  # fmt: skip
    kind_ = kind.strip().lower()
    try:
        day = required_day(on, "on")
        with form_write(request, csrf) as s:
            ev = equipment.record_event(
                s, actor=p, serial=serial.strip(), kind=kind_, on=day, site=site.strip() or None,
                unit=unit.strip() or None, holder_country=holder_country.strip() or None,
                found=(found != "no") if kind_ == "inventoried" else None, note=note.strip() or None,
                item_type=item_type.strip() or None, clock=clock_of(request),
            )  # fmt: skip
            what = f"{ev.kind} on {ev.occurred_on}"
    except FORM_ERRORS as exc:
        return show_form(request, _event_spec(serial.strip() or "an item"), form.refused(exc), status=422)
    target = f"/equipment/items/{quote(serial.strip())}"
    if item_type.strip():
        target += f"?item_type={quote(item_type.strip())}"
    return redirect_with_flash(request, target, f"{serial.strip()}: {what} recorded.")
