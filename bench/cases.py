"""FMS cases: the filtered case list and one case with its timeline, on 10^5 cases and
10^6 case lines, through secassist (services/ORM, and the HTTP API) beside the same
queries in raw SQL on the driver.

* **Generator** (seeded): 100,000 cases over 40 purchasers, 11 statuses, 3 agencies and 3
  financing kinds, 10 lines each (1,000,000 lines), their LORs and status events
  (~650,000), bulk-inserted with SQLAlchemy Core (allowed in bench only; the services
  would audit every row and take hours).
* **Services** read through prepared statements (``storage.prepared``): the Core select is
  compiled once and run on the driver's cursor, scoped by the policy's row rules.
* **HTTP peer** (``bench/_rawhttp.py``): the raw SQL below behind a bare ASGI callable on the
  same uvicorn, answering the rows as JSON. The API on uvicorn is set beside it (what the
  framework, authentication and schemas add to serving the query over HTTP), and the peer
  beside raw SQL on the driver (what HTTP itself costs).
* **List**: ``cases.queries.list_cases`` as a DoD case manager with a random purchaser and
  status filter (count, newest 50, their line values) in a fresh read session per call,
  as one request has; ``GET /api/v1/cases?country=..&status=..`` through the app on a
  real uvicorn in its own process on loopback, with a bearer token and a keep-alive
  httpx client; and the
  same three statements in raw SQL on a pooled DBAPI connection, in a transaction per call.
* **Detail**: ``cases.queries.case_detail`` + ``present.case_read`` + the timeline for a
  random case (case joined to its LOR, lines scoped, amendments, events: four statements)
  vs the same four statements in raw SQL.

Targets (issue #4): p95 ≤ 50 ms for list and detail on PostgreSQL; ORM/API ≤ 3× raw SQL.
``SECASSIST_BENCH_QUICK=1`` shrinks to 5,000 cases / 50,000 lines for a smoke run.
Reproduce: ``.venv/bin/python -m bench cases``.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bench import _pg
from secassist.cases import lifecycle, present, queries
from secassist.cases.lifecycle import Status
from secassist.cases.models import Case, CaseEvent, CaseLine, Lor
from secassist.identity import passwords
from secassist.identity.permissions import OrgKind, Role, permissions_for
from secassist.identity.policy import Principal
from secassist.storage.engine import make_session_factory
from secassist.storage.uow import read_only, unit_of_work

T = TypeVar("T")
QUICK = os.environ.get("SECASSIST_BENCH_QUICK") == "1"
SEED = 20260601
CASES = 5_000 if QUICK else 100_000
LINES_PER_CASE = 10
CALLS = 100 if QUICK else 300
CHUNK = 20_000
TARGET_P95_MS = 50.0
TARGET_RATIO = 3.0
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LABELS = {
    "orm": "services",
    "uvicorn": "HTTP API, uvicorn on loopback",
    "rawhttp": "raw SQL behind bare ASGI, uvicorn on loopback",
}
COUNTRIES = [
    "PL",
    "JP",
    "KR",
    "AU",
    "TW",
    "SA",
    "AE",
    "EG",
    "IQ",
    "KW",
    "NL",
    "DE",
    "GB",
    "FR",
    "IT",
    "ES",
    "CA",
    "NO",
    "DK",
    "BE",
    "GR",
    "TR",
    "IL",
    "IN",
    "PH",
    "TH",
    "SG",
    "MY",
    "ID",
    "VN",
    "BR",
    "CO",
    "CL",
    "PE",
    "MX",
    "MA",
    "TN",
    "JO",
    "QA",
    "BH",
]
STATUSES = [s for s in lifecycle.MAIN_LINE] + [Status.cancelled]
WEIGHTS = [3, 2, 4, 3, 3, 3, 4, 5, 20, 8, 40, 5]
AGENCIES = ("B", "D", "P")
FINANCING = ("national", "fmf", "mixed")
ITEMS = ("aircraft", "missile", "munition", "vehicle", "spare_parts", "training", "technical_services")
DOD = Principal(
    user_id=1,
    username="bench.dod",
    org_id=1,
    org_name="DSCA",
    org_kind=OrgKind.dod,
    country=None,
    roles=frozenset({Role.case_manager}),
    permissions=permissions_for({Role.case_manager}),
)


# --- generator -------------------------------------------------------------------------------


def _rows(rng: random.Random, first_case: int, n: int) -> dict[type, list[dict[str, Any]]]:
    """Rows for cases ``first_case .. first_case + n - 1`` (and their LORs, lines, events)."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    out: dict[type, list[dict[str, Any]]] = {Lor: [], Case: [], CaseLine: [], CaseEvent: []}
    for cid in range(first_case, first_case + n):
        country = rng.choice(COUNTRIES)
        status = rng.choices(STATUSES, WEIGHTS)[0]
        received = date(2010, 1, 1) + timedelta(days=rng.randrange(5_000))
        main = lifecycle.MAIN_LINE
        path = list(main[: main.index(status) + 1]) if status in main else [*main[:4], Status.cancelled]
        days = [received]
        for _ in path[1:]:
            days.append(days[-1] + timedelta(days=rng.randint(3, 60)))
        out[Lor].append(
            {
                "id": cid,
                "purchaser_code": country,
                "country_code": country,
                "request_type": "loa",
                "reference_number": f"R{cid}",
                "financing": rng.choice(FINANCING),
                "loa_type": "defined_order",
                "articles_services": "bench",
                "end_users": "Army",
                "third_party": None,
                "desired_value": None,
                "received_on": received,
                "complete_on": days[1] if len(days) > 1 else None,
                "created_at": now,
                "is_demo": False,
            }
        )
        offered = days[path.index(Status.offered)] if Status.offered in path else None
        out[Case].append(
            {
                "id": cid,
                "identifier": _ident(country, cid),
                "purchaser_code": country,
                "purchaser_is_body": False,
                "country_code": country,
                "fms_country_code": country,
                "implementing_agency": AGENCIES[cid % 3],
                "designator": _desig(cid),
                "loa_type": "defined_order",
                "financing": out[Lor][-1]["financing"],
                "title": f"Bench case {cid}",
                "end_users": "Army",
                "lor_id": cid,
                "status": status.value,
                "aod_group": rng.choice("ABC"),
                "offered_on": offered,
                "offer_expires_on": offered + timedelta(days=90) if offered else None,
                "accepted_on": None,
                "initial_deposit": None,
                "implemented_on": None,
                "closed_on": None,
                "restatements": 0,
                "transmittal": None,
                "version": len(path) + LINES_PER_CASE,
                "created_at": now,
                "updated_at": now,
                "is_demo": False,
            }
        )
        for n_line in range(1, LINES_PER_CASE + 1):
            qty, cost = rng.randint(1, 200), Decimal(rng.randint(1_000, 5_000_000))
            mde = n_line == 1
            out[CaseLine].append(
                {
                    "case_id": cid,
                    "number": f"{n_line:03d}",
                    "item_type": rng.choice(ITEMS),
                    "description": "bench line",
                    "usml_category": "IV" if mde else None,
                    "mde": mde,
                    "sme": mde,
                    "eeum": False,
                    "design_construction": False,
                    "quantity": qty,
                    "unit_cost": cost,
                    "value": cost * qty,
                    "contractor_org_id": None,
                    "status": "open",
                    "ssc_on": None,
                    "is_demo": False,
                }
            )
        prev = None
        for st, day in zip(path, days, strict=True):
            out[CaseEvent].append(
                {
                    "case_id": cid,
                    "kind": "status",
                    "from_status": prev,
                    "to_status": st.value,
                    "occurred_on": day,
                    "at": now,
                    "actor": "bench",
                    "detail": None,
                }
            )
            prev = st.value
    return out


def _desig(cid: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    n = cid // 3
    return "".join(alphabet[(n // 36**k) % 36] for k in (2, 1, 0))


def _ident(country: str, cid: int) -> str:
    return f"{country}-{AGENCIES[cid % 3]}-{_desig(cid)}"


def generate(engines: list[Engine]) -> float:
    """Fill every engine's database with the same seeded cases; returns seconds taken."""
    t0 = time.perf_counter()
    rng = random.Random(SEED)
    step = CHUNK // LINES_PER_CASE
    for first in range(1, CASES + 1, step):
        rows = _rows(rng, first, min(step, CASES + 1 - first))
        for engine in engines:
            with engine.begin() as conn:
                for model in (Lor, Case, CaseLine, CaseEvent):
                    conn.execute(insert(model), rows[model])
    for engine in engines:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


# --- the measured queries --------------------------------------------------------------------


def _ph(engine: Engine) -> str:
    return "%s" if engine.dialect.name == "postgresql" else "?"


def raw_list(cur: Any, ph: str, country: str, status: str) -> dict[str, Any]:
    """The list in raw SQL: count, the newest 50, and their lines' values."""
    where = f"WHERE purchaser_code = {ph} AND status = {ph}"
    cur.execute(f"SELECT count(*) FROM fms_case {where}", (country, status))
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT id, identifier, purchaser_code, purchaser_is_body, country_code, fms_country_code, "
        "implementing_agency, designator, loa_type, financing, title, end_users, lor_id, status, aod_group, "
        "offered_on, offer_expires_on, accepted_on, initial_deposit, implemented_on, closed_on, "
        "restatements, transmittal, version, created_at, updated_at, is_demo "
        f"FROM fms_case {where} ORDER BY id DESC LIMIT 50 OFFSET 0",
        (country, status),
    )
    cases = cur.fetchall()
    sums: dict[int, Decimal] = {}
    if cases:
        marks = ", ".join([ph] * len(cases))
        cur.execute(
            f"SELECT case_id, mde, value FROM fms_case_line WHERE case_id IN ({marks})", [c[0] for c in cases]
        )
        for case_id, _mde, value in cur.fetchall():
            sums[case_id] = sums.get(case_id, Decimal(0)) + Decimal(str(value))
    return {"total": int(total), "items": cases, "values": sums}


def raw_detail(cur: Any, ph: str, case_id: int) -> dict[str, Any]:
    """One case in raw SQL, the service's four statements: the case joined to its LOR,
    lines, amendments and events."""
    cur.execute(
        f"SELECT fms_case.*, fms_lor.* FROM fms_case JOIN fms_lor ON fms_lor.id = fms_case.lor_id "
        f"WHERE fms_case.id = {ph}",
        (case_id,),
    )
    out = {"case": cur.fetchone()}
    for key, sql in (
        ("lines", f"SELECT * FROM fms_case_line WHERE case_id = {ph} ORDER BY number"),
        ("amendments", f"SELECT * FROM fms_amendment WHERE case_id = {ph} ORDER BY kind, number"),
        ("events", f"SELECT * FROM fms_case_event WHERE case_id = {ph} ORDER BY occurred_on, id"),
    ):
        cur.execute(sql, (case_id,))
        out[key] = cur.fetchall()
    return out


def _in_transaction(engine: Engine, fn: Callable[[Any], T]) -> T:
    """One request's worth of raw SQL: a pooled DBAPI connection, a transaction (BEGIN, as
    the app's read session issues), the statements, rollback."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN DEFERRED")  # the driver runs in autocommit; the app begins explicitly
        out = fn(cur)
        raw.rollback()
        return out
    finally:
        raw.close()


def orm_list(factory: sessionmaker[Session], country: str, status: str) -> int:
    with read_only(factory) as s:
        page = queries.list_cases(s, actor=DOD, country=country, status=status, limit=50)
        return len([present.case_summary(r) for r in page.items]) + page.total


def orm_detail(factory: sessionmaker[Session], case_id: int, as_of: date) -> int:
    with read_only(factory) as s:
        d = queries.case_detail(s, actor=DOD, ref=case_id)
        out = present.case_read(d)
        t = present.timeline_read(d.case, d.lor, d.events, as_of)
        return len(out.lines) + len(t.phases)


# --- timing ------------------------------------------------------------------------------------


def _timed(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    fn()  # warm caches (statement compilation, pages)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def _args(n: int) -> tuple[list[tuple[str, str]], list[int]]:
    rng = random.Random(SEED + 1)
    filters = [(rng.choice(COUNTRIES), rng.choices(STATUSES, WEIGHTS)[0].value) for _ in range(n)]
    return filters, [rng.randint(1, CASES) for _ in range(n)]


def _cycle(items: list[Any]) -> Callable[[], Any]:
    it = iter(items * 2)
    return lambda: next(it)


def _bearer(engine: Engine) -> dict[str, str]:
    """A DoD case manager with an API token (through the services, audited)."""
    from secassist.identity import service as identity
    from secassist.identity.models import User
    from secassist.identity.tokens import issue_token

    passwords.use_cheap_hashing_for_tests()
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        # A cached benchmark dataset keeps the user of an earlier run: reuse it, new token.
        user = s.scalar(select(User).where(User.username == "bench.dod"))
        if user is None:
            org = identity.create_organization(s, actor=None, name="Bench DSCA", kind="dod")
            user = identity.create_user(
                s,
                actor=None,
                username="bench.dod",
                display_name="Bench",
                organization_id=org.id,
                roles=["case_manager"],
                password="bench password 1234",  # noqa: S106 - a throwaway bench user,
            )
        raw, _ = issue_token(s, actor=None, user_id=user.id, name="bench")
    return {"Authorization": f"Bearer {raw}"}


@contextmanager
def _uvicorn(engine: Engine, tmp: Path, factory: str = "secassist.http.app:create_app") -> Iterator[str]:
    """An app served by a real uvicorn (its own process) on loopback; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {
        **os.environ,
        "SECASSIST_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SECASSIST_ENV": "development",
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    )
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                health = "/health" if factory.startswith("bench.") else "/api/v1/health"
                if httpx.get(f"{base}{health}").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def _http_timings(
    base: str,
    headers: dict[str, str],
    list_url: str,
    detail_url: str,
    filters: list[tuple[str, str]],
    ids: list[int],
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(list, detail) timings of GET requests on a keep-alive client, the same arguments
    in the same order as every other layer."""
    nf, ni = _cycle(filters), _cycle(ids)
    with httpx.Client(base_url=base, headers=headers) as http:

        def get(url: str) -> None:
            r = http.get(url)
            assert r.status_code == 200, r.text

        listed = _timed(lambda: get(list_url.format(*nf())), CALLS)
        shown = _timed(lambda: get(detail_url.format(ni())), CALLS)
    return listed, shown


def _measure(engine: Engine, tmp: Path) -> dict[str, tuple[float, float]]:
    factory = make_session_factory(engine)
    filters, ids = _args(CALLS + 1)
    ph = _ph(engine)
    as_of = date(2026, 6, 1)
    out: dict[str, tuple[float, float]] = {}
    nf, ni = _cycle(filters), _cycle(ids)
    out["raw list"] = _timed(lambda: _in_transaction(engine, lambda cur: raw_list(cur, ph, *nf())), CALLS)
    out["raw detail"] = _timed(lambda: _in_transaction(engine, lambda cur: raw_detail(cur, ph, ni())), CALLS)
    nf, ni = _cycle(filters), _cycle(ids)
    out["orm list"] = _timed(lambda: orm_list(factory, *nf()), CALLS)
    out["orm detail"] = _timed(lambda: orm_detail(factory, ni(), as_of), CALLS)
    headers = _bearer(engine)
    with _uvicorn(engine, tmp) as base:
        out["uvicorn list"], out["uvicorn detail"] = _http_timings(
            base, headers, "/api/v1/cases?country={}&status={}", "/api/v1/cases/{}", filters, ids
        )
    with _uvicorn(engine, tmp, "bench._rawhttp:create_app") as base:
        out["rawhttp list"], out["rawhttp detail"] = _http_timings(
            base, {}, "/list?country={}&status={}", "/detail/{}", filters, ids
        )
    return out


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(
        title=f"FMS cases: {CASES:,} cases, {CASES * LINES_PER_CASE:,} lines "
        f"({os.cpu_count()} cores, seed {SEED}, {CALLS} calls each{', QUICK' if QUICK else ''})"
    )
    for col in ("figure", "secassist", "peer or limit", "ratio", "detail"):
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="secassist-bench-") as tmpdir, _pg.server() as (pg, pg_how):
        tmp = Path(tmpdir)
        backends = ["sqlite"] + (["postgresql"] if pg else [])
        with ExitStack() as stack:
            engines = {b: stack.enter_context(_pg.fresh_database(b, pg, tmp)) for b in backends}
            seconds = generate(list(engines.values()))
            for backend, engine in engines.items():
                m = _measure(engine, tmp)
                name = BACKENDS[backend]
                for what in ("list", "detail"):
                    for layer in ("orm", "uvicorn", "rawhttp"):
                        # The in-process layers are set beside raw SQL on the driver; the
                        # app on uvicorn also beside raw SQL served by the same uvicorn.
                        peer = "rawhttp" if layer == "uvicorn" else "raw"
                        peer_label = "raw SQL on uvicorn" if peer == "rawhttp" else "raw SQL"
                        raw_p50, raw_p95 = m[f"{peer} {what}"] if layer != "rawhttp" else m[f"raw {what}"]
                        if layer == "rawhttp":
                            peer_label = "raw SQL"
                        p50, p95 = m[f"{layer} {what}"]
                        checks = []
                        if layer != "rawhttp":
                            checks.append(
                                f"≤ {TARGET_RATIO:.0f}× {peer_label} {_ok(p95 / raw_p95 <= TARGET_RATIO)}"
                            )
                        if backend == "postgresql" and layer != "rawhttp":
                            checks.append(f"p95 ≤ {TARGET_P95_MS:.0f} ms {_ok(p95 <= TARGET_P95_MS)}")
                        label = LABELS[layer]
                        table.add_row(
                            f"{name}: case {what} p50 / p95 ({label})",
                            f"{p50:.2f} / {p95:.2f} ms",
                            f"{peer_label} {raw_p50:.2f} / {raw_p95:.2f} ms",
                            f"{p50 / raw_p50:.1f}× / {p95 / raw_p95:.1f}×",
                            "; ".join(checks) or "the HTTP peer itself",
                        )
                table.add_section()
    console.print(table)
    console.print(
        f"generated in {seconds:.0f} s (Core bulk insert, both backends); load average "
        f"{os.getloadavg()[0]:.1f} at the end; "
        f"PostgreSQL: {pg_how if pg else 'skipped: ' + pg_how}; list = purchaser + status filter, "
        "count + newest 50 + their line values; detail = case, LOR, lines, amendments, events, timeline"
    )


if __name__ == "__main__":
    run()
