"""Congressional notification of a case: the cross-domain steps.

- :func:`prepare_for_case` opens a case's notification from its facts (purchaser, agency,
  MDE / other / design-and-construction values, the lines as the item description);
- :func:`notice_content` renders a notification from the case's current data when it has
  a case (the values and lines as they stand), else from the notification's own record;
- :func:`import_notices` imports published notices, first opening the notification of a
  case whose transmittal number a notice carries, so the notice links to that case.

Notices of sales with no case here stay public-record notifications (``origin
public_record``): a case needs an LOR, an agency letter and lines that a notice does not
give, and inventing them would put made-up data into the case record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases import service as cases
from secassist.cases.facts import CaseFacts
from secassist.cases.models import Case
from secassist.core.clock import Clock
from secassist.core.errors import UnknownCodeError
from secassist.identity.policy import Principal
from secassist.notification import importer, queries, service
from secassist.notification.models import Notification
from secassist.notification.parse import parse_notice
from secassist.notification.render import NoticeContent
from secassist.reference.service import get_reference

# How the notices print these purchasers (domain.md §11; shared notices).
PRINTED_NAMES = {
    "TW": "Taipei Economic and Cultural Representative Office in the United States (TECRO)",
    "KR": "Republic of Korea",
}


def purchaser_name(facts: CaseFacts) -> str:
    """The purchaser as a notice prints it: ``Government of Poland``, TECRO, a NATO body."""
    ref = get_reference()
    code = facts.purchaser_code
    if facts.purchaser_is_body:
        return ref.body(code).name
    if code in PRINTED_NAMES:
        return PRINTED_NAMES[code]
    return f"Government of {ref.country(code).name}"


def _agency_name(letter: str) -> str | None:
    try:
        return get_reference().implementing_agency(letter).name
    except UnknownCodeError:
        return None


def _items(facts: CaseFacts) -> tuple[tuple[str, ...], tuple[str, ...]]:
    mde = tuple(f"{ln.quantity} {ln.description}" for ln in facts.lines if ln.mde)
    other = tuple(f"{ln.quantity} {ln.description}" for ln in facts.lines if not ln.mde)
    return mde, other


def _sensitivity(facts: CaseFacts) -> str:
    sme = [
        f"{ln.description} (USML Category {ln.usml_category})"
        for ln in facts.lines
        if ln.sme and ln.usml_category
    ]
    if not sme:
        return ""
    return "Significant Military Equipment in this case: " + "; ".join(sme) + "."


def prepare_for_case(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    policy_justification: str | None = None,
    sensitivity: str | None = None,
    clock: Clock | None = None,
) -> Notification:
    """Open the notification of a case the actor may see (404 otherwise), from its facts."""
    cases.get_case(session, actor=actor, case_id=case_id)
    facts = cases.case_facts(session, case_id)
    mde, other = _items(facts)
    description = "\n".join([*(f"MDE: {x}" for x in mde), *other])
    return service.create_notification(
        session,
        actor=actor,
        case_id=case_id,
        purchaser=purchaser_name(facts),
        purchaser_country=facts.purchaser_code,
        mde_value=facts.mde_value,
        other_value=facts.other_value,
        design_construction_value=facts.design_construction_value,
        transmittal=facts.transmittal,
        implementing_agency=_agency_name(facts.implementing_agency),
        description=description or None,
        policy_justification=policy_justification,
        sensitivity=sensitivity if sensitivity is not None else (_sensitivity(facts) or None),
        clock=clock,
    )


def notice_content(session: Session, n: Notification) -> NoticeContent:
    """What the notice states: from the case's current data when there is a case."""
    content = service.notice_content(n)
    if n.case_id is None:
        return content
    facts = cases.case_facts(session, n.case_id)
    mde, other = _items(facts)
    return replace(
        content,
        purchaser=purchaser_name(facts),
        mde=facts.mde_value,
        other=facts.other_value,
        implementing_agency=_agency_name(facts.implementing_agency) or content.implementing_agency,
        mde_items=mde or content.mde_items,
        non_mde_items=other or content.non_mde_items,
        case_identifier=facts.identifier,
    )


def import_notices(
    session: Session,
    *,
    actor: Principal | None,
    texts: list[tuple[str, str]],
    clock: Clock | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> importer.ImportReport:
    """Import notice texts; a notice whose transmittal number a case carries links to that
    case (its notification is opened from the case first when it has none). ``progress``
    hears (texts done, texts in all) after each text."""
    report = importer.ImportReport()
    for done, (name, text) in enumerate(texts, 1):
        number = parse_notice(text).transmittal
        if (
            number
            and session.scalar(select(Notification.id).where(Notification.transmittal == number)) is None
        ):
            case_id = session.scalar(select(Case.id).where(Case.transmittal == number).order_by(Case.id))
            if case_id is not None and queries.for_case(session, case_id) is None:
                prepare_for_case(session, actor=actor, case_id=case_id, clock=clock)
        importer.import_notice(session, actor=actor, name=name, text=text, report=report, clock=clock)
        if progress is not None:
            progress(done, len(texts))
    return report
