"""`make load` (not in CI): stepped HTTP load on a real server over PostgreSQL.

* **Server**: uvicorn ``secassist.http.app:create_app`` with ``LOAD_WORKERS`` worker
  processes (default 2, one per core), each with 2 worker threads and 2 + 2 pooled
  connections as ``docs/operations.md`` deploys it (``SECASSIST_WORKER_THREADS``,
  ``SECASSIST_DB_POOL_SIZE``, ``SECASSIST_DB_MAX_OVERFLOW`` override), on 127.0.0.1,
  over a fresh migrated database on a throwaway PostgreSQL cluster (:mod:`bench._pg`;
  ``SECASSIST_BENCH_PG_URL`` names an existing server instead).
* **Data**: the demo dataset (``secassist.demo.dataset.load_demo``: cases at every
  stage, items with custody chains, screening lists, appropriations and ledger entries,
  transfers). The equipment bench's generated registry (``bench.equipment.dataset``) is
  not merged in: it builds its own audit log and has none of the funds, lists or users the
  write mix needs, and its cache must not be written to.
* **Generator**: locust (the ``[load]`` extra), headless, one process per step, from
  :mod:`bench._locustfile`; every request carries the bearer token of a demo user of the
  role that would make it (case manager, end-use monitor, partner, congressional staff,
  policy officer). The read mix (case lists and pages, case detail, item lists and
  traces, ledger entries, transfer lists) is ``LOAD_READ_WEIGHT`` of the users; the rest
  write (screening runs as the policy officer; one-dollar FMF obligations as the policy
  officer from a demo allocation to a line of an FMF case of its country, refused with 422
  once the allocation is spent; retransfer requests by Poland's MoD on two items Poland
  holds). Errors are transport failures and 5xx answers; a 503 counts as an orderly
  degradation only with ``Retry-After``.
* **Steps**: ``LOAD_USERS`` concurrent users (default ``1 5 10 25 50 100``), each step
  ``LOAD_STEP_S`` seconds (default 40: the whole run stays under 5 minutes), after an
  unmeasured warm-up of every read on every worker (:func:`_warm_up`); it stops
  after the first step with a 5xx, a transport error or a read p99 above the target.
  Per step: requests/s and p50/p95/p99 per operation, status codes, the 503s without
  ``Retry-After`` (counted among the errors too), and the CPU seconds of the server
  workers, PostgreSQL and the generator, exited processes included (the server's and
  PostgreSQL's process trees from /proc, each process with its reaped children's time;
  the generator from this process's RUSAGE_CHILDREN), and the server's and PostgreSQL's CPU
  milliseconds per request, the measures to compare on a noisy machine (the generator
  shares the machine's cores: on 2 cores it takes a real share, so the server's ceiling
  measured here is an underestimate).

Targets (issue #16): read mix ≥ 300 requests/s with p99 ≤ 200 ms and no errors; writes
degrade to 409/503 with ``Retry-After``, never 500. Reproduce: ``make load`` or
``LOAD_USERS="1 5" LOAD_STEP_S=5 .venv/bin/python -m bench.load`` for a smoke run.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from bench import _pg
from secassist.demo.dataset import load_demo
from secassist.identity import passwords
from secassist.identity.service import user_by_name
from secassist.identity.tokens import issue_token
from secassist.storage.engine import make_session_factory
from secassist.storage.uow import unit_of_work

ROOT = Path(__file__).resolve().parent.parent
USERS = [int(n) for n in os.environ.get("LOAD_USERS", "1 5 10 25 50 100").split()]
STEP_S = int(os.environ.get("LOAD_STEP_S", "40"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
READ_WEIGHT = int(os.environ.get("LOAD_READ_WEIGHT", "9"))
# The server as docs/operations.md deploys it on a 2-core host: per process 2 worker
# threads and 2 + 2 pooled connections (the environment overrides each).
SERVER_TUNING = {
    "SECASSIST_WORKER_THREADS": "2",
    "SECASSIST_DB_POOL_SIZE": "2",
    "SECASSIST_DB_MAX_OVERFLOW": "2",
}
TARGET_RPS = 300.0
TARGET_P99_MS = 200.0
# The role each kind of request is made as (demo users, secassist.demo.dataset.DEMO_USERS).
ROLES = {
    "case_manager": "dsca.case",
    "eum_monitor": "army.eum",
    "partner": "pl.mod",  # also files Poland's transfer requests (transfer:write, own items)
    "congress": "hfac.staff",
    "policy": "pm.officer",
}
API = "/api/v1"


def _tokens(engine: Engine) -> dict[str, str]:
    """A bearer token per role's demo user (issued through the service, audited)."""
    out: dict[str, str] = {}
    with unit_of_work(make_session_factory(engine)) as s:
        for role, username in ROLES.items():
            raw, _ = issue_token(s, actor=None, user_id=user_by_name(s, username).id, name=f"load {role}")
            out[role] = raw
    return out


@contextmanager
def _server(engine: Engine) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn with ``WORKERS`` processes on a free loopback port; yields (base URL, process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **SERVER_TUNING,
        **os.environ,
        "SECASSIST_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SECASSIST_ENV": "development",
    }
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "secassist.http.app:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    cmd += ["--log-level", "warning", "--no-access-log"]
    # Nagle off: --workers binds a socket asyncio leaves Nagle on for (secassist.http.tcp);
    # httptools' parser and uvloop, as docs/operations.md deploys the server.
    cmd += ["--http", "secassist.http.tcp:NoDelayHttpToolsProtocol", "--loop", "uvloop"]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}{API}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(30)


def _getter(base: str, tokens: dict[str, str]) -> Callable[[str, str], Any]:
    def get(role: str, path: str) -> Any:
        r = httpx.get(f"{base}{API}{path}", headers={"Authorization": f"Bearer {tokens[role]}"}, timeout=30)
        r.raise_for_status()
        return r.json()

    return get


def _discover(get: Callable[[str, str], Any]) -> dict[str, Any]:
    """Ids the mix requests, read through the API (``get(role, path)`` answers the JSON) as
    the roles that will request them.

    The writes must be ones the API can accept, so that what the mix measures is the work
    of a write and its honest refusals, not a validation error on every request:
    an obligation names an FMF allocation's appropriation, its country and date, and a line
    of an FMF-financed case of that country (what ``programs.service.obligate`` checks);
    a transfer request is made by the holder country's partner user (``transfer:write``,
    scoped to its own items) on serials that country holds.
    """
    cases = get("case_manager", "/cases?limit=200")["items"]
    items = get("eum_monitor", "/equipment/items?limit=200")["items"]
    entries = get("policy", "/programs/entries?kind=allocation&limit=500")
    transfers = get("policy", "/transfers?limit=50")["items"]
    obligation = None
    for alloc in (e for e in entries if e["program"] == "FMF" and e["reversed_by"] is None):
        fmf = (c for c in cases if c["country"] == alloc["country"] and c["financing"] in ("fmf", "mixed"))
        case = next(fmf, None)
        lines = get("case_manager", f"/cases/{case['identifier']}")["lines"] if case else []
        if lines:
            obligation = {
                "appropriation_id": alloc["appropriation_id"],
                "country": alloc["country"],
                "target": "case",
                "case_id": case["id"] if case else None,
                "case_line_id": lines[0]["id"],
                "on": alloc["entry_date"],
            }
            break
    partner = get("partner", "/equipment/items?limit=200")["items"]
    country = next((i["holder_country"] for i in partner), None)
    held = [i["serial"] for i in partner if i["holder_country"] == country and i["state"] == "issued"]
    to = transfers[0]["to"] if transfers else "LT"
    return {
        "case_refs": [c["identifier"] for c in cases],
        "case_ids": [c["id"] for c in cases],
        "serials": [i["serial"] for i in items],
        "obligation": obligation,
        "transfer": {"from_country": country, "to": to, "serials": held} if held else None,
    }


def _warm_up(get: Callable[[str, str], Any], found: dict[str, Any]) -> None:
    """Request each read of the mix a few times per worker before the first step, unmeasured.

    A worker's first request on a route pays one-time costs (FastAPI builds the route's
    dependency state, SQLAlchemy compiles the statements): tens to hundreds of ms on a loaded
    machine. In a short step with a few dozen requests per operation, p99 is nearly the
    maximum, so one cold request would decide it. Each request opens its own connection so
    that the kernel spreads them over the workers."""
    refs, serials = found["case_refs"][:3], found["serials"][:3]
    paths = [("case_manager", f"/cases/{r}") for r in refs] + [
        ("case_manager", f"/cases/{r}/timeline") for r in refs
    ]
    paths += [("eum_monitor", f"/equipment/items/{s}/trace") for s in serials]
    paths += [(role, "/cases?limit=50") for role in ("case_manager", "partner", "congress")]
    paths += [("eum_monitor", "/equipment/items?limit=50"), ("case_manager", "/programs/entries")]
    paths += [("policy", "/transfers?limit=50")]
    for _ in range(3 * WORKERS):
        for role, path in paths:
            get(role, path)


def _proc_stats() -> dict[int, tuple[int, int]]:
    """Every process's (parent pid, CPU ticks of itself and of its reaped children), from
    /proc/PID/stat: utime+stime+cutime+cstime."""
    out: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return out


def _tree_ticks(stats: dict[int, tuple[int, int]], root: int | None) -> int | None:
    """CPU ticks so far of ``root`` and every descendant, the exited ones included.

    A process's ``cutime``/``cstime`` hold the CPU time of the children it has reaped, so
    summing utime+stime+cutime+cstime over the live tree counts each process once, alive
    or gone: PostgreSQL's backends and uvicorn's restarted workers come and go between two
    samples, and a sum over the live processes alone would lose the exited ones' time (it
    went negative on PostgreSQL). None when ``root`` is not a process on this host."""
    if root is None or root not in stats:
        return None
    tree = {root}
    grew = True
    while grew:
        more = {p for p, (pp, _) in stats.items() if pp in tree} - tree
        grew = bool(more)
        tree |= more
    return sum(stats[p][1] for p in tree)


def _postmaster_pid(engine: Engine) -> int | None:
    """The pid of the PostgreSQL server's postmaster (the parent of this connection's
    backend), or None when the server is not on this host: its CPU is then not reported."""
    with engine.connect() as conn:
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        try:
            stat = Path(f"/proc/{backend}/stat").read_text()
        except OSError:
            return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def _children_cpu_s() -> float:
    """CPU seconds of this process's reaped children (the generator, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _step(
    base: str, users: int, config: Path, tmp: Path, server_pid: int, postmaster_pid: int | None
) -> dict[str, Any]:
    out = tmp / f"step-{users}.json"
    env = {**os.environ, "LOAD_CONFIG": str(config), "LOAD_RESULT": str(out)}
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "_locustfile.py"), "--headless"]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{STEP_S}s", "--host", base, "--only-summary"]
    cmd += ["--stop-timeout", "10", "--loglevel", "WARNING"]
    hz = os.sysconf("SC_CLK_TCK")
    before, gen_before = _proc_stats(), _children_cpu_s()
    # The generator is this process's only child that exits during the step, so the
    # growth of RUSAGE_CHILDREN across its wait is exactly its CPU (its subprocesses too).
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False)
    after, gen_after = _proc_stats(), _children_cpu_s()
    result: dict[str, Any] = json.loads(out.read_text())
    server = (_tree_ticks(after, server_pid) or 0) - (_tree_ticks(before, server_pid) or 0)
    pg_before, pg_after = _tree_ticks(before, postmaster_pid), _tree_ticks(after, postmaster_pid)
    result["cpu_s"] = {
        "server": server / hz,
        "postgres": None if pg_before is None or pg_after is None else (pg_after - pg_before) / hz,
        "generator": gen_after - gen_before,
    }
    return result


def _fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.0f}"


def _report(console: Console, steps: list[tuple[int, dict[str, Any]]]) -> None:
    tuning = ", ".join(
        f"{k.removeprefix('SECASSIST_').lower()}={os.environ.get(k, v)}" for k, v in SERVER_TUNING.items()
    )
    title = f"Load by step ({STEP_S} s each, {WORKERS} uvicorn workers, {tuning}, {os.cpu_count()} cores)"
    summary = Table(title=title)
    for col in ("users", "read rps", "read p50", "read p95", "read p99", "write rps", "errors",
                "503 no Retry-After", "CPU s server/PG/generator", "server CPU ms/request",
                "PG CPU ms/request", "verdict"):  # fmt: skip
        summary.add_column(col)
    for users, r in steps:
        rd, wr, cpu = r["totals"]["read"], r["totals"]["write"], r["cpu_s"]
        requests = max(rd["count"] + wr["count"], 1)
        good = rd["rps"] >= TARGET_RPS and (rd["p99"] or 0) <= TARGET_P99_MS and r["errors"] == 0
        summary.add_row(
            str(users), f"{rd['rps']:.0f}", _fmt(rd["p50"]), _fmt(rd["p95"]), _fmt(rd["p99"]),
            f"{wr['rps']:.1f}", str(r["errors"]), str(r["missing_retry_after"]),
            f"{cpu['server']:.0f}/{_fmt(cpu['postgres'])}/{cpu['generator']:.0f}",
            f"{1000 * cpu['server'] / requests:.2f}",
            "-" if cpu["postgres"] is None else f"{1000 * cpu['postgres'] / requests:.2f}",
            "meets target" if good else "below target",
        )  # fmt: skip
    console.print(summary)
    for users, r in steps:
        table = Table(title=f"{users} users: per operation (ms)")
        for col in ("operation", "requests", "rps", "p50", "p95", "p99", "statuses"):
            table.add_column(col)
        for name, op in sorted(r["operations"].items()):
            statuses = ", ".join(f"{k}×{v}" for k, v in sorted(op["statuses"].items()))
            table.add_row(
                name, str(op["count"]), f"{op['rps']:.1f}", _fmt(op["p50"]), _fmt(op["p95"]), _fmt(op["p99"]),
                statuses,
            )  # fmt: skip
        console.print(table)


def run() -> None:
    console = Console(width=None if sys.stdout.isatty() else 180)
    passwords.use_cheap_hashing_for_tests()  # the tokens' users log in by token, not password
    with _pg.server() as (pg, why), tempfile.TemporaryDirectory() as tmpdir:
        if pg is None:
            console.print(f"[red]no PostgreSQL: {why}[/red]")
            raise SystemExit(1)
        tmp = Path(tmpdir)
        with _pg.fresh_database("postgresql", pg, tmp) as engine:
            with unit_of_work(make_session_factory(engine)) as s:
                console.print(f"demo dataset: {load_demo(s)}")
            tokens = _tokens(engine)
            with _server(engine) as (base, proc):
                config = tmp / "config.json"
                found = _discover(_getter(base, tokens))
                _warm_up(_getter(base, tokens), found)
                config.write_text(json.dumps({"tokens": tokens, "read_weight": READ_WEIGHT, **found}))
                steps: list[tuple[int, dict[str, Any]]] = []
                postmaster = _postmaster_pid(engine)
                for users in USERS:
                    result = _step(base, users, config, tmp, proc.pid, postmaster)
                    steps.append((users, result))
                    rd = result["totals"]["read"]
                    console.print(
                        f"{users:>4} users: read {rd['rps']:.0f} rps p99 {_fmt(rd['p99'])} ms, "
                        f"errors {result['errors']}"
                    )
                    if result["errors"] or (rd["p99"] or 0) > TARGET_P99_MS:
                        console.print(f"stopping: the step at {users} users broke (errors or read p99)")
                        break
                _report(console, steps)


if __name__ == "__main__":
    run()
