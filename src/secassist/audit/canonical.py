"""Canonical forms: row after-images and the entry JSON that is hashed (RFC 8785)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import rfc8785
from sqlalchemy import Table, inspect

from secassist.storage.base import Base


def json_value(value: Any) -> Any:
    """The one JSON form of a column value, used both when writing and when verifying."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audited row")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audited rows (money is Decimal)")
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def audited_tables() -> dict[str, Table]:
    """Tables whose every row must be explained by the audit log."""
    return {t.name: t for t in Base.metadata.sorted_tables if t.info.get("audited")}


def row_image(obj: Base) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(table, primary key, after-image) of an ORM object, by column name."""
    mapper = inspect(obj).mapper
    table = mapper.local_table
    assert isinstance(table, Table)
    image: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        for col in prop.columns:
            if col.table is table:
                image[col.name] = json_value(getattr(obj, prop.key))
    pk = {c.name: image[c.name] for c in table.primary_key.columns}
    return table.name, pk, image


def pk_key(table: str, pk: dict[str, Any]) -> str:
    return table + ":" + json.dumps(pk, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class EntryFields:
    seq: int
    at: datetime
    actor_user_id: int | None
    actor_org_id: int | None
    actor: str
    tag: str
    subject_type: str
    subject_id: str
    payload: str


def entry_document(e: EntryFields) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": json_value(e.at),
        "actor": {"user": e.actor_user_id, "org": e.actor_org_id, "label": e.actor},
        "tag": e.tag,
        "subject": {"type": e.subject_type, "id": e.subject_id},
        "payload": json.loads(e.payload),
    }


def entry_bytes(e: EntryFields) -> bytes:
    """RFC 8785 canonical JSON of the entry: the bytes under the leaf hash."""
    return canonical(entry_document(e))


def canonical(doc: Any) -> bytes:
    return rfc8785.dumps(doc)
