"""Case pages and forms: the case list with filters; Letter of Request intake with the
completeness check as a checklist, corrections and opening a case from it; a case's detail
(lines, values, timeline, offer gates, amendments) with the forms that move it along —
lines added and edited, amendments and modifications, and the lifecycle's next steps
(forward first; the purchaser's acceptance of the offer).

Logged-in users only; what each sees is scoped exactly as in the API (a case outside one's
scope is a 404 page). Every form goes through the service the CLI and the API call, in one
unit of work (:func:`secassist.web.auth.form_write`, which checks the CSRF token). A form
the rules refuse is shown again (422) with what was typed and the error beside its field; a
stale case version answers 409 the same way; a success redirects to the resulting page with
a confirmation. A form is offered only to a role that may use it, and the service refuses
the others (403). Cancelling a case asks once.

What a viewer sees of the U.S.-internal reasons behind the offer gates follows the access
policy: a gate's reason is shown only to a viewer who may read the record it rests on
(the vetting decision, the notification, the funds) — :func:`secassist.workflows.offer.gates_as_seen`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.cases import amendments, lors, metrics, present, queries, service
from secassist.cases.catalog import get_catalog
from secassist.cases.common import DEVELOPER_KINDS, PURCHASER_KINDS, get_case, resolve_line
from secassist.cases.errors import CaseVersionConflictError, OfferBlockedError
from secassist.cases.lifecycle import AMENDABLE, EDITABLE, LABELS, MAIN_LINE, PURCHASER_MAY, Status
from secassist.cases.lines import parse_quantity
from secassist.cases.models import FINANCING, LOA_TYPES, REQUEST_TYPES
from secassist.cases.schemas import CaseRead, EventRead, LorRead, NewLine
from secassist.core.errors import NotFoundError, PermissionDeniedError, SecassistError, ValidationFailedError
from secassist.equipment import queries as equipment_queries
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity import queries as identity_queries
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, Resource, allowed, visible
from secassist.notification import queries as notification_queries
from secassist.programs import queries as program_queries
from secassist.reference.service import get_reference
from secassist.reports import listing, lists
from secassist.storage.uow import read_only
from secassist.vetting import service as vetting_service
from secassist.web.auth import WebUser, WebUserDep, load_web_user, require_csrf
from secassist.web.auth import form_write as _form_write
from secassist.web.forms import (
    FORM_ERRORS,
    ConfirmField,
    CsrfField,
    FormState,
    confirmation,
    is_confirmed,
    redirect_with_flash,
)
from secassist.web.render import page
from secassist.workflows import offer as offer_workflow
from secassist.workflows.vetting_case import case_reference

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]
# What a refused form shows beside its field. A permission refusal that names a field is a
# duty another person holds (a sign-off by the office, the purchaser's acceptance): shown
# beside that field too. Any other refusal of permission is the 403 page.
REFUSALS: tuple[type[SecassistError], ...] = (*FORM_ERRORS, OfferBlockedError, PermissionDeniedError)
# The record each offer gate rests on, as the access policy names it.


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _day(value: str | None, field: str, *, required: bool = False) -> date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailedError(f"{field}: give a date (YYYY-MM-DD)", field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _shown_beside(exc: SecassistError) -> bool:
    return not isinstance(exc, PermissionDeniedError) or bool(exc.detail.get("field"))


def _status(exc: SecassistError) -> int:
    """409 for a change someone else made first (reload and retry); 422 for refused input."""
    return 409 if isinstance(exc, CaseVersionConflictError) else 422


def _lines_text(value: str, field: str, what: str) -> dict[str, str]:
    """``LINE=VALUE`` one a line (the CLI's ``--quantity 001=5``), as a mapping."""
    out: dict[str, str] = {}
    for raw in value.splitlines():
        if not raw.strip():
            continue
        key, sep, val = raw.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ValidationFailedError(f"{field}: {raw.strip()!r} is not LINE={what}", field=field)
        out[key.strip()] = val.strip()
    return out


# --- who may do what (the services check again, on the record) --------------------------------


def may_write(p: Principal) -> bool:
    return "case:write" in p.permissions and p.org_kind is not OrgKind.auditor


def is_developer(p: Principal) -> bool:
    """Case development is the U.S. Government's (``cases.common.require_developer``)."""
    return may_write(p) and p.org_kind in DEVELOPER_KINDS


def may_edit_lines(p: Principal) -> bool:
    return is_developer(p) and "case_line:write" in p.permissions


def may_accept_amendment(p: Principal) -> bool:
    return may_write(p) and p.org_kind in (OrgKind.partner, OrgKind.dod, OrgKind.state)


def moves(case: CaseRead, p: Principal) -> list[str]:
    """The statuses this user may move the case to, in the lifecycle's order: forward along
    the main line first, then back a step, then the side exits (cancellation last)."""
    if not may_write(p):
        return []
    allowed = [Status(s) for s in case.next_statuses]
    if p.org_kind in PURCHASER_KINDS:
        allowed = [s for s in allowed if s in PURCHASER_MAY]
    here = Status(case.status)
    at = MAIN_LINE.index(here) if here in MAIN_LINE else MAIN_LINE.index(Status.offered) - 1

    def rank(s: Status) -> tuple[int, int]:
        if s is Status.cancelled:
            return (3, 0)
        if s in MAIN_LINE:
            i = MAIN_LINE.index(s)
            return (0, i) if i > at else (1, -i)
        return (2, list(Status).index(s))

    return [s.value for s in sorted(allowed, key=rank)]


def event_detail(e: EventRead, internal: bool) -> str:
    """An event's note; the offer's note carries the gates' reasons as evidence, which a
    viewer who may not read them does not see."""
    detail = e.detail or ""
    if internal or e.to_status != Status.offered.value or "gates:" not in detail:
        return detail
    kept = detail.split("gates:", 1)[0].rstrip(" —")
    return (kept + " — " if kept else "") + "offer gates: U.S. Government internal"


# --- the list ---------------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    status: str | None = None,
    country: str | None = None,
    agency: str | None = None,
    financing: str | None = None,
    q: str | None = None,
) -> Response:
    """The cases the user may see, filtered by status, purchaser, agency and financing."""
    if web_user is None:
        return _login(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    filters = {"status": status or None, "country": country or None, "agency": agency or None,
               "financing": financing or None, "q": q or None}  # fmt: skip
    view = listing.view(lists.CASES, session, web_user.principal, request.query_params)
    ref = get_reference()
    return page(
        request,
        "cases.html",
        active="cases",
        view=view,
        rows=view.rows,
        total=view.total,
        filters=filters,
        statuses=[(s.value, LABELS[s]) for s in Status],
        financings=FINANCING,
        agencies=[a for a in ref.implementing_agencies() if a.code],
        labels={s.value: LABELS[s] for s in Status},
        may_intake=may_write(web_user.principal),
    )


# --- Letters of Request -----------------------------------------------------------------------

# The completeness check (``lors.lor_missing``, SAMM C5.1) as the checklist shows it.
CHECKLIST = (
    ("reference_number", "A reference number the purchaser can trace"),
    ("articles_services", "The articles and services, in enough detail to price"),
    ("end_users", "The end users"),
    ("desired_value", "The desired case value (a blanket-order request)"),
)
LOR_ALIASES = {"purchaser": "purchaser", "lor_ref": "reference_number"}


def _checklist(lor: LorRead) -> list[tuple[str, str, bool | None]]:
    """(field, label, done) for each item; ``None`` when the item does not apply."""
    out: list[tuple[str, str, bool | None]] = []
    for field, label in CHECKLIST:
        if field == "desired_value" and lor.loa_type != "blanket_order":
            out.append((field, label, None))
        else:
            out.append((field, label, field not in lor.missing))
    return out


def _lor_form_page(request: Request, p: Principal, form: FormState, status: int = 200) -> Response:
    ref = get_reference()
    return page(
        request,
        "cases/lor_new.html",
        active="cases",
        status=status,
        form=form,
        purchaser_fixed=p.country if p.org_kind in PURCHASER_KINDS else None,
        countries=[(c.code, f"{c.name} ({c.code})") for c in ref.countries()],
        request_types=REQUEST_TYPES,
        financings=FINANCING,
        loa_types=LOA_TYPES,
    )


@router.get("/lors", response_class=HTMLResponse)
def lor_list(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The Letters of Request the user may see, those awaiting a case first."""
    if web_user is None:
        return _login("/lors")
    p = web_user.principal
    rows = lors.list_lors(session, actor=p)
    return page(
        request,
        "cases/lors.html",
        active="cases",
        rows=sorted([(present.lor_read(lor), ident) for lor, ident in rows], key=lambda r: r[1] is not None),
        may_intake=may_write(p),
    )


@router.get("/lors/new", response_class=HTMLResponse)
def lor_new(request: Request, web_user: WebUserDep) -> Response:
    """The intake form: a Letter of Request as received (it may still be incomplete)."""
    if web_user is None:
        return _login("/lors/new")
    p = web_user.principal
    if not may_write(p):
        raise PermissionDeniedError(f"{p.username} may not record Letters of Request")
    values = {"received_on": clock_of(request).today().isoformat(), "request_type": "loa",
              "financing": "national", "purchaser": p.country or ""}  # fmt: skip
    return _lor_form_page(request, p, FormState(values))


@router.post("/lors/new", response_class=HTMLResponse)
def lor_receive(
    request: Request,
    web_user: WebUserDep,
    purchaser: Short = "",
    request_type: Short = "",
    financing: Short = "",
    received_on: Short = "",
    reference_number: Short = "",
    articles_services: Text = "",
    end_users: Text = "",
    loa_type: Short = "",
    desired_value: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the LOR (``lors.receive_lor``); then its page with the checklist."""
    if web_user is None:
        return _login("/lors/new")
    p = web_user.principal
    form = FormState({"purchaser": purchaser, "request_type": request_type, "financing": financing,
                      "received_on": received_on, "reference_number": reference_number,
                      "articles_services": articles_services, "end_users": end_users,
                      "loa_type": loa_type, "desired_value": desired_value})  # fmt: skip
    try:
        day = _day(received_on, "received_on", required=True)
        assert day is not None
        if not purchaser.strip():
            raise ValidationFailedError(
                "purchaser: name the purchaser (country or NATO body)", field="purchaser"
            )
        with _form_write(request, csrf) as s:
            lor = lors.receive_lor(
                s, actor=p, purchaser=purchaser, request_type=request_type, financing=financing,
                received_on=day, reference_number=reference_number, articles_services=articles_services,
                end_users=end_users.splitlines(), loa_type=loa_type or None,
                desired_value=desired_value or None, clock=clock_of(request),
            )  # fmt: skip
            lid, missing = lor.id, lors.lor_missing(lor)
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        return _lor_form_page(request, p, form.refused(exc, LOR_ALIASES), status=422)
    note = f"still missing: {', '.join(missing)}" if missing else "it is complete"
    return redirect_with_flash(request, f"/lors/{lid}", f"Letter of Request {lid} received; {note}.")


def _lor_page(
    request: Request,
    session: Session,
    p: Principal,
    lor_id: int,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    lor = lors.get_lor(session, actor=p, lor_id=lor_id)
    read = present.lor_read(lor)
    case_ident = lors.case_of_lor(session, lor)
    values = {"reference_number": read.reference_number, "articles_services": read.articles_services,
              "end_users": "\n".join(read.end_users), "loa_type": read.loa_type or "",
              "desired_value": "" if read.desired_value is None else str(read.desired_value)}  # fmt: skip
    edit = form if form is not None and form.name == "edit" else FormState(values, name="edit")
    open_form = (
        form
        if form is not None and form.name == "open"
        else FormState({"loa_type": read.loa_type or "defined_order"}, name="open")
    )
    return page(
        request,
        "cases/lor.html",
        active="cases",
        status=status,
        lor=read,
        checklist=_checklist(read),
        case_ident=case_ident,
        edit=edit,
        open=open_form,
        may_edit=may_write(p) and read.complete_on is None,
        may_open=is_developer(p) and case_ident is None and read.request_type != "pa",
        loa_types=LOA_TYPES,
        agencies=[
            (a.code, f"{a.name} ({a.code})") for a in get_reference().implementing_agencies() if a.code
        ],
        aod_groups=[(g.code, g.code) for g in get_catalog().aod_groups.values()],
    )


@router.get("/lors/{lor_id}", response_class=HTMLResponse)
def lor_page(lor_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One LOR: the completeness checklist, corrections, and opening its case."""
    if web_user is None:
        return _login(f"/lors/{lor_id}")
    return _lor_page(request, session, web_user.principal, lor_id)


def _lor_refused(
    request: Request, p: Principal, lor_id: int, form: FormState, exc: SecassistError
) -> Response:
    if not _shown_beside(exc):
        raise exc
    with read_only(session_factory(request)) as s:
        return _lor_page(request, s, p, lor_id, form=form.refused(exc, LOR_ALIASES), status=_status(exc))


@router.post("/lors/{lor_id}", response_class=HTMLResponse)
def lor_update(
    lor_id: int,
    request: Request,
    web_user: WebUserDep,
    reference_number: Short = "",
    articles_services: Text = "",
    end_users: Text = "",
    loa_type: Short = "",
    desired_value: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Fill in or correct the LOR before it is complete (``lors.update_lor``)."""
    if web_user is None:
        return _login(f"/lors/{lor_id}")
    p = web_user.principal
    form = FormState({"reference_number": reference_number, "articles_services": articles_services,
                      "end_users": end_users, "loa_type": loa_type, "desired_value": desired_value},
                     name="edit")  # fmt: skip
    try:
        with _form_write(request, csrf) as s:
            lor = lors.update_lor(
                s, actor=p, lor_id=lor_id, reference_number=reference_number,
                articles_services=articles_services, end_users=end_users.splitlines(),
                loa_type=loa_type or None, desired_value=desired_value or None, clock=clock_of(request),
            )  # fmt: skip
            missing = lors.lor_missing(lor)
    except REFUSALS as exc:
        return _lor_refused(request, p, lor_id, form, exc)
    note = f"still missing: {', '.join(missing)}" if missing else "nothing is missing"
    return redirect_with_flash(request, f"/lors/{lor_id}", f"Letter of Request updated; {note}.")


@router.post("/lors/{lor_id}/case", response_class=HTMLResponse)
def lor_open_case(
    lor_id: int,
    request: Request,
    web_user: WebUserDep,
    implementing_agency: Short = "",
    loa_type: Short = "",
    title: Short = "",
    designator: Short = "",
    aod_group: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Open a case for the LOR (``service.create_case``); then the case's page."""
    if web_user is None:
        return _login(f"/lors/{lor_id}")
    p = web_user.principal
    form = FormState({"implementing_agency": implementing_agency, "loa_type": loa_type, "title": title,
                      "designator": designator, "aod_group": aod_group}, name="open")  # fmt: skip
    try:
        with _form_write(request, csrf) as s:
            case = service.create_case(
                s, actor=p, lor_id=lor_id, implementing_agency=implementing_agency, loa_type=loa_type,
                title=title, designator=designator or None, aod_group=aod_group or None,
                clock=clock_of(request),
            )  # fmt: skip
            ident = case.identifier
    except REFUSALS as exc:
        return _lor_refused(request, p, lor_id, form, exc)
    return redirect_with_flash(
        request, f"/cases/{ident}", f"Case {ident} opened for Letter of Request {lor_id}."
    )


# --- one case ---------------------------------------------------------------------------------


def _case_view(
    request: Request,
    session: Session,
    p: Principal,
    ref: str,
    *,
    as_of: date | None = None,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    today = clock_of(request).today()
    day = as_of or today
    detail = queries.case_detail(session, actor=p, ref=ref)
    case = present.case_read(detail)
    results = offer_workflow.gates_for(session, actor=p, case_id=case.id, on=day)
    events_then = [e for e in detail.events if e.occurred_on <= day]
    internal = visible(p, Resource("vetting", country=case.country))
    current = Status(case.status)
    contractors = (
        [(str(o.id), o.name) for o in identity_queries.list_organizations(session, actor=p, kind="industry")]
        if is_developer(p)  # a line added directly or by an amendment names its contractor
        else []
    )
    return page(
        request,
        "cases/case.html",
        active="cases",
        status=status,
        case=case,
        timeline=present.timeline_read(detail.case, detail.lor, events_then, day),
        gates=offer_workflow.gates_as_seen(p, case.country, results),
        as_of=day,
        labels={s.value: LABELS[s] for s in Status},
        moves=moves(case, p),
        is_purchaser=p.org_kind is OrgKind.partner,
        may_lines=may_edit_lines(p) and current in EDITABLE,
        may_amend=is_developer(p) and current in AMENDABLE,
        modification_reasons=list(amendments.MODIFICATION_REASONS.items()),
        may_accept_amendment=may_accept_amendment(p) and current in AMENDABLE,
        may_vet="vetting:write" in p.permissions and p.org_kind is not OrgKind.auditor,
        item_types=[(i.code, i.title) for i in get_catalog().item_types.values()],
        contractors=contractors,
        events=[(e, event_detail(e, internal)) for e in case.events],
        form=form,
        today=today,
        dwell=metrics.timeline(events_then, day),
        **chain(session, p, case.id, case.country),
    )


def chain(session: Session, p: Principal, case_id: int, country: str | None) -> dict[str, Any]:
    """The rest of the case's chain, each part only as far as the user's role and the
    policy let it see (every read is the domain's scoped query): the vetting decision,
    the notification, the funding entries, and the delivered items with their holders."""
    out: dict[str, Any] = {"vetting": None, "notice": None, "funding": None, "items": None}
    if allowed(p, "read", Resource("vetting", country=country)):
        out["vetting"] = vetting_service.current_decision(session, reference=case_reference(case_id))
    found = notification_queries.for_case(session, case_id)
    if found is not None and "notification:read" in p.permissions:
        with suppress(NotFoundError):  # not yet formally notified: invisible to this role
            out["notice"] = notification_queries.get_notification(session, actor=p, notification_id=found.id)
    if "program:read" in p.permissions:
        out["funding"] = program_queries.list_entries(session, actor=p, case_id=case_id, limit=200)
    if "equipment:read" in p.permissions:
        out["items"] = equipment_queries.list_items(session, actor=p, case_id=case_id)
    return out


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_page(
    ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep, as_of: str | None = None
) -> Response:
    """One case: values, lines, timeline as of a date, offer gates, amendments, history, and
    the forms this user may use."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}")
    return _case_view(request, session, web_user.principal, ref, as_of=_day(as_of, "as_of"))


def _case_step(
    request: Request,
    web_user: WebUser | None,
    ref: str,
    form: FormState,
    step: Callable[[Session, Principal], str],
    csrf: str,
    *,
    aliases: dict[str, str] | None = None,
) -> Response:
    """Run ``step`` (which returns the confirmation) in the form's unit of work; a refusal
    shows the case's page again, read on a fresh session after the rollback, with the
    form's input and the error beside its field."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}")
    p = web_user.principal
    try:
        with _form_write(request, csrf) as s:
            case = service.resolve_case(s, actor=p, ref=ref)
            ident = case.identifier
            message = step(s, p)
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        with read_only(session_factory(request)) as s:
            return _case_view(request, s, p, ref, form=form.refused(exc, aliases), status=_status(exc))
    return redirect_with_flash(request, f"/cases/{ident}", message)


ADVANCE_ALIASES = {"gates": "to", "status": "to", "version": "form", "case": "form"}


@router.post("/cases/{ref}/advance", response_class=HTMLResponse)
def advance(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    to: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
    csrf: CsrfField = "",
    offer_expires_on: Annotated[str, Form(max_length=10)] = "",
    initial_deposit: Annotated[str, Form(max_length=30)] = "",
    acceptance_document: Short = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Move the case (offering runs the offer gates; a blocked gate's reason is shown beside
    the status); cancelling asks once. Acceptance is the purchaser's, or an implementing
    agency's on its behalf naming the signed LOA (``service.check_acceptance``): who may
    not is told beside the status, a missing document beside its field."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}")
    p, clock = web_user.principal, clock_of(request)
    values = {"to": to, "version": version, "offer_expires_on": offer_expires_on,
              "initial_deposit": initial_deposit, "acceptance_document": acceptance_document,
              "note": note}  # fmt: skip
    form = FormState(values, name="advance")
    try:
        expected = int(version) if version.strip() else None
        oed = _day(offer_expires_on, "offer_expires_on")
    except (ValueError, ValidationFailedError) as exc:
        err = (
            exc if isinstance(exc, ValidationFailedError) else ValidationFailedError("version: not a number")
        )
        with read_only(session_factory(request)) as s:
            return _case_view(request, s, p, ref, form=form.refused(err, ADVANCE_ALIASES), status=422)
    if to == Status.cancelled.value and not is_confirmed(request, "case-cancel", values, confirmed):
        require_csrf(request, csrf)  # the confirmation page is only for this site's own form
        try:
            with read_only(session_factory(request)) as s:
                case = service.resolve_case(s, actor=p, ref=ref)
                service.check_advance(
                    s, actor=p, case_id=case.id, to=to, expected_version=expected, clock=clock
                )
                ident, title = case.identifier, case.title
        except REFUSALS as exc:
            if not _shown_beside(exc):
                raise
            with read_only(session_factory(request)) as s:
                return _case_view(
                    request, s, p, ref, form=form.refused(exc, ADVANCE_ALIASES), status=_status(exc)
                )
        ask = confirmation(
            request, action="case-cancel", url=f"/cases/{ident}/advance", values=values,
            summary=f"Cancel case {ident} ({title})", cancel=f"/cases/{ident}", button="Cancel the case",
            warning="A cancelled case cannot be reopened; a new Letter of Request starts again.",
        )  # fmt: skip
        return page(request, "confirm.html", active="cases", confirm=ask)

    def step(s: Session, actor: Principal) -> str:
        case = service.resolve_case(s, actor=actor, ref=ref)
        if to == Status.offered.value:
            done, _ = offer_workflow.offer_case(
                s, actor=actor, case_id=case.id, offer_expires_on=oed, expected_version=expected,
                note=note or None, clock=clock,
            )  # fmt: skip
        else:
            done = service.advance(
                s, actor=actor, case_id=case.id, to=to, expected_version=expected,
                initial_deposit=initial_deposit or None, note=note or None,
                acceptance_document=acceptance_document or None, clock=clock,
            )  # fmt: skip
        return f"Case {done.identifier} is now {LABELS[Status(done.status)]}."

    return _case_step(request, web_user, ref, form, step, csrf, aliases=ADVANCE_ALIASES)


LINE_ALIASES = {"contractor_org_id": "contractor", "case": "form", "version": "form"}


def _flag(value: str) -> bool:
    return value in ("on", "yes", "true", "1")


@router.post("/cases/{ref}/lines", response_class=HTMLResponse)
def add_line(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    item_type: Short = "",
    description: Text = "",
    quantity: Short = "",
    unit_cost: Short = "",
    usml_category: Short = "",
    contractor: Short = "",
    mde: Short = "",
    sme: Short = "",
    eeum: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Add a line while the case is in development (``service.add_line``)."""
    form = FormState({"item_type": item_type, "description": description, "quantity": quantity,
                      "unit_cost": unit_cost, "usml_category": usml_category, "contractor": contractor,
                      "mde": mde, "sme": sme, "eeum": eeum}, name="line")  # fmt: skip

    def step(s: Session, actor: Principal) -> str:
        case = service.resolve_case(s, actor=actor, ref=ref)
        line = service.add_line(
            s, actor=actor, case_id=case.id, expected_version=_version(version), item_type=item_type,
            description=description, quantity=quantity, unit_cost=unit_cost,
            usml_category=usml_category or None, mde=_flag(mde), sme=_flag(sme), eeum=_flag(eeum),
            contractor_org_id=_org_id(contractor), clock=clock_of(request),
        )  # fmt: skip
        return f"Line {line.number} added: ${line.value:,.2f}."

    return _case_step(request, web_user, ref, form, step, csrf, aliases=LINE_ALIASES)


def _version(value: str) -> int | None:
    try:
        return int(value) if value.strip() else None
    except ValueError:
        raise ValidationFailedError("version: not a number; reload the page", field="version") from None


def _org_id(value: str) -> int | None:
    try:
        return int(value) if value.strip() else None
    except ValueError:
        raise ValidationFailedError(
            f"contractor: {value!r} is not an organization", field="contractor"
        ) from None


def _line_view(
    request: Request,
    session: Session,
    p: Principal,
    ref: str,
    number: str,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    line = resolve_line(session, actor=p, ref=ref, number=number)
    case = present.case_read(queries.case_detail(session, actor=p, ref=ref))
    read = next(ln for ln in case.lines if ln.id == line.id)
    values = {"quantity": str(read.quantity), "unit_cost": str(read.unit_cost),
              "description": read.description, "contractor": str(read.contractor_org_id or "")}  # fmt: skip
    editable = may_edit_lines(p) and Status(case.status) in EDITABLE
    return page(
        request,
        "cases/line.html",
        active="cases",
        status=status,
        case=case,
        line=read,
        form=form if form and form.name == "line" else FormState(values, name="line"),
        complete_form=form if form and form.name == "complete" else None,
        may_complete=may_edit_lines(p) and case.status == Status.implemented.value and read.status != "ssc",
        today=clock_of(request).today(),
        may_edit=editable,
        contractors=[
            (str(o.id), o.name)
            for o in identity_queries.list_organizations(session, actor=p, kind="industry")
        ]
        if editable
        else [],
    )


@router.get("/cases/{ref}/lines/{number}", response_class=HTMLResponse)
def line_page(
    ref: str, number: str, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """One line, with its edit form before the offer."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}/lines/{quote(number)}")
    return _line_view(request, session, web_user.principal, ref, number)


@router.post("/cases/{ref}/lines/{number}", response_class=HTMLResponse)
def update_line(
    ref: str,
    number: str,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    quantity: Short = "",
    unit_cost: Short = "",
    description: Text = "",
    contractor: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Change a line's quantity, unit cost, description or contractor (``service.update_line``)."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}/lines/{quote(number)}")
    p = web_user.principal
    form = FormState({"quantity": quantity, "unit_cost": unit_cost, "description": description,
                      "contractor": contractor}, name="line")  # fmt: skip
    try:
        with _form_write(request, csrf) as s:
            line = resolve_line(s, actor=p, ref=ref, number=number)
            case = get_case(s, actor=p, case_id=line.case_id)
            ident = case.identifier
            changed = service.update_line(
                s, actor=p, case_id=case.id, line_id=line.id, expected_version=_version(version),
                quantity=quantity or None, unit_cost=unit_cost or None, description=description or None,
                contractor_org_id=_org_id(contractor), clock=clock_of(request),
            )  # fmt: skip
            msg = f"Line {changed.number} updated: ${changed.value:,.2f}."
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        with read_only(session_factory(request)) as s:
            return _line_view(
                request, s, p, ref, number, form=form.refused(exc, LINE_ALIASES), status=_status(exc)
            )
    return redirect_with_flash(request, f"/cases/{ident}#lines", msg)


# A new line's fields on the amendment form carry a ``new_`` prefix, beside the amendment's own.
NEW_LINE_ALIASES = {
    "quantity_changes": "quantities", "changes": "quantities", "version": "form", "case": "form",
    "new_lines": "new_description", "item_type": "new_item_type", "quantity": "new_quantity",
    "unit_cost": "new_unit_cost", "usml_category": "new_usml_category", "sme": "new_sme",
    "mde": "new_mde", "contractor_org_id": "new_contractor",
}  # fmt: skip


def _quantities(value: str) -> dict[str, str]:
    """The amendment's ``LINE=QUANTITY`` box, each quantity checked here so that an error
    lands beside the box, not beside the new line's quantity."""
    out = _lines_text(value, "quantities", "QUANTITY")
    for number, qty in out.items():
        try:
            parse_quantity(qty, allow_zero=True)
        except ValidationFailedError as exc:
            raise ValidationFailedError(
                f"quantities: line {number}: {exc.message}", field="quantities"
            ) from None
    return out


@router.post("/cases/{ref}/lines/{number}/complete", response_class=HTMLResponse)
def complete_line(
    ref: str,
    number: str,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Mark a line supply/services complete (delivered in full) on an implemented case; the
    last open line makes the case SSC in the same change (``service.complete_line``,
    SAMM C6 [S16])."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}/lines/{quote(number)}")
    p = web_user.principal
    form = FormState({"on": on}, name="complete")
    try:
        with _form_write(request, csrf) as s:
            line = resolve_line(s, actor=p, ref=ref, number=number)
            case = get_case(s, actor=p, case_id=line.case_id)
            ident = case.identifier
            done = service.complete_line(
                s, actor=p, case_id=case.id, line_id=line.id, on=_day(on, "on"),
                expected_version=_version(version), clock=clock_of(request),
            )  # fmt: skip
            msg = f"Line {done.number} is supply/services complete as of {done.ssc_on}."
            if case.status == Status.supply_services_complete.value:
                msg += (
                    f" Every line is complete: case {ident} is now {LABELS[Status.supply_services_complete]}."
                )
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        aliases = {"status": "on", "line_id": "on", "version": "on", "case": "on"}
        with read_only(session_factory(request)) as s:
            return _line_view(
                request, s, p, ref, number, form=form.refused(exc, aliases), status=_status(exc)
            )
    return redirect_with_flash(request, f"/cases/{ident}#lines", msg)


@router.post("/cases/{ref}/amendments", response_class=HTMLResponse)
def propose_amendment(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    description: Text = "",
    quantities: Text = "",
    new_item_type: Short = "",
    new_description: Text = "",
    new_quantity: Short = "",
    new_unit_cost: Short = "",
    new_usml_category: Short = "",
    new_contractor: Short = "",
    new_mde: Short = "",
    new_sme: Short = "",
    new_eeum: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """Propose an amendment (a change of scope, SAMM C6.7 [S24]): a new line (item, quantity,
    unit cost) and/or new quantities of existing lines, ``LINE=QUANTITY`` one a line. It
    applies when the purchaser accepts it (``amendments.propose_amendment``)."""
    values = {"description": description, "quantities": quantities, "new_item_type": new_item_type,
              "new_description": new_description, "new_quantity": new_quantity,
              "new_unit_cost": new_unit_cost, "new_usml_category": new_usml_category,
              "new_contractor": new_contractor, "new_mde": new_mde, "new_sme": new_sme,
              "new_eeum": new_eeum}  # fmt: skip
    form = FormState(values, name="amendment")

    def step(s: Session, actor: Principal) -> str:
        case = service.resolve_case(s, actor=actor, ref=ref)
        new_lines: list[NewLine] = []
        if any(v.strip() for v in (new_description, new_quantity, new_unit_cost, new_usml_category)):
            if not new_description.strip():
                raise ValidationFailedError(
                    "new_description: a new line needs its description", field="new_description"
                )
            new_lines.append(
                NewLine(
                    item_type=new_item_type,
                    description=new_description,
                    quantity=new_quantity,
                    unit_cost=new_unit_cost,
                    usml_category=new_usml_category or None,
                    mde=_flag(new_mde),
                    sme=_flag(new_sme),
                    eeum=_flag(new_eeum),
                    contractor_org_id=_org_id(new_contractor),
                )
            )
        a = amendments.propose_amendment(
            s, actor=actor, case_id=case.id, description=description, new_lines=new_lines,
            quantity_changes=_quantities(quantities), expected_version=_version(version),
            clock=clock_of(request),
        )  # fmt: skip
        added = f"{len(new_lines)} new line, " if new_lines else ""
        return (
            f"Amendment {a.number} proposed ({added}total after: ${a.value_after:,.2f}); "
            "it applies when the purchaser accepts it."
        )

    return _case_step(request, web_user, ref, form, step, csrf, aliases=NEW_LINE_ALIASES)


@router.post("/cases/{ref}/amendments/{number}/accept", response_class=HTMLResponse)
def accept_amendment(
    ref: str,
    number: int,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Record the purchaser's acceptance of an amendment and apply it."""
    form = FormState({"on": on, "number": str(number)}, name=f"accept-{number}")

    def step(s: Session, actor: Principal) -> str:
        case = service.resolve_case(s, actor=actor, ref=ref)
        amendments.accept_amendment(
            s, actor=actor, case_id=case.id, number=number, on=_day(on, "on"),
            expected_version=_version(version), clock=clock_of(request),
        )  # fmt: skip
        return f"Amendment {number} accepted and applied."

    return _case_step(request, web_user, ref, form, step, csrf, aliases={"number": "on", "version": "form"})


@router.post("/cases/{ref}/modifications", response_class=HTMLResponse)
def issue_modification(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    version: Annotated[str, Form(max_length=12)] = "",
    description: Text = "",
    reason: Annotated[str, Form(max_length=40)] = "cost",
    unit_costs: Text = "",
    csrf: CsrfField = "",
) -> Response:
    """Issue a modification (no scope change, SAMM C6.7 [S24]): new estimated unit costs,
    ``LINE=COST`` one a line, or a delivery, payment-schedule or administrative change its
    description states; the confirmation repeats the warning above 10% growth."""
    form = FormState({"description": description, "reason": reason, "unit_costs": unit_costs},
                     name="modification")  # fmt: skip

    def step(s: Session, actor: Principal) -> str:
        case = service.resolve_case(s, actor=actor, ref=ref)
        m = amendments.issue_modification(
            s, actor=actor, case_id=case.id, description=description, reason=reason,
            unit_costs=_lines_text(unit_costs, "unit_costs", "COST"), expected_version=_version(version),
            clock=clock_of(request),
        )  # fmt: skip
        what = amendments.MODIFICATION_REASONS[reason]
        return f"Modification {m.number} issued ({what})" + (f"; warning: {m.warning}" if m.warning else ".")

    return _case_step(request, web_user, ref, form, step, csrf, aliases={"version": "form"})
