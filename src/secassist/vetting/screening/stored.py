"""The stored form of a list version's entities: gzip'd JSON, one compact row per entity.

Written by :func:`secassist.vetting.screening.service.store_version` and read back by
:func:`secassist.vetting.screening.queries.active_index`; deterministic (same entities,
same bytes), so the payload's SHA-256 identifies it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence

from secassist.vetting.screening.entities import CountryRef, Identifier, ListEntity


def encode_entities(entities: Sequence[ListEntity]) -> bytes:
    """The compact stored form of a version's entities: gzip'd JSON (deterministic)."""
    rows = [
        [
            e.entity_id,
            e.name,
            e.schema,
            e.aliases,
            [[i.kind, i.value] for i in e.identifiers],
            e.programs,
            [[c.code, c.role] for c in e.countries],
            e.birth_dates,
            e.weak_aliases,
        ]
        for e in entities
    ]
    raw = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decode_entities(payload: bytes) -> list[ListEntity]:
    """The entities of a payload written by :func:`encode_entities`."""
    rows = json.loads(gzip.decompress(payload))
    # Versions stored before countries had roles (7 columns) kept bare country names:
    # they load without context rather than with a guessed one.
    return [
        ListEntity(
            entity_id=r[0],
            name=r[1],
            schema=r[2],
            aliases=r[3],
            identifiers=[Identifier(kind=k, value=v) for k, v in r[4]],
            programs=r[5],
            countries=[CountryRef(c, role) for c, role in r[6]] if len(r) > 7 else [],
            birth_dates=r[7] if len(r) > 7 else [],
            weak_aliases=r[8] if len(r) > 8 else [],
        )
        for r in rows
    ]
