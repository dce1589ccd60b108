"""The fast canonical-JSON paths agree byte for byte with the RFC 8785 reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from secassist.audit.canonical import EntryFields, canonical, entry_bytes, entry_document, parse_payload

json_docs = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(json_docs)
def test_canonical_equals_rfc8785(doc: Any) -> None:
    assert canonical(doc) == rfc8785.dumps(doc)


def test_non_ascii_keys_and_lone_surrogates_take_the_reference_path() -> None:
    assert canonical({"\U0001f600": 1, "\ufb01": 2}) == rfc8785.dumps({"\U0001f600": 1, "\ufb01": 2})
    assert canonical({"a": "x\u2028\x01\x7f"}) == rfc8785.dumps({"a": "x\u2028\x01\x7f"})
    try:
        expected = rfc8785.dumps({"a": "\ud800"})
    except rfc8785.CanonicalizationError:
        return
    assert canonical({"a": "\ud800"}) == expected


@settings(max_examples=200, deadline=None)
@given(
    seq=st.integers(min_value=0, max_value=2**40),
    label=st.text(max_size=30),
    user=st.none() | st.integers(min_value=0, max_value=10**9),
    tag=st.text(max_size=20),
    subject=st.text(max_size=20),
    payload=json_docs,
)
def test_entry_bytes_equals_the_canonical_document(
    seq: int, label: str, user: int | None, tag: str, subject: str, payload: Any
) -> None:
    fields = EntryFields(
        seq=seq,
        at=datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=UTC),
        actor_user_id=user,
        actor_org_id=None,
        actor=label,
        tag=tag,
        subject_type="t",
        subject_id=subject,
        payload=canonical({"rows": [], "note": payload}).decode(),
    )
    assert entry_bytes(fields) == rfc8785.dumps(entry_document(fields))


@settings(max_examples=300, deadline=None)
@given(json_docs)
def test_a_stored_payload_parses_as_json_would(doc: Any) -> None:
    text = canonical({"rows": [], "note": doc}).decode()
    assert parse_payload(text) == json.loads(text)


def test_a_payload_orjson_refuses_is_parsed_by_json() -> None:
    # A lone surrogate's escape (what the reference encoder writes for one) is valid JSON.
    text = '{"note":{"a":"\\ud800"},"rows":[]}'
    assert parse_payload(text) == {"note": {"a": "\ud800"}, "rows": []}
