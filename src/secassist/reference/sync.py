"""Mirror the packaged reference data into the database (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import SYSTEM, add_recorded
from secassist.core.clock import Clock, now
from secassist.reference.models import CountryRow, DatasetVersion
from secassist.reference.service import ReferenceData


@dataclass(frozen=True)
class SyncResult:
    inserted: int
    updated: int
    unchanged: int


def sync_reference(session: Session, *, data: ReferenceData, clock: Clock | None = None) -> SyncResult:
    """Upsert countries and record the file hashes, in one audit entry when anything
    changed. Never commits (the unit of work does)."""
    existing = {row.code: row for row in session.scalars(select(CountryRow))}
    inserted = updated = unchanged = 0
    touched: list[CountryRow | DatasetVersion] = []
    for c in data.countries():
        values = {
            "alpha3": c.alpha3,
            "name": c.name,
            "region": c.region,
            "fms_code": c.fms_code,
            "territory": c.territory,
        }
        row = existing.get(c.code)
        if row is None:
            row = CountryRow(code=c.code, **values)
            session.add(row)
            touched.append(row)
            inserted += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            touched.append(row)
            updated += 1
        else:
            unchanged += 1
    at = now(clock)
    counts = {
        "countries.yaml": len(data.countries_file.entries),
        "nato.yaml": len(data.nato.members) + len(data.nato.bodies),
        "notification_groups.yaml": sum(len(g.members) for g in data.groups.groups.values()),
        "mnna.yaml": len(data.mnna_file.members) + len(data.mnna_file.treated_as),
        "itar_126_1.yaml": len(data.itar.entries),
        "usml.yaml": len(data.usml.categories),
        "implementing_agencies.yaml": len(data.agencies_file.agencies),
    }
    versions = {v.name: v for v in session.scalars(select(DatasetVersion))}
    for name, loaded in data.files.items():
        v = versions.get(name)
        if v is None:
            v = DatasetVersion(name=name, sha256=loaded.sha256, entries=counts[name], synced_at=at)
            session.add(v)
            touched.append(v)
        elif v.sha256 != loaded.sha256:
            v.sha256, v.entries, v.synced_at = loaded.sha256, counts[name], at
            touched.append(v)
    if touched:
        add_recorded(
            session,
            touched,
            actor=SYSTEM,
            tag="reference:data:synced",
            subject_type="reference",
            subject_id="packaged",
            note={"inserted": inserted, "updated": updated},
            clock=clock,
        )
    return SyncResult(inserted=inserted, updated=updated, unchanged=unchanged)
