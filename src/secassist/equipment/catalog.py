"""The equipment catalog: item types and EEUM designations as reviewable, dated data.

YAML under ``equipment/data/``, validated when loaded with the reference loader (errors
name the file and the entry). Entries the sources do not confirm stay marked UNCONFIRMED
with their note (domain.md §7.1, §12 item 4: no primary copy of the SAMM EEUM list was seen).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secassist.core.errors import ReferenceDataError, ValidationFailedError
from secassist.reference.loader import load_file

DATA_DIR = Path(__file__).parent / "data"
Status = Literal["confirmed", "UNCONFIRMED"]
USML = r"^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII|XVIII|XIX|XX|XXI)$"
CASE_UNIQUE = "case_unique"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Sourced(_Strict):
    source: str = Field(min_length=1)
    status: Status = "confirmed"
    note: str | None = None

    @model_validator(mode="after")
    def _unconfirmed_has_note(self) -> _Sourced:
        if self.status == "UNCONFIRMED" and not self.note:
            raise ValueError("an UNCONFIRMED entry needs a note saying what is unsure")
        return self


class Schedule(_Sourced):
    """Inventory intervals in force from ``from_`` (SAMM C8.4 serial-number inventories)."""

    from_: date | None = Field(default=None, alias="from")
    initial_inventory_days: int = Field(ge=1, le=3650)
    inventory_interval_months: int = Field(ge=1, le=120)


class Designation(_Sourced):
    """One EEUM designation and the dates it is in force (``until`` exclusive)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    schedules: tuple[Schedule, ...] = ()

    def in_force(self, on: date) -> bool:
        return (self.from_ is None or self.from_ <= on) and (self.until is None or on < self.until)


class IncidentReporting(_Sourced):
    """Who is told of an EUM violation, and by when (SAMM C8.6 [S73])."""

    report_within_days: int = Field(ge=0, le=365)
    offices: tuple[str, ...] = Field(min_length=1)


class EeumFile(_Strict):
    dataset: Literal["equipment_eeum"]
    title: str
    source: str
    as_of: date
    default_schedules: tuple[Schedule, ...] = Field(min_length=1)
    designations: tuple[Designation, ...] = Field(min_length=1)
    incident_reporting: IncidentReporting

    @model_validator(mode="after")
    def _check(self) -> EeumFile:
        codes = [d.code for d in self.designations]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise ValueError(f"designations[{i}] (code {code!r}): duplicate code")
        if CASE_UNIQUE not in codes:
            raise ValueError(f"designations: the {CASE_UNIQUE!r} designation is required")
        for d in self.designations:
            if d.from_ and d.until and d.until <= d.from_:
                raise ValueError(f"designation {d.code!r}: until must be after from")
        return self


class ItemType(_Sourced):
    """A kind of defense article the registry tracks."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    nomenclature: str = Field(min_length=1)
    nsn: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{3}-\d{4}$")
    usml_category: str | None = Field(default=None, pattern=USML)
    mde: bool
    serialized: bool
    eeum: str | None = None
    match: tuple[str, ...] = ()


class ItemTypesFile(_Strict):
    dataset: Literal["equipment_item_types"]
    title: str
    source: str
    as_of: date
    item_types: tuple[ItemType, ...] = Field(min_length=1)


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


class Catalog:
    """Item types and EEUM designations, loaded and cross-checked once."""

    def __init__(self, data_dir: Path | None = None) -> None:
        d = data_dir or DATA_DIR
        self.items_file, _ = load_file(ItemTypesFile, "item_types.yaml", d)
        self.eeum_file, _ = load_file(EeumFile, "eeum.yaml", d)
        self.designations = {x.code: x for x in self.eeum_file.designations}
        self.item_types: dict[str, ItemType] = {}
        self.by_nsn: dict[str, ItemType] = {}
        for t in self.items_file.item_types:
            if t.code in self.item_types:
                raise ReferenceDataError(f"item_types.yaml: entry {t.code}: duplicate code", entry=t.code)
            if t.eeum is not None and t.eeum not in self.designations:
                raise ReferenceDataError(
                    f"item_types.yaml: entry {t.code}: unknown EEUM designation {t.eeum!r}", entry=t.code
                )
            if t.nsn is not None:
                if t.nsn in self.by_nsn:
                    raise ReferenceDataError(f"item_types.yaml: entry {t.code}: duplicate NSN", entry=t.code)
                self.by_nsn[t.nsn] = t
            self.item_types[t.code] = t

    @property
    def reporting(self) -> IncidentReporting:
        return self.eeum_file.incident_reporting

    def item_type(self, code: str) -> ItemType:
        try:
            return self.item_types[code.strip().lower()]
        except KeyError:
            raise ValidationFailedError(
                f"item_type: unknown item type {code!r}; one of {', '.join(sorted(self.item_types))}",
                field="item_type",
            ) from None

    def item_type_for(self, description: str) -> ItemType:
        """The one item type whose ``match`` terms appear in a case line's description."""
        text = description.lower()
        hits = [t for t in self.item_types.values() if any(m in text for m in t.match)]
        if len(hits) != 1:
            which = (
                "no item type" if not hits else "several item types (" + ", ".join(t.code for t in hits) + ")"
            )
            raise ValidationFailedError(
                f"item_type: the line {description!r} matches {which}; name the item type", field="item_type"
            )
        return hits[0]

    def eeum_designation(self, item_type: ItemType, *, line_eeum: bool, on: date) -> str | None:
        """The EEUM designation an item delivered ``on`` falls under, or None (routine EUM).

        The item type's own designation when in force on the delivery date; otherwise the
        case line's case-unique designation (a Routine item made EEUM for one export, carried
        on the line's MASL since 31 Jan 2020 [S129]). A line cannot lift an item type's
        designation: the sources know only the one direction (domain.md §7.1).
        """
        if item_type.eeum is not None and self.designations[item_type.eeum].in_force(on):
            return item_type.eeum
        return CASE_UNIQUE if line_eeum else None

    def schedule(self, designation: str, on: date) -> Schedule:
        """The inventory schedule in force on ``on`` for ``designation`` (its own dated
        schedules first, else the default ones): SAMM C8.4 serial-number inventories [S76][S77]."""
        d = self.designations[designation]
        for schedules in (d.schedules, self.eeum_file.default_schedules):
            current = [s for s in schedules if s.from_ is None or s.from_ <= on]
            if current:
                return max(current, key=lambda s: s.from_ or date.min)
        raise ValidationFailedError(f"on: no inventory schedule for {designation} on {on}", field="on")

    def inventory_due(self, designation: str, *, delivered_on: date, last_found_on: date | None) -> date:
        """When the next serial-number inventory is due: ``initial_inventory_days`` after
        delivery until an inventory has found the item, then ``inventory_interval_months``
        after the last inventory that found it (DoD Golden Sentry EEUM, domain.md §7.1 [S76][S77])."""
        if last_found_on is None:
            return delivered_on + timedelta(
                days=self.schedule(designation, delivered_on).initial_inventory_days
            )
        months = self.schedule(designation, last_found_on).inventory_interval_months
        return add_months(last_found_on, months)


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The packaged catalog (loaded on first use, never at import time)."""
    return Catalog()
