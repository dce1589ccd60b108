"""Transfers at volume: executing a 1,000-serial transfer, and the trace of a serial that
changed hands 20 times, on the equipment benchmark's registry, each beside raw SQL.

* **Data**: :func:`bench.equipment.dataset` per backend (10^6 items, ~10^7 custody events
  and a valid audit log of as many entries; ``SECASSIST_BENCH_QUICK=1``: 10,000 items),
  generated once into its cache (``SECASSIST_BENCH_CACHE``) and reused. The dataset is
  shared between runs, so everything here happens in transactions that are rolled back.
* **Execute 1,000 serials**: per run, one session files and approves a third-party
  retransfer request for 1,000 held depot items (``transfers.service.create_request``,
  ``workflows.transfer_execute.decide_transfer``; not timed), forgets what it loaded, then
  runs ``workflows.transfer_execute.execute_transfer`` as the system — the approval checks,
  one SELECT of the items, 2,000 custody events (``transferred`` then ``received`` per
  item: the EEUM responsibility moves with the holder), 2,000 audit entries with their
  tree nodes and the events' entry pointers, the items' new holder, the request's status
  and both offices' inbox entries — timed until all of it is written (the audit buffer
  included; commit excluded), then rolled back. Beside it, in the same shape, the
  **unaudited inserts** on the driver: the SELECT of the 1,000 items, ``executemany`` of
  the same 2,000 event rows and 1,000 item updates, the request's update and the two inbox
  rows (:func:`raw_execute`). p50 of ``RUNS`` runs after a warm-up run, wall clock, with
  the benchmark process's CPU time beside it (the Python side; steadier on a busy machine).
* **Trace after 20 transfers**: one session moves a depot serial back and forth between
  two countries by 20 successive requests (filed, approved and executed through the
  services), then, in that transaction, traces it as :mod:`bench.equipment` does
  (``workflows.trace_item.trace``, ``CALLS`` calls, p50 / p95; before each call the
  session forgets its loaded rows and cached tree nodes, as a fresh read session would
  start) beside ``bench.equipment.raw_trace`` with the statement the trace adds for
  transfer requests (:func:`raw_transfer_steps`: every request's step entries in one
  ``IN``; their proofs join the one batch) on the same connection; rolled back.

Targets (issue #13): the audited execution ≤ 1 s and ≤ 2× the unaudited inserts on each
database; the 20-transfer trace within #12's trace targets (p95 ≤ 20 ms on PostgreSQL,
≤ 3× raw SQL).

Where the audited execution's time goes (Python CPU on SQLite, profiled by phase; the
table is in ``docs/equipment-scale.md``, "Executing a 1,000-serial transfer"): the audit
alone — 2,000 canonical payloads, leaf and node hashes, then 2,000 entries of ~1 KB and
~4,000 tree nodes written — costs ~130 ms, already ~2.8× the whole unaudited peer (~47
ms), so the 2× ratio is out of reach while every event keeps its own byte-identical entry
and every tree node is written as now; the rest is the event rows (objects built, one
driver executemany), the after-images and the items' loaded state (~150 ms together).
The trace's remaining cost is per proof (its payload parsed, its document and path built)
beside the same SQL as the raw peer. Reproduce: ``make bench b=transfers`` (or ``.venv/bin/python -m bench
transfers``; ``SECASSIST_BENCH_QUICK=1`` for the small registry; ``SECASSIST_BENCH_PG_URL``
for an existing PostgreSQL server).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench import _pg
from bench import equipment as eq
from secassist.audit import buffer
from secassist.audit.models import INDEXED_SUBJECTS_SQL
from secassist.core.clock import FixedClock
from secassist.equipment.models import Item
from secassist.storage.engine import WRITE_OPTION, make_session_factory
from secassist.storage.uow import read_only
from secassist.transfers import service as transfers
from secassist.workflows import trace_item
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer

BATCH = 1_000
RUNS = 7
HOPS = 20
CALLS = eq.CALLS
ON = eq.TODAY
CLOCK_AT = datetime(ON.year, ON.month, ON.day, 12, tzinfo=UTC)
TARGET_EXECUTE_S = 1.0
TARGET_EXECUTE_RATIO = 2.0
MOVABLE = ("delivered", "stored", "issued", "loaned")  # custody: what a "transferred" event may leave


# --- setup through the services, inside the measured sessions (never committed) ------------


def _file_and_approve(s: Session, clock: FixedClock, items: list[Item], source: str, to: str) -> int:
    """A retransfer request for ``items`` from ``source`` to ``to``, approved; its id."""
    req = transfers.create_request(
        s,
        actor=None,
        from_country=source,
        to_party=to,
        kind="retransfer",
        on=ON,
        end_use="Bench: training of allied forces",
        end_user=f"Armed forces of {to}",
        items=[
            transfers.RequestedItem(
                item_id=it.id, serial=it.serial, value_cents=it.unit_value_cents, mde=False
            )
            for it in items
        ],
        clock=clock,
    )
    decide_transfer(s, actor=None, request_id=req.id, decision="approve", on=ON, clock=clock)
    return req.id


def _movable(factory: sessionmaker[Session], holder: str, n: int, skip: int = 0) -> list[Item]:
    with read_only(factory) as s:
        stmt = (
            select(Item)
            .where(Item.holder_country == holder, Item.state.in_(MOVABLE), Item.site_id == 1)
            .order_by(Item.id)
            .offset(skip)
            .limit(n)
        )
        items = list(s.scalars(stmt))
        s.expunge_all()
    assert len(items) == n, f"only {len(items)} movable depot items"
    return items


def _writing(factory: sessionmaker[Session]) -> Session:
    s = factory()
    s.connection(execution_options={WRITE_OPTION: True})
    return s


def _as_fresh(s: Session) -> None:
    """Write what the session holds and forget it, so the next step starts as a new
    session would (no loaded rows, no cached tree nodes) inside the same transaction."""
    s.flush()
    buffer.write_pending(s)
    s.expunge_all()
    buffer.node_cache(s).clear()


# --- the measured work -----------------------------------------------------------------------


def _execute_audited(
    factory: sessionmaker[Session], clock: FixedClock, items: list[Item], a: str, b: str
) -> tuple[float, float]:
    """File and approve (not timed), then execute (timed until all of the transaction is
    written, the audit buffer included); rolled back. (Wall, this process's CPU) seconds."""
    s = _writing(factory)
    try:
        rid = _file_and_approve(s, clock, items, a, b)
        _as_fresh(s)
        t0, c0 = time.perf_counter(), time.process_time()
        done = execute_transfer(s, actor=None, request_id=rid, on=ON, clock=clock)
        s.flush()
        buffer.write_pending(s)  # what commit would write first: the buffered entries and nodes
        took = time.perf_counter() - t0, time.process_time() - c0
        assert len(done.events) == 2 * len(items)
        return took
    finally:
        s.rollback()
        s.close()


def raw_execute(cur: Any, ph: str, request_id: int, item_ids: list[int], to: str, on: date) -> int:
    """The execution's rows without the audit: the items read, a ``transferred`` and a
    ``received`` event each, the items' new holder, the request's status, two inbox rows."""
    lite = ph == "?"
    day: Any = on.isoformat() if lite else on
    at: Any = eq.NOW.strftime("%Y-%m-%d %H:%M:%S.%f") if lite else eq.NOW
    if lite:
        rows = []
        for lo in range(0, len(item_ids), 900):
            chunk = item_ids[lo : lo + 900]
            cur.execute(
                "SELECT id, events, holder_country FROM equipment_item "
                f"WHERE id IN ({eq._marks(ph, len(chunk))})",
                chunk,
            )
            rows += cur.fetchall()
    else:
        cur.execute(
            "SELECT id, events, holder_country FROM equipment_item WHERE id = ANY(%s::bigint[])", (item_ids,)
        )
        rows = cur.fetchall()
    org = f"Armed forces of {to}"
    events = []
    for item_id, n, _ in rows:
        events.append((item_id, n + 1, "transferred", day, to, org, f"transfer:{request_id}", at))
        events.append((item_id, n + 2, "received", day, to, org, f"transfer:{request_id}", at))
    cur.executemany(
        "INSERT INTO equipment_custody_event (item_id, seq, kind, occurred_on, holder_country, holder_org, "
        f"note, recorded_at, recorded_by) VALUES ({eq._marks(ph, 8)}, 'system')",
        events,
    )
    cur.executemany(
        f"UPDATE equipment_item SET state = 'stored', site_id = NULL, unit_id = NULL, holder_country = {ph}, "
        f"holder_org = {ph}, last_event_on = {ph}, events = events + 2, gone_on = NULL WHERE id = {ph}",
        [(to, org, day, item_id) for item_id, _, _ in rows],
    )
    cur.execute(
        f"UPDATE transfer_request SET status = 'executed', executed_on = {ph} WHERE id = {ph}",
        (day, request_id),
    )
    cur.executemany(
        "INSERT INTO transfer_inbox "
        "(country_code, office, request_id, subject, body, created_on, created_at) "
        f"VALUES ({eq._marks(ph, 7)})",
        [(cc, None, request_id, f"Transfer {request_id}", "bench", day, at) for cc in (rows[0][2], to)],
    )
    return len(events)


_STEP_TAGS = (
    "transfer:request:created",
    "transfer:request:approved",
    "transfer:request:denied",
    "transfer:certification:submitted",
    "transfer:request:executed",
    "transfer:request:returned",
)


def raw_transfer_steps(cur: Any, ph: str, requests: list[Any]) -> list[int]:
    """What the trace adds for transfers, in raw SQL, given the requests naming the item
    (``bench.equipment.raw_trace`` reads them): the entries of every request's six step
    tags in one statement on the subject index, the latest per request and tag. Their
    proofs join the trace's one batch (raw_trace)."""
    if not requests:
        return []
    ids = [str(r[0]) for r in requests]
    cur.execute(
        f"SELECT subject_id, tag, seq FROM audit_entry WHERE {INDEXED_SUBJECTS_SQL} "
        f"AND subject_type = 'transfer_request' AND subject_id IN ({eq._marks(ph, len(ids))}) "
        f"AND tag IN ({eq._marks(ph, len(_STEP_TAGS))})",
        [*ids, *_STEP_TAGS],
    )
    latest: dict[tuple[str, str], int] = {}
    for subject_id, tag, seq in cur.fetchall():
        latest[(subject_id, tag)] = max(int(seq), latest.get((subject_id, tag), -1))
    return sorted(latest.values())


def _raw_execute(
    factory: sessionmaker[Session], clock: FixedClock, items: list[Item], a: str, b: str
) -> tuple[float, float]:
    """The same request filed and approved (not timed), then the unaudited rows on the
    driver in the same transaction (timed); rolled back. (Wall, this process's CPU) seconds."""
    s = _writing(factory)
    try:
        rid = _file_and_approve(s, clock, items, a, b)
        _as_fresh(s)
        conn = s.connection()
        cur = conn.connection.cursor()
        ph = "%s" if conn.dialect.name == "postgresql" else "?"
        t0, c0 = time.perf_counter(), time.process_time()
        n = raw_execute(cur, ph, rid, [it.id for it in items], b, ON)
        took = time.perf_counter() - t0, time.process_time() - c0
        cur.close()
        assert n == 2 * len(items)
        return took
    finally:
        s.rollback()
        s.close()


def _p50(fn: Callable[[], tuple[float, float]], runs: int = RUNS) -> tuple[float, float, float]:
    """(p50 wall, max wall, p50 CPU of this process) over ``runs`` runs after a warm-up.
    The CPU figure is the Python side alone (on SQLite, nearly all of it): on a shared
    machine it moves far less than the wall clock."""
    fn()
    runs_ = [fn() for _ in range(runs)]
    walls = [w for w, _ in runs_]
    return statistics.median(walls), max(walls), statistics.median(c for _, c in runs_)


def _measure(engine: Engine) -> dict[str, Any]:
    factory = make_session_factory(engine)
    ph = "%s" if engine.dialect.name == "postgresql" else "?"
    clock = FixedClock(CLOCK_AT)
    a, b = eq.World().countries[:2]
    batch = _movable(factory, a, BATCH)
    out: dict[str, Any] = {}
    out["raw execute"] = _p50(lambda: _raw_execute(factory, clock, batch, a, b))
    out["execute"] = _p50(lambda: _execute_audited(factory, clock, batch, a, b))
    # The hops and the traces share one transaction, rolled back at the end: the dataset is
    # shared between runs. Each trace starts from a forgotten session (_as_fresh).
    (hopper,) = _movable(factory, a, 1, skip=BATCH)
    s = _writing(factory)
    try:
        holder, other = a, b
        for _ in range(HOPS):
            rid = _file_and_approve(s, clock, [hopper], holder, other)
            execute_transfer(s, actor=None, request_id=rid, on=ON, clock=clock)
            holder, other = other, holder
        _as_fresh(s)
        out["hops"] = len(trace_item.trace(s, actor=None, serial=hopper.serial).events)
        cur = s.connection().connection.cursor()

        def raw() -> int:
            return eq.raw_trace(cur, ph, hopper.serial, raw_transfer_steps)

        def service() -> int:
            _as_fresh(s)
            return len(trace_item.trace(s, actor=None, serial=hopper.serial).events)

        out["raw trace"] = eq._timed(raw, CALLS)
        out["trace"] = eq._timed(service, CALLS)
        cur.close()
    finally:
        s.rollback()
        s.close()
    return out


def _rows_for(name: str, backend: str, m: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    got, top, cpu = m["execute"]
    raw, _, raw_cpu = m["raw execute"]
    ok = got <= TARGET_EXECUTE_S and got / raw <= TARGET_EXECUTE_RATIO
    yield (
        f"{name}: execute {BATCH:,} serials, p50 of {RUNS} (workflows.transfer_execute)",
        f"{got * 1000:.0f} ms (max {top * 1000:.0f}; Python CPU {cpu * 1000:.0f})",
        f"unaudited {raw * 1000:.0f} ms (CPU {raw_cpu * 1000:.0f})",
        f"{got / raw:.1f}×",
        f"≤ {TARGET_EXECUTE_S:.0f} s, ≤ {TARGET_EXECUTE_RATIO:.0f}× {eq._ok(ok)}",
    )
    p50, p95 = m["trace"]
    r50, r95 = m["raw trace"]
    checks = [f"≤ {eq.TARGET_RATIO:.0f}× raw SQL {eq._ok(p95 / r95 <= eq.TARGET_RATIO)}"]
    if backend == "postgresql":
        checks.append(f"p95 ≤ {eq.TARGET_TRACE_P95_MS:.0f} ms {eq._ok(p95 <= eq.TARGET_TRACE_P95_MS)}")
    yield (
        f"{name}: trace after {HOPS} transfers ({m['hops']} events) p50 / p95",
        f"{p50:.2f} / {p95:.2f} ms",
        f"raw SQL {r50:.2f} / {r95:.2f} ms",
        f"{p50 / r50:.1f}× / {p95 / r95:.1f}×",
        "; ".join(checks),
    )


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 180)
    results: dict[str, tuple[eq.Dataset, dict[str, Any]]] = {}
    notes: list[str] = []
    for backend in eq.BACKENDS:
        try:
            with eq.dataset(backend) as ds:
                results[backend] = ds, _measure(ds.engine)
        except _pg.UnavailableError as e:
            notes.append(f"{eq.BACKENDS[backend]} skipped: {e}")
    n_events = next(iter(results.values()))[0].events
    table = Table(
        title=f"Transfers on the equipment registry: {eq.ITEMS:,} items, {n_events:,} custody events "
        f"({os.cpu_count()} cores, seed {eq.SEED}{', QUICK' if eq.QUICK else ''})"
    )
    for col in ("figure", "secassist", "peer", "ratio", "target"):
        table.add_column(col)
    for backend, (_ds, m) in results.items():
        for row in _rows_for(eq.BACKENDS[backend], backend, m):
            table.add_row(*row)
        table.add_section()
    console.print(table)
    for backend, (ds, _m) in results.items():
        notes.append(f"{eq.BACKENDS[backend]} dataset {'generated' if ds.fresh else 'reused'} ({ds.where})")
    console.print(f"load average {os.getloadavg()[0]:.1f} at the end; " + "; ".join(notes))


if __name__ == "__main__":
    run()
