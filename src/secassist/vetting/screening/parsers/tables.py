"""Commerce's tabular lists: the Consolidated Screening List (CSV, both layouts) and BIS's
Denied Persons List (tab-separated, every value quoted).

CSL quirks: the 2025 layout adds a leading ``_id`` column and quotes every field;
``alt_names``/``ids``/``programs`` are ``;``-joined; names may lead with a space or carry a
legal clause (``...; and any successor, sub-unit, or subsidiary thereof``). Entity ids: the
``_id`` column where the layout has one, else the 1-based data-row number (``"1"`` is the
first row after the header), the same for the DPL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from secassist.vetting.screening.entities import ListEntity, ParsedList
from secassist.vetting.screening.parsers.common import (
    birth_dates,
    country_code,
    csv_rows,
    identifier,
    read_text,
    refuse,
    squash,
)

CSL_LEGACY = [
    "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
]  # fmt: skip
CSL_2025 = ["_id", *CSL_LEGACY]
DPL = [
    "Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
    "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation",
]  # fmt: skip

_CLAUSE = re.compile(r";\s*and any successor.*$", re.IGNORECASE)
_SCHEMAS = {"individual": "Person", "entity": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}


def _header(path: Path, text: str, delimiter: str) -> tuple[list[str], int]:
    for line, row in csv_rows(path, text, columns=tuple(range(1, 200)), delimiter=delimiter):
        return [c.strip() for c in row], line
    raise refuse(path, None, "empty file")


def parse_csl(path: Path) -> ParsedList:
    """The Consolidated Screening List, either layout."""
    text, src = read_text(path)
    head, _ = _header(path, text, ",")
    if head not in (CSL_LEGACY, CSL_2025):
        raise refuse(path, 1, "header is not a Consolidated Screening List layout")
    new = head == CSL_2025
    entities: list[ListEntity] = []
    rows = 0
    for line, row in csv_rows(path, text, columns=len(head)):
        if line == 1:
            continue
        rows += 1
        r = dict(zip(head, row, strict=True))
        name = squash(_CLAUSE.sub("", r["name"]))
        if not name:
            raise refuse(path, line, "row has no name")
        e = ListEntity(
            entity_id=r["_id"].strip() if new else str(rows),
            name=name,
            schema=_SCHEMAS.get(r["type"].strip().lower(), "LegalEntity"),
            aliases=[squash(a) for a in r["alt_names"].split(";") if a.strip()],
            programs=[p.strip() for p in r["programs"].split(";") if p.strip()],
            remarks=r["source"].strip(),
        )
        if new and not e.entity_id:
            raise refuse(path, line, "row has no _id")
        for part in r["ids"].split(";"):
            bits = [b.strip() for b in part.split(",")]
            if len(bits) >= 3 and (found := identifier(bits[-1], ", ".join(bits[1:-1]))):
                e.identifiers.append(found)
        for col, role in (("nationalities", "nationality"), ("citizenships", "citizenship")):
            for x in r[col].split(";"):
                e.add_country(country_code(x), role)
        for addr in r["addresses"].split(";"):
            # An address ends with its country, as an ISO code: "..., Moscow, RU".
            tail = addr.rsplit(",", 1)[-1].strip()
            if len(tail) == 2 and tail.isalpha():
                e.add_country(country_code(tail), "address")
        if flag := r["vessel_flag"].strip():
            e.add_country(country_code(flag), "registration")
        for d in r["dates_of_birth"].split(";"):
            for iso in birth_dates(d):
                e.add_birth_date(iso)
        entities.append(e)
    if not entities:
        raise refuse(path, None, "no rows (empty or truncated file)")
    return ParsedList(
        list_name="us_trade_csl",
        source_format="csl_2025_csv" if new else "csl_csv",
        published=None,
        files=[src],
        entities=entities,
        record_count=rows,
    )


def _us_date(path: Path, line: int, value: str) -> date | None:
    v = value.strip()
    if not v:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    raise refuse(path, line, f"{v!r} is not a date")


def parse_dpl(path: Path) -> ParsedList:
    """BIS's Denied Persons List; published = the latest ``Last_Update``."""
    text, src = read_text(path)
    head, _ = _header(path, text, "\t")
    if head != DPL:
        raise refuse(path, 1, "header is not the Denied Persons List layout")
    entities: list[ListEntity] = []
    latest: date | None = None
    rows = 0
    for line, row in csv_rows(path, text, columns=len(DPL), delimiter="\t"):
        if line == 1:
            continue
        rows += 1
        r = dict(zip(DPL, row, strict=True))
        name = squash(r["Name"])
        if not name:
            raise refuse(path, line, "row has no name")
        updated = _us_date(path, line, r["Last_Update"])
        _us_date(path, line, r["Effective_Date"])
        # The real 2019 file has a Last_Update of 3017-08-22: a typo, not a publication date.
        if updated and updated.year < 2100 and (latest is None or updated > latest):
            latest = updated
        e = ListEntity(entity_id=str(rows), name=name, remarks=squash(r["FR_Citation"]))
        e.add_country(country_code(r["Country"]), "address")
        entities.append(e)
    if not entities:
        raise refuse(path, None, "no rows (empty or truncated file)")
    return ParsedList(
        list_name="us_bis_dpl",
        source_format="dpl_txt",
        published=latest,
        files=[src],
        entities=entities,
        record_count=rows,
    )
