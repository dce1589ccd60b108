"""Demo equipment: deliveries, custody and EEUM inventories against the demo's cases.

Reads only the packaged ``secassist/demo/equipment.yaml`` (everything in it is invented and
says so). Every record goes through the equipment services and workflows as the system, so
each is audited: sites and their physical-security inspections, recipient units (one
linked to the Leahy unit the vetting demo holds), deliveries against case lines (some
lines fully delivered, one still in delivery), receipt and issue to units, serial-number
inventories reconciled from scan files, and one lost night vision device with its incident.

Dates are days before the clock's today, replayed in date order, so the dashboard stays
alive: as of today some inventories are current and some overdue. Loading twice changes
nothing (the first demo site marks the load as done).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases.models import Case
from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import ValidationFailedError
from secassist.equipment import custody, monitoring, reconcile, service, sites
from secassist.equipment.models import Item, Site
from secassist.equipment.schemas import LeahyLink
from secassist.reference.loader import load_file
from secassist.vetting import leahy
from secassist.vetting.leahy_models import LeahyUnit
from secassist.workflows.deliver import deliver

DEMO_FILE = Path(__file__).resolve().parent / "equipment.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoInspection(_Strict):
    days_ago: int = Field(ge=0)
    result: Literal["satisfactory", "deficient"]
    office: str
    note: str | None = None


class DemoSite(_Strict):
    key: str
    country: str
    name: str
    organization: str
    inspections: list[DemoInspection] = []


class DemoUnit(_Strict):
    key: str
    country: str
    name: str | None = None
    leahy: str | None = None  # the Leahy unit's name in the vetting demo


class DemoDelivery(_Strict):
    key: str
    case: str  # the demo case's title
    line: str
    site: str
    days_ago: int = Field(ge=0)
    prefix: str = Field(pattern=r"^DEMO-")
    count: int = Field(ge=1)
    received_after: int = Field(ge=0)

    def serials(self) -> list[str]:
        return [f"{self.prefix}{n:05d}" for n in range(1, self.count + 1)]


class DemoLot(_Strict):
    case: str
    line: str
    site: str
    days_ago: int = Field(ge=0)
    quantity: int = Field(ge=1)
    lot_number: str


class DemoIssue(_Strict):
    delivery: str
    count: int = Field(ge=1)
    unit: str
    days_ago: int = Field(ge=0)


class DemoInventory(_Strict):
    site: str
    deliveries: list[str]
    days_ago: int = Field(ge=0)


class DemoIncident(_Strict):
    delivery: str
    serial_index: int = Field(ge=0)
    kind: Literal["loss", "theft"]
    lost_days_ago: int = Field(ge=0)
    discovered_days_ago: int = Field(ge=0)
    description: str


class DemoEquipmentFile(_Strict):
    dataset: Literal["demo_equipment"]
    title: str
    note: str
    sites: list[DemoSite]
    units: list[DemoUnit]
    deliveries: list[DemoDelivery]
    lots: list[DemoLot] = []
    issues: list[DemoIssue] = []
    inventories: list[DemoInventory] = []
    incidents: list[DemoIncident] = []


@lru_cache(maxsize=1)
def demo_equipment() -> DemoEquipmentFile:
    """The packaged demo equipment file, validated."""
    parsed, _ = load_file(DemoEquipmentFile, DEMO_FILE.name, DEMO_FILE.parent)
    return parsed


def _bad(what: str) -> ValidationFailedError:
    return ValidationFailedError(f"{DEMO_FILE.name}: {what}", field="demo_equipment")


class _Loader:
    """Replays the file's steps in date order (custody events are appended in date order)."""

    def __init__(self, session: Session, data: DemoEquipmentFile, clock: Clock) -> None:
        self.s, self.data, self.clock = session, data, clock
        self.today = clock.today()
        self.site_ids: dict[str, int] = {}
        self.unit_ids: dict[str, int] = {}
        self.delivered: dict[str, list[Item]] = {}
        self.by_key = {d.key: d for d in data.deliveries}

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def case_id(self, title: str) -> int:
        found = self.s.scalar(select(Case.id).where(Case.title == title, Case.is_demo.is_(True)))
        if found is None:
            raise _bad(f"no demo case titled {title!r} (see demo/cases.yaml)")
        return found

    def setup(self) -> None:
        """Sites with their inspections, and recipient units (undated registrations)."""
        inspections = []
        for d in self.data.sites:
            site = sites.create_site(
                self.s, actor=None, country=d.country, name=d.name, organization=d.organization,
                is_demo=True, clock=self.clock,
            )  # fmt: skip
            self.site_ids[d.key] = site.id
            inspections += [(i.days_ago, site.id, i) for i in d.inspections]
        for _, site_id, i in sorted(inspections, key=lambda x: -x[0]):
            sites.inspect_site(
                self.s, actor=None, site=site_id, on=self.day(i.days_ago), result=i.result,
                office=i.office, note=i.note, clock=self.clock,
            )  # fmt: skip
        for u in self.data.units:
            link = None
            if u.leahy is not None:
                # As workflows.recipient_unit does, but flagged as demo data.
                leahy_id = self.s.scalar(
                    select(LeahyUnit.id).where(LeahyUnit.country_code == u.country, LeahyUnit.name == u.leahy)
                )
                if leahy_id is None:
                    raise _bad(f"unit {u.key}: no Leahy unit {u.leahy!r} (see demo/vetting.yaml)")
                row = leahy.get_unit(self.s, actor=None, unit_id=leahy_id)
                link = LeahyLink(unit_id=row.id, country=row.country_code)
            unit = sites.create_unit(
                self.s, actor=None, country=u.country, name=u.name or u.leahy or "", leahy=link,
                is_demo=True, clock=self.clock,
            )  # fmt: skip
            self.unit_ids[u.key] = unit.id

    def steps(self) -> list[tuple[int, int, object]]:
        """(days ago, order within a day, step): oldest first, then delivery before receipt
        before issue before inventory before loss on the same day."""
        out: list[tuple[int, int, object]] = []
        for d in self.data.deliveries:
            out += [(d.days_ago, 0, d), (d.days_ago - d.received_after, 1, ("receive", d))]
        out += [(lot.days_ago, 0, lot) for lot in self.data.lots]
        out += [(i.days_ago, 2, i) for i in self.data.issues]
        out += [(inv.days_ago, 3, inv) for inv in self.data.inventories]
        out += [(inc.lost_days_ago, 4, inc) for inc in self.data.incidents]
        return sorted(out, key=lambda x: (-x[0], x[1]))

    def run(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for _, _, step in self.steps():
            match step:
                case DemoDelivery() as d:
                    got = deliver(
                        self.s, actor=None, case_ref=self.case_id(d.case), line_no=d.line,
                        on=self.day(d.days_ago), site=self.site_ids[d.site], serials=d.serials(),
                        is_demo=True, clock=self.clock,
                    )  # fmt: skip
                    self.delivered[d.key] = got.items
                    counts["items"] += len(got.items)
                case DemoLot() as lot:
                    deliver(
                        self.s, actor=None, case_ref=self.case_id(lot.case), line_no=lot.line,
                        on=self.day(lot.days_ago), site=self.site_ids[lot.site], quantity=lot.quantity,
                        lot_number=lot.lot_number, is_demo=True, clock=self.clock,
                    )  # fmt: skip
                    counts["lots"] += 1
                case ("receive", DemoDelivery() as d):
                    site = self.s.get_one(Site, self.site_ids[d.site])
                    ev = custody.Event(
                        "received", self.day(d.days_ago - d.received_after), site=site.id,
                        holder_org=site.organization,
                    )  # fmt: skip
                    service.apply_events(
                        self.s, actor=None, changes=[(i, ev) for i in self.delivered[d.key]], clock=self.clock
                    )
                    counts["events"] += d.count
                case DemoIssue() as i:
                    ev = custody.Event("issued", self.day(i.days_ago), unit=self.unit_ids[i.unit])
                    items = self.delivered[i.delivery][: i.count]
                    changes = [(x, ev) for x in items]
                    service.apply_events(self.s, actor=None, changes=changes, clock=self.clock)
                    counts["events"] += len(items)
                case DemoInventory() as inv:
                    counts["events"] += self.inventory(inv)
                case DemoIncident() as inc:
                    self.incident(inc)
                    counts["incidents"] += 1
        return counts

    def inventory(self, inv: DemoInventory) -> int:
        """Scan every item of the deliveries still held, as the SCO's scanner export would list them."""
        held = [i for key in inv.deliveries for i in self.delivered[key] if i.state in custody.HELD]
        body = "serial,item_type\n" + "".join(f"{i.serial},{i.item_type}\n" for i in held)
        result = reconcile.reconcile(
            self.s, actor=None, data=body.encode(), name="demo-scan.csv", site=self.site_ids[inv.site],
            on=self.day(inv.days_ago), apply=True, performed_by="Office of Defense Cooperation (demo)",
            clock=self.clock,
        )  # fmt: skip
        if result.missing or result.unexpected or result.wrong_site:
            raise _bad(f"inventory of {inv.site} {inv.days_ago} days ago does not reconcile")
        return result.recorded

    def incident(self, inc: DemoIncident) -> None:
        d = self.by_key[inc.delivery]
        item = self.delivered[inc.delivery][inc.serial_index]
        kind = "lost" if inc.kind == "loss" else "stolen"
        service.record_event(
            self.s, actor=None, serial=item.serial, item_type=item.item_type, kind=kind,
            on=self.day(inc.lost_days_ago), note=inc.description, clock=self.clock,
        )  # fmt: skip
        monitoring.record_incident(
            self.s, actor=None, country=item.purchaser_country, kind=inc.kind,
            discovered_on=self.day(inc.discovered_days_ago), occurred_on=self.day(inc.lost_days_ago),
            description=inc.description, serial=item.serial, site=self.site_ids[d.site], clock=self.clock,
        )  # fmt: skip


def load_demo_equipment(session: Session, *, clock: Clock | None = None) -> str:
    """Load the demo equipment records unless present (the first demo site marks them); never commits."""
    data = demo_equipment()
    if session.scalar(select(Site.id).where(Site.name == data.sites[0].name)) is not None:
        return "equipment: present"
    loader = _Loader(session, data, clock or SystemClock())
    loader.setup()
    counts = loader.run()
    return (
        f"equipment: {len(data.sites)} sites, {counts['items']} items, {counts['lots']} lots, "
        f"{counts['events']} custody events, {counts['incidents']} incidents"
    )
