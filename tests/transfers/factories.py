"""Filing a request whose parties are screened clear and whose reviewers are satisfied, and
deciding it with every office's sign-off: the path on which only the transfer's own rules
can still refuse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from secassist.core.clock import FixedClock
from secassist.vetting import queries as vetting_queries
from secassist.vetting import service as vetting
from secassist.vetting.proposal import Determination, ScreeningOutcome
from secassist.workflows.transfer_request import Filed, request_transfer
from tests.identity.factories import office_reviewer

CLEAR = ScreeningOutcome(status="clear")  # asserted: cites no screening record
JUDGED = [
    Determination(factor=f, assessment="satisfactory", basis="test", reviewer="test")
    for f in ("human_rights", "nonproliferation", "partner_capacity")
]


def file(
    s: Session,
    clock: FixedClock,
    serials: Sequence[str],
    *,
    to: str = "DE",
    kind: str = "retransfer",
    on: date | None = None,
    return_by: date | None = None,
    source: str = "PL",
    **kw: Any,
) -> Filed:
    names = {f"Government of {to}": CLEAR, "Bundeswehr": CLEAR}
    return request_transfer(
        s, actor=None, from_country=source, to_party=to, kind=kind, on=on or clock.today(),
        end_use="Training of NATO forces", end_user="Bundeswehr", return_by=return_by, serials=serials,
        screenings=names, determinations=JUDGED, clock=clock, **kw,
    )  # fmt: skip


def sign_off(s: Session, filed: Filed) -> None:
    """Every office the vetting decision's concerns name concurs."""
    assert filed.decision is not None
    for office in vetting_queries.missing_signoffs(s, filed.decision):
        vetting.record_signoff(s, actor=office_reviewer(s, office), decision_id=filed.decision.id,
                               office=office, concur=True, comment="test")  # fmt: skip
