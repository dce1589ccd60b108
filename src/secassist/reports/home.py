"""Each stakeholder's home page: the work that waits on them (issue #15, "Each stakeholder's
home"), as read-only panels over the domain queries.

Every panel reads through the domain's own scoped query with the actor, so a partner's home
holds only its country's records, and a panel is built only when the actor's role holds the
permission the panel's records need (:data:`PANELS` by organization kind). Who sees what:

* **State** (``state``): the vetting review queue with the offices still to sign off,
  notifications whose congressional review ends within :data:`SOON_DAYS`, funds by program.
* **Implementing agency** (``dod``): the case pipeline by status, and the cases past their
  Anticipated Offer Date unoffered (SAMM C5.4.2; :mod:`secassist.cases.metrics`).
* **SCO** (``sco``): its country's inventories due (within :data:`SOON_DAYS`) and overdue,
  and the open incidents (SAMM C8.4 EEUM).
* **Congressional staff** (``congress``): notifications under review with their end dates
  (AECA §36(b)), and the AECA §3(d) certifications of transfers.
* **Contractor** (``industry``): the case lines it supplies.
* **Partner** (``partner``): its cases, the offers awaiting its acceptance (with the Offer
  Expiration Date), its transfer requests.
* **Auditor** (``auditor``): the latest signed checkpoint, and any entry's inclusion proof
  checked against it (RFC 9162 §2.1.3.2).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit import checkpoint, merkle
from secassist.audit import queries as audit_queries
from secassist.audit import service as audit_service
from secassist.audit.keys import find_trusted
from secassist.audit.models import AuditCheckpoint
from secassist.cases import metrics
from secassist.cases.common import scoped_cases
from secassist.cases.lifecycle import LABELS, MAIN_LINE, TERMINAL, Status
from secassist.cases.models import Case, CaseEvent, Lor
from secassist.cases.queries import visible_lines
from secassist.core.config import Settings
from secassist.core.errors import NotFoundError, SecassistError
from secassist.equipment import monitoring
from secassist.equipment.models import Incident, Item
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.notification import queries as notification_queries
from secassist.notification.models import Notification
from secassist.programs import oversight
from secassist.transfers import queries as transfer_queries
from secassist.transfers.models import TransferRequest
from secassist.vetting import service as vetting

SOON_DAYS = 30  # "ends soon", "due soon": within this many days of today
LIST_LIMIT = 25  # rows a panel shows; its own page lists the rest

# The panels of each organization kind's home, in order.
PANELS: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.state: ("vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"),
    OrgKind.dod: ("pipeline", "late_cases", "notifications_soon"),
    OrgKind.sco: ("inventories", "incidents", "cases"),
    OrgKind.congress: ("notifications_review", "certifications"),
    OrgKind.industry: ("lines",),
    OrgKind.partner: ("cases", "offers", "transfers"),
    OrgKind.auditor: ("checkpoint", "pipeline", "notifications_soon"),
}
# The permission each panel's records need (a role without it gets no such panel).
NEEDS: dict[str, str] = {
    "vetting": "vetting:read",
    "notifications_soon": "notification:read",
    "notifications_review": "notification:read",
    "funds": "program:read",
    "transfers_pending": "transfer:read",
    "certifications": "transfer:read",
    "transfers": "transfer:read",
    "pipeline": "case:read",
    "late_cases": "case:read",
    "cases": "case:read",
    "offers": "case:read",
    "inventories": "equipment:read",
    "incidents": "equipment:read",
    "lines": "case_line:read",
    "checkpoint": "audit:read",
}


@dataclass(frozen=True)
class StageCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class LateCase:
    """A case not yet offered whose Anticipated Offer Date has passed."""

    identifier: str
    title: str
    country: str
    status: str
    aod: date
    days_late: int


@dataclass(frozen=True)
class DueInventory:
    serial: str
    item_type: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class ProgramFunds:
    program: str
    appropriated: Decimal
    allocated: Decimal
    obligated: Decimal
    expended: Decimal


@dataclass(frozen=True)
class ProofCheck:
    """An entry's inclusion proof checked against the latest signed checkpoint."""

    seq: int
    tree_size: int
    ok: bool
    message: str
    path_length: int = 0
    leaf_hash: str = ""


@dataclass
class Home:
    """The panels of one stakeholder's home; a panel not in ``panels`` is not shown."""

    kind: str
    today: date
    panels: list[str] = field(default_factory=list)
    queue: list[vetting.QueueItem] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    funds: list[ProgramFunds] = field(default_factory=list)
    transfers: list[TransferRequest] = field(default_factory=list)
    certifications: list[TransferRequest] = field(default_factory=list)
    pipeline: list[StageCount] = field(default_factory=list)
    late: list[LateCase] = field(default_factory=list)
    inventories: list[DueInventory] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    offers: list[Case] = field(default_factory=list)
    lines: list[tuple[str, str, str, int, str]] = field(default_factory=list)  # case, no., item, qty, status
    checkpoint: AuditCheckpoint | None = None
    checkpoint_signature: str = ""  # "verified", or why not
    proof: ProofCheck | None = None


def home_for(
    session: Session,
    *,
    actor: Principal,
    today: date,
    settings: Settings | None = None,
    proof_seq: int | None = None,
) -> Home:
    """The home of ``actor`` on ``today`` (``proof_seq``: an entry whose proof to check)."""
    home = Home(kind=actor.org_kind.value, today=today)
    home.panels = [p for p in PANELS.get(actor.org_kind, ()) if NEEDS[p] in actor.permissions]
    for panel in home.panels:
        _FILL[panel](session, actor, home)
    if "checkpoint" in home.panels:
        _checkpoint(session, home, settings, proof_seq)
    return home


def _vetting(session: Session, actor: Principal, home: Home) -> None:
    home.queue = vetting.review_queue(session, actor=actor)[:LIST_LIMIT]


def _notifications_soon(session: Session, actor: Principal, home: Home) -> None:
    """Formally notified, review period ending between today and today + SOON_DAYS."""
    horizon = home.today + timedelta(days=SOON_DAYS)
    found = notification_queries.list_notifications(session, actor=actor, status="formally_notified")
    home.notifications = [
        n for n in found if n.review_ends_on is not None and home.today <= n.review_ends_on <= horizon
    ][:LIST_LIMIT]


def _notifications_review(session: Session, actor: Principal, home: Home) -> None:
    """Every notification still under congressional review (its end date not passed)."""
    found = notification_queries.list_notifications(session, actor=actor, status="formally_notified")
    open_ = [n for n in found if n.review_ends_on is not None and n.review_ends_on >= home.today]
    home.notifications = open_[:LIST_LIMIT]


def _funds(session: Session, actor: Principal, home: Home) -> None:
    """Funds by program, all fiscal years summed (program rows when appropriations are
    visible, else the actor's country rows)."""
    rows = oversight.totals(session, actor=actor, as_of=home.today)
    level = "program" if any(r.level == "program" for r in rows) else "country"
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for r in rows:
        if r.level != level:
            continue
        s = sums[r.program]
        for i, v in enumerate((r.appropriated or Decimal(0), r.allocated, r.obligated, r.expended)):
            s[i] += v
    home.funds = [ProgramFunds(p, *v) for p, v in sorted(sums.items())]


def _transfers_pending(session: Session, actor: Principal, home: Home) -> None:
    """Requests waiting on State's decision."""
    home.transfers = transfer_queries.list_requests(session, actor=actor, status="requested")[:LIST_LIMIT]


def _certifications(session: Session, actor: Principal, home: Home) -> None:
    """Transfers that need (or had) an AECA §3(d) certification to Congress."""
    stmt = (
        select(TransferRequest)
        .where(TransferRequest.notification_required.is_(True))
        .order_by(TransferRequest.certified.asc(), TransferRequest.id.desc())
        .limit(LIST_LIMIT)
    )
    home.certifications = list(session.scalars(transfer_queries.scoped(stmt, actor)))


def _transfers(session: Session, actor: Principal, home: Home) -> None:
    home.transfers = transfer_queries.list_requests(session, actor=actor)[:LIST_LIMIT]


def _pipeline(session: Session, actor: Principal, home: Home) -> None:
    counts = Counter(session.scalars(scoped_cases(actor).with_only_columns(Case.status)))
    order = [*MAIN_LINE, *(s for s in Status if s not in MAIN_LINE)]
    home.pipeline = [StageCount(s.value, LABELS[s], counts[s.value]) for s in order if counts.get(s.value)]


_BEFORE_OFFER = [s.value for s in MAIN_LINE[: MAIN_LINE.index(Status.offered)]]


def _late_cases(session: Session, actor: Principal, home: Home) -> None:
    """Cases still before the offer whose AOD (LOR complete + the AOD group's days) passed."""
    found = list(
        session.execute(
            scoped_cases(actor)
            .join(Lor, Lor.id == Case.lor_id)
            .add_columns(Lor.received_on)
            .where(Case.status.in_(_BEFORE_OFFER))
        )
    )
    if not found:
        return
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for ev in session.scalars(
        select(CaseEvent)
        .where(CaseEvent.kind == "status", CaseEvent.case_id.in_([c.id for c, _ in found]))
        .order_by(CaseEvent.case_id, CaseEvent.occurred_on, CaseEvent.id)
    ):
        events[ev.case_id].append(ev)
    late = []
    for case, received in found:
        m = metrics.milestones(case, received, events[case.id], home.today)
        if m.aod is not None and m.offered is None and m.aod < home.today:
            days = (home.today - m.aod).days
            late.append(LateCase(case.identifier, case.title, case.country_code, case.status, m.aod, days))
    home.late = sorted(late, key=lambda c: -c.days_late)[:LIST_LIMIT]


def _inventories(session: Session, actor: Principal, home: Home) -> None:
    due: list[tuple[Item, date]] = monitoring.due_inventories(
        session, actor=actor, as_of=home.today, within_days=SOON_DAYS, country=actor.country
    )
    rows = [DueInventory(i.serial, i.item_type, d, monitoring.overdue(d, home.today)) for i, d in due]
    home.inventories = sorted(rows, key=lambda r: (not r.overdue, r.due_on))[:LIST_LIMIT]


def _incidents(session: Session, actor: Principal, home: Home) -> None:
    found = monitoring.list_incidents(session, actor=actor, country=actor.country, open_on=home.today)
    home.incidents = found[:LIST_LIMIT]


def _cases(session: Session, actor: Principal, home: Home) -> None:
    home.cases = list(
        session.scalars(
            scoped_cases(actor)
            .where(Case.status.not_in([s.value for s in TERMINAL]))
            .order_by(Case.identifier)
            .limit(LIST_LIMIT)
        )
    )


def _offers(session: Session, actor: Principal, home: Home) -> None:
    """Offers awaiting acceptance: offered, Offer Expiration Date not passed."""
    home.offers = [
        c
        for c in session.scalars(
            scoped_cases(actor).where(Case.status == Status.offered.value).order_by(Case.offer_expires_on)
        )
        if c.offer_expires_on is None or c.offer_expires_on >= home.today
    ]


def _lines(session: Session, actor: Principal, home: Home) -> None:
    home.lines = [
        (ident, ln.number, ln.item_type, ln.quantity, "SSC" if ln.status == "ssc" else "open")
        for ln, ident in visible_lines(session, actor=actor, limit=LIST_LIMIT)
    ]


def _checkpoint_panel(session: Session, actor: Principal, home: Home) -> None:
    latest = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    home.checkpoint = session.scalars(latest).first()


_FILL = {
    "vetting": _vetting,
    "notifications_soon": _notifications_soon,
    "notifications_review": _notifications_review,
    "funds": _funds,
    "transfers_pending": _transfers_pending,
    "certifications": _certifications,
    "transfers": _transfers,
    "pipeline": _pipeline,
    "late_cases": _late_cases,
    "inventories": _inventories,
    "incidents": _incidents,
    "cases": _cases,
    "offers": _offers,
    "lines": _lines,
    "checkpoint": _checkpoint_panel,
}


def _checkpoint(session: Session, home: Home, settings: Settings | None, proof_seq: int | None) -> None:
    cp = home.checkpoint
    if cp is None:
        return
    home.checkpoint_signature = _signature(cp, settings)
    if proof_seq is not None:
        home.proof = check_proof(session, proof_seq, cp)


def _signature(cp: AuditCheckpoint, settings: Settings | None) -> str:
    """Whether the checkpoint's signature verifies under this database's trusted keys."""
    try:
        trusted = find_trusted(settings) if settings is not None else None
    except SecassistError as exc:  # e.g. no key directory configured for this database
        return f"not checked: {exc.message}"
    if trusted is None:
        return "not checked: no trusted key file to check the signature against"
    try:
        checkpoint.verify(cp.note, trusted)
    except SecassistError as exc:
        return f"NOT verified: {exc.message}"
    return "verified"


def check_proof(session: Session, seq: int, cp: AuditCheckpoint) -> ProofCheck:
    """Entry ``seq``'s leaf recomputed from its stored content, its inclusion proof in the
    checkpoint's tree, and the proof folded up to the checkpoint's signed root."""
    if not 0 <= seq < cp.tree_size:
        why = f"entry {seq} is not in the checkpoint's tree (size {cp.tree_size})"
        return ProofCheck(seq, cp.tree_size, False, why)
    try:
        leaf = audit_queries.leaf_of(audit_queries.get_entry(session, seq))
        doc = audit_service.inclusion_proof(session, seq, cp.tree_size)
    except (NotFoundError, SecassistError) as exc:
        return ProofCheck(seq, cp.tree_size, False, exc.message)
    path = [bytes.fromhex(h) for h in doc["path"]]
    try:
        merkle.verify_inclusion(leaf, seq, cp.tree_size, path, bytes(cp.root_hash))
    except merkle.ProofError as exc:
        return ProofCheck(seq, cp.tree_size, False, f"proof fails: {exc}", len(path), leaf.hex())
    return ProofCheck(seq, cp.tree_size, True, "included in the signed tree", len(path), leaf.hex())
