"""The stored form of a list version's entities: gzip'd JSON, one compact row per entity.

Written by :func:`secassist.vetting.screening.service.store_version` and read back by
:func:`secassist.vetting.screening.queries.active_index`; deterministic (same entities,
same bytes), so the payload's SHA-256 identifies it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence

from secassist.vetting.screening.entities import Identifier, ListEntity


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
            e.countries,
        ]
        for e in entities
    ]
    raw = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decode_entities(payload: bytes) -> list[ListEntity]:
    """The entities of a payload written by :func:`encode_entities`."""
    rows = json.loads(gzip.decompress(payload))
    return [
        ListEntity(
            entity_id=r[0],
            name=r[1],
            schema=r[2],
            aliases=r[3],
            identifiers=[Identifier(kind=k, value=v) for k, v in r[4]],
            programs=r[5],
            countries=r[6],
        )
        for r in rows
    ]
