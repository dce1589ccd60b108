"""Equipment tables: sites and their physical-security inspections, recipient units,
serialized items and bulk lots, the append-only custody chain, EEUM inventories and
incidents. All audited: ``secassist audit verify`` compares every row with its last
after-image.

``equipment_custody_event`` is the history; database triggers (migration 0010) refuse
UPDATE and DELETE on it, as on the audit log and the programs ledger. The position
columns of ``equipment_item`` (``state`` … ``gone_on``) are a projection of that history,
written in the same audit entry as the event that moved them (the fold is
:func:`secassist.equipment.custody.derive`), so the registry and the delinquency report
read one row per item instead of replaying ten events each.

Values are integer cents (``unit_value_cents``), summed in SQL on both databases as the
programs ledger does (SQLite would add :class:`~secassist.storage.types.Money`'s text as floats).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from secassist.equipment.custody import KINDS, STATES
from secassist.equipment.lot_custody import LOT_KINDS
from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime

INSPECTION_RESULTS = ("satisfactory", "deficient")
INCIDENT_KINDS = ("loss", "theft", "unauthorized_access", "unauthorized_use", "unauthorized_transfer")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# ix_equipment_item_country_due: the report's sort key first, then the columns it reads.
DUE_INDEX_COLUMNS = (
    "holder_country",
    "inventory_due_on",
    "serial",
    "id",
    "item_type",
    "unit_value_cents",
    "last_event_on",
)


class Site(Base):
    """A storage site in a partner country (EEUM items are kept at inspected sites, SAMM C8.4
    [S77][S78])."""

    __tablename__ = "equipment_site"
    __table_args__ = (audited(),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("reference_country.code"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    organization: Mapped[str] = mapped_column(String(200))  # who holds what is stored there
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class SiteInspection(Base):
    """A physical-security inspection of a site (EEUM, domain.md §7.1 [S77]; MILDEP site
    certification accepted across implementing agencies, DSCA 17-20 / 20-64 [S78][S79])."""

    __tablename__ = "equipment_site_inspection"
    __table_args__ = (CheckConstraint(_in("result", INSPECTION_RESULTS), name="result"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("equipment_site.id"), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(16))
    inspecting_office: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class RecipientUnit(Base):
    """A unit of the partner's forces that holds equipment, linked to the Leahy unit that
    vetting holds for it (FAA §620M / 10 U.S.C. 362, domain.md §8)."""

    __tablename__ = "equipment_unit"
    __table_args__ = (UniqueConstraint("country_code", "name"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("reference_country.code"))
    name: Mapped[str] = mapped_column(String(300))
    leahy_unit_id: Mapped[int | None] = mapped_column(ForeignKey("leahy_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Item(Base):
    """One serialized defense article delivered against a case line, with its current
    position (a projection of its custody events)."""

    __tablename__ = "equipment_item"
    __table_args__ = (
        UniqueConstraint("item_type", "manufacturer", "serial"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint("unit_value_cents >= 0", name="value"),
        # Reconciliation and the registry look items up by serial alone.
        Index("ix_equipment_item_serial", "serial"),
        # Delinquency and the country pages: EEUM items by holder country.
        Index("ix_equipment_item_country_eeum", "holder_country", "eeum_designation", "id"),
        Index("ix_equipment_item_site_state", "site_id", "state"),
        # Delinquency and the SCO's worklist: held EEUM items by their next inventory due
        # date (NULL for every other item, so the partial index holds only those). It covers
        # the report's two statements (the totals by country, and the delinquent items in
        # the order listed), so at 10^6 items they read the index alone, in order, instead
        # of visiting ~750k rows scattered over the table.
        Index(
            "ix_equipment_item_country_due",
            *DUE_INDEX_COLUMNS,
            postgresql_where=text("inventory_due_on IS NOT NULL"),
            sqlite_where=text("inventory_due_on IS NOT NULL"),
        ),
        # Delinquency as of a past date: the EEUM items with events after it (replayed).
        Index(
            "ix_equipment_item_eeum_last_event",
            "last_event_on",
            postgresql_where=text("eeum_designation IS NOT NULL"),
            sqlite_where=text("eeum_designation IS NOT NULL"),
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type: Mapped[str] = mapped_column(String(32))
    manufacturer: Mapped[str] = mapped_column(String(100))  # "" when not known
    serial: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"), index=True)
    case_line_id: Mapped[int] = mapped_column(ForeignKey("fms_case_line.id"), index=True)
    # The case identifier and line number as delivered (both stable): the registry and the
    # trace show them without reaching into the cases domain's tables.
    case_ref: Mapped[str] = mapped_column(String(8))
    line_number: Mapped[str] = mapped_column(String(3))
    purchaser_country: Mapped[str] = mapped_column(String(8))
    unit_value_cents: Mapped[int] = mapped_column(BigInteger)
    eeum_designation: Mapped[str | None] = mapped_column(String(32))
    delivered_on: Mapped[date] = mapped_column(Date)
    # The position, as of the last custody event.
    state: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_site.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_unit.id"), index=True)
    holder_country: Mapped[str | None] = mapped_column(String(8))
    holder_org: Mapped[str | None] = mapped_column(String(300))
    last_event_on: Mapped[date] = mapped_column(Date)
    events: Mapped[int] = mapped_column(Integer)
    last_found_on: Mapped[date | None] = mapped_column(Date)
    gone_on: Mapped[date | None] = mapped_column(Date)
    # When the next EEUM serial-number inventory is due, while the item is held and EEUM
    # (None otherwise): part of the projection, computed by
    # :func:`secassist.equipment.monitoring.next_inventory_due` from the catalog's dated
    # schedules whenever an event moves the item, so "overdue on D" is one comparison.
    # Derived: not in the audit images (see audit.canonical.logged_columns), so a change of
    # the catalog's schedules is a backfill (a migration), and `audit verify` ignores it.
    inventory_due_on: Mapped[date | None] = mapped_column(Date, info={"derived": True})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Lot(Base):
    """A bulk delivery (ammunition) against a case line, accounted by quantity."""

    __tablename__ = "equipment_lot"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_value_cents >= 0", name="value"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type: Mapped[str] = mapped_column(String(32))
    lot_number: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"), index=True)
    case_line_id: Mapped[int] = mapped_column(ForeignKey("fms_case_line.id"), index=True)
    # The case identifier and line number as delivered (both stable): the registry and the
    # trace show them without reaching into the cases domain's tables.
    case_ref: Mapped[str] = mapped_column(String(8))
    line_number: Mapped[str] = mapped_column(String(3))
    purchaser_country: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_value_cents: Mapped[int] = mapped_column(BigInteger)
    site_id: Mapped[int] = mapped_column(ForeignKey("equipment_site.id"), index=True)
    delivered_on: Mapped[date] = mapped_column(Date)
    # A lot split off another by a transfer of part of it (the units another country now
    # holds); ``delivered_on`` is then the day the recipient received them.
    parent_lot_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_lot.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Inventory(Base):
    """A serial-number inventory at a site, done by the SCO or by designated U.S. personnel
    on its behalf (DSCA 23-63 [S80]); each item found gets an ``inventoried`` event."""

    __tablename__ = "equipment_inventory"
    __table_args__ = (Index("ix_equipment_inventory_site_on", "site_id", "performed_on"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("equipment_site.id"))
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    performed_on: Mapped[date] = mapped_column(Date)
    performed_by: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    found: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)
    unexpected: Mapped[int] = mapped_column(Integer)
    wrong_site: Mapped[int] = mapped_column(Integer)
    gone: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class CustodyEvent(Base):
    """One step of an item's custody chain. Append-only (triggers); ``seq`` numbers the
    item's events from 1, so two concurrent appends to one item collide on the unique key."""

    __tablename__ = "equipment_custody_event"
    __table_args__ = (
        # The trace reads one item's events in order; the key is also the concurrency guard.
        UniqueConstraint("item_id", "seq"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint("(kind = 'inventoried') = (found IS NOT NULL)", name="found_for_inventory"),
        CheckConstraint("seq >= 1", name="seq"),
        # Delinquency as of a past date: the last inventory that found each item by then.
        Index("ix_equipment_custody_event_kind_item_on", "kind", "item_id", "occurred_on"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_item.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    found: Mapped[bool | None] = mapped_column(Boolean)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_site.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_unit.id"))
    holder_country: Mapped[str | None] = mapped_column(String(8))
    holder_org: Mapped[str | None] = mapped_column(String(300))
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_inventory.id"), index=True)
    performed_by: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class CustodyEntry(Base):
    """Which audit entry recorded each custody event: the trace's proofs start here.

    Not itself audited: it is an index into the log, written in the same transaction as the
    entry it points to, and every use checks it (the entry's subject is the event, and the
    inclusion proof binds the entry to the tree's root)."""

    __tablename__ = "equipment_custody_entry"

    event_id: Mapped[int] = mapped_column(ForeignKey("equipment_custody_event.id"), primary_key=True)
    audit_seq: Mapped[int] = mapped_column(BigInteger, unique=True)


class Incident(Base):
    """A loss, theft, unauthorized access, use or transfer (SAMM C8.6 unauthorized end use),
    with the date discovered, the report deadline and the offices to be told [S73]."""

    __tablename__ = "equipment_incident"
    __table_args__ = (
        CheckConstraint(_in("kind", INCIDENT_KINDS), name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_on"),
        Index("ix_equipment_incident_country_status", "country_code", "status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(24))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_item.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_site.id"))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    discovered_on: Mapped[date] = mapped_column(Date)
    report_due_on: Mapped[date] = mapped_column(Date)
    offices: Mapped[str] = mapped_column(Text)  # JSON list, from the catalog at recording time
    reported_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    closed_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class LotEvent(Base):
    """A movement of N units of a bulk lot (stored, issued, expended, lost, destroyed,
    transferred; :mod:`~secassist.equipment.lot_custody`). Append-only (triggers); ``seq``
    numbers the lot's events from 1, so two concurrent appends to one lot collide. The
    holdings per site and unit are derived from these rows and the lot's delivery."""

    __tablename__ = "equipment_lot_event"
    __table_args__ = (
        UniqueConstraint("lot_id", "seq"),
        CheckConstraint(_in("kind", LOT_KINDS), name="kind"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint("from_site_id IS NULL OR from_unit_id IS NULL", name="one_source"),
        CheckConstraint("to_site_id IS NULL OR to_unit_id IS NULL", name="one_destination"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("equipment_lot.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    from_site_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_site.id"))
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_unit.id"))
    to_site_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_site.id"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_unit.id"))
    # A transfer's new holder (another country: the end of the recipient's accountability).
    holder_country: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class RoutineCheck(Base):
    """A routine end-use check in a partner country by its security cooperation office
    (Routine EUM, DoD Golden Sentry, SAMM C8.3 [S72][S73]), with what it found."""

    __tablename__ = "equipment_routine_check"
    __table_args__ = (
        # "What is due as of a date": the last check per country by then.
        Index("ix_equipment_routine_check_country_on", "country_code", "checked_on"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("reference_country.code"))
    checked_on: Mapped[date] = mapped_column(Date)
    office: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)  # JSON list of strings ([] when nothing found)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
