"""Transfers at volume: executing a 1,000-serial transfer, and the trace of a serial that
changed hands 20 times, on the equipment benchmark's registry, each beside raw SQL.

* **Data**: the registry of :mod:`bench.equipment` (10^6 items, ~10^7 custody events and a
  valid audit log of as many entries; ``SECASSIST_BENCH_QUICK=1``: 10,000 items), made by
  its generator through :func:`_dataset`, the one call to change when that generator gains
  a cached entry point.
* **Execute 1,000 serials**: one approved third-party transfer request (filed and decided
  through ``transfers.service.create_request`` and ``workflows.transfer_execute.decide_transfer``,
  committed beforehand, not timed) for 1,000 held items of the depot, executed through
  ``workflows.transfer_execute.execute_transfer`` as the system: the approval checks, one
  SELECT of the items, 2,000 custody events (``transferred`` then ``received`` per item,
  the EEUM responsibility moving with the holder), 2,000 audit entries with their tree
  nodes and the events' entry pointers, the new holder on each item, the request's status
  and both offices' inbox entries, all in one transaction; timed until everything of that
  transaction is written (the audit buffer included), then rolled back so every run moves
  the same items. Beside it the **unaudited inserts** on the driver in one transaction:
  the SELECT of the 1,000 items, ``executemany`` of the same 2,000 event rows and 1,000
  item updates, the request's update and the two inbox rows, rolled back. p50 of
  ``RUNS`` runs after a warm-up.
* **Trace after 20 transfers**: a depot serial moved back and forth between two countries
  by 20 successive transfers (each filed, decided and executed through the services in its
  own committed unit of work), then traced as :mod:`bench.equipment` traces
  (``workflows.trace_item.trace`` in a fresh read session per call, ``CALLS`` calls)
  beside ``bench.equipment.raw_trace`` plus the statements the trace adds for transfer
  requests (the requests naming the item, each step's audit-entry lookup, and their
  entries' proofs) — :func:`raw_transfer_steps`.

Targets (issue #13): the audited execution ≤ 1 s and ≤ 2× the unaudited inserts on each
database; the 20-transfer trace within #12's trace targets (p95 ≤ 20 ms on PostgreSQL,
≤ 3× raw SQL). Reproduce: ``make bench b=transfers`` (or ``.venv/bin/python -m bench
transfers``; ``SECASSIST_BENCH_QUICK=1`` for the small registry; ``SECASSIST_BENCH_PG_URL``
for an existing PostgreSQL server).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench import _pg
from bench import equipment as eq
from secassist.audit import buffer, merkle
from secassist.audit.models import INDEXED_SUBJECTS_SQL
from secassist.core.clock import FixedClock
from secassist.equipment.models import Item
from secassist.storage.engine import WRITE_OPTION, make_session_factory
from secassist.storage.uow import read_only, unit_of_work
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


def _dataset(engines: list[Engine]) -> tuple[float, int]:
    """The equipment benchmark's registry in every engine: (seconds, custody events)."""
    return eq.generate(engines)


# --- setup through the services (not timed) ------------------------------------------------


def _file_and_approve(
    factory: sessionmaker[Session], clock: FixedClock, items: list[Item], source: str, to: str
) -> int:
    """A retransfer request for ``items`` from ``source`` to ``to``, approved; its id."""
    with unit_of_work(factory) as s:
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
                    item_id=it.id,
                    serial=it.serial,
                    value_cents=it.unit_value_cents,
                    mde=False,
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


def _hand_around(factory: sessionmaker[Session], clock: FixedClock, item: Item, a: str, b: str) -> None:
    """Move ``item`` between ``a`` and ``b`` ``HOPS`` times, each a filed, approved and
    executed request committed on its own."""
    holder, other = a, b
    for _ in range(HOPS):
        rid = _file_and_approve(factory, clock, [item], holder, other)
        with unit_of_work(factory) as s:
            execute_transfer(s, actor=None, request_id=rid, on=ON, clock=clock)
        holder, other = other, holder


# --- the measured work -----------------------------------------------------------------------


def _execute_audited(factory: sessionmaker[Session], clock: FixedClock, request_id: int) -> int:
    s = factory()
    try:
        s.connection(execution_options={WRITE_OPTION: True})
        done = execute_transfer(s, actor=None, request_id=request_id, on=ON, clock=clock)
        s.flush()
        buffer.write_pending(s)  # what commit would write first: the buffered entries and nodes
        return len(done.events)
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


def raw_transfer_steps(cur: Any, ph: str, serial: str) -> int:
    """What the trace adds for transfers, in raw SQL: the requests naming the item, the
    latest entry of each of their six step tags, and those entries' proofs."""
    cur.execute(
        "SELECT r.* FROM transfer_request r JOIN transfer_item t ON t.request_id = r.id "
        f"JOIN equipment_item i ON i.id = t.item_id WHERE i.serial = {ph} ORDER BY r.id",
        (serial,),
    )
    requests = cur.fetchall()
    seqs = []
    for req in requests:
        for tag in ("created", "approved", "denied", "submitted", "executed", "returned"):
            cur.execute(
                f"SELECT seq FROM audit_entry WHERE {INDEXED_SUBJECTS_SQL} "
                "AND subject_type = 'transfer_request' "
                f"AND subject_id = {ph} AND tag LIKE {ph} ORDER BY seq DESC LIMIT 1",
                (str(req[0]), f"transfer:%:{tag}"),
            )
            row = cur.fetchone()
            if row is not None:
                seqs.append(int(row[0]))
    cur.execute("SELECT size FROM audit_head WHERE id = 1")
    size = int(cur.fetchone()[0])
    for seq in seqs:
        cur.execute(f"SELECT * FROM audit_entry WHERE seq = {ph}", (seq,))
        cur.fetchone()
        nodes = sorted(
            merkle.nodes_for(merkle.inclusion_ranges(seq, size)) | set(merkle.root_plan(size)) | {(0, seq)}
        )
        if ph == "%s":
            cur.execute(
                "SELECT n.level, n.idx, n.hash FROM audit_node n JOIN unnest(%s::integer[], %s::bigint[]) "
                "AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
                ([lv for lv, _ in nodes], [i for _, i in nodes]),
            )
        else:
            terms = " OR ".join(["(level = ? AND idx = ?)"] * len(nodes))
            cur.execute(
                f"SELECT level, idx, hash FROM audit_node WHERE {terms}", [v for n in nodes for v in n]
            )
        cur.fetchall()
    return len(seqs)


def _raw_write(engine: Engine, fn: Callable[[Any], Any]) -> Any:
    """``fn`` on the driver in one write transaction, rolled back."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")  # as the project's writing units of work
        out = fn(cur)
        raw.rollback()
        return out
    finally:
        raw.close()


def _p50(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, list[float]]:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def _measure(engine: Engine) -> dict[str, Any]:
    factory = make_session_factory(engine)
    ph = "%s" if engine.dialect.name == "postgresql" else "?"
    clock = FixedClock(CLOCK_AT)
    world_a, world_b = eq.World().countries[:2]
    batch = _movable(factory, world_a, BATCH)
    rid = _file_and_approve(factory, clock, batch, world_a, world_b)
    ids = [it.id for it in batch]
    out: dict[str, Any] = {}
    out["raw execute"] = _p50(
        lambda: _raw_write(engine, lambda cur: raw_execute(cur, ph, rid, ids, world_b, ON))
    )
    out["execute"] = _p50(lambda: _execute_audited(factory, clock, rid))
    (hopper,) = _movable(factory, world_a, 1, skip=BATCH)
    _hand_around(factory, clock, hopper, world_a, world_b)
    with read_only(factory) as s:
        out["hops"] = len(trace_item.trace(s, actor=None, serial=hopper.serial).events)

    def raw() -> int:
        return eq._in_transaction(
            engine,
            lambda cur: eq.raw_trace(cur, ph, hopper.serial) + raw_transfer_steps(cur, ph, hopper.serial),
        )  # type: ignore[no-any-return]

    out["raw trace"] = eq._timed(raw, CALLS)
    out["trace"] = eq._timed(lambda: eq._trace_service(factory, hopper.serial), CALLS)
    return out


def _rows_for(name: str, backend: str, m: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    got, runs = m["execute"]
    raw, _ = m["raw execute"]
    ok = got <= TARGET_EXECUTE_S and got / raw <= TARGET_EXECUTE_RATIO
    yield (
        f"{name}: execute {BATCH:,} serials, p50 of {RUNS} (workflows.transfer_execute)",
        f"{got * 1000:.0f} ms (max {max(runs) * 1000:.0f})",
        f"unaudited {raw * 1000:.0f} ms",
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
    with tempfile.TemporaryDirectory(prefix="secassist-bench-") as tmpdir, _pg.server() as (pg, pg_how):
        tmp = Path(tmpdir)
        backends = ["sqlite"] + (["postgresql"] if pg else [])
        with ExitStack() as stack:
            engines = {b: stack.enter_context(_pg.fresh_database(b, pg, tmp)) for b in backends}
            seconds, n_events = _dataset(list(engines.values()))
            table = Table(
                title=f"Transfers on the equipment registry: {eq.ITEMS:,} items, {n_events:,} custody events "
                f"({os.cpu_count()} cores, seed {eq.SEED}{', QUICK' if eq.QUICK else ''})"
            )
            for col in ("figure", "secassist", "peer", "ratio", "target"):
                table.add_column(col)
            for backend, engine in engines.items():
                for row in _rows_for(eq.BACKENDS[backend], backend, _measure(engine)):
                    table.add_row(*row)
                table.add_section()
    console.print(table)
    console.print(
        f"registry generated in {seconds:.0f} s; load average {os.getloadavg()[0]:.1f} at the end; "
        f"PostgreSQL: {pg_how if pg else 'skipped: ' + pg_how}"
    )


if __name__ == "__main__":
    run()
