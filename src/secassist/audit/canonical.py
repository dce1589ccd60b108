"""Canonical forms: row after-images and the entry JSON that is hashed (RFC 8785)."""

from __future__ import annotations

import base64
import hashlib
import json
from _json import make_encoder  # CPython's C encoder, which json.encoder wraps
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring  # what json.dumps uses for a str
from typing import Any, NamedTuple, TypedDict

import orjson
import rfc8785
from sqlalchemy import Column, Table
from sqlalchemy.orm import Mapper, object_mapper

from secassist.storage.base import Base, load_all_models


def json_value(value: Any) -> Any:
    """The one JSON form of a column value, used both when writing and when verifying."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} in an audited row is outside the exact JSON range")
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return utc_iso(value)
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


def utc_iso(value: datetime) -> str:
    """A datetime's JSON form: ISO 8601 in UTC with a ``Z``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in an audited row")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def audited_tables() -> dict[str, Table]:
    """Tables whose every row must be explained by the audit log.

    Every package's models are imported first: a process that has only imported the
    audit models (``secassist audit verify``) must still check every audited table.
    """
    load_all_models()
    return {t.name: t for t in Base.metadata.sorted_tables if t.info.get("audited")}


def logged_columns(table: Table) -> list[Column[Any]]:
    """The columns an after-image carries: all but those marked ``info={"derived": True}``,
    a cache the row's module recomputes from the logged columns (and dated reference data),
    so changing how it is computed is a backfill, not a change of state to log."""
    return [c for c in table.columns if not c.info.get("derived")]


def column_json(column: Column[Any], value: Any) -> Any:
    """A column's value as the log keeps it. Columns marked ``info={"secret": True}``
    (password and token hashes) are kept as a SHA-256 of their value: the log is read by
    auditors and witnesses and kept forever, and must not carry credentials, yet a direct
    change to the column still shows up in `audit verify`."""
    plain = json_value(value)
    return _secret(plain) if column.info.get("secret") else plain


_ImagePlan = tuple[str, tuple[tuple[str, str, bool], ...], tuple[str, ...], bool]
_IMAGE_PLANS: dict[type, _ImagePlan] = {}


def _image_plan(cls: type, mapper: Mapper[Any]) -> _ImagePlan:
    """(table, (attribute, column, secret) per column, primary-key columns, ASCII names) of a mapped
    class, worked out once per class: walking the mapper's properties cost more than the
    values themselves."""
    plan = _IMAGE_PLANS.get(cls)
    if plan is None:
        table = mapper.local_table
        assert isinstance(table, Table)
        columns: list[tuple[str, str, bool]] = []
        for prop in mapper.column_attrs:
            for col in prop.columns:
                if col.table is table and not col.info.get("derived"):
                    assert isinstance(col, Column)
                    columns.append((prop.key, col.name, bool(col.info.get("secret"))))
        ascii_names = table.name.isascii() and all(name.isascii() for _, name, _ in columns)
        plan = (table.name, tuple(columns), tuple(c.name for c in table.primary_key.columns), ascii_names)
        _IMAGE_PLANS[cls] = plan
    return plan


def _secret(plain: Any) -> Any:
    if plain is None:
        return None
    return "sha256:" + hashlib.sha256(json.dumps(plain).encode()).hexdigest()


def row_image(obj: Base) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(table, primary key, after-image) of an ORM object, by column name; each value as
    :func:`column_json` gives it."""
    table, pk, image, _ = image_of(obj)
    return table, pk, image


_CONTAINERS = (dict, list)


def image_of(obj: Base) -> tuple[str, dict[str, Any], dict[str, Any], bool]:
    """:func:`row_image`, and whether the image is flat: every value a string, integer
    (in the exact range), boolean or null under an ASCII column name, which RFC 8785 and
    Python's encoder write identically (see :func:`canonical`)."""
    cls = type(obj)
    plan = _IMAGE_PLANS.get(cls)
    table, columns, pk_names, flat = plan if plan is not None else _image_plan(cls, object_mapper(obj))
    # Loaded values straight from the instance's state dict: the instrumented attribute's
    # descriptor cost more than the rest of the per-column work. An expired or unloaded
    # column is absent there and goes through getattr, which loads it.
    loaded = obj.__dict__
    image: dict[str, Any] = {}
    for key, name, secret in columns:
        value = loaded[key] if key in loaded else getattr(obj, key)
        kind = type(value)
        # json_value's first cases, inline: most columns are strings, integers or null.
        scalar = kind is str or value is None or kind is bool
        scalar = scalar or (kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
        plain = value if scalar else utc_iso(value) if kind is datetime else json_value(value)
        if secret:
            plain = _secret(plain)
        elif type(plain) in _CONTAINERS:
            flat = False
        image[name] = plain
    return table, {c: image[c] for c in pk_names}, image, flat


def pk_key(table: str, pk: dict[str, Any]) -> str:
    return table + ":" + _PK_ENCODER.encode(pk)


# Made once (json.dumps with options builds an encoder per call; verify keys every row).
_PK_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class EntryFields(NamedTuple):
    """The stored fields of one entry (a tuple: made once per entry written or verified)."""

    seq: int
    at: datetime
    actor_user_id: int | None
    actor_org_id: int | None
    actor: str
    tag: str
    subject_type: str
    subject_id: str
    payload: str


class RowImage(TypedDict):
    """One row an entry records: its table, primary key and after-image (null: deleted)."""

    table: str
    pk: dict[str, object]
    after: dict[str, object] | None


class EntryPayload(TypedDict):
    rows: list[RowImage]
    note: dict[str, object] | None


class EntryActor(TypedDict):
    user: int | None
    org: int | None
    label: str


class EntrySubject(TypedDict):
    type: str
    id: str


class EntryDocument(TypedDict):
    """An entry as the JSON document whose canonical form is hashed into its leaf."""

    seq: int
    at: str  # ISO 8601 in UTC with a "Z"
    actor: EntryActor
    tag: str
    subject: EntrySubject
    payload: EntryPayload


def entry_document(e: EntryFields) -> EntryDocument:
    return {
        "seq": e.seq,
        "at": json_value(e.at),
        "actor": {"user": e.actor_user_id, "org": e.actor_org_id, "label": e.actor},
        "tag": e.tag,
        "subject": {"type": e.subject_type, "id": e.subject_id},
        "payload": parse_payload(e.payload),
    }


def parse_payload(text: str) -> Any:
    """A stored payload parsed. The payload is RFC 8785 JSON (integers within 2^53), which
    orjson parses to the same values as ``json`` in a third of the time (a trace parses a
    hundred entries); a string orjson refuses (a lone surrogate's escape, which the
    reference encoder writes) takes ``json``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 / I-JSON: larger integers are not exact


def _int_or_null(value: int | None) -> bytes:
    if value is None:
        return b"null"
    if abs(value) > MAX_SAFE_INTEGER:
        return rfc8785.dumps(value)  # raises: not an exact JSON number
    return str(int(value)).encode()


_ACTORS: dict[tuple[str, int | None, int | None], str] = {}


def _actor(label: str, org: int | None, user: int | None) -> str:
    key = (label, org, user)
    out = _ACTORS.get(key)
    if out is None:
        org_s, user_s = _int_or_null(org).decode(), _int_or_null(user).decode()
        out = f'{{"label":{encode_basestring(label)},"org":{org_s},"user":{user_s}}}'
        if len(_ACTORS) > 4096:  # a handful of actors write most entries; keep it bounded
            _ACTORS.clear()
        _ACTORS[key] = out
    return out


def entry_bytes(e: EntryFields) -> bytes:
    """RFC 8785 canonical JSON of the entry: the bytes under the leaf hash.

    Equal to ``canonical(entry_document(e))`` but assembled without re-parsing the
    payload, which is already stored as canonical JSON: RFC 8785 sorts members by key
    (actor < at < payload < seq < subject < tag) and a member's canonical form does not
    depend on its neighbours, so the pieces can be joined. Strings are escaped by
    Python's encoder, which escapes what RFC 8785 does (:func:`string`); a string UTF-8
    cannot carry (a lone surrogate) takes the reference path. Tests check the equality.
    """
    at = encode_basestring(utc_iso(e.at) if type(e.at) is datetime else json_value(e.at))
    seq = (
        str(e.seq) if type(e.seq) is int and 0 <= e.seq <= MAX_SAFE_INTEGER else _int_or_null(e.seq).decode()
    )
    text = (
        f'{{"actor":{_actor(e.actor, e.actor_org_id, e.actor_user_id)},"at":{at},'
        f'"payload":{e.payload},"seq":{seq},'
        f'"subject":{{"id":{encode_basestring(e.subject_id)},"type":{encode_basestring(e.subject_type)}}},'
        f'"tag":{encode_basestring(e.tag)}}}'
    )
    try:
        return text.encode()
    except UnicodeEncodeError:
        return canonical(entry_document(e))


def _plain_json(doc: Any) -> bool:
    """True when ``doc`` holds only what the fast path serialises exactly like RFC 8785:
    dicts with ASCII keys (so code-point order equals RFC 8785's UTF-16 order), lists,
    strings, integers, booleans and null — no floats."""
    stack = [doc]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            for key, value in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                push(value)
        elif kind is list:
            extend(item)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif isinstance(item, str | bool) or item is None:  # subclasses (StrEnum, ...)
            continue
        elif isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif isinstance(item, dict):
            stack.append(dict(item))
        elif isinstance(item, list):
            extend(item)
        else:
            return False
    return True


# One encoder, made once: json.dumps with options builds a new one on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# The C encoder behind _ENCODER, built once (JSONEncoder.encode builds one per call, which
# cost a third of a flat payload): same separators, sorted keys, no ASCII escaping. No
# cycle check (markers None): a flat payload is dicts of scalars, fresh per entry.
_FLAT_ENCODE = make_encoder(None, _not_json, encode_basestring, None, ":", ",", True, False, True)


def payload(images: list[dict[str, Any]], note: dict[str, Any] | None, *, flat: bool) -> str:
    """Canonical JSON of an entry's payload ``{"rows": images, "note": note}``. When every
    image is flat (:func:`image_of`) and there is no note, the walk of :func:`canonical`
    over the document is skipped: its outcome is known."""
    doc = {"rows": images, "note": note}
    if flat and note is None:
        text = "".join(_FLAT_ENCODE(doc, 0))
        if text.isascii():
            return text
        try:
            text.encode()
            return text
        except UnicodeEncodeError:  # a lone surrogate: the reference implementation says
            pass
    return canonical(doc).decode()


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
            return _ENCODER.encode(doc).encode()
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(doc)
