"""Demo lead-nation (multinational) case (issue #13), through the real services and workflows
as the system, so each step is audited and appears in the items' trace. Everything is
invented and says so.

The NSPA case of ``demo/cases.yaml`` (customer code W7, SAMM C5.6; DSCA 22-85) buys for
three NATO nations — the Netherlands, Belgium and Norway:

* each is named a participating nation, signs the "Basic Retransfer Assurances and LOA
  Standard Terms and Conditions for Participating Nations", and is named as a transferee in
  the case's §36(b) notification (so no §3(d) certification, AECA §3(d)(4)(C)(ii));
* NSPA has 36 night vision goggles delivered to a Dutch depot (the demo delivers no missiles
  or launch units);
* the goggles then move among the participants: NL→BE and NL→NO (the first transfer to each
  generates the written notice to State, PM/RSAT), BE→NO under the case's blanket
  authorization (SAMM C5.6, Fig. C5.F20), and NO→NL (the first transfer *to* the Netherlands:
  its notice). Each transfer tells both offices (their inboxes); the recipient stores the
  goggles at its own depot two days later.

Dates are days before the clock's today. Loading twice changes nothing (the first demo site
marks the load).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases import participants as parts
from secassist.cases.models import Case
from secassist.core.clock import Clock, SystemClock
from secassist.equipment import custody, service, sites
from secassist.equipment.models import Item, Site
from secassist.workflows.deliver import deliver
from secassist.workflows.lead_nation import transfer_lead_nation

TITLE = "Demo: NSPA multinational buy of Javelin and night vision for three NATO nations"
PARTICIPANTS = ("NL", "BE", "NO")
SITES = {
    "NL": ("Demo: NSPA receiving depot, Woensdrecht (invented)", "Royal Netherlands Army (demo)"),
    "BE": ("Demo: night vision store, Leopoldsburg (invented)", "Belgian Land Component (demo)"),
    "NO": ("Demo: night vision store, Rena (invented)", "Norwegian Army (demo)"),
}
SERIALS = tuple(f"DEMO-PVS31-NSPA-{n:04d}" for n in range(1, 37))
DELIVERED_DAYS_AGO = 240
# (days ago, to, serials): the first to each participant generates its notice to State.
TRANSFERS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (160, "BE", SERIALS[0:12]),
    (120, "NO", SERIALS[12:20]),
    (60, "NO", SERIALS[0:2]),  # BE → NO: the case's blanket authorization
    (25, "NL", SERIALS[12:13]),  # NO → NL: the first transfer to the Netherlands
)


def load_demo_lead_nation(session: Session, *, clock: Clock | None = None) -> str:
    """Load the demo lead-nation case's participants, delivery and transfers unless present;
    never commits. Needs the demo cases (the NSPA case)."""
    first = SITES["NL"][0]
    if session.scalar(select(Site.id).where(Site.name == first)) is not None:
        return "lead nation: present"
    case = session.scalar(select(Case).where(Case.title == TITLE))
    if case is None:
        return "lead nation: no NSPA demo case"
    clk = clock or SystemClock()
    today = clk.today()

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    ref = case.identifier
    signed = day(DELIVERED_DAYS_AGO + 20)
    for cc in PARTICIPANTS:
        parts.add_participant(session, actor=None, case_ref=ref, country=cc, clock=clk)
        parts.record_assurances(
            session, actor=None, case_ref=ref, country=cc, signed_on=signed,
            signatory=f"Director of Armaments of {cc} (demo, invented)", clock=clk,
        )  # fmt: skip
        parts.mark_named_in_notification(session, actor=None, case_ref=ref, country=cc, clock=clk)
    site_ids = {
        cc: sites.create_site(
            session, actor=None, country=cc, name=name, organization=org, is_demo=True, clock=clk
        ).id
        for cc, (name, org) in SITES.items()
    }
    for cc, sid in site_ids.items():  # each site's physical-security inspection before delivery
        sites.inspect_site(
            session, actor=None, site=sid, on=day(DELIVERED_DAYS_AGO + 10), result="satisfactory",
            office=f"Security cooperation office {cc} (demo, invented)", clock=clk,
        )  # fmt: skip
    got = deliver(
        session, actor=None, case_ref=ref, line_no="001", on=day(DELIVERED_DAYS_AGO), site=site_ids["NL"],
        serials=SERIALS, is_demo=True, clock=clk,
    )  # fmt: skip
    received = custody.Event(
        "received", day(DELIVERED_DAYS_AGO - 3), site=site_ids["NL"], holder_org=SITES["NL"][1]
    )
    service.apply_events(session, actor=None, changes=[(i, received) for i in got.items], clock=clk)
    notices = 0
    for days_ago, to, serials in TRANSFERS:
        done = transfer_lead_nation(
            session, actor=None, case_ref=ref, to=to, on=day(days_ago), serials=serials, clock=clk
        )
        notices += done.notice is not None
        # The recipient stores what it received at its own depot two days later.
        stored = custody.Event("stored", day(days_ago - 2), site=site_ids[to])
        moved = [e for e in done.events if e.kind == "received"]
        service.apply_events(
            session,
            actor=None,
            changes=[(session.get_one(Item, e.item_id), stored) for e in moved],
            clock=clk,
        )
    return (
        f"lead nation: {ref} with {len(PARTICIPANTS)} participants, {len(SERIALS)} items delivered, "
        f"{len(TRANSFERS)} transfers ({notices} notices to State)"
    )
