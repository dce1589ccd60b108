"""The shape of each reference data file, validated when loaded; and the read shapes
the adapters answer with (``*Out``, ``*AsOf``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["confirmed", "UNCONFIRMED"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Coverage(_Strict):
    """The dates the file speaks for; outside them an as-of question is an error."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Coverage:
        if self.end < self.start:
            raise ValueError(f"coverage end {self.end} is before start {self.start}")
        return self


class Dated(_Strict):
    """A list membership with an effective window: ``from`` inclusive, ``until`` exclusive."""

    code: str = Field(min_length=2, max_length=4)
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    source: str | None = None
    status: Status = "confirmed"
    note: str | None = None

    @model_validator(mode="after")
    def _window(self) -> Dated:
        if self.from_ and self.until and self.until <= self.from_:
            raise ValueError(f"until {self.until} is not after from {self.from_}")
        return self

    def in_force(self, on: date) -> bool:
        return (self.from_ is None or self.from_ <= on) and (self.until is None or on < self.until)


class CountryEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    region: str
    territory: bool = False
    fms_code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    fms_code_status: Status | None = None
    note: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _fms_status(self) -> CountryEntry:
        if self.fms_code and self.fms_code_status is None:
            raise ValueError("fms_code needs fms_code_status (confirmed or UNCONFIRMED)")
        return self


class CountriesFile(_Strict):
    dataset: Literal["countries"]
    title: str
    source: str
    coverage: Coverage
    regions: dict[str, str]
    entries: list[CountryEntry]


class NatoBody(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3,5}$")
    name: str
    customer_code: str | None = None
    part_of: str | None = None
    source: str


class NatoFile(_Strict):
    dataset: Literal["nato"]
    title: str
    source: str
    coverage: Coverage
    members: list[Dated]
    bodies: list[NatoBody]


class Group(_Strict):
    description: str
    include_nato_members: bool
    include_bodies: list[str] = []
    members: list[Dated]


class NotificationGroupsFile(_Strict):
    dataset: Literal["notification_groups"]
    title: str
    source: str
    coverage: Coverage
    groups: dict[Literal["higher_thresholds", "short_review"], Group]


class MnnaFile(_Strict):
    dataset: Literal["mnna"]
    title: str
    source: str
    coverage: Coverage
    members: list[Dated]
    treated_as: list[Dated] = []


class ItarEntry(Dated):
    table: Literal[1, 2]
    amended: list[date] = []


class Itar1261File(_Strict):
    dataset: Literal["itar_126_1"]
    title: str
    source: str
    coverage: Coverage
    status: Status = "confirmed"
    entries: list[ItarEntry]


class UsmlCategory(_Strict):
    number: int = Field(ge=1, le=21)
    title: str
    source: str | None = None

    @property
    def roman(self) -> str:
        return to_roman(self.number)


class UsmlFile(_Strict):
    dataset: Literal["usml"]
    title: str
    source: str
    status: Status = "confirmed"
    note: str | None = None
    categories: list[UsmlCategory]


class Agency(_Strict):
    code: str | None = Field(pattern=r"^[A-Z]$")
    abbreviation: str
    name: str
    status: Status = "confirmed"
    source: str
    note: str | None = None


class AgenciesFile(_Strict):
    dataset: Literal["implementing_agencies"]
    title: str
    source: str
    agencies: list[Agency]


_ROMAN = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(n: int) -> str:
    out = []
    for value, glyph in _ROMAN:
        while n >= value:
            out.append(glyph)
            n -= value
    return "".join(out)


# --- read shapes ---------------------------------------------------------------------


class CountryOut(BaseModel):
    code: str
    alpha3: str
    name: str
    region: str
    region_name: str
    fms_code: str
    fms_code_status: str
    territory: bool


class CodesAsOf(BaseModel):
    on: date
    codes: list[str]


class ItarEntryOut(BaseModel):
    code: str
    table: int
    status: str
    note: str | None
    source: str | None


class ItarAsOf(BaseModel):
    on: date
    entries: list[ItarEntryOut]
