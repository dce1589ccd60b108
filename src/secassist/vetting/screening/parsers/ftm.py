"""OpenSanctions FollowTheMoney entities, one JSON object a line, every property a list.

Only parties are screened (``Person``, ``Organization``, ``Company``, ``LegalEntity``,
``PublicBody``, ``Vessel``, ``Airplane``); ``Sanction``, ``Ownership``, ``Address`` and the
other link records are counted but not indexed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from secassist.vetting.screening.entities import ListEntity, ParsedList, SourceFile
from secassist.vetting.screening.parsers.common import (
    birth_dates,
    country_code,
    identifier,
    read_text,
    refuse,
    squash,
)

PARTIES = frozenset({"Person", "Organization", "Company", "LegalEntity", "PublicBody", "Vessel", "Airplane"})
NAME_PROPS = ("name", "alias", "previousName", "abbreviation")
COUNTRY_PROPS = {
    "country": "country",
    "nationality": "nationality",
    "citizenship": "citizenship",
    "jurisdiction": "jurisdiction",
    "mainCountry": "address",
    "flag": "registration",
}
ID_PROPS = {
    "passportNumber": "Passport",
    "idNumber": "National ID",
    "registrationNumber": "Registration Number",
    "innCode": "INN",
    "ogrnCode": "OGRN",
    "taxNumber": "Tax ID",
    "leiCode": "LEI",
    "imoNumber": "IMO",
    "swiftBic": "SWIFT/BIC",
    "vatCode": "VAT",
    "dunsCode": "D-U-N-S",
}


def _strings(props: dict[str, Any], key: str) -> list[str]:
    vals = props.get(key, [])
    return [squash(v) for v in vals if isinstance(v, str) and v.strip()] if isinstance(vals, list) else []


def parse_ftm(paths: list[Path]) -> ParsedList:
    """Read FtM JSON lines from one or more files of the same dataset folder."""
    files: list[SourceFile] = []
    entities: list[ListEntity] = []
    seen: set[str] = set()
    records = 0
    latest: date | None = None
    for path in paths:
        text, src = read_text(path)
        files.append(src)
        for line, raw in enumerate(text.split("\n"), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise refuse(path, line, f"not a JSON object ({exc.msg}, column {exc.colno})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "schema" not in obj:
                raise refuse(path, line, "not a FollowTheMoney entity (needs id and schema)")
            props = obj.get("properties", {})
            if not isinstance(props, dict):
                raise refuse(path, line, "properties is not an object")
            records += 1
            changed = obj.get("last_change") or obj.get("first_seen")
            if isinstance(changed, str) and len(changed) >= 10:
                try:
                    d = date.fromisoformat(changed[:10])
                    latest = d if latest is None or d > latest else latest
                except ValueError:
                    pass
            if obj["schema"] not in PARTIES or obj["id"] in seen:
                continue
            seen.add(obj["id"])
            names = [n for key in NAME_PROPS for n in _strings(props, key)]
            caption = squash(str(obj.get("caption") or "")) or (names[0] if names else "")
            if not caption:
                raise refuse(path, line, f"entity {obj['id']} has no name")
            e = ListEntity(entity_id=obj["id"], name=caption, schema=str(obj["schema"]), aliases=names)
            for prop, kind in ID_PROPS.items():
                e.identifiers.extend(i for v in _strings(props, prop) if (i := identifier(kind, v)))
            e.weak_aliases = [w for w in dict.fromkeys(_strings(props, "weakAlias")) if w not in names]
            for prop, role in COUNTRY_PROPS.items():
                for c in _strings(props, prop):
                    e.add_country(country_code(c), role)
            for written in _strings(props, "birthDate") + _strings(props, "incorporationDate"):
                for iso in birth_dates(written):
                    e.add_birth_date(iso)
            e.programs = _strings(props, "topics")
            entities.append(e)
    if not records:
        raise refuse(paths[0], None, "no entities (empty or truncated file)")
    return ParsedList(
        list_name="opensanctions",
        source_format="ftm_jsonl",
        published=latest,
        files=files,
        entities=entities,
        record_count=records,
    )
