"""The UN Security Council Consolidated List, official XML (``CONSOLIDATED_LIST``).

Person names are split into ``FIRST_NAME`` … ``FOURTH_NAME``; aliases carry a ``QUALITY``
and may be empty; some ``REFERENCE_NUMBER`` values have a trailing space (stripped: the
entity id is the reference number).

Countries come from ``NATIONALITY`` and the address ``COUNTRY`` fields. An entry with
neither (88 of the 121 Iran-regime entries of the 2026-02 list, e.g. the Defence
Industries Organisation) is tied to the state its sanctions regime concerns, with the
role ``regime`` (:data:`REGIME_COUNTRY`): a Security Council country regime (resolution
1737 for Iran, 1718 for the DPRK...) lists that state's bodies and the persons acting
for its programme, so the regime's state is the country the entry is screened in. A
thematic regime (ISIL/Al-Qaida) names no state and gives none.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from secassist.vetting.screening.entities import ListEntity, ParsedList
from secassist.vetting.screening.parsers.common import country_code, identifier, read_text, refuse, squash

_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# ``UN_LIST_TYPE`` of each country regime → the state it concerns (ISO alpha-2). The
# Taliban regime (resolution 1988) concerns Afghanistan; "GB" is Guinea-Bissau
# (resolution 2048). Al-Qaida (1267/1989/2253) is thematic: absent on purpose.
REGIME_COUNTRY = {
    "CAR": "cf",
    "DPRK": "kp",
    "DRC": "cd",
    "GB": "gw",
    "Haiti": "ht",
    "Iran": "ir",
    "Iraq": "iq",
    "Lebanon": "lb",
    "Libya": "ly",
    "Mali": "ml",
    "Somalia": "so",
    "SouthSudan": "ss",
    "Sudan": "sd",
    "Taliban": "af",
    "Yemen": "ye",
}


def _text(el: ET.Element | None) -> str:
    return squash(el.text or "") if el is not None else ""


def _entity(path: Path, el: ET.Element, person: bool) -> ListEntity:
    ref = _text(el.find("REFERENCE_NUMBER"))
    dataid = _text(el.find("DATAID"))
    if not ref:
        raise refuse(path, None, f"{el.tag} with DATAID {dataid or '?'} has no REFERENCE_NUMBER")
    name = " ".join(p for p in (_text(el.find(t)) for t in _PARTS) if p)
    if not name:
        raise refuse(path, None, f"{el.tag} {ref} has no name")
    e = ListEntity(entity_id=ref, name=name, schema="Person" if person else "Organization")
    original = _text(el.find("NAME_ORIGINAL_SCRIPT"))
    if original:
        e.aliases.append(original)
    for alias in el.findall("INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"):
        a = _text(alias.find("ALIAS_NAME"))
        if a:
            # The UN marks an alias of low quality "Low": too vague to identify anyone alone.
            weak = _text(alias.find("QUALITY")).lower() == "low"
            (e.weak_aliases if weak else e.aliases).append(a)
    for doc in el.findall("INDIVIDUAL_DOCUMENT"):
        kind = _text(doc.find("TYPE_OF_DOCUMENT")) or "Document"
        if (number := _text(doc.find("NUMBER"))) and (found := identifier(kind, number)):
            e.identifiers.append(found)
    e.programs = [p for p in [_text(el.find("UN_LIST_TYPE"))] if p]
    for v in el.findall("NATIONALITY/VALUE"):
        e.add_country(country_code(_text(v)), "nationality")
    for tag in ("INDIVIDUAL_ADDRESS", "ENTITY_ADDRESS"):
        for addr in el.findall(tag):
            e.add_country(country_code(_text(addr.find("COUNTRY"))), "address")
    if not e.countries:
        for program in e.programs:
            e.add_country(REGIME_COUNTRY.get(program), "regime")
    for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        if full := _text(dob.find("DATE")):
            e.add_birth_date(full[:10])
        elif year := _text(dob.find("YEAR")):
            e.add_birth_date(year)
        for bound in ("FROM_YEAR", "TO_YEAR"):
            if y := _text(dob.find(bound)):
                e.add_birth_date(y)
    e.remarks = _text(el.find("COMMENTS1"))
    return e


def parse_un(path: Path) -> ParsedList:
    """Read the UN consolidated XML; published = ``dateGenerated``."""
    text, src = read_text(path)
    try:
        root = ET.fromstring(text)  # noqa: S314 (a published list, no entities or DTD expanded)
    except ET.ParseError as exc:
        line, col = exc.position
        raise refuse(
            path, line, f"malformed XML at column {col} ({exc.msg if hasattr(exc, 'msg') else exc})"
        ) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise refuse(path, 1, f"root element is {root.tag}, not CONSOLIDATED_LIST")
    published: date | None = None
    generated = root.get("dateGenerated", "")
    if generated:
        try:
            published = date.fromisoformat(generated[:10])
        except ValueError:
            raise refuse(path, 2, f"dateGenerated {generated!r} is not a date") from None
    entities: list[ListEntity] = []
    seen: set[str] = set()
    for tag, person in (("INDIVIDUALS/INDIVIDUAL", True), ("ENTITIES/ENTITY", False)):
        for el in root.findall(tag):
            e = _entity(path, el, person)
            if e.entity_id in seen:
                raise refuse(path, None, f"REFERENCE_NUMBER {e.entity_id} appears twice")
            seen.add(e.entity_id)
            entities.append(e)
    if not entities:
        raise refuse(path, None, "no INDIVIDUAL or ENTITY records")
    return ParsedList(
        list_name="un_sc_sanctions",
        source_format="un_xml",
        published=published,
        files=[src],
        entities=entities,
        record_count=len(entities),
    )
