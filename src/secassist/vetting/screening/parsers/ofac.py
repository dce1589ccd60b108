"""OFAC's legacy CSV files: the SDN list (``sdn.csv``, ``alt.csv``, ``add.csv``,
``sdn_comments.csv``) and the consolidated non-SDN list (``cons_prim.csv``, ``cons_alt.csv``,
``cons_add.csv``, ``cons_comments.csv``), same layout.

Quirks (``../shared/data/sanctions/SOURCES.md``): no header; ``-0- `` (trailing space) is
null; programs packed as ``A] [B`` (an entry with no country takes its country
program's state, role ``regime``: :data:`PROGRAM_COUNTRY`); the remarks field packs
a.k.a.s and identifiers into one ``;``-separated string, with overflow in the comments
file; CRLF or LF; the ``cons_`` files end with a DOS EOF byte.
"""

from __future__ import annotations

import re
from pathlib import Path

from secassist.vetting.screening.entities import Identifier, ListEntity, ParsedList, SourceFile
from secassist.vetting.screening.parsers.common import (
    birth_dates,
    clean,
    country_code,
    csv_rows,
    identifier,
    read_text,
    refuse,
    squash,
)

SCHEMAS = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}

_AKA = re.compile(r"^(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*['‘’\"]?(?P<name>.+?)['‘’\"]?\.?$", re.IGNORECASE)
_ID = re.compile(
    r"^(?:alt\.\s+)?(?=[A-Z])(?P<kind>[A-Za-z.,'/ #&-]*?(?:No\.|Number|#|Passport|SSN|IMO|BIC|License|"
    r"Identification|ID|MSN|Code|Address - [A-Z]{2,5}))\s+"
    r"(?P<value>(?=[A-Za-z./-]*\d)[A-Za-z0-9][A-Za-z0-9./-]*(?: [A-Za-z0-9./-]+)*?)"
    r"(?:\s*\((?P<country>[^)]*)\))?(?:[;,.]?\s+(?:issued|expires|valid|alt\.).*)?\.?$"
)


_FACTS = re.compile(
    r"^(?:alt\.\s+)?(?P<kind>DOB|nationality|citizen|Vessel Flag|Nationality of Registration|"
    r"Organization Established Date)\s+(?P<value>.+)$",
    re.IGNORECASE,
)
_ROLES = {
    "nationality": "nationality",
    "citizen": "citizenship",
    "vessel flag": "registration",
    "nationality of registration": "registration",
}


def parse_remarks(remarks: str) -> tuple[list[str], list[Identifier]]:
    """Aliases and identifiers packed into an OFAC remarks string (the aliases found there
    are OFAC's weak a.k.a.s: the strong ones are in ``alt.csv``)."""
    aliases: list[str] = []
    ids: list[Identifier] = []
    for part in remarks.split(";"):
        seg = squash(part)
        if not seg:
            continue
        m = _AKA.match(seg)
        if m:
            aliases.append(m.group("name").strip(" '\""))
            continue
        m = _ID.match(seg)
        if m and any(ch.isdigit() for ch in m.group("value")):
            found = identifier(m.group("kind"), m.group("value"))
            if found:
                ids.append(found)
    return aliases, ids


def remark_facts(e: ListEntity) -> None:
    """Birth dates and countries (nationality, citizenship, a vessel's flag) from the
    remarks: ``DOB 01 Jan 1970``, ``alt. DOB 1964``, ``nationality Iran``,
    ``citizen Russia``, ``Vessel Flag Malta``."""
    for part in e.remarks.split(";"):
        m = _FACTS.match(squash(part).rstrip("."))
        if not m:
            continue
        kind = m.group("kind").lower()
        if kind == "dob":
            for d in birth_dates(m.group("value")):
                e.add_birth_date(d)
        elif kind in _ROLES:
            e.add_country(country_code(m.group("value")), _ROLES[kind])


# OFAC country programs → the state each concerns (ISO alpha-2), by the program tag's
# prefix as the SDN list writes it (IRAN, IRAN-TRA, IFSR and IRGC are Iran's; DPRK2..4 the
# DPRK's; UKRAINE-EO13661/13662 and RUSSIA-EO14024 target Russia). Thematic programs
# (SDGT, SDNTK, NPWMD, GLOMAG, CYBER, TCO, FTO, BALKANS) and the Crimea/Ukraine orders
# 13660/13685 (Ukrainian and Russian parties alike) name no single state: absent.
PROGRAM_COUNTRY: tuple[tuple[str, str], ...] = (
    ("IRAN", "ir"), ("IFSR", "ir"), ("IRGC", "ir"), ("IFCA", "ir"), ("DPRK", "kp"), ("SYRIA", "sy"),
    ("CUBA", "cu"), ("ZIMBABWE", "zw"), ("IRAQ", "iq"), ("LIBYA", "ly"), ("DRCONGO", "cd"),
    ("SOUTH SUDAN", "ss"), ("SUDAN", "sd"), ("DARFUR", "sd"), ("BELARUS", "by"), ("VENEZUELA", "ve"),
    ("RUSSIA-EO14024", "ru"), ("UKRAINE-EO13661", "ru"), ("UKRAINE-EO13662", "ru"), ("BURMA", "mm"),
    ("SOMALIA", "so"), ("YEMEN", "ye"), ("CAR", "cf"), ("NICARAGUA", "ni"), ("MALI", "ml"),
    ("LEBANON", "lb"),
)  # fmt: skip


def regime_countries(programs: list[str]) -> list[str]:
    """The states an entry's country programs concern (see :data:`PROGRAM_COUNTRY`)."""
    out: list[str] = []
    for p in programs:
        for prefix, code in PROGRAM_COUNTRY:
            if p.upper().startswith(prefix) and code not in out:
                out.append(code)
                break
    return out


def _programs(value: str) -> list[str]:
    return [p.strip(" []") for p in clean(value).split("] [") if p.strip(" []")]


def _ent_num(path: Path, line: int, value: str) -> str:
    v = value.strip()
    if not v.isdigit():
        raise refuse(path, line, f"ent_num {v!r} is not a number")
    return v


def parse_ofac(folder: Path, *, prefix: str) -> ParsedList:
    """Read one OFAC list from ``folder``; ``prefix`` is ``sdn`` or ``cons``."""
    primary = folder / ("sdn.csv" if prefix == "sdn" else "cons_prim.csv")
    text, src = read_text(primary)
    files: list[SourceFile] = [src]
    entities: dict[str, ListEntity] = {}
    for line, row in csv_rows(primary, text, columns=12):
        ent = _ent_num(primary, line, row[0])
        name = squash(clean(row[1]))
        if not name:
            raise refuse(primary, line, f"entry {ent} has no name")
        if ent in entities:
            raise refuse(primary, line, f"ent_num {ent} appears twice")
        e = ListEntity(
            entity_id=ent,
            name=name,
            schema=SCHEMAS.get(clean(row[2]).lower(), "LegalEntity"),
            programs=_programs(row[3]),
            remarks=clean(row[11]),
        )
        call_sign = clean(row[5])
        if call_sign and (found := identifier("Call Sign", call_sign)):
            e.identifiers.append(found)
        entities[ent] = e
    if not entities:
        raise refuse(primary, None, "no entries (empty or truncated file)")

    orphans = 0

    def sibling(name: str, columns: int) -> list[list[str]]:
        # Rows for entries absent from the primary file are counted, not fatal: OFAC's
        # published slices (and the 2025 sample) carry them.
        nonlocal orphans
        path = folder / name
        if not path.exists():
            return []
        body, f = read_text(path)
        files.append(f)
        out = []
        for line, row in csv_rows(path, body, columns=columns):
            if _ent_num(path, line, row[0]) in entities:
                out.append(row)
            else:
                orphans += 1
        return out

    pre = "sdn_" if prefix == "sdn" else "cons_"
    for row in sibling(f"{pre}comments.csv", 2):
        e = entities[row[0].strip()]
        e.remarks = (e.remarks + clean(row[1])).strip()
    for row in sibling("alt.csv" if prefix == "sdn" else "cons_alt.csv", 5):
        alias = squash(clean(row[3]))
        if alias:
            entities[row[0].strip()].aliases.append(alias)
    for row in sibling("add.csv" if prefix == "sdn" else "cons_add.csv", 6):
        entities[row[0].strip()].add_country(country_code(clean(row[4])), "address")
    for e in entities.values():
        aliases, ids = parse_remarks(e.remarks)
        strong = {a.casefold() for a in e.names()}
        e.weak_aliases.extend(a for a in dict.fromkeys(aliases) if a.casefold() not in strong)
        e.identifiers.extend(ids)
        remark_facts(e)
        if not e.countries:
            # No address, nationality or registration: the state its country program
            # concerns, as for a UN entry (parsers.un).
            for code in regime_countries(e.programs):
                e.add_country(code, "regime")
    return ParsedList(
        list_name="us_ofac_sdn" if prefix == "sdn" else "us_ofac_cons",
        source_format="ofac_csv",
        published=None,
        files=files,
        entities=list(entities.values()),
        record_count=len(entities),
        orphan_rows=orphans,
    )
