"""The as-of-date API over the reference data.

Every question that depends on time takes the date it is asked for, and refuses a date
outside the file's coverage rather than guess. Codes are ISO 3166-1 alpha-2, plus the
NATO bodies (``NATO``, ``NSPA``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import pycountry
from pydantic import BaseModel

from secassist.core.errors import (
    DateOutOfRangeError,
    ReferenceDataError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.reference.loader import LoadedFile, load_file
from secassist.reference.schemas import (
    AgenciesFile,
    Agency,
    CountriesFile,
    Coverage,
    Dated,
    Itar1261File,
    ItarEntry,
    MnnaFile,
    NatoBody,
    NatoFile,
    NotificationGroupsFile,
    UsmlCategory,
    UsmlFile,
)

GROUPS = ("higher_thresholds", "short_review")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Country:
    code: str
    alpha3: str
    name: str
    region: str
    region_name: str
    fms_code: str
    fms_code_status: str
    territory: bool


class ReferenceData:
    """All reference lists, validated together (every code a list names must exist)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.files: dict[str, LoadedFile] = {}
        self.countries_file = self._load(CountriesFile, "countries.yaml", data_dir)
        self.nato = self._load(NatoFile, "nato.yaml", data_dir)
        self.groups = self._load(NotificationGroupsFile, "notification_groups.yaml", data_dir)
        self.mnna_file = self._load(MnnaFile, "mnna.yaml", data_dir)
        self.itar = self._load(Itar1261File, "itar_126_1.yaml", data_dir)
        self.usml = self._load(UsmlFile, "usml.yaml", data_dir)
        self.agencies_file = self._load(AgenciesFile, "implementing_agencies.yaml", data_dir)
        self._countries = self._build_countries()
        self._bodies = {b.code: b for b in self.nato.bodies}
        # A file marked UNCONFIRMED as a whole makes each of its entries UNCONFIRMED.
        self._itar_entries = [
            e.model_copy(update={"status": "UNCONFIRMED"}) if self.itar.status == "UNCONFIRMED" else e
            for e in self.itar.entries
        ]
        self._cross_check()

    def _load(self, model: type[M], name: str, data_dir: Path | None) -> M:
        parsed, loaded = load_file(model, name, data_dir)
        self.files[name] = loaded
        return parsed

    def _build_countries(self) -> dict[str, Country]:
        out: dict[str, Country] = {}
        regions = self.countries_file.regions
        for i, e in enumerate(self.countries_file.entries):
            entry = f"entries[{i}] (code {e.code!r})"
            if e.code in out:
                raise _entry_error("countries.yaml", entry, "duplicate code")
            iso = pycountry.countries.get(alpha_2=e.code)
            if iso is None:
                raise _entry_error("countries.yaml", entry, "not an ISO 3166-1 alpha-2 code")
            if e.region not in regions:
                raise _entry_error("countries.yaml", entry, f"unknown region {e.region!r}")
            out[e.code] = Country(
                code=e.code,
                alpha3=iso.alpha_3,
                name=getattr(iso, "common_name", None) or iso.name,
                region=e.region,
                region_name=regions[e.region],
                fms_code=e.fms_code or e.code,
                # No entry means the FMS code is assumed to equal the ISO code.
                fms_code_status=e.fms_code_status or "assumed",
                territory=e.territory,
            )
        return out

    def _cross_check(self) -> None:
        lists: list[tuple[str, str, Iterable[Dated]]] = [
            ("nato.yaml", "members", self.nato.members),
            ("mnna.yaml", "members", self.mnna_file.members),
            ("mnna.yaml", "treated_as", self.mnna_file.treated_as),
            ("itar_126_1.yaml", "entries", self.itar.entries),
        ]
        for group_name, group in self.groups.groups.items():
            lists.append(("notification_groups.yaml", f"groups.{group_name}.members", group.members))
            for body in group.include_bodies:
                if body not in self._bodies:
                    raise _entry_error(
                        "notification_groups.yaml",
                        f"groups.{group_name}.include_bodies",
                        f"unknown body {body!r}",
                    )
        for fname, key, entries in lists:
            seen: dict[str, list[Dated]] = {}
            for i, e in enumerate(entries):
                entry = f"{key}[{i}] (code {e.code!r})"
                if e.code not in self._countries:
                    raise _entry_error(fname, entry, "unknown country code")
                for other in seen.get(e.code, []):
                    if _overlap(e, other):
                        raise _entry_error(fname, entry, "overlaps an earlier entry for the same code")
                seen.setdefault(e.code, []).append(e)
        numbers = [c.number for c in self.usml.categories]
        if sorted(numbers) != list(range(1, 22)):
            raise _entry_error("usml.yaml", "categories", "must list categories I to XXI once each")
        letters = [a.code for a in self.agencies_file.agencies if a.code]
        if len(letters) != len(set(letters)):
            raise _entry_error("implementing_agencies.yaml", "agencies", "duplicate letter code")

    # --- lookups -----------------------------------------------------------------

    def country(self, code: str) -> Country:
        key = code.strip().upper()
        try:
            return self._countries[key]
        except KeyError:
            raise UnknownCodeError(f"unknown country code {code!r}", field="country", value=code) from None

    def countries(self, region: str | None = None) -> list[Country]:
        if region is not None and region.upper() not in self.countries_file.regions:
            raise UnknownCodeError(f"unknown region {region!r}", field="region", value=region)
        items = sorted(self._countries.values(), key=lambda c: c.code)
        return [c for c in items if region is None or c.region == region.upper()]

    def regions(self) -> dict[str, str]:
        return dict(self.countries_file.regions)

    def body(self, code: str) -> NatoBody:
        try:
            return self._bodies[code.strip().upper()]
        except KeyError:
            raise UnknownCodeError(f"unknown NATO body {code!r}", field="body", value=code) from None

    def bodies(self) -> list[NatoBody]:
        return list(self.nato.bodies)

    def is_known_party(self, code: str) -> bool:
        key = code.strip().upper()
        return key in self._countries or key in self._bodies

    # --- as-of questions ---------------------------------------------------------

    def nato_members(self, on: date) -> list[str]:
        """ISO codes of the NATO member countries on ``on`` (North Atlantic Treaty, accessions)."""
        _check_date(on, self.nato.coverage, "nato.yaml")
        return sorted({m.code for m in self.nato.members if m.in_force(on)})

    def is_nato_member(self, code: str, on: date) -> bool:
        return self._party(code) in self.nato_members(on)

    def group_members(self, group: str, on: date) -> list[str]:
        """Members of a notification group on ``on``.

        ``higher_thresholds``: NATO member countries, Japan, Australia, the Republic of Korea,
        Israel, New Zealand (AECA §36(b)(6), §36(c)(5), §3(d)(5)); NATO itself is excluded.
        ``short_review``: the same plus NATO (AECA §36(b)(1), §3(d)(2)). domain.md §2 note (a).
        """
        if group not in self.groups.groups:
            raise UnknownCodeError(
                f"unknown notification group {group!r}; one of {', '.join(GROUPS)}", field="group"
            )
        _check_date(on, self.groups.coverage, "notification_groups.yaml")
        g = self.groups.groups[group]
        codes = {m.code for m in g.members if m.in_force(on)}
        if g.include_nato_members:
            codes |= set(self.nato_members(on))
        return sorted(codes) + sorted(g.include_bodies)

    def in_group(self, group: str, code: str, on: date) -> bool:
        party = self._party(code)
        return party in self.group_members(group, on)

    def mnna(self, on: date, *, include_treated_as: bool = False) -> list[str]:
        """Major Non-NATO Allies on ``on`` (10 U.S.C. 2350a; FAA §517, 22 U.S.C. 2321k)."""
        _check_date(on, self.mnna_file.coverage, "mnna.yaml")
        entries = list(self.mnna_file.members)
        if include_treated_as:
            entries += self.mnna_file.treated_as
        return sorted({m.code for m in entries if m.in_force(on)})

    def itar_126_1(self, on: date, table: int | None = None) -> list[ItarEntry]:
        """ITAR §126.1 entries in force on ``on`` (22 CFR 126.1(d)): Table 1 denial, Table 2
        denial with country-specific exceptions."""
        _check_date(on, self.itar.coverage, "itar_126_1.yaml")
        if table is not None and (isinstance(table, bool) or table not in (1, 2)):
            raise UnknownCodeError(f"unknown §126.1 table {table!r}; 1 or 2", field="table")
        return sorted(
            (e for e in self._itar_entries if e.in_force(on) and (table is None or e.table == table)),
            key=lambda e: (e.table, e.code),
        )

    def itar_table(self, code: str, on: date) -> int | None:
        party = self.country(code).code
        for e in self.itar_126_1(on):
            if e.code == party:
                return e.table
        return None

    def usml_categories(self) -> list[UsmlCategory]:
        return sorted(self.usml.categories, key=lambda c: c.number)

    def usml_category(self, ref: str | int) -> UsmlCategory:
        text = str(ref).strip().upper()
        for c in self.usml.categories:
            if text in (str(c.number), c.roman):
                return c
        raise UnknownCodeError(f"unknown USML category {ref!r}; I to XXI", field="usml_category")

    def implementing_agencies(self) -> list[Agency]:
        return list(self.agencies_file.agencies)

    def implementing_agency(self, code: str) -> Agency:
        key = code.strip().upper()
        for a in self.agencies_file.agencies:
            if key in (a.code, a.abbreviation):
                return a
        raise UnknownCodeError(f"unknown implementing agency {code!r}", field="implementing_agency")

    def coverage(self) -> dict[str, Coverage]:
        return {
            "countries": self.countries_file.coverage,
            "nato": self.nato.coverage,
            "notification_groups": self.groups.coverage,
            "mnna": self.mnna_file.coverage,
            "itar_126_1": self.itar.coverage,
        }

    def _party(self, code: str) -> str:
        key = code.strip().upper()
        if key in self._bodies:
            body = self._bodies[key]
            return body.part_of or body.code
        return self.country(key).code


def _overlap(a: Dated, b: Dated) -> bool:
    a_start, b_start = a.from_ or date.min, b.from_ or date.min
    a_end, b_end = a.until or date.max, b.until or date.max
    return a_start < b_end and b_start < a_end


def _entry_error(fname: str, entry: str, problem: str) -> ReferenceDataError:
    return ReferenceDataError(f"{fname}: entry {entry}: {problem}", file=fname, entry=entry)


def _check_date(on: date, coverage: Coverage, fname: str) -> None:
    # A datetime is a date subclass; an as-of question is about a day, so refuse it
    # rather than compare a time against day boundaries.
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ValidationFailedError(f"as-of date must be a date, not {type(on).__name__}", field="date")
    if not coverage.start <= on <= coverage.end:
        raise DateOutOfRangeError(
            f"date {on.isoformat()} is outside the range of {fname} "
            f"({coverage.start.isoformat()} to {coverage.end.isoformat()})",
            field="date",
            value=on.isoformat(),
        )


@lru_cache(maxsize=1)
def get_reference() -> ReferenceData:
    """The packaged reference data, loaded once on first use (never at import time)."""
    return ReferenceData()
