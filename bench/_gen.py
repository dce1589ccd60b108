"""Seeded generator of a synthetic but valid audit log, bulk-loaded without `record()`.

Building 10^7 entries through :func:`secassist.audit.service.record` would take hours, so
this writes the tables directly: ``audit_entry`` rows, every node that
:class:`secassist.audit.merkle.TreeBuilder` completes into ``audit_node``, the head size,
the final state of every organization the entries wrote, and one signed checkpoint.
The result passes ``secassist audit verify`` (with the row check): each entry records an
``identity_organization`` after-image, organizations revised round-robin.

Canonical JSON is produced from string templates (fast) and checked against
:func:`secassist.audit.canonical.entry_bytes` on a sample, so the leaf hashes are the real
ones. One pass can feed several databases (one SQLite, one PostgreSQL) at once.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, text, update
from sqlalchemy.orm import Session

from secassist.audit import checkpoint, merkle
from secassist.audit.canonical import EntryFields, canonical, entry_bytes
from secassist.audit.keys import key_id
from secassist.audit.models import AuditCheckpoint, AuditHead
from secassist.identity.models import Organization

BASE = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 50_000
ENTRIES_PER_SECOND = 1_000  # entries in one chunk of time share a timestamp
KINDS = ("state", "dod", "congress", "industry", "auditor")
ORIGIN = "bench.secassist.example/audit"


@dataclass(frozen=True)
class Spec:
    size: int
    orgs: int
    seed: int = 20250101

    @classmethod
    def for_size(cls, size: int) -> Spec:
        return cls(size=size, orgs=max(1, min(size // 10, 100_000)))


class Entry(NamedTuple):
    seq: int
    at: datetime
    user: int
    org: int
    label: str
    tag: str
    oid: int
    payload: str
    canonical: bytes

    def fields(self) -> EntryFields:
        return EntryFields(
            seq=self.seq,
            at=self.at,
            actor_user_id=self.user,
            actor_org_id=self.org,
            actor=self.label,
            tag=self.tag,
            subject_type="organization",
            subject_id=str(self.oid),
            payload=self.payload,
        )


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def kinds_of(spec: Spec) -> list[str]:
    rng = random.Random(spec.seed)
    return [rng.choice(KINDS) for _ in range(spec.orgs)]


def _name(oid: int, revision: int) -> str:
    return f"Organization {oid:07d} rev {revision}"


def entries(spec: Spec, kinds: Sequence[str], start: int, end: int) -> list[Entry]:
    """Entries ``[start, end)``; deterministic for a given spec whatever the chunking."""
    getrandbits = random.Random(spec.seed * 1_000_003 + start).getrandbits
    created = _iso(BASE)
    out = []
    at, at_iso, at_second = BASE, created, 0
    for seq in range(start, end):
        if seq // ENTRIES_PER_SECOND != at_second or seq == start:
            at_second = seq // ENTRIES_PER_SECOND
            at = BASE + timedelta(seconds=at_second)
            at_iso = _iso(at)
        oid = seq % spec.orgs + 1
        rev = seq // spec.orgs
        actor = getrandbits(4) + 1
        org = (actor - 1) % 4 + 1
        label = f"user{actor}@bench"
        tag = "identity:organization:created" if rev == 0 else "identity:organization:updated"
        kind = kinds[oid - 1]
        name = _name(oid, rev)
        after = f'{{"country_code":null,"created_at":"{created}","id":{oid},"kind":"{kind}","name":"{name}"}}'
        payload = (
            f'{{"note":null,"rows":[{{"after":{after},"pk":{{"id":{oid}}},'
            '"table":"identity_organization"}]}'
        )
        doc = (
            f'{{"actor":{{"label":"{label}","org":{org},"user":{actor}}},"at":"{at_iso}","payload":{payload},'
            f'"seq":{seq},"subject":{{"id":"{oid}","type":"organization"}},"tag":"{tag}"}}'
        )
        out.append(Entry(seq, at, actor, org, label, tag, oid, payload, doc.encode()))
    return out


def check_template(spec: Spec) -> None:
    """The fast templates produce exactly the canonical bytes the service hashes."""
    kinds = kinds_of(spec)
    sample = entries(spec, kinds, 0, min(spec.size, 50)) + entries(
        spec, kinds, max(0, spec.size - 50), spec.size
    )
    for e in sample:
        assert e.canonical == entry_bytes(e.fields()), (e.canonical, entry_bytes(e.fields()))
        assert canonical(json.loads(e.payload)).decode() == e.payload


class _Sink:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        self.raw = engine.raw_connection()
        self._at_text: dict[datetime, str] = {}

    def _at(self, at: datetime) -> str:
        text = self._at_text.get(at)
        if text is None:
            text = at.strftime("%Y-%m-%d %H:%M:%S.%f") if self.backend == "sqlite" else at.isoformat()
            self._at_text = {at: text}  # entries come in time order: keep one
        return text

    def write(self, rows: Sequence[Entry], nodes: Sequence[tuple[int, int, bytes]]) -> None:
        dbapi = self.raw.driver_connection
        assert dbapi is not None
        if self.backend == "sqlite":
            cur = dbapi.cursor()
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, "
                "subject_type, subject_id, payload) VALUES (?, ?, ?, ?, ?, ?, 'organization', ?, ?)",
                [
                    (
                        e.seq,
                        self._at(e.at),
                        e.user,
                        e.org,
                        e.label,
                        e.tag,
                        str(e.oid),
                        e.payload,
                    )
                    for e in rows
                ],
            )
            cur.executemany("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
            cur.execute("COMMIT")
            cur.close()
            return
        buf = io.StringIO()
        for e in rows:
            buf.write(
                f"{e.seq}\t{self._at(e.at)}\t{e.user}\t{e.org}\t{e.label}\t{e.tag}\torganization\t"
                f"{e.oid}\t{e.payload}\n"
            )
        nbuf = io.StringIO()
        for level, idx, h in nodes:
            nbuf.write(f"{level}\t{idx}\t\\\\x{h.hex()}\n")
        with dbapi.cursor() as cur:
            with cur.copy(
                "COPY audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, "
                "subject_id, payload) FROM STDIN"
            ) as cp:
                cp.write(buf.getvalue())
            with cur.copy("COPY audit_node (level, idx, hash) FROM STDIN") as cp:
                cp.write(nbuf.getvalue())
        dbapi.commit()

    def finish(self, spec: Spec, root_hash: bytes, key: Ed25519PrivateKey) -> None:
        self.raw.close()
        kinds = kinds_of(spec)
        with Session(self.engine) as s, s.begin():
            s.execute(update(AuditHead).where(AuditHead.id == 1).values(size=spec.size))
            orgs = [
                {
                    "id": oid,
                    "name": _name(oid, (spec.size - oid) // spec.orgs),
                    "kind": kinds[oid - 1],
                    "country_code": None,
                    "created_at": BASE,
                }
                for oid in range(1, min(spec.orgs, spec.size) + 1)
            ]
            for i in range(0, len(orgs), CHUNK):
                s.execute(insert(Organization), orgs[i : i + CHUNK])
            if self.backend == "postgresql" and orgs:  # ids were given: move the sequence on
                s.execute(
                    text("SELECT setval(pg_get_serial_sequence('identity_organization', 'id'), :n)"),
                    {"n": len(orgs)},
                )
            at = BASE + timedelta(days=365)
            body = checkpoint.render_body(ORIGIN, spec.size, root_hash, at)
            s.add(
                AuditCheckpoint(
                    tree_size=spec.size,
                    root_hash=root_hash,
                    at=at,
                    key_id=key_id(ORIGIN, key.public_key()).hex(),
                    note=checkpoint.sign(body, key, ORIGIN),
                )
            )
        if self.backend == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE audit_entry")
                conn.exec_driver_sql("VACUUM ANALYZE audit_node")


def build(spec: Spec, engines: Sequence[Engine], key: Ed25519PrivateKey) -> bytes:
    """Fill each (fresh, migrated) database with the log of ``spec``; return its root hash."""
    check_template(spec)
    sinks = [_Sink(e) for e in engines]
    tree = merkle.TreeBuilder()
    leaf_hash, append = merkle.leaf_hash, tree.append
    kinds = kinds_of(spec)
    # One writer thread per database: the drivers release the GIL while the database
    # works, so generating the next chunk overlaps with storing this one (2 cores).
    pools = [ThreadPoolExecutor(max_workers=1) for _ in sinks]
    pending: list[Future[None]] = []
    try:
        for start in range(0, spec.size, CHUNK):
            rows = entries(spec, kinds, start, min(start + CHUNK, spec.size))
            nodes = [(lvl, idx, h) for e in rows for (lvl, idx), h in append(leaf_hash(e.canonical))]
            for f in pending:
                f.result()
            pending = [pool.submit(sink.write, rows, nodes) for pool, sink in zip(pools, sinks, strict=True)]
        for f in pending:
            f.result()
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
    root_hash = tree.root()
    for sink in sinks:
        sink.finish(spec, root_hash, key)
    return root_hash
