"""Equipment pages (issue #12): an item's trace with its proofs, a site's inventory and
scan reconciliation, a country's EEUM dashboard, and the incident list.

Logged-in users whose role may read equipment; each read is scoped in the equipment
queries, so a partner or SCO sees its own country only and anything else answers the same
404 page as a record that does not exist. A scan is reconciled twice: a dry run shows
found / missing / unexpected / wrong site / gone, then "apply" posts the same bytes again
(in a hidden field, or the file chosen again when it is too large to carry), checked
against the SHA-256 the dry run showed, so what is applied is exactly what was previewed.
Nothing is stored on disk.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, UnknownCodeError, ValidationFailedError
from secassist.equipment import custody, monitoring, queries
from secassist.equipment.catalog import get_catalog
from secassist.equipment.models import Item, Site
from secassist.equipment.reconcile import Result, reconcile
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.reference.service import get_reference
from secassist.reports import listing, lists
from secassist.reports.proofs import browser_proofs, may_check, signed_checkpoint
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user, require_csrf
from secassist.web.forms import ConfirmField, confirmation, is_confirmed, redirect_with_flash
from secassist.web.render import page
from secassist.workflows.trace_item import trace as trace_item

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

READ = "equipment:read"
DUE_WITHIN_DAYS = 30
MAX_SCAN_BYTES = 20 * 1024 * 1024
# Starlette caps a form field at 1 MiB; base64 grows 4/3, so larger scans are chosen again.
INLINE_LIMIT = 700_000
OUTCOMES = (
    ("found", "Found"),
    ("missing", "Missing"),
    ("unexpected", "Unexpected"),
    ("wrong_site", "Wrong site"),
    ("gone", "Gone"),
)


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _reader(web_user: WebUser) -> Principal:
    """The principal, if its role may read equipment; otherwise the same 404 as a missing page."""
    if READ not in web_user.principal.permissions:
        raise NotFoundError("page not found")
    return web_user.principal


def may_write(p: Principal) -> bool:
    """Whether to offer the equipment forms (the services check again, on the record)."""
    return "equipment:write" in p.permissions and p.org_kind is not OrgKind.auditor


def _day(value: str | None, field: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field) from None


def inspectors_usd(value: Decimal) -> str:
    """Money in the shape inspectors report it: $1.005B, $12.400M, else $2,400.00."""
    if abs(value) >= 1_000_000_000:
        return f"${value / 1_000_000_000:,.3f}B"
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:,.3f}M"
    return f"${value:,.2f}"


def percent(share: Decimal) -> str:
    """A share (0.5915) as a whole percentage (59%), as the inspectors round it."""
    return f"{share * 100:.0f}%"


def next_due(item: Item) -> date | None:
    """The item's next EEUM inventory date (None: not EEUM, or no longer held)."""
    if item.eeum_designation is None or item.state not in custody.HELD:
        return None
    return get_catalog().inventory_due(
        item.eeum_designation, delivered_on=item.delivered_on, last_found_on=item.last_found_on
    )


def _country_name(code: str) -> str:
    try:
        return get_reference().country(code).name
    except UnknownCodeError:
        return code


# --- index and country dashboard --------------------------------------------------------


@router.get("/equipment", response_class=HTMLResponse)
def index(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The countries the user may see, each with its EEUM delinquency as of today."""
    if web_user is None:
        return _login("/equipment")
    p = _reader(web_user)
    today = clock_of(request).today()
    report = monitoring.delinquency(session, actor=p, as_of=today)
    by_country = {c.country: c for c in report.by_country}
    codes = sorted(set(queries.countries_with_equipment(session, actor=p)) | set(by_country))
    rows = [{"code": cc, "name": _country_name(cc), "d": by_country.get(cc)} for cc in codes]
    return page(
        request,
        "equipment/index.html",
        active="equipment",
        rows=rows,
        report=report,
        today=today,
        may_write=may_write(p),
        may_deliver=may_write(p) and "case_line:write" in p.permissions,
        usd=inspectors_usd,
        percent=percent,
    )


@router.get("/equipment/countries/{cc}", response_class=HTMLResponse)
def country(
    cc: str, request: Request, web_user: WebUserDep, session: ReadSessionDep, as_of: str | None = None
) -> Response:
    """A country's EEUM dashboard as of a date: inventories due and overdue, the
    delinquency figure with its items, open incidents, and the country's sites."""
    if web_user is None:
        return _login(f"/equipment/countries/{quote(cc)}")
    p = _reader(web_user)
    try:
        code = get_reference().country(cc).code
    except UnknownCodeError:
        raise NotFoundError("country not found") from None
    queries.require(p, "read", code, what="country")
    day = _day(as_of, "as_of", clock_of(request).today())
    report = monitoring.delinquency(session, actor=p, as_of=day, country=code)
    figure = report.by_country[0] if report.by_country else None
    due = monitoring.due_inventories(session, actor=p, as_of=day, within_days=DUE_WITHIN_DAYS, country=code)
    names = {s.id: s.name for s in queries.list_sites(session, actor=p, country=code)}
    return page(
        request,
        "equipment/country.html",
        active="equipment",
        code=code,
        name=_country_name(code),
        as_of=day,
        report=report,
        figure=figure,
        due=[
            {"item": i, "due": d, "overdue": monitoring.overdue(d, day), "site": names.get(i.site_id or 0)}
            for i, d in due
        ],
        horizon=day + timedelta(days=DUE_WITHIN_DAYS),
        incidents=monitoring.list_incidents(session, actor=p, country=code, open_on=day),
        sites=queries.list_sites(session, actor=p, country=code),
        units=queries.list_units(session, actor=p, country=code),
        checks=[(c, json.loads(c.findings)) for c in queries.list_checks(session, actor=p, country=code)],
        may_write=may_write(p),
        usd=inspectors_usd,
        percent=percent,
    )


@router.get("/equipment/incidents", response_class=HTMLResponse)
def incidents(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    country: str | None = None,
    status: str | None = None,
) -> Response:
    """Possible end-use violations the user may see, newest discovery first."""
    if web_user is None:
        return _login("/equipment/incidents")
    p = _reader(web_user)
    view = listing.view(lists.INCIDENTS, session, p, request.query_params)
    return page(
        request,
        "equipment/incidents.html",
        active="equipment",
        rows=view.rows,
        view=view,
        country=(country or "").upper(),
        state=status or "",
        countries=queries.countries_with_equipment(session, actor=p),
        today=clock_of(request).today(),
        may_write=may_write(p),
    )


# --- an item ----------------------------------------------------------------------------


@router.get("/equipment/items/{serial:path}", response_class=HTMLResponse)
def item(
    serial: str,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    item_type: str | None = None,
) -> Response:
    """One serial's chain from the money to its current state, every step with its audit
    entry and an RFC 9162 inclusion proof in the current tree."""
    if web_user is None:
        return _login(f"/equipment/items/{quote(serial)}")
    p = _reader(web_user)
    row = queries.find_item(session, actor=p, serial=serial, item_type=item_type or None)
    t = trace_item(session, actor=p, serial=row.serial, item_type=row.item_type)
    proofs = {int(pr["leaf_index"]): pr for pr in t.proofs}
    site = queries.get_site(session, actor=p, ref=row.site_id) if row.site_id is not None else None
    # Readers and witnesses of the log also get each step's proof in the latest signed
    # checkpoint's tree, for their browser to check (static/verify.js).
    signed = signed_checkpoint(session, request.app.state.settings) if may_check(p) else None
    browser = browser_proofs(session, actor=p, seqs=proofs, signed=signed) if signed is not None else {}
    return page(
        request,
        "equipment/item.html",
        signed=signed,
        browser=browser,
        active="equipment",
        item=row,
        t=t,
        proofs=proofs,
        tree_size=next(iter(proofs.values()))["tree_size"] if proofs else None,
        site=site,
        due=next_due(row),
        value=queries.dollars(row.unit_value_cents),
        today=clock_of(request).today(),
        may_write=may_write(p),
    )


# --- a site, and reconciling its scan ---------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A dry run's result and what the apply form carries back."""

    result: Result
    name: str
    on: date
    sha256: str
    content: str | None  # base64, or None when the file must be chosen again
    token: str  # the confirm-once token of exactly this file, name and date at this site


def _site_page(
    request: Request,
    session: Session,
    p: Principal,
    site: Site,
    *,
    status: int = 200,
    preview: Preview | None = None,
    upload_error: str | None = None,
    error_field: str | None = None,
    scan_on: date | None = None,
) -> Response:
    today = clock_of(request).today()
    held = queries.items_at_site(session, actor=p, site_id=site.id)
    rows = [{"item": i, "due": next_due(i), "value": queries.dollars(i.unit_value_cents)} for i in held]
    return page(
        request,
        "equipment/site.html",
        active="equipment",
        status=status,
        site=site,
        country_name=_country_name(site.country_code),
        rows=rows,
        inspections=queries.site_inspections(session, actor=p, site_id=site.id),
        inventories=queries.site_inventories(session, actor=p, site_id=site.id),
        today=today,
        scan_on=scan_on or today,
        preview=preview,
        outcomes=OUTCOMES,
        upload_error=upload_error,
        error_field=error_field,
        may_write=may_write(p),
    )


@router.get("/equipment/sites/{site_id}", response_class=HTMLResponse)
def site_page(
    site_id: int,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
) -> Response:
    """A site: what it holds (state, next inventory due), its physical-security
    inspections and inventories, and the form to reconcile a scanned serial list."""
    if web_user is None:
        return _login(f"/equipment/sites/{site_id}")
    p = _reader(web_user)
    site = queries.get_site(session, actor=p, ref=site_id)
    return _site_page(request, session, p, site)


def _read_upload(upload: UploadFile | None) -> tuple[bytes, str] | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_SCAN_BYTES + 1)
    if len(data) > MAX_SCAN_BYTES:
        raise ValidationFailedError(f"file: larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB", field="file")
    return data, upload.filename


@router.post("/equipment/sites/{site_id}/reconcile", response_class=HTMLResponse)
def reconcile_preview(
    site_id: int,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The dry run: sort the uploaded scan against the registry; nothing is written. A
    malformed file answers 422 with the form and the error (line and column) beside it."""
    if web_user is None:
        return _login(f"/equipment/sites/{site_id}")
    require_csrf(request, csrf)
    p = _reader(web_user)
    site = queries.get_site(session, actor=p, ref=site_id)
    today = clock_of(request).today()
    day: date | None = None
    try:
        day = _day(on, "on", today)
        upload = _read_upload(file)
        if upload is None:
            raise ValidationFailedError("file: choose the scanned serial list (CSV or XLSX)", field="file")
        data, name = upload
        result = reconcile(session, actor=p, data=data, name=name, site=site.id, on=day, apply=False)
    except ValidationFailedError as exc:
        return _site_page(
            request, session, p, site, status=422,
            upload_error=exc.message, error_field=exc.field, scan_on=day,
        )  # fmt: skip
    inline = base64.b64encode(data).decode("ascii") if len(data) <= INLINE_LIMIT else None
    digest = hashlib.sha256(data).hexdigest()
    ask = _apply_values(digest, name, day)
    token = confirmation(
        request, action=f"reconcile:{site.id}", summary="", url="", values=ask, cancel=""
    ).token
    preview = Preview(result, name, day, digest, inline, token)
    return _site_page(request, session, p, site, preview=preview, scan_on=day)


def _apply_values(sha256: str, name: str, on: date | str) -> dict[str, str]:
    """What the apply step confirms: the file's digest, its name and the scan's date."""
    return {"sha256": sha256, "name": name, "on": on if isinstance(on, str) else on.isoformat()}


@router.post("/equipment/sites/{site_id}/reconcile/apply")
def reconcile_apply(
    site_id: int,
    request: Request,
    web_user: WebUserDep,
    sha256: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=300)],
    on: Annotated[str, Form(max_length=10)],
    content: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    confirmed: ConfirmField = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Apply the previewed scan: one inventory and one ``inventoried`` event per item found
    (idempotent), in one unit of work; back to the site page with the count recorded.

    Applying asks once: only the apply form of a dry run carries the confirmation token of
    that file, name and date at this site, so nothing is applied that was not previewed."""
    if web_user is None:
        return _login(f"/equipment/sites/{site_id}")
    p = _reader(web_user)
    if not is_confirmed(request, f"reconcile:{site_id}", _apply_values(sha256, name, on), confirmed):
        raise ValidationFailedError("file: run the dry run first, then apply what it shows", field="file")
    if content:
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailedError("content: not the previewed file", field="content") from None
    else:
        upload = _read_upload(file)
        if upload is None:
            raise ValidationFailedError("file: choose the same file again to apply it", field="file")
        data = upload[0]
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValidationFailedError(
            "file: not the file previewed (its SHA-256 differs); run the dry run again", field="file"
        )
    day = _day(on, "on", clock_of(request).today())
    with form_write(request, csrf) as s:
        result = reconcile(s, actor=p, data=data, name=name, site=site_id, on=day, apply=True)
    n = result.recorded
    done = f"Applied {name}: {n} inventory event{'' if n == 1 else 's'} recorded."
    return redirect_with_flash(request, f"/equipment/sites/{site_id}", done)
