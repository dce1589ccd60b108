"""What a loaded list is made of, independent of its native format and of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifying number (passport, IMO, registration, tax id...)."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class CountryRef:
    """A country a list ties to an entry, with the tie: ``address``, ``nationality``,
    ``citizenship``, ``registration`` (incl. a vessel's flag), ``jurisdiction``, ``regime``
    (the state a UN country regime concerns, for an entry giving no country), or
    ``country`` when the list does not say. ``code`` is ISO 3166-1 alpha-2, lower case."""

    code: str
    role: str


@dataclass(slots=True)
class ListEntity:
    """One listed party. ``entity_id`` is the list's own identifier (OFAC ``ent_num``, UN
    ``REFERENCE_NUMBER``, FtM ``id``, CSL ``_id`` or row number, DPL row number)."""

    entity_id: str
    name: str
    schema: str = "LegalEntity"  # Person, Organization, Vessel, Aircraft, LegalEntity
    aliases: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    countries: list[CountryRef] = field(default_factory=list)
    remarks: str = ""
    birth_dates: list[str] = field(default_factory=list)  # ISO prefixes: "1970", "1970-01", "1970-01-31"
    weak_aliases: list[str] = field(default_factory=list)  # OFAC's remarks a.k.a.s, UN "Low", FtM weakAlias

    def add_country(self, code: str | None, role: str) -> None:
        """Keep ``code`` (already ISO alpha-2) with its role, once."""
        if code:
            ref = CountryRef(code.lower(), role)
            if ref not in self.countries:
                self.countries.append(ref)

    def add_birth_date(self, value: str | None) -> None:
        if value and value not in self.birth_dates:
            self.birth_dates.append(value)

    def names(self) -> list[str]:
        """The primary name and every distinct alias (weak aliases not included)."""
        out = [self.name]
        seen = {self.name.casefold()}
        for a in self.aliases:
            if a and a.casefold() not in seen:
                seen.add(a.casefold())
                out.append(a)
        return out


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file read for a list, with its SHA-256."""

    name: str
    sha256: str
    size: int
    rows: int


@dataclass(slots=True)
class ParsedList:
    """A list read from its files: which list, as of when, from which bytes, and what."""

    list_name: str  # stable short name: us_ofac_sdn, un_sc_sanctions, ...
    source_format: str  # ofac_csv, ofac_cons_csv, csl_csv, csl_2025_csv, dpl_txt, un_xml, ftm_jsonl
    published: date | None
    files: list[SourceFile]
    entities: list[ListEntity]
    record_count: int  # rows of the primary file, including records that are not parties
    orphan_rows: int = 0  # secondary rows (aliases, addresses) naming an entry not in the list

    @property
    def alias_count(self) -> int:
        return sum(len(e.names()) - 1 + len(e.weak_aliases) for e in self.entities)

    @property
    def identifier_count(self) -> int:
        return sum(len(e.identifiers) for e in self.entities)
