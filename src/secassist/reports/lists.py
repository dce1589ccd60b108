"""The lists of the web pages (and their exports), one :class:`ListSpec` each.

Every ``fetch`` reads through the owning domain's scoped query, so a partner's page and a
partner's export hold only what that partner may see; filters the domain query takes are
passed down to it, the others are applied to what it returned. Exports carry names beside
codes (``country`` and ``country_name``) so a spreadsheet reads without a code table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from secassist.cases import present
from secassist.cases import queries as case_queries
from secassist.cases.lifecycle import LABELS, Status
from secassist.cases.models import FINANCING, CaseLine
from secassist.cases.schemas import CaseSummary
from secassist.core.errors import NotFoundError, SecassistError
from secassist.equipment import monitoring
from secassist.equipment import queries as equipment_queries
from secassist.equipment.models import INCIDENT_KINDS, Incident, Site
from secassist.equipment.schemas import ItemRead
from secassist.identity.policy import Principal
from secassist.notification import queries as notification_queries
from secassist.notification.models import STATUSES as NOTICE_STATUSES
from secassist.notification.models import Notification
from secassist.programs import queries as program_queries
from secassist.programs.models import LedgerEntry
from secassist.reference.service import get_reference
from secassist.reports.listing import Column, Filter, ListSpec
from secassist.transfers import queries as transfer_queries
from secassist.transfers import rules as transfer_rules
from secassist.transfers.models import TransferRequest
from secassist.vetting import schemas as vetting_schemas
from secassist.vetting import service as vetting_service
from secassist.vetting.schemas import QueueItemRead
from secassist.vetting.screening import queries as screening_queries
from secassist.vetting.screening.models import ScreeningRun

#: Rows any one list reads at most: a guard against a page that would load a whole
#: million-item registry into memory (the bench's volume), not a limit the demo reaches.
MAX_ROWS = 100_000


def country_name(code: str | None) -> str | None:
    """The country's (or NATO body's) name for its code; None for no code."""
    if not code:
        return None
    ref = get_reference()
    try:
        return ref.country(code).name
    except SecassistError:
        try:
            return ref.body(code).name
        except SecassistError:
            return code


def _dollars(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


def _country_filter(label: str = "Country") -> Filter:
    return Filter("country", label, max_length=8, upper=True)


# --- cases ------------------------------------------------------------------------------


def _cases(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[CaseSummary]:
    out: list[CaseSummary] = []
    while len(out) < MAX_ROWS:
        page = case_queries.list_cases(
            session, actor=actor, limit=case_queries.MAX_PAGE, offset=len(out),
            status=f.get("status"), country=f.get("country"), agency=f.get("agency"),
            financing=f.get("financing"), q=f.get("q"),
        )  # fmt: skip
        out += [present.case_summary(r) for r in page.items]
        if len(out) >= page.total or not page.items:
            return out
    return out


CASES: ListSpec[CaseSummary] = ListSpec(
    name="cases",
    title="FMS cases",
    permission="case:read",
    columns=(
        Column("identifier", "Case", lambda c: c.identifier),
        Column("title", "Title", lambda c: c.title),
        Column("purchaser", "Purchaser", lambda c: c.purchaser),
        Column("purchaser_name", "Purchaser name", lambda c: country_name(c.purchaser)),
        Column("implementing_agency", "Agency", lambda c: c.implementing_agency),
        Column("status", "Status", lambda c: c.status),
        Column("status_label", "Status label", lambda c: LABELS[Status(c.status)], sortable=False),
        Column("financing", "Financing", lambda c: c.financing),
        Column("line_count", "Lines", lambda c: c.line_count),
        Column("mde_value", "MDE (USD)", lambda c: c.mde_value),
        Column("total_value", "Total (USD)", lambda c: c.total_value),
        Column("offered_on", "Offered on", lambda c: c.offered_on),
        Column("id", "Id", lambda c: c.id),
    ),
    filters=(
        Filter("status", "Status", choices=tuple(s.value for s in Status)),
        Filter("country", "Purchaser", max_length=8, upper=True),
        Filter("agency", "Agency", max_length=2, upper=True),
        Filter("financing", "Financing", choices=tuple(FINANCING)),
        Filter("q", "Text"),
    ),
    fetch=_cases,
    default_sort="-id",
)


# --- notifications ----------------------------------------------------------------------


def _notifications(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[Notification]:
    return notification_queries.list_notifications(
        session, actor=actor, status=f.get("status"), country=f.get("country"), limit=MAX_ROWS
    )


NOTIFICATIONS: ListSpec[Notification] = ListSpec(
    name="notifications",
    title="Congressional notifications",
    permission="notification:read",
    columns=(
        Column("transmittal", "Transmittal", lambda n: n.transmittal),
        Column("purchaser", "Purchaser", lambda n: n.purchaser),
        Column("country", "Country", lambda n: n.purchaser_country),
        Column("country_name", "Country name", lambda n: country_name(n.purchaser_country)),
        Column("kind", "Kind", lambda n: n.kind),
        Column("section", "Section", lambda n: n.section),
        Column("status", "Status", lambda n: n.status),
        Column("total_value", "Total (USD)", lambda n: n.total_value),
        Column("formal_notification_on", "Formally notified", lambda n: n.formal_notification_on),
        Column("review_ends_on", "Review ends", lambda n: n.review_ends_on),
        Column("id", "Id", lambda n: n.id),
    ),
    filters=(Filter("status", "Status", choices=NOTICE_STATUSES), _country_filter()),
    fetch=_notifications,
    default_sort="review_ends_on",
)


# --- transfers --------------------------------------------------------------------------


def _transfers(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[TransferRequest]:
    rows = transfer_queries.list_requests(
        session, actor=actor, status=f.get("status"), country=f.get("country")
    )
    return rows[:MAX_ROWS]


TRANSFERS: ListSpec[TransferRequest] = ListSpec(
    name="transfers",
    title="Transfer requests",
    permission="transfer:read",
    columns=(
        Column("id", "Request", lambda t: t.id),
        Column("from_country", "From", lambda t: t.from_country),
        Column("from_name", "From (name)", lambda t: country_name(t.from_country)),
        Column("to_party", "To", lambda t: t.to_party),
        Column("to_name", "To (name)", lambda t: country_name(t.to_party)),
        Column("kind", "Kind", lambda t: t.kind),
        Column("end_user", "End user", lambda t: t.end_user),
        Column("requested_on", "Requested on", lambda t: t.requested_on),
        Column("status", "Status", lambda t: t.status),
        Column("total_value", "Value (USD)", lambda t: _dollars(t.total_value_cents)),
        Column("notification_required", "Notification required", lambda t: t.notification_required),
    ),
    filters=(Filter("status", "Status", choices=transfer_rules.STATUSES), _country_filter()),
    fetch=_transfers,
    default_sort="-id",
)


# --- equipment: items, sites, incidents -------------------------------------------------


def _items(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[ItemRead]:
    eeum = {"yes": True, "no": False}.get(f.get("eeum", ""))
    rows = equipment_queries.list_items(session, actor=actor, country=f.get("country"), eeum=eeum)
    if state := f.get("state"):
        rows = [r for r in rows if r.state == state]
    if case := f.get("case"):
        rows = [r for r in rows if r.case == case]
    return rows[:MAX_ROWS]


ITEMS: ListSpec[ItemRead] = ListSpec(
    name="items",
    title="Delivered items",
    permission="equipment:read",
    columns=(
        Column("serial", "Serial", lambda i: i.serial),
        Column("item_type", "Type", lambda i: i.item_type),
        Column("case", "Case", lambda i: i.case),
        Column("line", "Line", lambda i: i.line),
        Column("holder_country", "Holder", lambda i: i.holder_country),
        Column("holder_name", "Holder (name)", lambda i: country_name(i.holder_country)),
        Column("site", "Site", lambda i: i.site),
        Column("state", "State", lambda i: i.state),
        Column("eeum", "EEUM", lambda i: i.eeum),
        Column("unit_value_usd", "Unit value (USD)", lambda i: i.unit_value_usd),
    ),
    filters=(
        _country_filter("Holder"),
        Filter("eeum", "EEUM", choices=("yes", "no")),
        Filter("state", "State", max_length=24),
        Filter("case", "Case", max_length=40, upper=True),
    ),
    fetch=_items,
    default_sort="serial",
)


def _sites(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[Site]:
    return equipment_queries.list_sites(session, actor=actor, country=f.get("country"))[:MAX_ROWS]


SITES: ListSpec[Site] = ListSpec(
    name="sites",
    title="Storage sites",
    permission="equipment:read",
    columns=(
        Column("id", "Id", lambda s: s.id),
        Column("name", "Site", lambda s: s.name),
        Column("country", "Country", lambda s: s.country_code),
        Column("country_name", "Country name", lambda s: country_name(s.country_code)),
        Column("organization", "Organization", lambda s: s.organization),
    ),
    filters=(_country_filter(),),
    fetch=_sites,
    default_sort="country",
)


def _incidents(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[Incident]:
    rows = monitoring.list_incidents(session, actor=actor, country=f.get("country"))
    if status := f.get("status"):
        rows = [r for r in rows if r.status == status]
    if kind := f.get("kind"):
        rows = [r for r in rows if r.kind == kind]
    return rows[:MAX_ROWS]


INCIDENTS: ListSpec[Incident] = ListSpec(
    name="incidents",
    title="Possible end-use violations",
    permission="equipment:read",
    columns=(
        Column("id", "Id", lambda i: i.id),
        Column("country", "Country", lambda i: i.country_code),
        Column("country_name", "Country name", lambda i: country_name(i.country_code)),
        Column("kind", "Kind", lambda i: i.kind),
        Column("description", "Description", lambda i: i.description),
        Column("discovered_on", "Discovered", lambda i: i.discovered_on),
        Column("report_due_on", "Report due", lambda i: i.report_due_on),
        Column("reported_on", "Reported", lambda i: i.reported_on),
        Column("status", "Status", lambda i: i.status),
        Column("closed_on", "Closed", lambda i: i.closed_on),
    ),
    filters=(
        _country_filter(),
        Filter("status", "Status", choices=("open", "closed")),
        Filter("kind", "Kind", choices=INCIDENT_KINDS),
    ),
    fetch=_incidents,
    default_sort="-discovered_on",
)


# --- vetting queue, screening -----------------------------------------------------------


def _queue(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[QueueItemRead]:
    rows = [vetting_schemas.queue_read(i) for i in vetting_service.review_queue(session, actor=actor)]
    if country := f.get("country"):
        rows = [r for r in rows if r.country == country]
    if rec := f.get("recommendation"):
        rows = [r for r in rows if r.recommendation == rec]
    return rows[:MAX_ROWS]


VETTING_QUEUE: ListSpec[QueueItemRead] = ListSpec(
    name="vetting-queue",
    title="Vetting review queue",
    permission="vetting:read",
    columns=(
        Column("decision_id", "Decision", lambda q: q.decision_id),
        Column("proposal_id", "Proposal", lambda q: q.proposal_id),
        Column("title", "Title", lambda q: q.title),
        Column("country", "Country", lambda q: q.country),
        Column("country_name", "Country name", lambda q: country_name(q.country)),
        Column("recommendation", "Recommendation", lambda q: q.recommendation),
        Column("concerns", "Concerns", lambda q: "; ".join(q.concerns), sortable=False),
        Column("missing_signoffs", "Sign-offs missing", lambda q: "; ".join(q.missing_signoffs)),
        Column("evaluated_at", "Evaluated at", lambda q: q.evaluated_at),
    ),
    filters=(_country_filter(), Filter("recommendation", "Recommendation", max_length=24)),
    fetch=_queue,
    default_sort="evaluated_at",
)


def _screenings(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[ScreeningRun]:
    rows = screening_queries.list_runs(session, actor=actor, limit=MAX_ROWS)
    if status := f.get("status"):
        rows = [r for r in rows if r.status == status]
    if country := f.get("country"):
        rows = [r for r in rows if r.country_code == country]
    return rows


SCREENINGS: ListSpec[ScreeningRun] = ListSpec(
    name="screenings",
    title="Screening runs",
    permission="vetting:read",
    columns=(
        Column("id", "Run", lambda r: r.id),
        Column("at", "At", lambda r: r.at),
        Column("actor", "By", lambda r: r.actor),
        Column("subject", "Subject", lambda r: r.subject),
        Column("country", "Country", lambda r: r.country_code),
        Column("hit_count", "Hits", lambda r: r.hit_count),
        Column("status", "Status", lambda r: r.status),
    ),
    filters=(Filter("status", "Status", choices=("clear", "potential_match", "match")), _country_filter()),
    fetch=_screenings,
    default_sort="-id",
)


# --- program ledger ---------------------------------------------------------------------

_ENTRY_KINDS = ("appropriation", "allocation", "obligation", "expenditure")


def _ledger(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[LedgerEntry]:
    out: list[LedgerEntry] = []
    after: int | None = None
    while len(out) < MAX_ROWS:
        batch = program_queries.list_entries(
            session, actor=actor, country=f.get("country"), kind=f.get("kind"),
            after_id=after, limit=program_queries.MAX_PAGE,
        )  # fmt: skip
        out += batch
        if len(batch) < program_queries.MAX_PAGE:
            break
        after = batch[-1].id
    if program := f.get("program"):
        out = [e for e in out if e.program == program]
    return out


LEDGER: ListSpec[LedgerEntry] = ListSpec(
    name="ledger",
    title="Program funds ledger",
    permission="program:read",
    columns=(
        Column("id", "Entry", lambda e: e.id),
        Column("entry_date", "Date", lambda e: e.entry_date),
        Column("kind", "Kind", lambda e: e.kind),
        Column("program", "Program", lambda e: e.program),
        Column("fiscal_year", "FY", lambda e: e.fiscal_year),
        Column("country", "Country", lambda e: e.country_code),
        Column("country_name", "Country name", lambda e: country_name(e.country_code)),
        Column("target", "Target", lambda e: e.target),
        Column("case_id", "Case id", lambda e: e.case_id),
        Column("amount_usd", "Amount (USD)", lambda e: _dollars(e.amount_cents)),
        Column("reverses_id", "Reverses", lambda e: e.reverses_id),
        Column("memo", "Memo", lambda e: e.memo),
    ),
    filters=(
        _country_filter(),
        Filter("kind", "Kind", choices=_ENTRY_KINDS),
        Filter("program", "Program", max_length=8, upper=True),
    ),
    fetch=_ledger,
    default_sort="id",
)


# --- case lines (a contractor's: the lines it supplies) ---------------------------------

LineRow = tuple[CaseLine, str]  # the line and its case identifier


def _lines(session: Session, actor: Principal, f: Mapping[str, str]) -> Sequence[LineRow]:
    """Through the scoped :func:`cases.queries.visible_lines`: a contractor's own lines
    only (policy: industry reads ``case_line`` rows naming it as contractor, nothing else —
    so no vetting, gates, funds or deliveries)."""
    out: list[LineRow] = []
    while len(out) < MAX_ROWS:
        batch = case_queries.visible_lines(session, actor=actor, limit=case_queries.MAX_PAGE, offset=len(out))
        out.extend(batch)
        if len(batch) < case_queries.MAX_PAGE:
            break
    if case := f.get("case"):
        out = [r for r in out if r[1] == case]
    if item := f.get("item_type"):
        out = [r for r in out if r[0].item_type == item]
    return out[:MAX_ROWS]


LINES: ListSpec[LineRow] = ListSpec(
    name="lines",
    title="Case lines supplied",
    permission="case_line:read",
    columns=(
        Column("case", "Case", lambda r: r[1]),
        Column("line", "Line", lambda r: r[0].number),
        Column("item_type", "Item type", lambda r: r[0].item_type),
        Column("description", "Item", lambda r: r[0].description),
        Column("usml_category", "USML category", lambda r: r[0].usml_category),
        Column("quantity", "Quantity", lambda r: r[0].quantity),
        Column("status", "Line status", lambda r: r[0].status),
        Column("ssc_on", "Supply complete on", lambda r: r[0].ssc_on),
    ),
    filters=(
        Filter("case", "Case", max_length=16, upper=True),
        Filter("item_type", "Item type", max_length=32),
    ),
    fetch=_lines,
    default_sort="case",
)


#: Every list by its name (the /exports/<name>.<format> path).
LISTS: dict[str, ListSpec[Any]] = {
    s.name: s
    for s in (
        CASES,
        NOTIFICATIONS,
        TRANSFERS,
        ITEMS,
        SITES,
        INCIDENTS,
        VETTING_QUEUE,
        SCREENINGS,
        LEDGER,
        LINES,
    )
}


def spec(name: str) -> ListSpec[Any]:
    """The list called ``name``, or NotFoundError."""
    found = LISTS.get(name)
    if found is None:
        raise NotFoundError(f"no list {name!r}; lists: {', '.join(LISTS)}")
    return found
