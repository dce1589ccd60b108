"""Canonical forms: row after-images and the entry JSON that is hashed (RFC 8785)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import rfc8785
from sqlalchemy import Column, Table, inspect

from secassist.storage.base import Base, load_all_models


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
    """Tables whose every row must be explained by the audit log.

    Every package's models are imported first: a process that has only imported the
    audit models (``secassist audit verify``) must still check every audited table.
    """
    load_all_models()
    return {t.name: t for t in Base.metadata.sorted_tables if t.info.get("audited")}


def column_json(column: Column[Any], value: Any) -> Any:
    """A column's value as the log keeps it. Columns marked ``info={"secret": True}``
    (password and token hashes) are kept as a SHA-256 of their value: the log is read by
    auditors and witnesses and kept forever, and must not carry credentials, yet a direct
    change to the column still shows up in `audit verify`."""
    plain = json_value(value)
    if column.info.get("secret") and plain is not None:
        return "sha256:" + hashlib.sha256(json.dumps(plain).encode()).hexdigest()
    return plain


def row_image(obj: Base) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(table, primary key, after-image) of an ORM object, by column name."""
    mapper = inspect(obj).mapper
    table = mapper.local_table
    assert isinstance(table, Table)
    image: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        for col in prop.columns:
            if col.table is table:
                assert isinstance(col, Column)
                image[col.name] = column_json(col, getattr(obj, prop.key))
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
    """RFC 8785 canonical JSON of the entry: the bytes under the leaf hash.

    Equal to ``canonical(entry_document(e))`` but assembled without re-parsing the
    payload, which is already stored as canonical JSON: RFC 8785 sorts members by key
    (actor < at < payload < seq < subject < tag) and a member's canonical form does not
    depend on its neighbours, so the pieces can be joined. Tests check the equality.
    """
    return b"".join(
        (
            b'{"actor":',
            canonical({"label": e.actor, "org": e.actor_org_id, "user": e.actor_user_id}),
            b',"at":',
            canonical(json_value(e.at)),
            b',"payload":',
            e.payload.encode(),
            b',"seq":',
            str(e.seq).encode(),
            b',"subject":',
            canonical({"id": e.subject_id, "type": e.subject_type}),
            b',"tag":',
            canonical(e.tag),
            b"}",
        )
    )


MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 / I-JSON: larger integers are not exact


def _plain_json(doc: Any) -> bool:
    """True when ``doc`` holds only what the fast path serialises exactly like RFC 8785:
    dicts with ASCII keys (so code-point order equals RFC 8785's UTF-16 order), lists,
    strings, integers, booleans and null — no floats."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str) or not key.isascii():
                    return False
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif not isinstance(item, int) or abs(item) > MAX_SAFE_INTEGER:
            return False
    return True


def canonical(doc: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON.

    For the documents the log writes (no floats, ASCII keys) Python's C JSON encoder with
    sorted keys, no whitespace and no ASCII escaping produces the same bytes as RFC 8785
    and is an order of magnitude faster; anything else, or a string the encoder cannot
    write as UTF-8 (a lone surrogate), goes through the reference implementation.
    Tests check the two agree.
    """
    if _plain_json(doc):
        try:
            return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(doc)
