"""Transfer pages (issue #13): the requests the user may see with the user's office inbox on
top, one request (its findings with rationale, the §3(d) requirement and review period,
State's decision, the execution, the items), and the forms: a request from the holder,
State's decision and the §3(d) certification, the execution and a temporary transfer's
return.

Logged-in users whose role may read transfers; every read is scoped in the transfer
queries, so a country sees its own requests (as holder or recipient) and anything else
answers the same 404 page as a request that does not exist. A form the rules refuse is
shown again (422) with what was typed and the error beside its field; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.equipment import custody
from secassist.equipment import queries as equipment
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.identity.service import get_organization
from secassist.reference.service import get_reference
from secassist.reports import listing, lists
from secassist.storage.uow import read_only
from secassist.transfers import queries, rules
from secassist.transfers import service as transfers
from secassist.transfers.models import TransferRequest
from secassist.transfers.schemas import provisos_of, usd
from secassist.vetting import queries as vetting_queries
from secassist.vetting.decisions_models import VettingDecision
from secassist.vetting.findings import OFFICE_LABELS
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user
from secassist.web.forms import FORM_ERRORS, CsrfField, FormState, error_field, redirect_with_flash
from secassist.web.render import page, party_name
from secassist.workflows import lead_nation_holdings
from secassist.workflows.lead_nation import transfer_lead_nation
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer, return_transfer
from secassist.workflows.transfer_request import findings_as_seen, may_read_vetting, request_transfer

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

READ = "transfer:read"
FormStr = Annotated[str, Form(max_length=4000)]


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _reader(web_user: WebUser) -> Principal:
    """The principal, if its role may read transfers; otherwise the same 404 as a missing page."""
    if READ not in web_user.principal.permissions:
        raise NotFoundError("page not found")
    return web_user.principal


def may(p: Principal, action: str) -> bool:
    """Whether to offer a form (the services check again, on the record)."""
    return f"transfer:{action}" in p.permissions and p.org_kind is not OrgKind.auditor


def _must(p: Principal, action: str) -> Principal:
    """A form post: refused (403) for a role that may not do it, before anything is read."""
    if not may(p, action):
        raise PermissionDeniedError(f"your role may not {'decide' if action == 'approve' else 'do'} this")
    return p


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


def _count(value: str, field: str) -> int | None:
    """A whole number typed in a form (empty: None)."""
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailedError(f"{field}: {text!r} is not a whole number", field=field)
    return int(text)


HOLDINGS_SHOWN = 200  # the holder's items listed beside the form; more are typed


def _holdings(session: Session, p: Principal) -> list[dict[str, str]]:
    """The items the user's country holds (the equipment scope: its own, never another's),
    to pick serials from; a user bound to no country types them."""
    if p.country is None or "equipment:read" not in p.permissions:
        return []
    rows, _ = equipment.page_items(session, actor=p, country=p.country, limit=HOLDINGS_SHOWN)
    return [
        {"serial": r.serial, "item_type": r.item_type, "case": r.case, "site": r.site or ""}
        for r in rows
        if r.state in custody.HELD
    ]


def _field(exc: ValidationFailedError | NotFoundError | ConflictError) -> str:
    """The form field an error names (``serial`` of the registry is the ``serials`` box)."""
    field = str(exc.detail.get("field") or "")
    return {"serial": "serials", "from_country": "from", "to_party": "to", "lot_id": "lot"}.get(field, field)


def _party_name(code: str) -> str:
    ref = get_reference()
    try:
        return ref.country(code).name
    except UnknownCodeError:
        try:
            return ref.body(code).name
        except UnknownCodeError:
            return code


# --- the list ---------------------------------------------------------------------------


@router.get("/transfers", response_class=HTMLResponse)
def transfer_list(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    status: str | None = None,
    country: str | None = None,
) -> Response:
    """The requests the user may see, newest first, under the user's office inbox."""
    if web_user is None:
        return _login("/transfers")
    p = _reader(web_user)
    state = status if status in rules.STATUSES else None
    cc = (country or "").strip().upper()[:8] or None
    view = listing.view(lists.TRANSFERS, session, p, request.query_params)
    reqs = view.rows
    items = queries.items_by_request(session, [r.id for r in reqs])
    inbox = queries.inbox(session, actor=p, country=p.country) if p.country else []
    return page(
        request,
        "transfers/list.html",
        active="transfers",
        rows=[
            {"r": r, "serials": [i.serial for i in items[r.id]], "value": usd(r.total_value_cents)}
            for r in reqs
        ],
        inbox=inbox,
        view=view,
        statuses=rules.STATUSES,
        state=state or "",
        country=cc or "",
        may_request=may(p, "write"),
        today=clock_of(request).today(),
        multinational=lead_nation_holdings.multinational_cases(session, actor=p),
    )


# --- filing a request -------------------------------------------------------------------


def _new_page(
    request: Request, p: Principal, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    with read_only(session_factory(request)) as s:
        held = _holdings(s, p)
    return page(
        request,
        "transfers/new.html",
        active="transfers",
        status=status,
        values=values,
        errors=errors,
        kinds=rules.KINDS,
        temporary=sorted(rules.TEMPORARY),
        holdings=held,
        holdings_cap=HOLDINGS_SHOWN,
    )


@router.get("/transfers/new", response_class=HTMLResponse)
def new_form(request: Request, web_user: WebUserDep) -> Response:
    """The request form: the holder names the recipient, the kind, the serials and the new end use."""
    if web_user is None:
        return _login("/transfers/new")
    p = _reader(web_user)
    if not may(p, "write"):
        raise NotFoundError("page not found")
    values = {"from": p.country or "", "on": clock_of(request).today().isoformat(), "kind": "retransfer"}
    return _new_page(request, p, values, {})


@router.post("/transfers/new", response_class=HTMLResponse)
def file_request(
    request: Request,
    web_user: WebUserDep,
    from_: Annotated[str, Form(alias="from", max_length=8)] = "",
    to: Annotated[str, Form(max_length=8)] = "",
    kind: Annotated[str, Form(max_length=24)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    return_by: Annotated[str, Form(max_length=10)] = "",
    end_use: FormStr = "",
    end_user: Annotated[str, Form(max_length=300)] = "",
    serials: Annotated[str, Form(max_length=200_000)] = "",
    lot: Annotated[str, Form(max_length=20)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """File the request and run its checks; refused input is shown again beside its field.
    Serialized items by their serials, or units of a bulk lot by its number and a quantity."""
    if web_user is None:
        return _login("/transfers/new")
    p = _must(_reader(web_user), "write")
    values = {"from": from_, "to": to, "kind": kind, "on": on, "return_by": return_by,
              "end_use": end_use, "end_user": end_user, "serials": serials, "lot": lot,
              "quantity": quantity}  # fmt: skip
    try:
        day = _day(on, "on")
        assert day is not None
        back = _day(return_by, "return_by", required=False)
        names = serials.replace(",", " ").split()
        lot_id, units = _count(lot, "lot"), _count(quantity, "quantity")
        if not names and lot_id is None:
            raise ValidationFailedError("serials: name at least one serial, or a lot", field="serials")
        if names and lot_id is not None:
            raise ValidationFailedError("serials: serials or a lot, not both", field="serials")
        if lot_id is not None and not units:
            raise ValidationFailedError("quantity: how many units of the lot", field="quantity")
        with form_write(request, csrf) as s:
            filed = request_transfer(
                s, actor=p, from_country=from_, to_party=to, kind=kind, on=day, end_use=end_use,
                end_user=end_user or None, return_by=back, serials=names, lot_id=lot_id,
                quantity=units if lot_id is not None else None, clock=clock_of(request),
            )  # fmt: skip
            rid = filed.request.id
    except (ValidationFailedError, NotFoundError, ConflictError) as exc:
        return _new_page(request, p, values, {_field(exc) or "form": exc.message}, status=422)
    return redirect_with_flash(request, f"/transfers/{rid}", f"Transfer request {rid} filed; its checks ran.")


# --- one request ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignoffView:
    """One office whose sign-off the request's vetting needs, as the request page shows it."""

    office: str
    label: str
    signed: bool
    concur: bool | None
    mine: bool  # the viewer is of this office and it has not signed yet


def _vetting_review(
    session: Session, p: Principal, req: TransferRequest
) -> tuple[int | None, list[SignoffView]]:
    """The request's vetting proposal and its offices' sign-offs, for a viewer the policy
    lets read vetting (State, DoD, auditors): the sign-off is by a user of the office it
    names (``vetting.service.sign_off``), so the viewer's own office is marked."""
    if req.vetting_decision_id is None:
        return None, []
    d = session.get_one(VettingDecision, req.vetting_decision_id)
    signed = {s.office: s for s in vetting_queries.signoffs_of(session, d.id)}
    own_office = get_organization(session, p.org_id).office
    labels = {o.value: label for o, label in OFFICE_LABELS.items()}
    return d.proposal_id, [
        SignoffView(
            office=o,
            label=labels.get(o, o),
            signed=o in signed,
            concur=signed[o].concur if o in signed else None,
            mine=o == own_office and o not in signed and d.status == "open",
        )
        for o in vetting_queries.required_offices(d)
    ]


def _detail(
    request: Request,
    session: Session,
    p: Principal,
    req: TransferRequest,
    *,
    status: int = 200,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    today = clock_of(request).today()
    # The vetting behind a request is U.S. Government internal: a viewer who may not read
    # vetting (the holder, its SCO, Congress) sees no sign-offs and no link to it, and the
    # findings resting on it with their reasons withheld (``findings_as_seen``).
    internal = may_read_vetting(p, req)
    proposal_id, signoffs = _vetting_review(session, p, req) if internal else (None, [])
    return page(
        request,
        "transfers/request.html",
        active="transfers",
        status=status,
        r=req,
        from_name=_party_name(req.from_country),
        to_name=_party_name(req.to_party),
        items=queries.items_of(session, req.id),
        findings=findings_as_seen(session, p, req),
        internal=internal,
        proposal_id=proposal_id,
        signoffs=signoffs,
        provisos=provisos_of(req),
        usd=usd,
        value=usd(req.total_value_cents),
        mde_value=usd(req.mde_value_cents),
        overdue=rules.return_overdue(req.return_by, req.returned_on, today) and req.status == "executed",
        temporary=req.kind in rules.TEMPORARY,
        may_decide=may(p, "approve") and req.status == "requested",
        may_certify=may(p, "approve") and req.notification_required and not req.certified,
        may_execute=may(p, "write") and req.status == "approved",
        may_return=may(p, "write") and req.status == "executed" and req.kind in rules.TEMPORARY,
        form=form,
        values=values or {},
        errors=errors or {},
        today=today,
    )


@router.get("/transfers/{request_id}", response_class=HTMLResponse)
def request_page(
    request_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """One request with its findings, requirement, decision, execution and items."""
    if web_user is None:
        return _login(f"/transfers/{request_id}")
    p = _reader(web_user)
    return _detail(request, session, p, queries.get_request(session, actor=p, request_id=request_id))


def _refused(
    request: Request, p: Principal, request_id: int, form: str, values: dict[str, str], exc: Exception
) -> Response:
    """The request's page again (422) with the refused form's input and its error; read on a
    fresh session, after the form's unit of work rolled back."""
    assert isinstance(exc, ValidationFailedError | NotFoundError | ConflictError)
    with read_only(session_factory(request)) as s:
        req = queries.get_request(s, actor=p, request_id=request_id)
        return _detail(request, s, p, req, status=422, form=form, values=values,
                       errors={_field(exc) or "form": exc.message})  # fmt: skip


@router.post("/transfers/{request_id}/decision", response_class=HTMLResponse)
def decide(
    request_id: int,
    request: Request,
    web_user: WebUserDep,
    decision: Annotated[str, Form(max_length=8)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    provisos: Annotated[str, Form(max_length=20_000)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """State approves or denies, one proviso a line; a blocking finding means no approval."""
    if web_user is None:
        return _login(f"/transfers/{request_id}")
    p = _must(_reader(web_user), "approve")
    values = {"decision": decision, "on": on, "provisos": provisos, "valid_until": valid_until}
    try:
        day = _day(on, "on")
        assert day is not None
        until = _day(valid_until, "valid_until", required=False)
        with form_write(request, csrf) as s:
            decide_transfer(
                s, actor=p, request_id=request_id, decision=decision, on=day,
                provisos=[x for x in provisos.splitlines() if x.strip()], valid_until=until,
                clock=clock_of(request),
            )  # fmt: skip
    except (ValidationFailedError, NotFoundError, ConflictError) as exc:
        return _refused(request, p, request_id, "decision", values, exc)
    done = f"Transfer {request_id}: decision recorded."
    return redirect_with_flash(request, f"/transfers/{request_id}", done)


class _DatedStep(Protocol):
    """A step of a decided request that takes only its date: certify, execute, return."""

    def __call__(
        self, session: Session, *, actor: Principal, request_id: int, on: date, clock: Clock
    ) -> object: ...


def _dated_step(
    request: Request,
    web_user: WebUser | None,
    request_id: int,
    on: str,
    csrf: str,
    form: str,
    step: _DatedStep,
) -> Response:
    """Run ``step`` on the date the form gives, in the form's unit of work; a refusal shows
    the page again with the error beside the date."""
    if web_user is None:
        return _login(f"/transfers/{request_id}")
    p = _must(_reader(web_user), "write" if form == "return" else "approve")
    try:
        day = _day(on, "on")
        assert day is not None  # required: _day raised on an empty date
        with form_write(request, csrf) as s:
            step(s, actor=p, request_id=request_id, on=day, clock=clock_of(request))
    except (ValidationFailedError, NotFoundError, ConflictError) as exc:
        return _refused(request, p, request_id, form, {"on": on}, exc)
    done = f"Transfer {request_id}: {form} recorded."
    return redirect_with_flash(request, f"/transfers/{request_id}", done)


@router.post("/transfers/{request_id}/certification", response_class=HTMLResponse)
def certify(
    request_id: int,
    request: Request,
    web_user: WebUserDep,
    on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The §3(d) certification formally sent to Congress: the review period starts."""
    return _dated_step(request, web_user, request_id, on, csrf, "certification", transfers.certify)


@router.post("/transfers/{request_id}/execution", response_class=HTMLResponse)
def execute(
    request_id: int,
    request: Request,
    web_user: WebUserDep,
    on: Annotated[str, Form(max_length=10)] = "",
    site: Annotated[str, Form(max_length=300)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Execute an approved request: custody, holder and EEUM responsibility in one commit.
    A lot request names the recipient's receiving site, where the split-off units go."""
    if web_user is None:
        return _login(f"/transfers/{request_id}")
    p = _must(_reader(web_user), "write")
    try:
        day = _day(on, "on")
        assert day is not None  # required: _day raised on an empty date
        with form_write(request, csrf) as s:
            execute_transfer(
                s, actor=p, request_id=request_id, on=day, site=site.strip() or None, clock=clock_of(request)
            )
    except (ValidationFailedError, NotFoundError, ConflictError) as exc:
        return _refused(request, p, request_id, "execution", {"on": on, "site": site}, exc)
    return redirect_with_flash(
        request, f"/transfers/{request_id}", f"Transfer {request_id}: execution recorded."
    )


@router.post("/transfers/{request_id}/return", response_class=HTMLResponse)
def return_(
    request_id: int,
    request: Request,
    web_user: WebUserDep,
    on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the return of a temporary transfer."""
    return _dated_step(request, web_user, request_id, on, csrf, "return", return_transfer)


# --- a lead-nation transfer --------------------------------------------------------------
# The case's participants and holdings are web/lead_nation.py's pages; this is the form that
# moves articles among them (``secassist transfers lead-nation``).


def _lead_nation_page(request: Request, case_ref: str, form: FormState, *, status: int = 200) -> Response:
    return page(
        request,
        "transfers/lead_nation_transfer.html",
        active="transfers",
        status=status,
        case_ref=case_ref,
        form=form,
    )


@router.get("/transfers/lead-nation/{case_ref}/transfer", response_class=HTMLResponse)
def lead_nation_form(
    case_ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """The form moving items (or units of a lot) of a lead-nation case to a participant."""
    if web_user is None:
        return _login(f"/transfers/lead-nation/{quote(case_ref)}/transfer")
    p = _reader(web_user)
    if not may(p, "write"):
        raise NotFoundError("page not found")
    case = lead_nation_holdings.lead_nation_case(session, actor=p, case_ref=case_ref)
    values = {"on": clock_of(request).today().isoformat()}
    return _lead_nation_page(request, case.identifier, FormState(values))


@router.post("/transfers/lead-nation/{case_ref}/transfer", response_class=HTMLResponse)
def lead_nation_transfer(
    case_ref: str,
    request: Request,
    web_user: WebUserDep,
    to: Annotated[str, Form(max_length=8)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    serials: Annotated[str, Form(max_length=200_000)] = "",
    lot: Annotated[str, Form(max_length=20)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    site: Annotated[str, Form(max_length=300)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Move the articles under the case's authority (the first transfer to a participant
    records the written notice to State); a refusal is shown beside its field, nothing written."""
    if web_user is None:
        return _login(f"/transfers/lead-nation/{quote(case_ref)}")
    p = _reader(web_user)
    _must(p, "write")
    form = FormState({"to": to, "on": on, "serials": serials, "lot": lot, "quantity": quantity, "site": site})
    with read_only(session_factory(request)) as s:
        ref = lead_nation_holdings.lead_nation_case(s, actor=p, case_ref=case_ref).identifier
    try:
        day = _day(on, "on")
        assert day is not None
        lot_id = _count(lot, "lot")
        with form_write(request, csrf) as s:
            done = transfer_lead_nation(
                s, actor=p, case_ref=ref, to=to, on=day, serials=serials.replace(",", " ").split(),
                lot_id=lot_id, quantity=_count(quantity, "quantity"), site=site.strip() or None,
                clock=clock_of(request),
            )  # fmt: skip
            moved, target, authority = len(done.serials), done.to, done.authority
    except FORM_ERRORS as exc:
        aliases = {"serial": "serials", "lot_id": "lot", "case": "form"}
        return _lead_nation_page(request, ref, form.error(error_field(exc, aliases), exc.message), status=422)
    what = f"{moved} item(s)" if lot_id is None else f"{quantity.strip()} units of lot {lot_id}"
    done_msg = f"Case {ref}: {what} to {party_name(target)} under {authority}."
    return redirect_with_flash(request, f"/transfers/lead-nation/{quote(ref)}", done_msg)
