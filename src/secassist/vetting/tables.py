"""The vetting data files (``vetting/data/*.yaml``), validated when loaded.

UN arms embargoes (dated, per country), the technology-security categories and EEUM item
names, and the Leahy outcome labels. A malformed file fails with a
:class:`~secassist.core.errors.ReferenceDataError` naming the file and the entry.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field

from secassist.core.errors import DateOutOfRangeError, ReferenceDataError
from secassist.reference.loader import parse, read_yaml
from secassist.reference.schemas import Coverage, Dated, Status, _Strict

DATA_DIR = Path(str(resources.files("secassist.vetting") / "data"))


class EmbargoEntry(Dated):
    scope: Literal["country", "partial"]
    resolution: str


class EmbargoFile(_Strict):
    dataset: Literal["un_arms_embargoes"]
    title: str
    source: str
    coverage: Coverage
    status: Status = "confirmed"
    note: str | None = None
    entries: list[EmbargoEntry]


class EmbargoTable:
    """UN arms embargoes as of a date."""

    def __init__(self, data: EmbargoFile) -> None:
        self.data = data
        for i, e in enumerate(data.entries):
            for other in data.entries[:i]:
                if other.code == e.code and _overlap(e, other):
                    raise ReferenceDataError(
                        f"un_arms_embargoes.yaml: entry entries[{i}] (code {e.code!r}): "
                        "overlaps an earlier entry for the same code",
                        file="un_arms_embargoes.yaml",
                    )

    def in_force(self, code: str, on: date) -> EmbargoEntry | None:
        """The embargo on ``code`` in force on ``on``; a date outside the file's coverage
        is an error rather than a guess."""
        cov = self.data.coverage
        if not cov.start <= on <= cov.end:
            raise DateOutOfRangeError(
                f"date {on.isoformat()} is outside the range of un_arms_embargoes.yaml "
                f"({cov.start.isoformat()} to {cov.end.isoformat()})",
                field="date",
            )
        for e in self.data.entries:
            if e.code == code and e.in_force(on):
                return e
        return None

    def status_of(self, e: EmbargoEntry) -> str:
        return "UNCONFIRMED" if self.data.status == "UNCONFIRMED" else e.status


class CategoryEntry(_Strict):
    category: str = Field(pattern=r"^[IVX]+$")
    source: str
    status: Status = "confirmed"
    note: str | None = None


class EeumItem(_Strict):
    name: str
    match: list[str] = Field(min_length=1)
    source: str
    status: Status = "confirmed"
    note: str | None = None


class TechnologyTable(_Strict):
    dataset: Literal["vetting_technology"]
    title: str
    source: str
    missile_technology_categories: list[CategoryEntry]
    sensitive_categories: list[CategoryEntry]
    eeum_items: list[EeumItem]

    def missile(self, category: str | None) -> CategoryEntry | None:
        return next((c for c in self.missile_technology_categories if c.category == category), None)

    def sensitive(self, category: str | None) -> CategoryEntry | None:
        return next((c for c in self.sensitive_categories if c.category == category), None)

    def eeum_named(self, description: str) -> EeumItem | None:
        text = description.lower()
        return next((e for e in self.eeum_items if any(m in text for m in e.match)), None)


class LeahyOutcome(_Strict):
    code: Literal["approved", "suspended", "denied", "cancelled"]
    label: str
    withholds: bool
    duty_to_inform: bool = False
    status: Status = "confirmed"
    note: str | None = None


class LeahyFile(_Strict):
    dataset: Literal["leahy_outcomes"]
    title: str
    source: str
    outcomes: list[LeahyOutcome] = Field(min_length=4, max_length=4)
    validity_days: int = Field(ge=1, le=3650)
    validity_status: Status
    validity_note: str

    def outcome(self, code: str) -> LeahyOutcome:
        return next(o for o in self.outcomes if o.code == code)


def _overlap(a: Dated, b: Dated) -> bool:
    a0, b0 = a.from_ or date.min, b.from_ or date.min
    a1, b1 = a.until or date.max, b.until or date.max
    return a0 < b1 and b0 < a1


def load_embargoes(data_dir: Path | None = None) -> EmbargoTable:
    path = (data_dir or DATA_DIR) / "un_arms_embargoes.yaml"
    raw, _ = read_yaml(path)
    return EmbargoTable(parse(EmbargoFile, raw, path))


def load_technology(data_dir: Path | None = None) -> TechnologyTable:
    path = (data_dir or DATA_DIR) / "technology.yaml"
    raw, _ = read_yaml(path)
    return parse(TechnologyTable, raw, path)


def load_leahy(data_dir: Path | None = None) -> LeahyFile:
    path = (data_dir or DATA_DIR) / "leahy.yaml"
    raw, _ = read_yaml(path)
    parsed = parse(LeahyFile, raw, path)
    if sorted(o.code for o in parsed.outcomes) != ["approved", "cancelled", "denied", "suspended"]:
        raise ReferenceDataError("leahy.yaml: outcomes must list each outcome once", file=str(path))
    return parsed


@lru_cache(maxsize=1)
def embargoes() -> EmbargoTable:
    return load_embargoes()


@lru_cache(maxsize=1)
def technology() -> TechnologyTable:
    return load_technology()


@lru_cache(maxsize=1)
def leahy_outcomes() -> LeahyFile:
    return load_leahy()
