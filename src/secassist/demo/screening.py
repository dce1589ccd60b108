"""Screening demo data: a few real public OFAC SDN entries (``demo/screening.yaml``) as a
list version, and two kept screenings (one potential match left for the reviewer queue,
one clear), so `make run` shows screening without ``../shared``."""

from __future__ import annotations

import hashlib
from datetime import date
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.vetting.screening import service
from secassist.vetting.screening.entities import Identifier, ListEntity, ParsedList, SourceFile
from secassist.vetting.screening.models import ScreeningListVersion
from secassist.vetting.screening.parsers.common import country_code

DEMO_FILE = "screening.yaml"
DEMO_FORMAT = "demo_yaml"
DEMO_SCREENINGS = (
    ("JSC Kalashnikov Concern", "demo: proposed consignee, small arms retransfer"),
    ("Northwind Defense Systems", "demo: prime contractor of a demo case"),
)


def demo_list() -> ParsedList:
    """The packaged demo entries as a parsed list (validated: every entry needs an id and a name)."""
    raw = resources.files("secassist").joinpath("demo", DEMO_FILE).read_bytes()
    doc: dict[str, Any] = yaml.safe_load(raw)
    entities = []
    for i, e in enumerate(doc.get("entities") or [], start=1):
        if not e.get("entity_id") or not e.get("name"):
            raise ValidationFailedError(f"{DEMO_FILE}: entry {i} needs entity_id and name", field=DEMO_FILE)
        entities.append(
            ListEntity(
                entity_id=str(e["entity_id"]),
                name=e["name"],
                schema=e.get("schema", "LegalEntity"),
                aliases=list(e.get("aliases") or []),
                identifiers=[
                    Identifier(kind=x["kind"], value=str(x["value"])) for x in e.get("identifiers") or []
                ],
                programs=list(e.get("programs") or []),
            )
        )
        for c in e.get("countries") or []:
            entities[-1].add_country(country_code(str(c)), "country")
    published = doc.get("published")
    return ParsedList(
        list_name=doc["list_name"],
        source_format=DEMO_FORMAT,
        published=date.fromisoformat(str(published)) if published else None,
        files=[SourceFile(DEMO_FILE, hashlib.sha256(raw).hexdigest(), len(raw), len(entities))],
        entities=entities,
        record_count=len(entities),
    )


def load_demo_screening(session: Session) -> str:
    """Load the demo list and screenings once (idempotent). Never commits."""
    done = session.scalar(
        select(ScreeningListVersion.id).where(ScreeningListVersion.source_format == DEMO_FORMAT)
    )
    if done is not None:
        return "screening: demo list present"
    parsed = demo_list()
    service.store_version(session, actor=None, parsed=parsed, source_path=f"secassist/demo/{DEMO_FILE}")
    runs = [
        service.screen(session, actor=None, names=[name], subject=subject)
        for name, subject in DEMO_SCREENINGS
    ]
    return f"screening: {len(parsed.entities)} demo list entries, {len(runs)} screenings"
