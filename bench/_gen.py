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

import json
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, text, update
from sqlalchemy.orm import Session

from secassist.audit import checkpoint, merkle
from secassist.audit.canonical import EntryFields, canonical, entry_bytes
from secassist.audit.keys import key_id
from secassist.audit.models import AuditCheckpoint, AuditHead
from secassist.cli.output import progress
from secassist.identity.models import Organization

BASE = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 65_536  # a power of two: the level-wise tree then carries nothing below level 16
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


def _org_parts(spec: Spec, kinds: Sequence[str]) -> list[tuple[str, str, str]]:
    """Per organization: the JSON around its revision number, its subject, its id."""
    created = _iso(BASE)
    out = [("", "", "")]
    for oid in range(1, spec.orgs + 1):
        head = (
            f'{{"note":null,"rows":[{{"after":{{"country_code":null,"created_at":"{created}","id":{oid},'
            f'"kind":"{kinds[oid - 1]}","name":"Organization {oid:07d} rev '
        )
        tail = f'"}},"pk":{{"id":{oid}}},"table":"identity_organization"}}]}}'
        out.append((head, tail, f',"subject":{{"id":"{oid}","type":"organization"}},"tag":"'))
    return out


_parts_memo: dict[tuple[Spec, tuple[str, ...]], list[tuple[str, str, str]]] = {}


def entries(spec: Spec, kinds: Sequence[str], start: int, end: int) -> list[Entry]:
    """Entries ``[start, end)``; deterministic for a given spec whatever the chunking.

    Built from per-organization string pieces (this runs 10^7 times for the equipment
    benchmark); :func:`check_template` holds the result to the canonical encoder."""
    memo_key = (spec, tuple(kinds))
    parts = _parts_memo.get(memo_key)
    if parts is None:
        _parts_memo.clear()
        parts = _parts_memo[memo_key] = _org_parts(spec, kinds)
    getrandbits = random.Random(spec.seed * 1_000_003 + start).getrandbits
    actors = [
        (f"user{a}@bench", org, f'{{"actor":{{"label":"user{a}@bench","org":{org},"user":{a}}}')
        for a, org in ((a, (a - 1) % 4 + 1) for a in range(17))
    ]
    out = []
    append = out.append
    orgs = spec.orgs
    at, at_iso, at_second = BASE, "", -1
    for seq in range(start, end):
        if seq // ENTRIES_PER_SECOND != at_second:
            at_second = seq // ENTRIES_PER_SECOND
            at = BASE + timedelta(seconds=at_second)
            at_iso = _iso(at)
        oid = seq % orgs + 1
        rev = seq // orgs
        actor = getrandbits(4) + 1
        label, org, actor_json = actors[actor]
        tag = "identity:organization:created" if rev == 0 else "identity:organization:updated"
        head, tail, subject = parts[oid]
        payload = f"{head}{rev}{tail}"
        doc = f'{actor_json},"at":"{at_iso}","payload":{payload},"seq":{seq}{subject}{tag}"}}'
        append(Entry(seq, at, actor, org, label, tag, oid, payload, doc.encode()))
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


class LevelTree:
    """The nodes :class:`merkle.TreeBuilder` completes, computed a level at a time over a
    chunk of leaves (list comprehensions instead of a Python loop per leaf and level);
    :func:`check_tree` holds it to ``TreeBuilder``."""

    def __init__(self) -> None:
        self.carry: dict[int, tuple[int, bytes]] = {}  # level -> the last, still unpaired node
        self.size = 0

    def extend(self, leaves: list[bytes]) -> list[tuple[int, int, bytes]]:
        """Append leaf hashes; the nodes they complete, level by level, each in index order."""
        out: list[tuple[int, int, bytes]] = []
        level, first, cur = 0, self.size, leaves
        self.size += len(leaves)
        node_hash = merkle.node_hash
        while cur:
            out += zip(repeat(level), range(first, first + len(cur)), cur, strict=False)
            left = self.carry.pop(level, None)
            if left is not None:
                cur, first = [left[1], *cur], first - 1
            assert first % 2 == 0, "a node with an odd index must have its left sibling carried"
            if len(cur) % 2:
                self.carry[level] = (first + len(cur) - 1, cur[-1])
            cur = [node_hash(a, b) for a, b in zip(cur[0:-1:2], cur[1::2], strict=False)]
            level, first = level + 1, first // 2
        return out

    def root(self) -> bytes:
        return merkle.fold([self.carry[level][1] for level in sorted(self.carry, reverse=True)])


def check_tree() -> None:
    """:class:`LevelTree` completes the nodes and root that ``TreeBuilder`` does, however
    the leaves are chunked."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(1_000)]
    reference, want = merkle.TreeBuilder(), set()
    for leaf in leaves:
        want |= {(lvl, idx, h) for (lvl, idx), h in reference.append(leaf)}
    for step in (1, 7, 64, 333, 1_000):
        tree, got = LevelTree(), set()
        for lo in range(0, len(leaves), step):
            got |= set(tree.extend(leaves[lo : lo + step]))
        assert got == want, f"LevelTree's nodes differ in chunks of {step}"
        assert tree.root() == reference.root(), f"LevelTree's root differs in chunks of {step}"


class _Sink:
    """One database's writer. With ``single_transaction`` (the equipment generator), the
    whole log goes in one transaction that starts by truncating the tables, which lets a
    PostgreSQL cluster at ``wal_level=minimal`` skip the WAL for it; triggers (the
    append-only guards refuse TRUNCATE) and foreign-key checks are off for the session,
    as a restore does (``session_replication_role``, a superuser setting)."""

    def __init__(self, engine: Engine, single_transaction: bool) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        self.single = single_transaction
        self.raw = engine.raw_connection()
        self._at_text: dict[datetime, str] = {}
        if self.single:
            dbapi = self.raw.driver_connection
            assert dbapi is not None
            if self.backend == "postgresql":
                with dbapi.cursor() as cur:
                    cur.execute("SET session_replication_role = replica")
                    cur.execute("TRUNCATE audit_entry, audit_node")
            else:
                dbapi.execute("BEGIN")

    def _at(self, at: datetime) -> str:
        text = self._at_text.get(at)
        if text is None:
            text = at.strftime("%Y-%m-%d %H:%M:%S.%f") if self.backend == "sqlite" else at.isoformat()
            self._at_text = {at: text}  # entries come in time order: keep one
        return text

    def write(self, rows: Sequence[Entry], nodes: Sequence[tuple[int, int, bytes]]) -> None:
        dbapi = self.raw.driver_connection
        assert dbapi is not None
        at, kind = self._at, "organization"
        values = [(e.seq, at(e.at), e.user, e.org, e.label, e.tag, kind, str(e.oid), e.payload) for e in rows]
        if self.backend == "sqlite":
            cur = dbapi.cursor()
            if not self.single:
                cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, "
                "subject_type, subject_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            cur.executemany("INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
            if not self.single:
                cur.execute("COMMIT")
            cur.close()
            return
        with dbapi.cursor() as cur:
            with cur.copy(
                "COPY audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, "
                "subject_id, payload) FROM STDIN"
            ) as cp:
                for v in values:
                    cp.write_row(v)
            with cur.copy("COPY audit_node (level, idx, hash) FROM STDIN") as cp:
                for n in nodes:
                    cp.write_row(n)
        if not self.single:
            dbapi.commit()

    def finish(self, spec: Spec, root_hash: bytes, key: Ed25519PrivateKey, vacuum: bool) -> None:
        if self.single:
            dbapi = self.raw.driver_connection
            assert dbapi is not None
            if self.backend == "postgresql":
                dbapi.commit()
            else:
                dbapi.execute("COMMIT")
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
        if self.backend == "postgresql" and vacuum:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE audit_entry")
                conn.exec_driver_sql("VACUUM ANALYZE audit_node")


def build(
    spec: Spec,
    engines: Sequence[Engine],
    key: Ed25519PrivateKey,
    *,
    single_transaction: bool = False,
    vacuum: bool = True,
) -> bytes:
    """Fill each (fresh, migrated) database with the log of ``spec``; return its root hash.

    ``single_transaction``: load each database in one transaction (see :class:`_Sink`);
    ``vacuum=False`` leaves PostgreSQL's VACUUM ANALYZE to the caller (who may load more)."""
    check_template(spec)
    check_tree()
    sinks = [_Sink(e, single_transaction) for e in engines]
    tree = LevelTree()
    leaf_hash = merkle.leaf_hash
    kinds = kinds_of(spec)
    # One writer thread per database: the drivers release the GIL while the database
    # works, so generating the next chunk overlaps with storing this one (2 cores).
    pools = [ThreadPoolExecutor(max_workers=1) for _ in sinks]
    pending: list[Future[None]] = []
    # A bar on a terminal (standard error); nothing in a pipe or a log (``cli.output.progress``).
    try:
        with progress(f"generating {spec.size:,} audit entries", total=spec.size) as tick:
            for start in range(0, spec.size, CHUNK):
                end = min(start + CHUNK, spec.size)
                rows = entries(spec, kinds, start, end)
                nodes = tree.extend([leaf_hash(e.canonical) for e in rows])
                for f in pending:
                    f.result()
                pending = [
                    pool.submit(sink.write, rows, nodes) for pool, sink in zip(pools, sinks, strict=True)
                ]
                tick.update(start)  # this chunk is being stored; the ones before it are
            for f in pending:
                f.result()
            tick.update(spec.size)
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
    root_hash = tree.root()
    for sink in sinks:
        sink.finish(spec, root_hash, key, vacuum)
    return root_hash
