"""Demo vetting data (``demo/vetting.yaml``): a cleared and a denied proposal, one in the
reviewers' queue, a Leahy-vetted unit and an end-use record — all through the services,
so each is audited. Idempotent: a proposal whose title exists is skipped."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.demo import people
from secassist.identity import service as identity
from secassist.identity.models import User
from secassist.identity.policy import Principal
from secassist.reference.loader import read_yaml
from secassist.vetting import history, leahy, service
from secassist.vetting.decisions_models import VettingProposal
from secassist.vetting.leahy_models import LeahyUnit
from secassist.vetting.proposal import RecipientUnit, parse_proposal

DEMO_FILE = Path(str(resources.files("secassist") / "demo" / "vetting.yaml"))
REVIEWER = "pm.officer"


def _reviewer(session: Session) -> Principal | None:
    user = session.scalar(select(User).where(User.username == REVIEWER))
    return identity.principal_for(session, user) if user else None


def _units(session: Session, actor: Principal | None, raw: list[dict[str, Any]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for u in raw:
        found = session.scalar(
            select(LeahyUnit).where(LeahyUnit.country_code == u["country"], LeahyUnit.name == u["name"])
        )
        if found is not None:
            ids[u["key"]] = found.id
            continue
        unit = leahy.create_unit(
            session, actor=actor, country=u["country"], name=u["name"], unit_type=u["unit_type"]
        )
        v = u["vetting"]
        req = leahy.request_vetting(
            session,
            actor=actor,
            unit_id=unit.id,
            requested_on=_day(v["requested_on"]),
            purpose=v["purpose"],
            sources_checked=v["sources_checked"],
        )
        leahy.record_outcome(
            session,
            actor=actor,
            vetting_id=req.id,
            outcome=v["outcome"],
            decided_on=_day(v["decided_on"]),
            basis=v["basis"],
        )
        ids[u["key"]] = unit.id
    return ids


def _day(text: object) -> date:
    return date.fromisoformat(str(text))


def load_vetting_demo(session: Session) -> str:
    """Load the demo vetting data; returns a one-line summary. Never commits."""
    raw, _ = read_yaml(DEMO_FILE)
    actor = _reviewer(session)
    units = _units(session, actor, raw.get("units", []))
    existing = set(session.scalars(select(VettingProposal.title)))
    created = 0
    for entry in raw.get("proposals", []):
        if entry["title"] in existing:
            continue
        if created == 0 and not existing:
            for e in raw.get("enduse", []):
                history.add_enduse_record(
                    session,
                    actor=actor,
                    country=e["country"],
                    kind=e["kind"],
                    occurred_on=_day(e["occurred_on"]),
                    description=e["description"],
                    source=e["source"],
                )
        body = dict(entry["proposal"], title=entry["title"])
        on = _day(body["date"])
        body["recipient_units"] = [
            RecipientUnit(
                name=leahy.get_unit(session, actor=None, unit_id=units[k]).name,
                country=leahy.get_unit(session, actor=None, unit_id=units[k]).country_code,
                unit_id=units[k],
                leahy=leahy.status_on(session, units[k], on),
            ).model_dump(mode="json")
            for k in body.get("recipient_units", [])
        ]
        row = service.create_proposal(
            session, actor=actor, proposal=parse_proposal(body, where=DEMO_FILE.name)
        )
        decision = service.evaluate_proposal(session, actor=actor, proposal_id=row.id)
        for s in entry.get("signoffs", []):
            # Each office's sign-off by a user of that office, not the reviewer filing it.
            service.record_signoff(
                session, actor=people.signer(session, s["office"]), decision_id=decision.id, **s
            )
        if "note" in entry:
            service.add_note(session, actor=actor, proposal_id=row.id, body=entry["note"])
        if "final" in entry:
            f = entry["final"]
            service.finalize_decision(
                session,
                actor=actor,
                decision_id=decision.id,
                decision=f["decision"],
                provisos=f.get("provisos", []),
                comment=f.get("comment", ""),
            )
        created += 1
    return f"vetting proposals: {created} created, {len(raw.get('proposals', [])) - created} present"
