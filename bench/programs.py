"""Program totals as of a date over a 10^6-entry ledger, through the service and in raw SQL.

A seeded generator bulk-loads (Core inserts; COPY on PostgreSQL — bench only, never the
services) a plausible ledger: 7 programs × 10 fiscal years of appropriations, allocations
to 120 countries, obligations, expenditures and 2% reversals, about 10^6 entries in all.
Obligations target training (the case link does not enter the totals query, and case rows
are the cases benchmark's). Then :func:`secassist.programs.oversight.totals` (ORM statement, scoping hook, row
assembly into program and country rows) is timed beside the same grouped query sent as
raw SQL through the bare driver, both as of 2022-06-30, fresh session per call. Target:
service/raw ≤ 3× (p50). ``SECASSIST_BENCH_QUICK=1``: 5×10^4 entries.
Reproduce: ``.venv/bin/python -m bench programs``.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert

from bench import _pg
from secassist.programs import oversight
from secassist.programs.models import Appropriation, LedgerEntry
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference
from secassist.storage.engine import make_session_factory
from secassist.storage.uow import read_only, unit_of_work

QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
SEED = 20250101
TARGET = 1_000_000 if not QUICK else 50_000
RUNS = 15 if not QUICK else 5
AS_OF = date(2022, 6, 30)
PROGRAMS = ("FMF", "IMET", "PKO", "GPOI", "NADR", "INCLE", "S333")
YEARS = range(2016, 2026)
COUNTRIES_PER_APPR = 120
TARGET_RATIO = 3.0
NOW = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = [c.name for c in LedgerEntry.__table__.columns]

RAW_SQL = """
SELECT t.program, t.fiscal_year, c.region, t.country_code,
       t.appropriated, t.allocated, t.obligated, t.expended
FROM (
  SELECT e.program, e.fiscal_year, e.country_code,
         COALESCE(SUM(CASE WHEN e.kind = 'appropriation' THEN e.amount_cents ELSE 0 END), 0) AS appropriated,
         COALESCE(SUM(CASE WHEN e.kind = 'allocation' THEN e.amount_cents ELSE 0 END), 0) AS allocated,
         COALESCE(SUM(CASE WHEN e.kind = 'obligation' THEN e.amount_cents ELSE 0 END), 0) AS obligated,
         COALESCE(SUM(CASE WHEN e.kind = 'expenditure' THEN e.amount_cents ELSE 0 END), 0) AS expended
  FROM program_entry e
  WHERE e.entry_date <= {param}
  GROUP BY e.program, e.fiscal_year, e.country_code
) t LEFT OUTER JOIN reference_country c ON c.code = t.country_code
"""


def generate(countries: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(appropriations, entries), seeded; about TARGET entries."""
    rng = random.Random(SEED)
    apprs: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    per_alloc = max(1, TARGET // (len(PROGRAMS) * len(YEARS) * COUNTRIES_PER_APPR * 3))

    def add(**kw: Any) -> int:
        row = dict.fromkeys(COLUMNS)
        row.update(kw, id=len(entries) + 1, recorded_at=NOW)
        entries.append(row)
        return int(row["id"])

    for prog in PROGRAMS:
        for fy in YEARS:
            aid = len(apprs) + 1
            start = date(fy - 1, 10, 1)
            apprs.append(
                {
                    "id": aid,
                    "program": prog,
                    "fiscal_year": fy,
                    "title": f"{prog} FY{fy} (bench)",
                    "available_from": start,
                    "available_until": date(fy + 1, 9, 30),
                    "legal_citation": None,
                    "source": "bench",
                    "status": "UNCONFIRMED",
                    "note": None,
                    "created_at": NOW,
                }
            )
            base = {"appropriation_id": aid, "program": prog, "fiscal_year": fy}
            add(**base, kind="appropriation", amount_cents=10**13, entry_date=start)
            for code in rng.sample(countries, COUNTRIES_PER_APPR):
                day = start + timedelta(days=rng.randrange(60))
                add(**base, kind="allocation", country_code=code, amount_cents=5 * 10**10, entry_date=day)
                for _ in range(per_alloc):
                    oday = day + timedelta(days=rng.randrange(1, 600))
                    amount = rng.randrange(10**6, 10**8)
                    target = {"target": "training", "reference": f"bench {rng.randrange(10**6)}"}
                    oid = add(
                        **base,
                        **target,
                        kind="obligation",
                        country_code=code,
                        amount_cents=amount,
                        entry_date=oday,
                    )
                    for half in (amount // 2, amount - amount // 2):
                        eday = oday + timedelta(days=rng.randrange(1, 400))
                        xid = add(
                            **base,
                            **target,
                            kind="expenditure",
                            country_code=code,
                            obligation_id=oid,
                            amount_cents=half,
                            entry_date=eday,
                        )
                        if rng.random() < 0.02:
                            add(
                                **base,
                                **target,
                                kind="expenditure",
                                country_code=code,
                                obligation_id=oid,
                                reverses_id=xid,
                                amount_cents=-half,
                                entry_date=eday + timedelta(days=3),
                                memo="bench reversal",
                            )
    return apprs, entries


def load(engine: Engine, apprs: list[dict[str, Any]], entries: list[dict[str, Any]]) -> float:
    t0 = time.perf_counter()
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        sync_reference(s, data=get_reference())
    with engine.begin() as c:
        c.execute(insert(Appropriation), apprs)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY program_entry ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in entries:
                    copy.write_row([row[c] for c in COLUMNS])
            raw.commit()
            cur.execute("ANALYZE program_entry")
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as c:
            for lo in range(0, len(entries), 50_000):
                c.execute(insert(LedgerEntry), entries[lo : lo + 50_000])
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def _service(engine: Engine) -> tuple[float, int]:
    factory = make_session_factory(engine)
    with read_only(factory) as s:
        t0 = time.perf_counter()
        rows = oversight.totals(s, actor=None, as_of=AS_OF)
        return time.perf_counter() - t0, len([r for r in rows if r.level == "country"])


def _raw(engine: Engine) -> tuple[float, int]:
    param = "%s" if engine.dialect.name == "postgresql" else "?"
    raw = engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cur = raw.cursor()
        cur.execute(
            RAW_SQL.format(param=param), (AS_OF.isoformat() if engine.dialect.name == "sqlite" else AS_OF,)
        )
        rows = cur.fetchall()
        seconds = time.perf_counter() - t0
        raw.rollback()
    finally:
        raw.close()
    return seconds, len([r for r in rows if r[3] is not None])


def _pct(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(
        title=f"Program totals as of {AS_OF} "
        f"({os.cpu_count()} cores, seed {SEED}{', QUICK' if QUICK else ''})"
    )
    for col in ("figure", "secassist", "peer or limit", "ratio", "detail"):
        table.add_column(col)
    countries = sorted(c.code for c in get_reference().countries() if not c.territory)
    t0 = time.perf_counter()
    apprs, entries = generate(countries)
    notes = [f"generated {len(entries):,} ledger entries in {time.perf_counter() - t0:.0f} s"]
    with tempfile.TemporaryDirectory(prefix="secassist-bench-") as tmpdir, _pg.server() as (pg, pg_how):
        backends = ["sqlite"] + (["postgresql"] if pg else [])
        notes.append(f"PostgreSQL: {pg_how}" if pg else f"PostgreSQL skipped: {pg_how}")
        for backend in backends:
            with _pg.fresh_database(backend, pg, Path(tmpdir)) as engine:
                notes.append(f"{backend}: loaded in {load(engine, apprs, entries):.0f} s")
                _service(engine)  # warm the caches, both ways
                _raw(engine)
                ours, peer = [], []
                for _ in range(RUNS):
                    s_t, s_n = _service(engine)
                    r_t, r_n = _raw(engine)
                    assert s_n == r_n, (s_n, r_n)
                    ours.append(s_t)
                    peer.append(r_t)
                name = "SQLite" if backend == "sqlite" else "PostgreSQL"
                for label, q in (("p50", 50), ("p95", 95)):
                    a, b = _pct(ours, q), _pct(peer, q)
                    ok = "✓" if a / b <= TARGET_RATIO else "✗"
                    table.add_row(
                        f"{name}: totals {label} ({len(entries):,} entries)",
                        f"{a * 1000:.1f} ms",
                        f"raw SQL {b * 1000:.1f} ms",
                        f"{a / b:.2f}×",
                        f"≤ {TARGET_RATIO:.0f}× {ok}; {s_n:,} country rows; {RUNS} runs",
                    )
    console.print(table)
    for n in notes:
        console.print(f"  {n}")
