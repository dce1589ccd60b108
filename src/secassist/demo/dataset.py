"""The demo dataset: what `make run` shows a new user.

Reference data, then one organization and one user per stakeholder kind (and, at State,
one per vetting review office, so that sign-offs and the final decision are by different
people: ``demo/people.py``), created through the identity services (so each is audited).
Later domains add their demo records here, each marked as demo data.

THE DEMO PASSWORDS ARE PUBLISHED (they are printed by ``secassist demo logins`` and are in
this file). They are for a laptop demo only; ``secassist demo load`` refuses to run in
production.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.demo.cases import load_demo_cases, load_demo_pending_lor
from secassist.demo.equipment import load_demo_equipment
from secassist.demo.lead_nation import load_demo_lead_nation
from secassist.demo.programs import load_demo_programs
from secassist.demo.screening import load_demo_screening
from secassist.demo.transfers import load_demo_transfers
from secassist.demo.vetting import load_vetting_demo
from secassist.identity import service as identity
from secassist.identity.models import Organization, User
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference


@dataclass(frozen=True)
class DemoOrg:
    name: str
    kind: str
    country: str | None = None
    office: str | None = None  # a State vetting review office


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    org: str
    roles: tuple[str, ...]

    @property
    def password(self) -> str:
        """Demo-only, published: ``demo-<username>!`` (at least 12 characters)."""
        return f"demo-{self.username}!"


STATE_PM = "Bureau of Political-Military Affairs (State PM)"
STATE_DRL = "Bureau of Democracy, Human Rights, and Labor (State DRL)"
STATE_ISN = "Bureau of International Security and Nonproliferation (State ISN)"
DSCA = "Defense Security Cooperation Agency (DSCA)"
USASAC = "U.S. Army Security Assistance Command (USASAC)"
ODC_POLAND = "Office of Defense Cooperation Poland (SCO)"
POLAND = "Ministry of National Defence of Poland"
JAPAN = "Ministry of Defense of Japan"
HFAC = "House Foreign Affairs Committee staff"
SFRC = "Senate Foreign Relations Committee staff"
CONTRACTOR = "Northwind Defense Systems (demo prime contractor)"
DOD_IG = "DoD Office of Inspector General"

DEMO_ORGS: tuple[DemoOrg, ...] = (
    DemoOrg(STATE_PM, "state", office="political_military"),
    DemoOrg(STATE_DRL, "state", office="human_rights"),
    DemoOrg(STATE_ISN, "state", office="technology_security"),
    DemoOrg(DSCA, "dod"),
    DemoOrg(USASAC, "dod"),
    DemoOrg(ODC_POLAND, "sco", "PL"),
    DemoOrg(POLAND, "partner", "PL"),
    DemoOrg(JAPAN, "partner", "JP"),
    DemoOrg(HFAC, "congress"),
    DemoOrg(SFRC, "congress"),
    DemoOrg(CONTRACTOR, "industry"),
    DemoOrg(DOD_IG, "auditor"),
)

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("pm.officer", "Pat Morgan (policy officer)", STATE_PM, ("policy_officer",)),
    DemoUser("pm.admin", "Alex Reed (administrator)", STATE_PM, ("admin",)),
    DemoUser("pm.reviewer", "Casey Grant (political-military reviewer)", STATE_PM, ("policy_officer",)),
    DemoUser("drl.officer", "Jamie Rivera (human-rights reviewer)", STATE_DRL, ("policy_officer",)),
    DemoUser("isn.officer", "Lee Kim (technology-security reviewer)", STATE_ISN, ("policy_officer",)),
    DemoUser("dsca.case", "Dana Case (case manager)", DSCA, ("case_manager",)),
    DemoUser("army.eum", "Sam Ortiz (end-use monitor)", USASAC, ("eum_monitor",)),
    DemoUser("odc.poland", "Jordan Lee (SCO Poland)", ODC_POLAND, ("sco_officer",)),
    DemoUser("pl.mod", "Anna Nowak (Poland MoD)", POLAND, ("partner_staff",)),
    DemoUser("jp.mod", "Haruto Sato (Japan MoD)", JAPAN, ("partner_staff",)),
    DemoUser("hfac.staff", "Chris Hill (HFAC staff)", HFAC, ("congressional_staff",)),
    DemoUser("sfrc.staff", "Robin Park (SFRC staff)", SFRC, ("congressional_staff",)),
    DemoUser("nds.contracts", "Taylor Quinn (contractor)", CONTRACTOR, ("contractor",)),
    DemoUser("ig.auditor", "Morgan Blake (DoD IG)", DOD_IG, ("auditor",)),
)

# (user, password, organization) for the people `make run` invites to log in.
DEMO_LOGINS: list[tuple[str, str, str]] = [(u.username, u.password, u.org) for u in DEMO_USERS]


def load_demo(session: Session, *, clock: Clock | None = None) -> str:
    """Load the demo dataset into ``session`` (idempotent: existing organizations and
    users, matched by name, are left as they are). Never commits. ``clock`` sets "today"
    for the cases dated relative to it (default: the system clock)."""
    result = sync_reference(session, data=get_reference())
    org_ids = {name: oid for oid, name in session.execute(select(Organization.id, Organization.name))}
    orgs_created = 0
    for o in DEMO_ORGS:
        if o.name not in org_ids:
            org = identity.create_organization(
                session, actor=None, name=o.name, kind=o.kind, country_code=o.country, office=o.office
            )
            org_ids[o.name] = org.id
            orgs_created += 1
    existing = set(session.scalars(select(User.username)))
    users_created = 0
    for u in DEMO_USERS:
        if u.username not in existing:
            identity.create_user(
                session,
                actor=None,
                username=u.username,
                display_name=u.display_name,
                organization_id=org_ids[u.org],
                roles=list(u.roles),
                password=u.password,
            )
            users_created += 1
    # Screening and funds first: offering a case screens its parties and may obligate FMF.
    screening = load_demo_screening(session)
    programs = load_demo_programs(session)
    cases = load_demo_cases(session, clock=clock)
    vetting = load_vetting_demo(session)
    # After the cases (deliveries are against their lines) and vetting (a Leahy-linked unit).
    equipment = load_demo_equipment(session, clock=clock)
    # After the equipment: the transfers move demo items the registry holds.
    transfers = load_demo_transfers(session, clock=clock)
    lead_nation = load_demo_lead_nation(session, clock=clock)
    pending_lor = load_demo_pending_lor(session, clock=clock)
    return (
        f"reference countries: {result.inserted} inserted, "
        f"{result.updated} updated, {result.unchanged} unchanged; "
        f"organizations: {orgs_created} created, {len(DEMO_ORGS) - orgs_created} present; "
        f"users: {users_created} created, {len(DEMO_USERS) - users_created} present; "
        f"{cases}; {screening}; {vetting}; {programs}; {equipment}; {transfers}; {lead_nation}; {pending_lor}"
    )
