"""The audit log: cost of auditing a write, proof latency as the log grows, `audit verify`.

1. **Writes.** The same organization inserts (or renames), once with an audit entry per
   write (:func:`secassist.audit.service.record`, holding the after-image) and once
   without, in two patterns: *per-write flush* (units of work of 100, each write flushed
   before its entry, as the services write) and *bulk* (units of work of 1,000 rows added
   or renamed and flushed together, then one entry recorded per row, as a bulk import
   would). Fresh migrated database per measurement, audited and unaudited runs
   interleaved, median of runs. Peer: the unaudited writes; limits: ≥ 5,000 audited
   entries/s on SQLite and an overhead ≤ 1.5×. A last row appends audited writes to a log
   that already holds 10^6 entries, to show whether the cost of an append depends on the
   size of the log.
2. **Proofs.** Inclusion and consistency proofs through the service (a fresh session per
   proof, as one API request has) on logs of 10^4, 10^6 and 10^7 entries built by
   :mod:`bench._gen`, after reading the database once into the OS page cache (the state
   of a serving database; this VM does not keep the pages the build wrote, and a first
   touch of a page is a virtual-disk read). Limit: p50 ≤ 2 ms at 10^7; growth must follow
   log2(n).
3. **Verify.** :func:`secassist.audit.verify.verify_log` over the 10^6-entry log, without
   and with the row check. Peer: reading the same rows with the raw driver.

PostgreSQL is a throwaway cluster (``scripts/pg-cluster``) unless ``SECASSIST_BENCH_PG_URL``
names a server. ``SECASSIST_BENCH_QUICK=1`` shrinks every size for a smoke run;
``SECASSIST_BENCH_FULL=1`` adds, on PostgreSQL, the 10^7 log and `audit verify`;
``SECASSIST_BENCH_KEEP=<folder>`` keeps the largest SQLite log there (building 10^7 entries
takes about 20 minutes on the shared machine) and reuses it in later runs. Everything
is seeded; databases live in a temporary directory (or throwaway PostgreSQL databases) and
are removed. Reproduce with ``.venv/bin/python -m bench audit`` (or ``make bench``).
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bench import _gen, _pg
from secassist.audit import merkle, service, verify
from secassist.audit.keys import TrustedKeys
from secassist.audit.service import Actor
from secassist.core.clock import FixedClock
from secassist.identity.models import Organization
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import head_revision, upgrade
from secassist.storage.uow import read_only, unit_of_work

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
FULL = os.environ.get("SECASSIST_BENCH_FULL") == "1"
KEEP = os.environ.get("SECASSIST_BENCH_KEEP")  # a folder: keep (and reuse) the largest SQLite log
SEED = 20250101

BATCH = 100  # writes per unit of work, each flushed on its own (as the services write)
BULK = 1_000  # writes per unit of work of a bulk import, flushed together
WRITES = 2_000 if QUICK else 4_000  # per measurement
REPEATS = 1 if QUICK else 3  # fresh database each; the median is reported
GROWN_WRITES = 200 if QUICK else 1_000  # audited appends to the big log
PROOF_SIZES = (10**4, 10**5) if QUICK else (10**4, 10**6, 10**7)
PG_PROOF_MAX = PROOF_SIZES[-1] if FULL or QUICK else 10**6
VERIFY_SIZE = PROOF_SIZES[1]
PROOFS = 200
MIN_PROOFS = 5
CELL_BUDGET_S = 10.0  # per proof kind and size: stop early (after MIN_PROOFS) past this

TARGET_ENTRIES_PER_S = 5_000
TARGET_OVERHEAD = 1.5
TARGET_P50_S = 0.002
BASE = datetime(2025, 6, 1, tzinfo=UTC)
ACTOR = Actor(label="bench@state", user_id=1, org_id=1)
KINDS = ("state", "dod", "congress", "industry", "auditor")
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- 1. writes -------------------------------------------------------------------------


def _write(factory: sessionmaker[Session], first: int, count: int, *, audited: bool, rename: bool) -> float:
    """``count`` organization writes in units of work of BATCH, each write flushed as the
    services do (the id is needed, and the row written, before the entry); returns the
    seconds taken."""
    clock = FixedClock(BASE)
    start = time.perf_counter()
    for lo in range(first, first + count, BATCH):
        with unit_of_work(factory) as s:
            for i in range(lo, min(lo + BATCH, first + count)):
                if rename:
                    org = s.get(Organization, i + 1)
                    assert org is not None
                    org.name = f"Organization {i + 1:07d} renamed"
                    tag = "identity:organization:updated"
                else:
                    org = _new_org(i, clock)
                    s.add(org)
                    tag = "identity:organization:created"
                s.flush()
                if audited:
                    _record(s, org, tag, clock)
    return time.perf_counter() - start


def _new_org(i: int, clock: FixedClock) -> Organization:
    return Organization(
        name=f"Contractor {i:07d}", kind=KINDS[i % 5], country_code=None, created_at=clock.now()
    )


def _record(s: Session, org: Organization, tag: str, clock: FixedClock) -> None:
    service.record(
        s, actor=ACTOR, tag=tag, subject_type="organization", subject_id=org.id, rows=[org], clock=clock
    )


def _write_bulk(
    factory: sessionmaker[Session], first: int, count: int, *, audited: bool, rename: bool
) -> float:
    """The same writes as a bulk import does them: units of work of BULK rows, all added
    (or renamed) and flushed together, then one entry recorded per row."""
    clock = FixedClock(BASE)
    start = time.perf_counter()
    for lo in range(first, first + count, BULK):
        hi = min(lo + BULK, first + count)
        with unit_of_work(factory) as s:
            if rename:
                orgs = list(
                    s.scalars(select(Organization).where(Organization.id.between(lo + 1, hi)).order_by("id"))
                )
                for org in orgs:
                    org.name = f"Organization {org.id:07d} renamed"
                tag = "identity:organization:updated"
            else:
                orgs = [_new_org(i, clock) for i in range(lo, hi)]
                s.add_all(orgs)
                tag = "identity:organization:created"
            s.flush()
            if audited:
                for org in orgs:
                    _record(s, org, tag, clock)
    return time.perf_counter() - start


def _seed_orgs(engine: Engine, count: int) -> None:
    rows = [
        {"name": f"Organization {i + 1:07d}", "kind": KINDS[i % 5], "country_code": None, "created_at": BASE}
        for i in range(count)
    ]
    with Session(engine) as s, s.begin():
        s.execute(insert(Organization), rows)


def _writes_rate(
    backend: str, pg: str | None, tmp: Path, *, audited: bool, rename: bool, bulk: bool
) -> float:
    with _pg.fresh_database(backend, pg, tmp) as engine:
        if rename:
            _seed_orgs(engine, WRITES)
        write = _write_bulk if bulk else _write
        seconds = write(make_session_factory(engine), 0, WRITES, audited=audited, rename=rename)
        if audited:
            with read_only(make_session_factory(engine)) as s:
                assert service.tree_size(s) == WRITES
    return WRITES / seconds


# --- 2. proofs -------------------------------------------------------------------------


@dataclass
class Timing:
    samples: list[float]
    nodes: float  # mean number of stored nodes the proof needs

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18]


def _timed(
    factory: sessionmaker[Session], args: list[int], call: Callable[[Session, int], object]
) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + CELL_BUDGET_S
    for a in args:
        with read_only(factory) as s:
            t0 = time.perf_counter()
            call(s, a)
            samples.append(time.perf_counter() - t0)
        if len(samples) >= MIN_PROOFS and time.perf_counter() > deadline:
            break
    return samples


def _warm(engine: Engine, tmp: Path) -> None:
    """Bring the database into the operating system's page cache, as a serving database
    is: the build writes gigabytes whose pages this VM does not keep, and a first touch
    of each page is a read from its virtual disk (milliseconds), not work of secassist's."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
        return
    with engine.connect() as conn:  # pg_prewarm ships with PostgreSQL (contrib)
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for name in ("audit_entry", "pk_audit_entry", "audit_node", "pk_audit_node", "audit_head"):
            conn.exec_driver_sql(f"SELECT pg_prewarm('{name}', 'read')")  # into the OS cache
        conn.commit()


@contextmanager
def _kept_log(size: int, key: Ed25519PrivateKey) -> Iterator[tuple[Engine, bytes, str]]:
    """The SQLite log of ``size`` kept under SECASSIST_BENCH_KEEP: built by
    :func:`bench._gen.build` the first time (into a file named by size, seed and schema
    revision, with its root hash beside it), reused after. Only a log the run merely
    reads is kept (the largest; the 10^6 log is appended to)."""
    assert KEEP is not None
    folder = Path(KEEP)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"audit-log-{size}-seed{SEED}-rev{head_revision()}"
    path, marker = Path(f"{stem}.db"), Path(f"{stem}.root")
    engine = make_engine(f"sqlite:///{path}")
    try:
        if marker.exists():
            yield engine, bytes.fromhex(marker.read_text().strip()), f"reused from {path}"
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        upgrade(engine)
        t0 = time.perf_counter()
        root_hash = _gen.build(_gen.Spec.for_size(size), [engine], key)
        marker.write_text(root_hash.hex())
        yield engine, root_hash, f"built into {path} in {time.perf_counter() - t0:.0f} s (kept)"
    finally:
        engine.dispose()


def _path_only(size: int) -> Callable[[Session, int], object]:
    def call(s: Session, seq: int) -> object:
        ranges = merkle.inclusion_ranges(seq, size)
        return merkle.evaluate(ranges, service.fetch_nodes(s, merkle.nodes_for(ranges)))

    return call


def _proofs(engine: Engine, size: int, root_hash: bytes) -> dict[str, Timing]:
    factory = make_session_factory(engine)
    rng = random.Random(SEED + size)
    seqs = [rng.randrange(size) for _ in range(PROOFS)]
    olds = [rng.randrange(1, size + 1) for _ in range(PROOFS)]
    with read_only(factory) as s:  # the proofs verify against the generator's root (and warm up)
        p = service.inclusion_proof(s, seqs[0])
        path = [bytes.fromhex(h) for h in p["path"]]
        merkle.verify_inclusion(bytes.fromhex(p["leaf_hash"]), seqs[0], size, path, root_hash)
        c = service.consistency_proof(s, olds[0])
        proof = [bytes.fromhex(h) for h in c["proof"]]
        merkle.verify_consistency(olds[0], size, bytes.fromhex(c["old_root"]), root_hash, proof)
    incl_nodes = statistics.mean(
        len(merkle.nodes_for(merkle.inclusion_ranges(q, size)) | set(merkle.root_plan(size)) | {(0, q)})
        for q in seqs
    )
    path_nodes = statistics.mean(len(merkle.nodes_for(merkle.inclusion_ranges(q, size))) for q in seqs)
    cons_nodes = statistics.mean(
        len(
            merkle.nodes_for(merkle.consistency_ranges(o, size))
            | set(merkle.root_plan(o))
            | set(merkle.root_plan(size))
        )
        for o in olds
    )
    return {
        "inclusion": Timing(_timed(factory, seqs, lambda s, q: service.inclusion_proof(s, q)), incl_nodes),
        "path": Timing(_timed(factory, seqs, _path_only(size)), path_nodes),
        "consistency": Timing(
            _timed(factory, olds, lambda s, o: service.consistency_proof(s, o)), cons_nodes
        ),
    }


# --- 3. verify -------------------------------------------------------------------------


def _verify(engine: Engine, public: Ed25519PublicKey, *, check_rows: bool) -> float:
    with read_only(make_session_factory(engine)) as s:
        start = time.perf_counter()
        report = verify.verify_log(s, keys=TrustedKeys.given([public]), check_rows=check_rows)
        seconds = time.perf_counter() - start
    assert report.ok, report.problems
    return seconds


def _raw_read(engine: Engine) -> float:
    """Peer: every entry and node row read with the bare driver (no hashing, no ORM)."""
    raw = engine.raw_connection()
    try:
        start = time.perf_counter()
        for sql in (
            "SELECT seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, subject_id, payload "
            "FROM audit_entry ORDER BY seq",
            "SELECT level, idx, hash FROM audit_node ORDER BY level, idx",
        ):
            cur = raw.cursor()
            cur.execute(sql)
            while cur.fetchmany(10_000):
                pass
            cur.close()
        seconds = time.perf_counter() - start
        raw.rollback()
    finally:
        raw.close()
    return seconds


# --- the run ---------------------------------------------------------------------------


def _exp(n: int) -> str:
    e = round(math.log10(n))
    return f"10^{e}" if 10**e == n else f"{n:,}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


@contextmanager
def _databases(backends: list[str], pg: str | None, tmp: Path) -> Iterator[dict[str, Engine]]:
    with ExitStack() as stack:
        yield {b: stack.enter_context(_pg.fresh_database(b, pg, tmp)) for b in backends}


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(
        title="Audit log: write overhead, proof latency, verify "
        f"({os.cpu_count()} cores, seed {SEED}{', QUICK' if QUICK else ''})"
    )
    for col in ("figure", "secassist", "peer or limit", "ratio", "detail"):
        table.add_column(col)
    notes: list[str] = []
    key = Ed25519PrivateKey.from_private_bytes(random.Random(SEED).randbytes(32))
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="secassist-bench-") as tmpdir, _pg.server() as (pg, pg_how):
        tmp = Path(tmpdir)
        backends = ["sqlite"] + (["postgresql"] if pg else [])
        notes.append(f"PostgreSQL: {pg_how}" if pg else f"PostgreSQL skipped: {pg_how}")
        notes.append(
            f"writes: {WRITES:,} per run, median of {REPEATS} runs; per-write flush in units of work "
            f"of {BATCH}, bulk in units of work of {BULK} flushed together"
        )

        # 1. writes
        empty_log_rate: dict[str, float] = {}
        for backend in backends:
            for bulk in (False, True):
                for rename in (False, True):
                    plain, audited = [], []
                    for _ in range(REPEATS):  # interleaved, so load on the machine hits both alike
                        kw = {"rename": rename, "bulk": bulk}
                        plain.append(_writes_rate(backend, pg, tmp, audited=False, **kw))
                        audited.append(_writes_rate(backend, pg, tmp, audited=True, **kw))
                    p, a = statistics.median(plain), statistics.median(audited)
                    if not rename and not bulk:
                        empty_log_rate[backend] = a
                    what = "rename" if rename else "insert"
                    how = f"bulk ({BULK}/flush)" if bulk else "per-write flush"
                    checks = [f"overhead ≤ {TARGET_OVERHEAD}× {_ok(p / a <= TARGET_OVERHEAD)}"]
                    if backend == "sqlite":
                        checks.insert(0, f"≥ {TARGET_ENTRIES_PER_S:,}/s {_ok(a >= TARGET_ENTRIES_PER_S)}")
                    table.add_row(
                        f"{BACKENDS[backend]}: org {what}, {how}, audited vs not",
                        f"{a:,.0f} entries/s",
                        f"unaudited {p:,.0f} writes/s",
                        f"{p / a:.2f}×",
                        "; ".join(checks),
                    )
        table.add_section()

        # 2. proofs (and 3. verify, and appends to a big log, on the VERIFY_SIZE log)
        proofs: dict[tuple[str, int], dict[str, Timing]] = {}
        verify_rows: list[tuple[str, ...]] = []
        grown_rows: list[tuple[str, ...]] = []
        for size in PROOF_SIZES:
            here = [b for b in backends if b == "sqlite" or size <= PG_PROOF_MAX]
            keep = KEEP is not None and size == PROOF_SIZES[-1]
            fresh = [b for b in here if not (keep and b == "sqlite")]
            with _databases(fresh, pg, tmp) as engines, ExitStack() as kept:
                t0 = time.perf_counter()
                if keep:
                    engine, root_hash, how = kept.enter_context(_kept_log(size, key))
                    notes.append(f"{_exp(size)} SQLite log {how}")
                if engines:
                    built = _gen.build(_gen.Spec.for_size(size), list(engines.values()), key)
                    assert not keep or built == root_hash, "kept log differs from the generator's"
                    root_hash = built
                    notes.append(
                        f"built {_exp(size)} log on {', '.join(fresh)} in {time.perf_counter() - t0:.0f} s"
                    )
                if keep:
                    engines = {"sqlite": engine, **engines}
                for backend, engine in engines.items():
                    _warm(engine, tmp)
                    proofs[(backend, size)] = _proofs(engine, size, root_hash)
                if size != VERIFY_SIZE:
                    continue
                for backend, engine in engines.items():
                    if backend != "sqlite" and not (FULL or QUICK):
                        continue
                    floor = _raw_read(engine)
                    for check_rows in (False, True):
                        seconds = _verify(engine, key.public_key(), check_rows=check_rows)
                        verify_rows.append(
                            (
                                f"{BACKENDS[backend]}: audit verify, {_exp(size)} entries, "
                                + ("with row check" if check_rows else "no row check"),
                                f"{seconds:.1f} s · {size / seconds:,.0f} entries/s",
                                f"raw driver read {floor:.1f} s",
                                f"{seconds / floor:.1f}×",
                                "entries, nodes, 1 checkpoint"
                                + (f", {size // 10:,} rows" if check_rows else ""),
                            )
                        )
                for backend, engine in engines.items():
                    seconds = _write(
                        make_session_factory(engine), 10**8, GROWN_WRITES, audited=True, rename=False
                    )
                    rate = GROWN_WRITES / seconds
                    grown_rows.append(
                        (
                            f"{BACKENDS[backend]}: org insert, audited, log at {_exp(size)}",
                            f"{rate:,.0f} entries/s",
                            f"on an empty log {empty_log_rate[backend]:,.0f}/s",
                            f"{empty_log_rate[backend] / rate:.2f}×",
                            f"{GROWN_WRITES:,} inserts; should be ~1×",
                        )
                    )

        for row in grown_rows:
            table.add_row(*row)
        table.add_section()

        smallest = PROOF_SIZES[0]
        for backend in backends:
            for kind, label in (
                ("inclusion", "inclusion proof"),
                ("path", "inclusion path only"),
                ("consistency", "consistency proof"),
            ):
                for size in PROOF_SIZES:
                    t = proofs.get((backend, size), {}).get(kind)
                    if t is None:
                        continue
                    table.add_row(
                        f"{BACKENDS[backend]}: {label} @ {_exp(size)}",
                        f"p50 {_ms(t.p50)} · p95 {_ms(t.p95)}",
                        f"p50 ≤ {_ms(TARGET_P50_S)}",
                        f"{t.p50 / TARGET_P50_S:.2f}×",
                        f"{t.nodes:.1f} nodes fetched, n={len(t.samples)}",
                    )
                sizes = [s for s in PROOF_SIZES if (backend, s) in proofs]
                big = sizes[-1]
                if big != smallest:
                    growth = proofs[(backend, big)][kind].p50 / proofs[(backend, smallest)][kind].p50
                    log_growth = math.log2(big) / math.log2(smallest)
                    table.add_row(
                        f"{BACKENDS[backend]}: {label.strip()} p50 growth {_exp(smallest)} → {_exp(big)}",
                        f"{growth:.2f}×",
                        f"log₂: {log_growth:.2f}× (linear {big // smallest:,}×)",
                        f"{growth / log_growth:.2f}×",
                        f"logarithmic {_ok(growth <= 2 * log_growth)} (≤ 2× the log₂ ratio)",
                    )
            table.add_section()

        for row in verify_rows:
            table.add_row(*row)

    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    table.caption = " · ".join([*notes, f"total {time.perf_counter() - started:.0f} s, load average {load}"])
    console.print(table)
