"""Equipment accountability at volume: one serial's trace, the EEUM delinquency report and
a 100k-serial inventory reconciliation, on 10^6 serialized items and 10^7 custody events
over ~100 countries and ~2,000 sites, each beside the raw SQL it needs in the same run.

* **Generator** (seeded): 200 implemented cases (2 per country, 10 lines each), 2,000
  sites (20 per country; site 1 is a depot holding ``DEPOT`` items), 1,000 recipient
  units, 1,000,000 items and about 10,000,000 custody events in the shapes of
  ``equipment.models`` (each item's chain: delivered, received, then inventories, issues
  and returns, a few lost or transferred out, every chain valid under
  ``equipment.custody``), the item's projection folded from its chain, and one
  ``equipment_custody_entry`` per event pointing at an audit entry of a valid log of as
  many entries built by :mod:`bench._gen` (so the trace's inclusion proofs are real
  proofs over a tree of that size). Bulk-written like a restore: the big tables'
  secondary indexes (and SQLite's triggers) dropped for the load and built after it; on
  PostgreSQL one COPY stream per table in one transaction that starts with TRUNCATE
  (WAL skipped at ``wal_level=minimal``, triggers and foreign-key checks off through
  ``session_replication_role``), on SQLite ``executemany`` in one transaction without a
  journal or syncs; then VACUUM ANALYZE / ANALYZE. The services would audit each row and
  take days. Caveat: the audit entries are ``_gen``'s organization entries, not
  after-images of the events; the trace reads them by sequence number only, so its cost
  is the same.
* **Cache**: a generated database is kept and reused by later runs, under
  ``SECASSIST_BENCH_CACHE`` (default ``/work/bench-cache``, outside the repository) in
  ``equipment-g<GENERATOR_VERSION>-<items>-<seed>/``: ``sqlite.db``, and ``pg/`` a
  PostgreSQL cluster started for the run and stopped after (or a database on the server
  ``SECASSIST_BENCH_PG_URL`` names); a ``*.done`` marker, written last, records the
  events and generation time, so an interrupted generation is redone. Delete the folder
  to regenerate; bump ``GENERATOR_VERSION`` when the generator's output changes. The
  measured part writes nothing it keeps (the apply is rolled back). Other benchmarks use
  the same data through :func:`dataset`.
* **Trace**: ``workflows.trace_item.trace`` as the system for a random serial in a fresh
  read session per call, beside the same statements in raw SQL on the driver
  (:func:`raw_trace`: the item, the chain, the case and line, funding, the audit-entry
  lookups by subject, notifications, transfer requests, incidents, the tree size with
  every step's entry, and the union of the proofs' nodes); and the same serials through
  ``GET /api/v1/equipment/items/{serial}/trace`` on a real uvicorn (``bench.cases``'s
  harness: its own process on loopback, a keep-alive client, a DoD user's bearer token),
  beside the same raw SQL.
* **Delinquency**: ``monitoring.delinquency`` over every item as of a date, beside the
  raw SELECT of the EEUM items and the same due-date fold in plain Python.
* **Reconciliation**: a 100,000-serial scan of the depot (1 % of its items missing,
  0.5 % unexpected serials) through ``reconcile.reconcile``, dry run and apply (one
  inventoried event and audit entry per item found, rolled back), beside the raw SQL of
  each (the serial lookups and the site's held items; plus, for apply, the event inserts
  and item updates).

Targets (issue #12): trace p95 ≤ 20 ms on PostgreSQL and ≤ 3× raw SQL; delinquency ≤ 3 s;
reconciliation dry run ≤ 2 s. Knobs: ``SECASSIST_BENCH_QUICK=1`` shrinks to 10,000 items /
~100,000 events / 2,000-serial scan for a smoke run (its own cache entry);
``SECASSIST_BENCH_CACHE`` and ``SECASSIST_BENCH_PG_URL`` as above. Reproduce:
``make bench b=equipment`` or ``.venv/bin/python -m bench equipment``.
"""

from __future__ import annotations

import calendar
import fcntl
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench import _gen, _pg
from bench.cases import _bearer, _uvicorn
from bench.cases import _rows as case_rows
from secassist.audit import merkle
from secassist.audit.models import INDEXED_SUBJECTS_SQL
from secassist.cases.models import Case, CaseLine, Lor
from secassist.cli.output import progress
from secassist.equipment import monitoring, reconcile
from secassist.equipment.models import RecipientUnit, Site
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import current_revision, upgrade
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows import trace_item

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
CACHE = Path(os.environ.get("SECASSIST_BENCH_CACHE") or "/work/bench-cache")
# Bump when the generator's output changes: the cache key carries it, so stale datasets
# are never reused (they stay on disk until removed by hand).
GENERATOR_VERSION = 3
GENERATED_AT = "0016"  # the schema revision the generator's rows are written for
SEED = 20261207
ITEMS = 10_000 if QUICK else 1_000_000
EVENTS_PER_ITEM = (6, 14)  # uniform: ~10 per item, ~10^7 in all
N_COUNTRIES = 100
SITES_PER_COUNTRY = 20
UNITS_PER_COUNTRY = 10
CASES_PER_COUNTRY = 2
LINES_PER_CASE = 10  # bench.cases._rows makes ten
DEPOT = 2_000 if QUICK else 100_000  # items at site 1: the reconciliation's scan
CALLS = 50 if QUICK else 300
CHUNK_ITEMS = 20_000
TODAY = date(2026, 12, 1)
AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TARGET_TRACE_P95_MS = 20.0
TARGET_RATIO = 3.0
TARGET_DELINQUENCY_S = 3.0
TARGET_DRY_RUN_S = 2.0
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# (item type, EEUM designation, value in cents)
TYPES = (
    ("nvd_monocular", "night_vision_device", 420_000),
    ("nvd_binocular", "night_vision_device", 1_200_000),
    ("javelin_missile", "javelin", 17_800_000),
    ("stinger_missile", "stinger", 48_000_000),
    ("carbine", None, 120_000),
)
TYPE_WEIGHTS = (40, 20, 10, 5, 25)

ITEM_COLUMNS = (
    "id", "item_type", "manufacturer", "serial", "case_id", "case_line_id", "case_ref", "line_number",
    "purchaser_country", "unit_value_cents", "eeum_designation", "delivered_on", "state", "site_id",
    "unit_id", "holder_country", "holder_org", "last_event_on", "events", "last_found_on", "gone_on",
    "created_at", "is_demo",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "item_id", "seq", "kind", "occurred_on", "found", "site_id", "unit_id", "holder_country",
    "holder_org", "inventory_id", "performed_by", "note", "recorded_at", "recorded_by",
)  # fmt: skip


# --- generator -------------------------------------------------------------------------------


class World:
    """The fixed frame: countries, cases and lines, sites, units."""

    def __init__(self) -> None:
        codes = sorted(c.code for c in get_reference().countries() if len(c.code) == 2)
        self.countries = codes[:N_COUNTRIES]
        rng = random.Random(SEED)
        n_cases = len(self.countries) * CASES_PER_COUNTRY
        rows = case_rows(rng, 1, n_cases)
        self.cases: dict[type, list[dict[str, Any]]] = {Lor: rows[Lor], Case: rows[Case], CaseLine: []}
        self.lines: dict[str, list[tuple[int, int, str, str]]] = defaultdict(
            list
        )  # cc -> (case, line, ref, no)
        for i, (lor, case) in enumerate(zip(rows[Lor], rows[Case], strict=True)):
            cc = self.countries[i // CASES_PER_COUNTRY]
            for row in (lor, case):
                row["purchaser_code"] = row["country_code"] = cc
            case["fms_country_code"] = cc
            case["identifier"] = f"{cc}-{case['implementing_agency']}-{case['designator']}"
            case["status"] = "implemented"
            case["accepted_on"], case["implemented_on"] = date(2013, 1, 1), date(2013, 2, 1)
        for n, line in enumerate(rows[CaseLine], start=1):
            line["id"] = n
            case = rows[Case][line["case_id"] - 1]
            line["description"] = "bench equipment line"
            self.cases[CaseLine].append(line)
            self.lines[case["country_code"]].append((case["id"], n, case["identifier"], line["number"]))
        self.sites: list[dict[str, Any]] = []
        self.site_ids: dict[str, list[int]] = defaultdict(list)
        for cc in self.countries:
            for k in range(SITES_PER_COUNTRY):
                sid = len(self.sites) + 1
                self.sites.append(
                    {"id": sid, "country_code": cc, "name": f"Bench site {cc}-{k:02d}",
                     "organization": f"{cc} armed forces depot {k}", "created_at": NOW, "is_demo": False}
                )  # fmt: skip
                self.site_ids[cc].append(sid)
        self.units: list[dict[str, Any]] = []
        self.unit_ids: dict[str, list[int]] = defaultdict(list)
        for cc in self.countries:
            for k in range(UNITS_PER_COUNTRY):
                uid = len(self.units) + 1
                self.units.append(
                    {"id": uid, "country_code": cc, "name": f"Bench unit {cc}-{k}", "leahy_unit_id": None,
                     "created_at": NOW, "is_demo": False}
                )  # fmt: skip
                self.unit_ids[cc].append(uid)


def _add_months(d: date, months: int) -> date:
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


_DAY_TEXT: dict[date, str] = {}


def _day(d: date) -> str:
    """ISO text of a date, memoized (a few thousand distinct days, 10^7 uses)."""
    t = _DAY_TEXT.get(d)
    if t is None:
        t = _DAY_TEXT[d] = d.isoformat()
    return t


def _chain(
    rng: random.Random, world: World, item_id: int, first_event: int, n: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """One item and its valid custody chain (delivered, received, then inventories, issues,
    returns; 1 % end lost, 0.5 % transferred out), with the projection folded from it.

    Rows are in ``ITEM_COLUMNS`` / ``EVENT_COLUMNS[:10]`` order with dates as ISO text
    and booleans as 0/1, which both databases take as they are (the writer appends the
    constant columns)."""
    depot = item_id <= DEPOT
    cc = world.sites[0]["country_code"] if depot else rng.choice(world.countries)
    site = 1 if depot else rng.choice(world.site_ids[cc])
    org = world.sites[site - 1]["organization"]
    case_id, line_id, ref, number = rng.choice(world.lines[cc])
    kind, designation, cents = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    day = date(2015, 1, 1) + timedelta(days=rng.randrange(3_000))
    delivered_on = day
    state, unit, found_on, gone_on = "delivered", None, None, None
    events: list[tuple[Any, ...]] = []
    append = events.append
    eid = first_event
    randint, random_ = rng.randint, rng.random
    append((eid, item_id, 1, "delivered", _day(day), None, site, None, cc, org))
    day += timedelta(days=randint(1, 10))
    append((eid + 1, item_id, 2, "received", _day(day), None, site, None, None, org))
    state = "stored"
    holder_out = None
    for i in range(2, n):
        day = min(TODAY, day + timedelta(days=randint(1, max(1, (TODAY - day).days // (n - i)))))
        r = random_()
        k = len(events)
        if i == n - 1 and r < 0.015:
            if r < 0.01:
                append((eid + k, item_id, k + 1, "lost", _day(day), None, site, None, None, None))
                state, gone_on = "lost", day
            else:
                out = rng.choice(world.countries)
                append((eid + k, item_id, k + 1, "transferred", _day(day), None, site, None, out, None))
                holder_out = out
                state, gone_on = "transferred", day
            break
        if state == "issued" and r < 0.35:
            append((eid + k, item_id, k + 1, "returned", _day(day), None, site, None, None, None))
            state, unit = "stored", None
        elif state == "stored" and r < 0.35:
            unit = rng.choice(world.unit_ids[cc])
            append((eid + k, item_id, k + 1, "issued", _day(day), None, site, unit, None, None))
            state = "issued"
        else:
            append((eid + k, item_id, k + 1, "inventoried", _day(day), 1, None, None, None, None))
            found_on = day
    item = (
        item_id, kind, "", f"B{item_id:09d}", case_id, line_id, ref, number, cc, cents, designation,
        _day(delivered_on), state, site, None if state == "transferred" else unit,
        holder_out if state == "transferred" else cc, org, _day(day), len(events),
        _day(found_on) if found_on else None, _day(gone_on) if gone_on else None,
    )  # fmt: skip
    return item, events


# The tables the bulk load fills: their secondary indexes and triggers are dropped for the
# load and made again after it (one sorted build instead of 10^7 random B-tree inserts).
BULK_TABLES = (
    "audit_entry", "audit_node", "equipment_item", "equipment_custody_event", "equipment_custody_entry",
)  # fmt: skip


@contextmanager
def _deferred_indexes(engine: Engine) -> Iterator[None]:
    """Drop the secondary indexes (and, on SQLite, the triggers) of ``BULK_TABLES`` for the
    block; make them again from their own definitions after it. Primary keys and unique
    constraints stay: they are filled in key order."""
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            defs = conn.execute(
                text(
                    f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                )
            ).all()
            drops = [f'DROP INDEX "{name}"' for name, _ in defs]
        else:
            defs = conn.execute(
                text(
                    f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({names}) "
                    "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type"
                )
            ).all()
            kinds = dict(conn.execute(text("SELECT name, type FROM sqlite_master")).all())
            drops = [f'DROP {kinds[name].upper()} "{name}"' for name, _ in defs]
        for statement in drops:
            conn.exec_driver_sql(statement)
    yield
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        for _, definition in defs:
            conn.exec_driver_sql(definition)


@contextmanager
def _load_engine(engine: Engine) -> Iterator[Engine]:
    """The engine to bulk-load through: on SQLite one connection without a journal or
    syncs, foreign keys off (the generator's rows are valid by construction), a large page
    cache and an exclusive lock; the WAL mode the application uses is set back after."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import StaticPool

    load = create_engine(engine.url, poolclass=StaticPool, connect_args={"check_same_thread": False})

    @event.listens_for(load, "connect")
    def _pragmas(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-1000000",
                       "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):  # fmt: skip
            dbapi.execute(f"PRAGMA {pragma}")

    engine.dispose()
    try:
        yield load
        with load.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA locking_mode=NORMAL")
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    finally:
        load.dispose()


class _Writer:
    """Rows into one database in one transaction: COPY on PostgreSQL (triggers and
    foreign-key checks off for the session, as a restore does), executemany on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.pg = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        dbapi = self.raw.driver_connection
        assert dbapi is not None
        self.dbapi: Any = dbapi
        if self.pg:
            with dbapi.cursor() as cur:
                cur.execute("SET session_replication_role = replica")
                # (CASCADE: the tables that refer to these are empty too in a fresh database)
                cur.execute(f"TRUNCATE {', '.join(BULK_TABLES[2:])} CASCADE")
        else:
            dbapi.execute("BEGIN")

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.pg:
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.dbapi.cursor() as cur, cur.copy(sql) as cp:
                for row in rows:
                    cp.write_row(row)
            return
        marks = ", ".join("?" * len(columns))
        self.dbapi.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def close(self) -> None:
        if self.pg:
            self.dbapi.commit()
        else:
            self.dbapi.execute("COMMIT")
        self.raw.close()


def generate(engine: Engine) -> tuple[float, int]:
    """Fill a fresh, migrated database with the seeded registry; (seconds, events).

    The audit log comes first (``_gen`` writes it from entry 0), sized by the chains'
    lengths drawn up front; then the reference countries through their audited sync (one
    more entry), then the rows, each event pointing at its entry."""
    t0 = time.perf_counter()
    world = World()
    lengths = random.Random(SEED + 3)
    sizes = [lengths.randint(*EVENTS_PER_ITEM) for _ in range(ITEMS)]
    n_events = sum(sizes)
    pg = engine.dialect.name == "postgresql"
    at = NOW.isoformat() if pg else NOW.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with _load_engine(engine) as load, _deferred_indexes(load):
        _gen.build(_gen.Spec.for_size(n_events), [load], Ed25519PrivateKey.generate(),
                   single_transaction=True, vacuum=False)  # fmt: skip
        with unit_of_work(make_session_factory(load)) as s:
            sync_reference(s, data=get_reference())
        with load.begin() as conn:
            for model in (Lor, Case, CaseLine):
                conn.execute(insert(model), world.cases[model])
            conn.execute(insert(Site), world.sites)
            conn.execute(insert(RecipientUnit), world.units)
        writer = _Writer(load)
        rng = random.Random(SEED + 1)
        next_event = 1
        item_tail = (at, 0)  # created_at, is_demo
        event_tail = (None, None, None, at, "bench")  # inventory_id, performed_by, note, recorded_at/by
        # A bar on a terminal (standard error); nothing in a pipe or a log.
        with progress(f"generating {ITEMS:,} items and their custody events", total=ITEMS) as tick:
            for start in range(1, ITEMS + 1, CHUNK_ITEMS):
                items, events, entries = [], [], []
                for item_id in range(start, min(start + CHUNK_ITEMS, ITEMS + 1)):
                    item, chain = _chain(rng, world, item_id, next_event, sizes[item_id - 1])
                    next_event += len(chain)
                    items.append(item + item_tail)
                    # The event with id E was recorded by audit entry E - 1 (one per event).
                    events += [e + event_tail for e in chain]
                    entries += [(e[0], e[0] - 1) for e in chain]
                writer.write("equipment_item", ITEM_COLUMNS, items)
                writer.write("equipment_custody_event", EVENT_COLUMNS, events)
                writer.write("equipment_custody_entry", ("event_id", "audit_seq"), entries)
                tick.update(min(start + CHUNK_ITEMS - 1, ITEMS))
        writer.close()
        assert next_event - 1 == n_events
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("equipment_item", "equipment_custody_event", "equipment_site", "equipment_unit",
                          "fms_case", "fms_lor", "fms_case_line"):  # fmt: skip
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            # Sets the hint bits and the visibility map (index-only scans of audit_node)
            # now rather than on the measured reads, and the planner's statistics.
            conn.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - t0, n_events


# --- the cached dataset ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """One backend's generated registry, open for the ``with`` block of :func:`dataset`."""

    backend: str  # "sqlite" or "postgresql"
    engine: Engine
    items: int
    events: int  # custody events, and audit entries (one each)
    generated_s: float  # how long generating it took (now or when it was cached)
    fresh: bool  # generated by this call rather than reused
    where: str  # the file or cluster directory holding it
    bytes: int  # its size on disk


def _key() -> str:
    return f"equipment-g{GENERATOR_VERSION}-{ITEMS}-{SEED}"


def _size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@contextmanager
def dataset(backend: str) -> Iterator[Dataset]:
    """The equipment dataset (``ITEMS`` items, seed ``SEED``; 10,000 items under
    ``SECASSIST_BENCH_QUICK=1``) on ``backend`` (``"sqlite"`` or ``"postgresql"``), taken
    from the cache under ``SECASSIST_BENCH_CACHE`` or generated into it first.

    Stable entry point for other benchmarks (``bench.transfers``). The dataset is shared
    between runs: callers must roll back whatever they write in it. An exclusive lock on
    the cached database is held for the block, so two runs on one dataset take turns.
    PostgreSQL is a cluster kept under the cache (started for the block, stopped after), or
    a database on the server ``SECASSIST_BENCH_PG_URL`` names; raises
    :class:`bench._pg.UnavailableError` when neither is possible."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)}, not {backend!r}")
    folder = CACHE / _key()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".lock-{backend}", "w") as lock, ExitStack() as stack:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = os.environ.get("SECASSIST_BENCH_PG_URL")
        if backend == "sqlite":
            path = folder / "sqlite.db"
            marker, url, reset, where = folder / "sqlite.done", f"sqlite:///{path}", lambda: _drop(path), path
        elif server:
            marker = folder / f"pg-{hashlib.sha256(server.encode()).hexdigest()[:12]}.done"
            url, reset = stack.enter_context(_pg_database(server, f"bench_{_key().replace('-', '_')}"))
            where = None
        else:
            where = folder / "pg"
            cluster = stack.enter_context(_pg.persistent_server(where))
            marker = folder / "postgresql.done"
            url, reset = stack.enter_context(_pg_database(cluster, "equipment"))
        engine, meta = stack.enter_context(_opened(marker, url, reset))
        yield Dataset(
            backend=backend,
            engine=engine,
            items=ITEMS,
            events=meta["events"],
            generated_s=meta["seconds"],
            fresh=meta["fresh"],
            where=str(where) if where is not None else "SECASSIST_BENCH_PG_URL",
            bytes=_size_of(where) if where is not None else 0,
        )


def _drop(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def _pg_database(server: str, name: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """(URL of database ``name`` on ``server``, a function that recreates it empty)."""
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")

    def recreate() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False), recreate
    finally:
        admin.dispose()


@contextmanager
def _opened(marker: Path, url: str, reset: Callable[[], None]) -> Iterator[tuple[Engine, dict[str, Any]]]:
    """The engine on ``url``, generating the dataset first unless ``marker`` says it is
    whole (the marker is written last, so an interrupted generation is redone)."""
    meta: dict[str, Any]
    if marker.exists():
        meta = json.loads(marker.read_text()) | {"fresh": False}
        # A dataset cached at an older schema revision is migrated as a deployment would
        # be (0017 backfills the items' inventory due dates): the generator's output is
        # unchanged, so GENERATOR_VERSION stays.
        engine = make_engine(url)
        try:
            before = current_revision(engine)
            upgrade(engine)
            if before != current_revision(engine) and engine.dialect.name == "postgresql":
                # As after a deployment's backfill: statistics, and the visibility map the
                # index-only scans of the items need.
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE equipment_item"))
        finally:
            engine.dispose()
    else:
        reset()
        engine = make_engine(url)
        try:
            # The generator writes the rows of revision GENERATED_AT (no due dates on the
            # items); the later migrations then bring it to head as they would a deployment
            # (0017 backfills the due dates), so a fresh dataset equals a migrated cached one.
            upgrade(engine, GENERATED_AT)
            seconds, events = generate(engine)
            upgrade(engine)
        finally:
            engine.dispose()
        meta = {"events": events, "seconds": seconds, "items": ITEMS, "seed": SEED}
        marker.write_text(json.dumps(meta))
        meta["fresh"] = True
    engine = make_engine(url)
    try:
        yield engine, meta
    finally:
        engine.dispose()


# --- raw SQL peers ---------------------------------------------------------------------------


def _marks(ph: str, n: int) -> str:
    return ", ".join([ph] * n)


def raw_trace(
    cur: Any, ph: str, serial: str, step_seqs: Callable[[Any, str, list[Any]], list[int]] | None = None
) -> int:
    """The trace's statements in raw SQL, as ``workflows.trace_item`` issues them: the item,
    its chain (events with their entries, site and unit names), the case and the line, the
    funding, the case's acceptance and line entries (the partial subject index's predicate
    repeated, as the service does: SQLite uses a partial index only when the query spells
    its WHERE term), notifications, transfer requests, incidents, then the tree size with
    every step's entry in one statement and the union of the proofs' nodes in one more.
    ``step_seqs(cur, ph, requests)`` adds the statements of the transfer requests' steps
    (``bench.transfers.raw_transfer_steps``): their entries join the proofs' batch."""
    cur.execute(f"SELECT * FROM equipment_item WHERE serial = {ph} LIMIT 2", (serial,))
    item = cur.fetchone()
    cols = [d[0] for d in cur.description]
    it = dict(zip(cols, item, strict=True))
    cur.execute(
        "SELECT e.kind, e.occurred_on, e.site_id, e.unit_id, e.holder_country, e.holder_org, e.found, "
        "x.audit_seq, s.name, u.name FROM equipment_custody_event e "
        "LEFT JOIN equipment_custody_entry x ON x.event_id = e.id "
        "LEFT JOIN equipment_site s ON s.id = e.site_id LEFT JOIN equipment_unit u ON u.id = e.unit_id "
        f"WHERE e.item_id = {ph} ORDER BY e.seq",
        (it["id"],),
    )
    events = cur.fetchall()
    cid, lid = it["case_id"], it["case_line_id"]
    cur.execute(
        f"SELECT identifier, title, status, accepted_on, country_code FROM fms_case WHERE id = {ph}", (cid,)
    )
    cur.fetchall()
    cur.execute(
        "SELECT number, description, quantity, unit_cost, eeum FROM fms_case_line "
        f"WHERE id = {ph} AND case_id = {ph}",
        (lid, cid),
    )
    cur.fetchall()
    cur.execute(
        "SELECT e.id, e.program, e.fiscal_year, e.amount_cents, e.entry_date, e.country_code, a.title "
        "FROM program_entry e JOIN program_appropriation a ON a.id = e.appropriation_id "
        f"WHERE e.case_line_id = {ph} AND e.kind = 'obligation' ORDER BY e.entry_date, e.id",
        (lid,),
    )
    cur.fetchall()
    subject = f"FROM audit_entry WHERE {INDEXED_SUBJECTS_SQL} AND subject_type = {ph} AND subject_id = {ph} "
    cur.execute(
        f"SELECT seq {subject} AND tag LIKE {ph} ESCAPE '\\' ORDER BY seq DESC LIMIT 1",
        ("case", str(cid), "case:status:accepted%"),
    )
    cur.fetchall()
    cur.execute(
        f"SELECT seq, payload {subject} AND tag LIKE {ph} ESCAPE '\\' ORDER BY seq DESC",
        ("case", str(cid), "case:%"),
    )
    cur.fetchall()
    cur.execute(
        "SELECT id, purchaser_country, formally_notified, transmittal, section, status "
        f"FROM notification_notification WHERE case_id = {ph} ORDER BY id",
        (cid,),
    )
    cur.fetchall()
    cur.execute(
        "SELECT r.* FROM transfer_request r JOIN transfer_item i ON i.request_id = r.id "
        f"WHERE i.item_id = {ph} ORDER BY r.id",
        (it["id"],),
    )
    requests = cur.fetchall()
    cur.execute(
        f"SELECT * FROM equipment_incident WHERE item_id = {ph} ORDER BY discovered_on DESC, id DESC",
        (it["id"],),
    )
    cur.fetchall()
    extra = step_seqs(cur, ph, requests) if step_seqs is not None else []
    seqs = sorted({e[7] for e in events if e[7] is not None}.union(extra))
    cur.execute(
        "SELECT h.size, a.* FROM audit_head h LEFT JOIN audit_entry a "
        f"ON a.seq IN ({_marks(ph, len(seqs))}) WHERE h.id = 1",
        seqs,
    )
    size = int(cur.fetchall()[0][0])
    parts = {r for seq in seqs for r in merkle.inclusion_ranges(seq, size)}
    nodes = sorted(
        set(merkle.root_plan(size)).union(*(merkle.decompose(*r) for r in parts), ((0, seq) for seq in seqs))
    )
    # The service's node lookup (audit.service): unnest on PostgreSQL, OR-ed pairs on SQLite.
    if ph == "%s":
        cur.execute(
            "SELECT n.level, n.idx, n.hash FROM audit_node n JOIN unnest(%s::integer[], %s::bigint[]) "
            "AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
            ([lv for lv, _ in nodes], [i for _, i in nodes]),
        )
        cur.fetchall()
    else:
        for lo in range(0, len(nodes), 200):  # audit.service.LOOKUP_CHUNK
            chunk = nodes[lo : lo + 200]
            terms = " OR ".join(["(level = ? AND idx = ?)"] * len(chunk))
            cur.execute(
                f"SELECT level, idx, hash FROM audit_node WHERE {terms}", [v for n in chunk for v in n]
            )
            cur.fetchall()
    return len(events)


def raw_delinquency(cur: Any, ph: str, as_of: date) -> tuple[int, int]:
    """The report's two statements (``monitoring.delinquency`` with no item replayed): the
    totals by country as one aggregate over the held EEUM items' stored due dates, and the
    delinquent items, ordered as listed, fetched as tuples."""
    day = as_of.isoformat() if ph == "?" else as_of
    stored = f"inventory_due_on IS NOT NULL AND last_event_on <= {ph} AND holder_country IS NOT NULL"
    cur.execute(
        "SELECT holder_country, SUM(unit_value_cents), "
        f"SUM(CASE WHEN inventory_due_on < {ph} THEN unit_value_cents ELSE 0 END), COUNT(*) "
        f"FROM equipment_item WHERE {stored} GROUP BY holder_country",
        (day, day),
    )
    totals = cur.fetchall()
    cur.execute(
        "SELECT holder_country, serial, item_type, inventory_due_on, unit_value_cents, id "
        "FROM equipment_item "
        f"WHERE {stored} AND inventory_due_on < {ph} "
        "ORDER BY holder_country, inventory_due_on, serial, id",
        (day, day),
    )
    cur.fetchall()
    return sum(int(t[1]) for t in totals), sum(int(t[2]) for t in totals)


def raw_reconcile(cur: Any, ph: str, serials: list[str], site: int, on: date, apply: bool) -> int:
    """The reconciliation's reads in raw SQL; with ``apply``, its event inserts and item updates."""
    found: dict[str, tuple[Any, ...]] = {}
    cols = "SELECT id, serial, item_type, state, site_id, events FROM equipment_item"
    # As the service: one bound array on PostgreSQL, one JSON array through json_each on SQLite.
    if ph == "%s":
        cur.execute(f"{cols} WHERE serial = ANY(%s::varchar[])", (serials,))
    else:
        cur.execute(f"{cols} WHERE serial IN (SELECT value FROM json_each(?))", (json.dumps(serials),))
    for row in cur.fetchall():
        found[row[1]] = row
    cur.execute(
        f"SELECT id, serial, item_type FROM equipment_item WHERE site_id = {ph} AND state IN "
        "('delivered', 'stored', 'issued', 'loaned', 'demilitarized') ORDER BY item_type, serial",
        (site,),
    )
    held = cur.fetchall()
    here = [r for r in found.values() if r[4] == site and r[3] in ("delivered", "stored", "issued", "loaned")]
    if apply:
        day = on.isoformat() if ph == "?" else on
        at = NOW.strftime("%Y-%m-%d %H:%M:%S.%f") if ph == "?" else NOW
        cur.executemany(
            "INSERT INTO equipment_custody_event "
            "(item_id, seq, kind, occurred_on, found, recorded_at, recorded_by) "
            f"VALUES ({ph}, {ph}, 'inventoried', {ph}, {'1' if ph == '?' else 'true'}, {ph}, 'bench')",
            [(r[0], r[5] + 1, day, at) for r in here],
        )
        cur.executemany(
            f"UPDATE equipment_item SET last_found_on = {ph}, last_event_on = {ph}, events = events + 1 "
            f"WHERE id = {ph}",
            [(day, day, r[0]) for r in here],
        )
    return len(here) + len(held)


# --- timing ------------------------------------------------------------------------------------


def _in_transaction(engine: Engine, fn: Callable[[Any], Any]) -> Any:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN DEFERRED")
        out = fn(cur)
        raw.rollback()
        return out
    finally:
        raw.close()


def _timed(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def _once(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _cycle(items: list[Any]) -> Callable[[], Any]:
    it = iter(items * 2)
    return lambda: next(it)


def _scan(rng: random.Random) -> tuple[list[str], bytes]:
    """The depot's scan: every depot serial but 1 %, plus 0.5 % serials the registry lacks."""
    serials = [f"B{i:09d}" for i in range(1, DEPOT + 1) if rng.random() >= 0.01]
    serials += [f"X{i:09d}" for i in range(DEPOT // 200)]
    rng.shuffle(serials)
    return serials, ("serial\n" + "\n".join(serials) + "\n").encode()


def _trace_service(factory: sessionmaker[Session], serial: str) -> int:
    with read_only(factory) as s:
        return len(trace_item.trace(s, actor=None, serial=serial).events)


def _reconcile_service(factory: sessionmaker[Session], data: bytes, apply: bool) -> int:
    with factory() as s:  # rolled back: apply is measured, not kept
        try:
            r = reconcile.reconcile(s, actor=None, data=data, name="scan.csv", site=1, on=TODAY, apply=apply)
            return len(r.found)
        finally:
            s.rollback()


def _http_trace(engine: Engine, tmp: Path, serials: list[str]) -> tuple[float, float]:
    """The same traces through ``GET /api/v1/equipment/items/{serial}/trace`` on a real
    uvicorn (its own process, loopback, keep-alive client, bearer token of a DoD user: the
    access policy runs, unlike the service row's ``actor=None``)."""
    headers = _bearer(engine)
    nxt = _cycle(serials)
    with _uvicorn(engine, tmp) as base, httpx.Client(base_url=base, headers=headers) as http:

        def get() -> None:
            r = http.get(f"/api/v1/equipment/items/{nxt()}/trace")
            assert r.status_code == 200, r.text

        return _timed(get, CALLS)


def _measure(engine: Engine, tmp: Path) -> dict[str, Any]:
    factory = make_session_factory(engine)
    ph = "%s" if engine.dialect.name == "postgresql" else "?"
    rng = random.Random(SEED + 2)
    serials = [f"B{rng.randint(1, ITEMS):09d}" for _ in range(CALLS + 1)]
    out: dict[str, Any] = {}
    nxt = _cycle(serials)
    out["raw trace"] = _timed(lambda: _in_transaction(engine, lambda cur: raw_trace(cur, ph, nxt())), CALLS)
    nxt = _cycle(serials)
    out["trace"] = _timed(lambda: _trace_service(factory, nxt()), CALLS)
    out["http trace"] = _http_trace(engine, tmp, serials)

    def report() -> None:
        with read_only(factory) as s:
            monitoring.delinquency(s, actor=None, as_of=AS_OF)

    out["raw delinquency"] = _once(
        lambda: _in_transaction(engine, lambda cur: raw_delinquency(cur, ph, AS_OF))
    )
    out["delinquency"] = _once(report)
    scan, data = _scan(rng)
    out["raw dry run"] = _once(
        lambda: _in_transaction(engine, lambda c: raw_reconcile(c, ph, scan, 1, TODAY, False))
    )
    out["dry run"] = _once(lambda: _reconcile_service(factory, data, False))
    out["raw apply"] = _once(
        lambda: _in_transaction(engine, lambda c: raw_reconcile(c, ph, scan, 1, TODAY, True))
    )
    out["apply"] = _once(lambda: _reconcile_service(factory, data, True))
    out["scan"] = len(scan)
    return out


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


def _rows_for(name: str, backend: str, m: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    p50, p95 = m["trace"]
    r50, r95 = m["raw trace"]
    checks = [f"≤ {TARGET_RATIO:.0f}× raw SQL {_ok(p95 / r95 <= TARGET_RATIO)}"]
    if backend == "postgresql":
        checks.append(f"p95 ≤ {TARGET_TRACE_P95_MS:.0f} ms {_ok(p95 <= TARGET_TRACE_P95_MS)}")
    yield (f"{name}: trace p50 / p95 (workflows.trace_item)", f"{p50:.2f} / {p95:.2f} ms",
           f"raw SQL {r50:.2f} / {r95:.2f} ms", f"{p50 / r50:.1f}× / {p95 / r95:.1f}×",
           "; ".join(checks))  # fmt: skip
    h50, h95 = m["http trace"]
    checks = [f"≤ {TARGET_RATIO:.0f}× raw SQL {_ok(h95 / r95 <= TARGET_RATIO)}"]
    if backend == "postgresql":
        checks.append(f"p95 ≤ {TARGET_TRACE_P95_MS:.0f} ms {_ok(h95 <= TARGET_TRACE_P95_MS)}")
    yield (f"{name}: trace p50 / p95 (HTTP API, uvicorn)", f"{h50:.2f} / {h95:.2f} ms",
           f"raw SQL {r50:.2f} / {r95:.2f} ms", f"{h50 / r50:.1f}× / {h95 / r95:.1f}×",
           "; ".join(checks))  # fmt: skip
    for key, label, target in (
        ("delinquency", f"delinquency over all items as of {AS_OF}", TARGET_DELINQUENCY_S),
        ("dry run", f"reconcile {m['scan']:,} serials, dry run", TARGET_DRY_RUN_S),
        ("apply", f"reconcile {m['scan']:,} serials, apply (rolled back)", None),
    ):
        got, raw = m[key], m[f"raw {key}"]
        check = f"≤ {target:.0f} s {_ok(got <= target)}" if target is not None else "no target"
        yield f"{name}: {label}", f"{got:.2f} s", f"raw SQL {raw:.2f} s", f"{got / raw:.1f}×", check


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 180)
    with tempfile.TemporaryDirectory(prefix="secassist-bench-") as tmpdir:
        tmp = Path(tmpdir)
        results: dict[str, tuple[Dataset, dict[str, Any]]] = {}
        notes: list[str] = []
        for backend in BACKENDS:
            try:
                with dataset(backend) as ds:
                    results[backend] = ds, _measure(ds.engine, tmp)
            except _pg.UnavailableError as e:
                notes.append(f"{BACKENDS[backend]} skipped: {e}")
    n_events = next(iter(results.values()))[0].events
    table = Table(
        title=f"Equipment: {ITEMS:,} items, {n_events:,} custody events, "
        f"{N_COUNTRIES * SITES_PER_COUNTRY:,} sites "
        f"({os.cpu_count()} cores, seed {SEED}, {CALLS} traces{', QUICK' if QUICK else ''})"
    )
    for col in ("figure", "secassist", "raw SQL peer", "ratio", "target"):
        table.add_column(col)
    for backend, (_ds, m) in results.items():
        for row in _rows_for(BACKENDS[backend], backend, m):
            table.add_row(*row)
        table.add_section()
    console.print(table)
    for backend, (ds, _m) in results.items():
        made = f"{'generated' if ds.fresh else 'reused; generated'} in {ds.generated_s:.0f} s"
        notes.append(f"{BACKENDS[backend]}: {made}, {ds.bytes / 1e9:.1f} GB at {ds.where}")
    console.print(
        f"dataset cache {CACHE} (SECASSIST_BENCH_CACHE), generator v{GENERATOR_VERSION}, a valid audit "
        f"log of {n_events:,} entries; load average {os.getloadavg()[0]:.1f} at the end; " + "; ".join(notes)
    )


if __name__ == "__main__":
    run()
