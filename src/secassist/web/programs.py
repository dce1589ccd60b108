"""Program funds on the web (issue #15): the totals page, appropriations, each
appropriation's ledger with its balances by country, one ledger entry, the scoped ledger,
and the forms that move money — appropriate, allocate, obligate, expend, reverse.

Reads are scoped in :mod:`secassist.programs.queries` (a partner or an SCO sees its own
country's allocations and below, never an appropriation). Forms are offered to roles
holding ``program:write`` (State PM); a post from anyone else is refused (403) before
anything runs, and the services check again on the record.

Every money-moving form asks once (:mod:`secassist.web.forms`): the first post parses the
input and rehearses the service call in a transaction that is always rolled back, so a
refusal (over the balance, outside the period of availability, an unknown case line) is
shown beside its field before anything is confirmed; the confirmation page names the
amount and the account; only the second post, carrying the token bound to exactly those
values, writes the entry (and its one audit entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.cases.common import resolve_line
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.core.types import to_money
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.programs import oversight, queries, service
from secassist.programs.catalog import catalog
from secassist.programs.catalog import program as catalog_program
from secassist.programs.models import Appropriation, LedgerEntry
from secassist.storage.engine import WRITE_OPTION
from secassist.storage.uow import read_only
from secassist.web.auth import NO_STORE, WebUser, WebUserDep, form_write, load_web_user, require_csrf
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
from secassist.web.routes import _as_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

Short = Annotated[str, Form(max_length=40)]
Text = Annotated[str, Form(max_length=600)]
KINDS = ("appropriation", "allocation", "obligation", "expenditure")
# Service field names → the form's input names.
ALIASES = {
    "case_id": "case",
    "case_line_id": "line",
    "recipient_unit_id": "unit",
    "obligation_id": "form",
    "entry_id": "form",
    "appropriation_id": "form",
    "legal_citation": "citation",
}


def usd(value: Decimal) -> str:
    """``$1,250,000.00`` (negative amounts, reversals, keep their sign)."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def may_write(p: Principal) -> bool:
    """Whether to offer the money forms (the services check again, on the record)."""
    return "program:write" in p.permissions and p.org_kind is not OrgKind.auditor


def _writer(web_user: WebUser) -> Principal:
    """The principal of a form post; others are refused before anything runs."""
    if not may_write(web_user.principal):
        raise PermissionDeniedError("only State's program officers record program funds")
    return web_user.principal


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _account(a: Appropriation) -> str:
    """The account a confirmation names: ``FMF FY2026 (demo) — appropriation 4``."""
    return f"{a.title} (appropriation {a.id}, {a.program} FY{a.fiscal_year})"


@contextmanager
def rehearsal(request: Request, csrf: str) -> Iterator[Session]:
    """A write session whose work is always rolled back: the first post of a confirm-once
    form runs the real service here, so what the confirmation offers is what the rules
    allow. Nothing it does (entries, audit entries) outlives the block."""
    require_csrf(request, csrf)
    session = session_factory(request)()
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
    finally:
        session.rollback()
        session.close()


def _money_step(
    request: Request,
    *,
    csrf: str,
    confirmed: str,
    action: str,
    form: FormState,
    run: Callable[[Session], LedgerEntry],
    ask: Callable[[], tuple[str, tuple[tuple[str, str], ...]]],
    cancel: str,
    refused: Callable[[FormState], Response],
    done: Callable[[LedgerEntry], tuple[str, str]],
) -> Response:
    """The confirm-once protocol shared by every money form: rehearse then ask, or (when
    confirmed) write; a refusal shows the form again (422) with the error beside its field."""
    try:
        if not is_confirmed(request, action, form.values, confirmed):
            with rehearsal(request, csrf) as s:
                run(s)
            summary, details = ask()
            confirm = confirmation(
                request,
                action=action,
                summary=summary,
                url=request.url.path,
                values=form.values,
                cancel=cancel,
                button="Confirm and record",
                details=details,
            )
            response = page(request, "confirm.html", active="programs", confirm=confirm)
            response.headers.update(NO_STORE)
            return response
        with form_write(request, csrf) as s:
            entry = run(s)
            url, message = done(entry)
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))
    return redirect_with_flash(request, url, message)


def _day(text: str, field: str = "on") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _amount(text: str) -> Decimal:
    value = to_money(text.replace(",", "").replace("$", "").strip(), field="amount")
    if value <= 0:
        raise ValidationFailedError("amount: must be more than zero", field="amount")
    return value


# --- totals and appropriations ----------------------------------------------------------


@router.get("/programs", response_class=HTMLResponse)
def programs(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, on: str | None = None
) -> Response:
    """Totals by program × fiscal year × region × country as of a date, scoped to the user."""
    if web_user is None:
        return _login("/programs")
    as_of = _as_of(on, clock_of(request).today())
    rows = oversight.totals(session, actor=web_user.principal, as_of=as_of)
    return page(
        request,
        "programs.html",
        active="programs",
        on=as_of,
        rows=rows,
        programs={p.code: p for p in catalog().programs},
        may_write=may_write(web_user.principal),
        sees_appropriations=queries.appropriations_visible(web_user.principal),
    )


def _appropriations_page(
    request: Request, session: Session, p: Principal, program: str, form: FormState, status: int = 200
) -> Response:
    code = ""
    if program:
        try:
            code = catalog_program(program).code
        except FORM_ERRORS:
            code = ""
    found = queries.list_appropriations(session, actor=p, program=code or None)
    return page(
        request,
        "programs/appropriations.html",
        active="programs",
        status=status,
        appropriations=found,
        programs=catalog().programs,
        program_options=[(x.code, f"{x.name} ({x.code})") for x in catalog().programs],
        program=code,
        may_write=may_write(p),
        form=form,
    )


@router.get("/programs/appropriations", response_class=HTMLResponse)
def appropriations(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, program: str = ""
) -> Response:
    """The appropriations (State, DoD, auditors), with the form for a new one."""
    if web_user is None:
        return _login("/programs/appropriations")
    p = web_user.principal
    if not queries.appropriations_visible(p):
        raise NotFoundError("page not found")
    today = clock_of(request).today().isoformat()
    return _appropriations_page(request, session, p, program[:8], FormState({"available_from": today}))


@router.post("/programs/appropriations", response_class=HTMLResponse)
def create_appropriation(
    request: Request,
    web_user: WebUserDep,
    program: Short = "",
    fiscal_year: Short = "",
    amount: Short = "",
    available_from: Short = "",
    available_until: Short = "",
    title: Text = "",
    citation: Text = "",
    source: Text = "",
    unconfirmed: Short = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Record an appropriation (its first ledger entry); asks once."""
    if web_user is None:
        return _login("/programs/appropriations")
    p = _writer(web_user)
    form = FormState(
        {
            "program": program, "fiscal_year": fiscal_year, "amount": amount,
            "available_from": available_from, "available_until": available_until, "title": title,
            "citation": citation, "source": source, "unconfirmed": "yes" if unconfirmed else "",
        }
    )  # fmt: skip

    def refused(f: FormState) -> Response:
        with read_only(session_factory(request)) as s:
            return _appropriations_page(request, s, p, "", f, status=422)

    try:
        value = _amount(amount)
        year = int(fiscal_year) if fiscal_year.strip().isdigit() else None
        if year is None:
            raise ValidationFailedError(
                f"fiscal_year: {fiscal_year!r} is not a fiscal year", field="fiscal_year"
            )
        start, until = _day(available_from, "available_from"), _day(available_until, "available_until")
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))

    def run(s: Session) -> LedgerEntry:
        _, entry = service.create_appropriation(
            s, actor=p, program=program, fiscal_year=year, amount=value, available_from=start,
            available_until=until, title=title or None, legal_citation=citation or None,
            source=source or None, status="UNCONFIRMED" if unconfirmed else "confirmed",
            clock=clock_of(request),
        )  # fmt: skip
        return entry

    return _money_step(
        request,
        csrf=csrf,
        confirmed=confirmed,
        action="program:appropriate",
        form=form,
        run=run,
        ask=lambda: (
            f"Appropriate {usd(value)} to {program.strip().upper()} FY{year}",
            (("Available for new obligations", f"{start} to {until}"), ("Title", title or "—")),
        ),
        cancel="/programs/appropriations",
        refused=refused,
        done=lambda e: (
            f"/programs/appropriations/{e.appropriation_id}",
            f"Recorded the appropriation of {usd(e.amount)} ({e.program} FY{e.fiscal_year}).",
        ),
    )


def _appropriation_page(
    request: Request,
    session: Session,
    p: Principal,
    appropriation_id: int,
    *,
    status: int = 200,
    forms: dict[str, FormState] | None = None,
    after: int | None = None,
) -> Response:
    a = queries.get_appropriation(session, actor=p, appropriation_id=appropriation_id)
    amount, balances = queries.country_balances(session, actor=p, appropriation_id=a.id)
    entries = queries.list_entries(session, actor=p, appropriation_id=a.id, after_id=after, limit=200)
    today = clock_of(request).today().isoformat()
    given = forms or {}
    response = page(
        request,
        "programs/appropriation.html",
        active="programs",
        status=status,
        a=a,
        amount=amount,
        allocated=sum((b.allocated for b in balances), Decimal(0)),
        balances=balances,
        entries=entries,
        reversed=queries.reversed_ids(session, [e.id for e in entries]),
        more=len(entries) == 200,
        may_write=may_write(p),
        allocate=given.get("allocate") or FormState({"on": today}, name="allocate"),
        obligate=given.get("obligate") or FormState({"on": today, "target": "case"}, name="obligate"),
        targets=catalog_program(a.program).targets,
        usd=usd,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/programs/appropriations/{appropriation_id}", response_class=HTMLResponse)
def appropriation(
    appropriation_id: int,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    after: int | None = None,
) -> Response:
    """One appropriation: its balances by country and its ledger, with the money forms."""
    if web_user is None:
        return _login(f"/programs/appropriations/{appropriation_id}")
    return _appropriation_page(request, session, web_user.principal, appropriation_id, after=after)


def _refused_on_appropriation(
    request: Request, p: Principal, appropriation_id: int, name: str
) -> Callable[[FormState], Response]:
    def refused(f: FormState) -> Response:
        f.name = name
        with read_only(session_factory(request)) as s:
            return _appropriation_page(request, s, p, appropriation_id, status=422, forms={name: f})

    return refused


def _appropriation_of(request: Request, p: Principal, appropriation_id: int) -> Appropriation:
    with read_only(session_factory(request)) as s:
        a = queries.get_appropriation(s, actor=p, appropriation_id=appropriation_id)
        s.expunge(a)
        return a


@router.post("/programs/appropriations/{appropriation_id}/allocation", response_class=HTMLResponse)
def allocate(
    appropriation_id: int,
    request: Request,
    web_user: WebUserDep,
    country: Short = "",
    amount: Short = "",
    on: Short = "",
    memo: Text = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Allocate part of the appropriation to a country; asks once."""
    if web_user is None:
        return _login(f"/programs/appropriations/{appropriation_id}")
    p = _writer(web_user)
    a = _appropriation_of(request, p, appropriation_id)
    form = FormState({"country": country, "amount": amount, "on": on, "memo": memo}, name="allocate")
    refused = _refused_on_appropriation(request, p, appropriation_id, "allocate")
    try:
        value, day = _amount(amount), _day(on)
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))
    code = country.strip().upper()
    return _money_step(
        request,
        csrf=csrf,
        confirmed=confirmed,
        action=f"program:allocate:{a.id}",
        form=form,
        run=lambda s: service.allocate(
            s,
            actor=p,
            appropriation_id=a.id,
            country=country,
            amount=value,
            on=day,
            memo=memo or None,
            clock=clock_of(request),
        ),
        ask=lambda: (
            f"Allocate {usd(value)} of {_account(a)} to {country_name(code)} ({code})",
            (("Dated", day.isoformat()), ("Memo", memo or "—")),
        ),
        cancel=f"/programs/appropriations/{a.id}",
        refused=refused,
        done=lambda e: (
            f"/programs/appropriations/{a.id}",
            f"Allocated {usd(e.amount)} of {a.program} FY{a.fiscal_year} to {country_name(code)} "
            f"(entry {e.id}).",
        ),
    )


@router.post("/programs/appropriations/{appropriation_id}/obligation", response_class=HTMLResponse)
def obligate(
    appropriation_id: int,
    request: Request,
    web_user: WebUserDep,
    country: Short = "",
    amount: Short = "",
    on: Short = "",
    target: Short = "",
    case: Short = "",
    line: Short = "",
    unit: Short = "",
    reference: Text = "",
    memo: Text = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Obligate part of a country's allocation to a case line, training or a Leahy-vetted
    unit (``workflows.obligate_assistance``, as the API and CLI do); asks once."""
    from secassist.workflows.obligate_assistance import obligate_assistance

    if web_user is None:
        return _login(f"/programs/appropriations/{appropriation_id}")
    p = _writer(web_user)
    a = _appropriation_of(request, p, appropriation_id)
    form = FormState(
        {"country": country, "amount": amount, "on": on, "target": target, "case": case, "line": line,
         "unit": unit, "reference": reference, "memo": memo},
        name="obligate",
    )  # fmt: skip
    refused = _refused_on_appropriation(request, p, appropriation_id, "obligate")
    try:
        value, day = _amount(amount), _day(on)
        unit_id: int | None = None
        if target == "unit":
            if not unit.strip().isdigit():
                raise ValidationFailedError("unit: give the Leahy-registered unit's number", field="unit")
            unit_id = int(unit)
        elif target == "case" and not (case.strip() and line.strip()):
            field = "case" if not case.strip() else "line"
            raise ValidationFailedError(
                f"{field}: an FMF obligation names the case and its line", field=field
            )
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))
    code = country.strip().upper()
    payee: dict[str, str] = {}

    def run(s: Session) -> LedgerEntry:
        case_id = line_id = None
        if target == "case":
            try:
                found = resolve_line(s, actor=p, ref=case.strip(), number=line)
            except NotFoundError as exc:
                if exc.detail.get("field"):
                    raise
                raise NotFoundError(f"case: no case {case.strip()!r} you may see", field="case") from None
            case_id, line_id = found.case_id, found.id
            payee["what"] = f"case {case.strip().upper()} line {found.number}"
        elif target == "unit":
            payee["what"] = f"recipient unit {unit_id}"
        else:
            payee["what"] = f"training: {reference.strip()}"
        t = service.Target(
            target, case_id=case_id, case_line_id=line_id, recipient_unit_id=unit_id,
            reference=reference or None,
        )  # fmt: skip
        return obligate_assistance(
            s, actor=p, appropriation_id=a.id, country=country, amount=value, on=day, target=t,
            memo=memo or None, clock=clock_of(request),
        )  # fmt: skip

    return _money_step(
        request,
        csrf=csrf,
        confirmed=confirmed,
        action=f"program:obligate:{a.id}",
        form=form,
        run=run,
        ask=lambda: (
            f"Obligate {usd(value)} of {_account(a)} for {country_name(code)} ({code}) to {payee['what']}",
            (("Dated", day.isoformat()), ("Reference", reference or "—"), ("Memo", memo or "—")),
        ),
        cancel=f"/programs/appropriations/{a.id}",
        refused=refused,
        done=lambda e: (
            f"/programs/entries/{e.id}",
            f"Obligated {usd(e.amount)} of {a.program} FY{a.fiscal_year} for {country_name(code)} "
            f"to {payee['what']} (entry {e.id}).",
        ),
    )


# --- the ledger and one entry -------------------------------------------------------------


@router.get("/programs/ledger", response_class=HTMLResponse)
def ledger(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    program: str = "",
    country: str = "",
    kind: str = "",
    on: str = "",
    after: int | None = None,
) -> Response:
    """The ledger the user may see, by program, country and kind, in id order (100 a page)."""
    if web_user is None:
        return _login("/programs/ledger")
    p = web_user.principal
    if "program:read" not in p.permissions:
        raise NotFoundError("page not found")
    codes = {x.code for x in catalog().programs}
    chosen = program.upper() if program.upper() in codes else ""
    cc = country.strip().upper()[:8]
    k = kind if kind in KINDS else ""
    as_of = _as_of(on, clock_of(request).today()) if on else None
    entries = queries.list_entries(
        session, actor=p, program=chosen or None, country=cc or None, kind=k or None, as_of=as_of,
        after_id=after, limit=100,
    )  # fmt: skip
    return page(
        request,
        "programs/ledger.html",
        active="programs",
        entries=entries,
        reversed=queries.reversed_ids(session, [e.id for e in entries]),
        more=len(entries) == 100,
        programs=catalog().programs,
        program=chosen,
        country=cc,
        kind=k,
        kinds=KINDS,
        on=on if as_of else "",
        usd=usd,
    )


def _entry_page(
    request: Request,
    session: Session,
    p: Principal,
    entry_id: int,
    *,
    status: int = 200,
    forms: dict[str, FormState] | None = None,
) -> Response:
    e = queries.get_entry(session, actor=p, entry_id=entry_id)
    rev = queries.reversed_ids(session, [e.id]).get(e.id)
    expended = Decimal(0)
    spends: list[LedgerEntry] = []
    if e.kind == "obligation" and e.reverses_id is None:
        spends = queries.list_entries(session, actor=p, kind="expenditure", obligation_id=e.id, limit=1000)
        expended = sum((x.amount for x in spends), Decimal(0))
    today = clock_of(request).today().isoformat()
    given = forms or {}
    writer = may_write(p)
    response = page(
        request,
        "programs/entry.html",
        active="programs",
        status=status,
        e=e,
        reversed_by=rev,
        spends=spends,
        expended=expended,
        unexpended=e.amount - expended,
        title=_appropriation_title(session, p, e.appropriation_id),
        may_expend=writer and e.kind == "obligation" and e.reverses_id is None and rev is None,
        may_reverse=writer and e.reverses_id is None and rev is None,
        expend=given.get("expend") or FormState({"on": today}, name="expend"),
        reverse=given.get("reverse") or FormState({"on": today}, name="reverse"),
        usd=usd,
    )
    response.headers.update(NO_STORE)
    return response


def _appropriation_title(session: Session, p: Principal, appropriation_id: int) -> str:
    """The appropriation's title, or only its program and year for a partner (who may not
    see appropriations)."""
    if not queries.appropriations_visible(p):
        return ""
    return queries.get_appropriation(session, actor=p, appropriation_id=appropriation_id).title


@router.get("/programs/entries/{entry_id}", response_class=HTMLResponse)
def entry(entry_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One ledger entry: what it pays, its expenditures, its reversal, and the forms."""
    if web_user is None:
        return _login(f"/programs/entries/{entry_id}")
    return _entry_page(request, session, web_user.principal, entry_id)


def _refused_on_entry(
    request: Request, p: Principal, entry_id: int, name: str
) -> Callable[[FormState], Response]:
    def refused(f: FormState) -> Response:
        f.name = name
        with read_only(session_factory(request)) as s:
            return _entry_page(request, s, p, entry_id, status=422, forms={name: f})

    return refused


def _entry_of(request: Request, p: Principal, entry_id: int) -> LedgerEntry:
    with read_only(session_factory(request)) as s:
        e = queries.get_entry(s, actor=p, entry_id=entry_id)
        s.expunge(e)
        return e


def _described(e: LedgerEntry) -> str:
    where = f" for {country_name(e.country_code)} ({e.country_code})" if e.country_code else ""
    return f"{e.kind} {e.id} of {usd(e.amount)} ({e.program} FY{e.fiscal_year}{where})"


@router.post("/programs/entries/{entry_id}/expenditure", response_class=HTMLResponse)
def expend(
    entry_id: int,
    request: Request,
    web_user: WebUserDep,
    amount: Short = "",
    on: Short = "",
    reference: Text = "",
    memo: Text = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Record money paid out against this obligation; asks once."""
    if web_user is None:
        return _login(f"/programs/entries/{entry_id}")
    p = _writer(web_user)
    e = _entry_of(request, p, entry_id)
    form = FormState({"amount": amount, "on": on, "reference": reference, "memo": memo}, name="expend")
    refused = _refused_on_entry(request, p, entry_id, "expend")
    try:
        value, day = _amount(amount), _day(on)
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))
    return _money_step(
        request,
        csrf=csrf,
        confirmed=confirmed,
        action=f"program:expend:{e.id}",
        form=form,
        run=lambda s: service.expend(
            s,
            actor=p,
            obligation_id=e.id,
            amount=value,
            on=day,
            reference=reference or None,
            memo=memo or None,
            clock=clock_of(request),
        ),
        ask=lambda: (
            f"Expend {usd(value)} against obligation {_described(e)}",
            (("Dated", day.isoformat()), ("Reference", reference or "—"), ("Memo", memo or "—")),
        ),
        cancel=f"/programs/entries/{e.id}",
        refused=refused,
        done=lambda x: (
            f"/programs/entries/{e.id}",
            f"Recorded the expenditure of {usd(x.amount)} (entry {x.id}).",
        ),
    )


@router.post("/programs/entries/{entry_id}/reversal", response_class=HTMLResponse)
def reverse(
    entry_id: int,
    request: Request,
    web_user: WebUserDep,
    on: Short = "",
    reason: Text = "",
    csrf: CsrfField = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Reverse this entry (the append-only ledger's one correction); asks once."""
    if web_user is None:
        return _login(f"/programs/entries/{entry_id}")
    p = _writer(web_user)
    e = _entry_of(request, p, entry_id)
    form = FormState({"on": on, "reason": reason}, name="reverse")
    refused = _refused_on_entry(request, p, entry_id, "reverse")
    try:
        day = _day(on)
    except FORM_ERRORS as exc:
        return refused(form.refused(exc, ALIASES))
    return _money_step(
        request,
        csrf=csrf,
        confirmed=confirmed,
        action=f"program:reverse:{e.id}",
        form=form,
        run=lambda s: service.reverse(
            s, actor=p, entry_id=e.id, on=day, reason=reason, clock=clock_of(request)
        ),
        ask=lambda: (
            f"Reverse {_described(e)}: {usd(-e.amount)}",
            (("Dated", day.isoformat()), ("Reason", reason)),
        ),
        cancel=f"/programs/entries/{e.id}",
        refused=refused,
        done=lambda x: (
            f"/programs/entries/{e.id}",
            f"Reversed entry {e.id}: {usd(x.amount)} (entry {x.id}).",
        ),
    )
