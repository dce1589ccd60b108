"""Demo third-party transfers (issue #13), through the real services as the system, so each
step is audited and appears in the items' trace. Everything here is invented and says so:

* a request **awaiting State's decision** — Poland asks to retransfer four demo night
  vision devices of its second delivery to Lithuania for training;
* an **executed temporary transfer** — two demo NVDs of the first delivery sent to
  Germany for repair, approved and executed, due back in the future; Germany's office
  became responsible for their end-use monitoring meanwhile, and both inboxes say so.

Dates are days before the clock's today, after the equipment demo's last inventory (30 days
ago). The parties are screened against the demo screening list and the reviewers'
determinations are recorded as the demo's; every office the vetting decision names signs
off on the executed one. Loading twice changes nothing (the demo end use marks the load).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.clock import Clock, SystemClock
from secassist.demo import people
from secassist.transfers.models import TransferRequest
from secassist.vetting import queries as vetting_queries
from secassist.vetting import service as vetting
from secassist.vetting.proposal import Determination
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer
from secassist.workflows.transfer_request import Filed, request_transfer

MARK = "(demo record, invented)"
PENDING_SERIALS = ("DEMO-PVS14-B00001", "DEMO-PVS14-B00002", "DEMO-PVS14-B00003", "DEMO-PVS14-B00004")
REPAIR_SERIALS = ("DEMO-PVS14-A00041", "DEMO-PVS14-A00042")
DEMO_REVIEWER = "demo reviewer (invented)"


def _judged() -> list[Determination]:
    return [
        Determination(
            factor=f,
            assessment="satisfactory",
            basis=f"Demo determination {MARK}: NATO ally, no concern on record",
            reviewer=DEMO_REVIEWER,
        )
        for f in ("human_rights", "nonproliferation", "partner_capacity")
    ]


def _file(
    session: Session,
    *,
    to: str,
    kind: str,
    on: date,
    end_use: str,
    end_user: str,
    serials: tuple[str, ...],
    return_by: date | None = None,
) -> Filed:
    return request_transfer(
        session,
        actor=None,
        from_country="PL",
        to_party=to,
        kind=kind,
        on=on,
        end_use=f"{end_use} {MARK}",
        end_user=end_user,
        return_by=return_by,
        serials=serials,
        determinations=_judged(),
    )


def load_demo_transfers(session: Session, *, clock: Clock | None = None) -> str:
    """Load the demo transfers unless present; never commits. Needs the equipment demo."""
    present = session.scalar(
        select(TransferRequest.id).where(TransferRequest.end_use.contains(MARK)).limit(1)
    )
    if present is not None:
        return "transfers: present"
    today = (clock or SystemClock()).today()
    repair = _file(
        session,
        to="DE",
        kind="temporary_repair",
        on=today - timedelta(days=20),
        end_use="Depot repair of image intensifier tubes",
        end_user="Bundeswehr maintenance depot (demo)",
        serials=REPAIR_SERIALS,
        return_by=today + timedelta(days=45),
    )
    assert repair.decision is not None
    for office in vetting_queries.missing_signoffs(session, repair.decision):
        vetting.record_signoff(
            session,
            actor=people.signer(session, office),
            decision_id=repair.decision.id,
            office=office,
            concur=True,
            comment=f"Demo sign-off {MARK}",
        )
    decide_transfer(
        session,
        actor=people.principal(session, people.DECIDER),
        request_id=repair.request.id,
        decision="approve",
        on=today - timedelta(days=18),
        provisos=[f"Return to Poland by the return date; no further transfer {MARK}"],
    )
    execute_transfer(session, actor=None, request_id=repair.request.id, on=today - timedelta(days=15))
    _file(
        session,
        to="LT",
        kind="retransfer",
        on=today - timedelta(days=5),
        end_use="Night training of the Lithuanian Land Forces",
        end_user="Lithuanian Land Forces (demo)",
        serials=PENDING_SERIALS,
    )
    return "transfers: 1 executed temporary transfer, 1 request awaiting a decision"
