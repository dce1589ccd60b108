"""Case lines: item type, USML category, MDE/SME/EEUM flags, quantity × unit cost; SSC per line."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secassist.cases import lifecycle
from secassist.cases.catalog import get_catalog
from secassist.cases.common import (
    add_event,
    as_date,
    audited_change,
    case_for_write,
    clock_of,
    lines_of,
    require_developer,
    require_write,
    text,
    touch,
)
from secassist.cases.facts import LineFacts
from secassist.cases.lifecycle import Status
from secassist.cases.models import Case, CaseLine
from secassist.core.clock import Clock
from secassist.core.errors import (
    NotFoundError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.core.types import to_money
from secassist.identity.models import Organization
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.reference.service import get_reference
from secassist.storage.base import Base

# --- lines ----------------------------------------------------------------------------


def parse_quantity(value: object, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailedError(f"quantity: {value!r} is not a whole number", field="quantity")
    try:
        q = int(str(value).strip())
    except ValueError:
        raise ValidationFailedError(f"quantity: {value!r} is not a whole number", field="quantity") from None
    if q < (0 if allow_zero else 1):
        raise ValidationFailedError(f"quantity: must be at least {0 if allow_zero else 1}", field="quantity")
    return q


def _usml(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        return get_reference().usml_category(value).roman
    except UnknownCodeError:
        raise ValidationFailedError(
            f"usml_category: unknown USML category {value!r}; I to XXI", field="usml_category"
        ) from None


def _contractor(session: Session, org_id: int | None) -> int | None:
    if org_id is None:
        return None
    org = session.get(Organization, org_id)
    if org is None or org.kind != OrgKind.industry.value:
        raise ValidationFailedError(
            f"contractor_org_id: {org_id} is not an industry organization", field="contractor_org_id"
        )
    return org.id


def line_value(quantity: int, unit_cost: Decimal) -> Decimal:
    """Line value = quantity × unit cost, to the cent."""
    return (unit_cost * quantity).quantize(Decimal("0.01"))


def new_line(
    session: Session,
    case: Case,
    *,
    number: str,
    item_type: str,
    description: str,
    quantity: object,
    unit_cost: object,
    usml_category: str | None = None,
    mde: bool = False,
    sme: bool = False,
    eeum: bool = False,
    design_construction: bool | None = None,
    contractor_org_id: int | None = None,
    is_demo: bool = False,
) -> CaseLine:
    """A validated, not yet added line (shared by :func:`add_line` and amendments)."""
    kind = get_catalog().item_type(item_type)
    category = _usml(usml_category)
    if mde and not sme:
        raise ValidationFailedError(
            "sme: an MDE line must also be SME (MDE is SME with high R&D or production cost, "
            "22 U.S.C. 2794(6) [S49])",
            field="sme",
        )
    if (mde or sme) and category is None:
        raise ValidationFailedError(
            "usml_category: an SME or MDE line needs its USML category", field="usml_category"
        )
    q = parse_quantity(quantity)
    cost = to_money(unit_cost, field="unit_cost")
    return CaseLine(
        case_id=case.id,
        number=number,
        item_type=kind.code,
        description=text(description, "description", limit=300, required=True),
        usml_category=category,
        mde=bool(mde),
        sme=bool(sme),
        eeum=bool(eeum),
        design_construction=kind.design_construction
        if design_construction is None
        else bool(design_construction),
        quantity=q,
        unit_cost=cost,
        value=line_value(q, cost),
        contractor_org_id=_contractor(session, contractor_org_id),
        status="open",
        ssc_on=None,
        is_demo=is_demo,
    )


def next_line_number(session: Session, case_id: int) -> str:
    top = session.scalar(select(func.max(CaseLine.number)).where(CaseLine.case_id == case_id))
    n = int(top) + 1 if top else 1
    if n > 999:
        raise ValidationFailedError("lines: a case has at most 999 lines", field="lines")
    return f"{n:03d}"


def add_line(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    item_type: str,
    description: str,
    quantity: object,
    unit_cost: object,
    usml_category: str | None = None,
    mde: bool = False,
    sme: bool = False,
    eeum: bool = False,
    design_construction: bool | None = None,
    contractor_org_id: int | None = None,
    expected_version: int | None = None,
    on: date | None = None,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> CaseLine:
    """Add a line while the case is being developed (or restated), dated ``on`` (default
    today; never in the future). After the offer, lines change only through a
    restatement, an amendment or a modification. Tag ``case:line:added``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    require_write(actor, "case_line:write")
    require_developer(actor, "change case lines")
    _editable(case)
    day = c.today() if on is None else as_date(on, "on")
    if day > c.today():
        raise ValidationFailedError("on: cannot be in the future", field="on")
    line = new_line(
        session,
        case,
        number=next_line_number(session, case.id),
        item_type=item_type,
        description=description,
        quantity=quantity,
        unit_cost=unit_cost,
        usml_category=usml_category,
        mde=mde,
        sme=sme,
        eeum=eeum,
        design_construction=design_construction,
        contractor_org_id=contractor_org_id,
        is_demo=is_demo,
    )
    session.add(line)
    _line_changed(
        session,
        actor,
        case,
        line,
        tag="case:line:added",
        detail=f"line {line.number} added: {line.quantity} × {line.description} = {line.value}",
        clock=c,
        on=day,
    )
    return line


def update_line(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    line_id: int,
    quantity: object = None,
    unit_cost: object = None,
    description: str | None = None,
    contractor_org_id: int | None = None,
    expected_version: int | None = None,
    clock: Clock | None = None,
) -> CaseLine:
    """Change a line's quantity, unit cost, description or contractor while the case is
    being developed (or restated); the value is recomputed. Tag ``case:line:changed``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    require_write(actor, "case_line:write")
    require_developer(actor, "change case lines")
    _editable(case)
    line = next((ln for ln in lines_of(session, case.id) if ln.id == line_id), None)
    if line is None:
        raise NotFoundError("case line not found")
    before = line.value
    if quantity is not None:
        line.quantity = parse_quantity(quantity)
    if unit_cost is not None:
        line.unit_cost = to_money(unit_cost, field="unit_cost")
    if description is not None:
        line.description = text(description, "description", limit=300, required=True)
    if contractor_org_id is not None:
        line.contractor_org_id = _contractor(session, contractor_org_id)
    line.value = line_value(line.quantity, line.unit_cost)
    _line_changed(
        session,
        actor,
        case,
        line,
        tag="case:line:changed",
        detail=f"line {line.number} changed: {before} → {line.value}",
        clock=c,
    )
    return line


def _line_changed(
    session: Session,
    actor: Principal | None,
    case: Case,
    line: CaseLine,
    *,
    tag: str,
    detail: str,
    clock: Clock,
    on: date | None = None,
) -> None:
    """Bump the case's version, note the change in its history, and audit case, line and event."""
    touch(case, clock)
    ev = add_event(
        session, case, kind="line", on=on or clock.today(), actor=actor, clock=clock, detail=detail
    )
    audited_change(session, actor=actor, tag=tag, subject_id=case.id, rows=[case, line, ev], clock=clock)


def _editable(case: Case) -> None:
    if Status(case.status) not in lifecycle.EDITABLE:
        raise ValidationFailedError(
            f"status: lines of a {case.status} case change only through a restatement, an amendment "
            "or a modification",
            field="status",
        )


def complete_line(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    line_id: int,
    on: date | None = None,
    expected_version: int | None = None,
    clock: Clock | None = None,
) -> CaseLine:
    """Mark a line supply/services complete (SSC). When it is the last open line, the case
    becomes SSC in the same change (SAMM C6 [S16]). Tag ``case:line:supply_complete``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    require_write(actor, "case_line:write")
    require_developer(actor, "complete case lines")
    if case.status != Status.implemented.value:
        raise ValidationFailedError(
            "status: lines become supply/services complete only on an implemented case "
            f"(this one is {case.status})",
            field="status",
        )
    on = c.today() if on is None else as_date(on, "on")
    if on > c.today():
        raise ValidationFailedError("on: cannot be in the future", field="on")
    lines = lines_of(session, case.id)
    line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        raise NotFoundError("case line not found")
    if line.status == "ssc":
        raise ValidationFailedError(
            f"line_id: line {line.number} is already supply/services complete", field="line_id"
        )
    line.status, line.ssc_on = "ssc", on
    touch(case, c)
    rows: list[Base] = [case, line]
    rows.append(
        add_event(session, case, kind="line", on=on, actor=actor, clock=c, detail=f"line {line.number} SSC")
    )
    if all(ln.status == "ssc" for ln in lines):
        case.status = Status.supply_services_complete.value
        rows.append(
            add_event(
                session,
                case,
                kind="status",
                on=on,
                actor=actor,
                clock=c,
                from_status=Status.implemented.value,
                to_status=case.status,
                detail="all lines SSC",
            )
        )
    audited_change(
        session,
        actor=actor,
        tag="case:line:supply_complete",
        subject_id=case.id,
        rows=rows,
        clock=c,
    )
    return line


# --- what other domains may know ----------------------------------------------------------


def line_facts(line: CaseLine) -> LineFacts:
    return LineFacts(
        line_id=line.id,
        number=line.number,
        item_type=line.item_type,
        description=line.description,
        usml_category=line.usml_category,
        mde=line.mde,
        sme=line.sme,
        eeum=line.eeum,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        value=line.value,
        contractor_org_id=line.contractor_org_id,
    )
