"""Concurrency (issue #16, test 4): many clients against a real uvicorn on loopback, over a
small connection pool, all at once: advancing the same case, obligating from the same
allocation and transferring the same items out of U.S.-accountable custody.

Each contested change has one winner. Every loser gets 409 — a stale version, a concurrent
transaction the database refused, or, when it was serialized behind the winner and then
judged on the new state, a conflict with that state naming what changed (the funds are
spent, the item is already gone, the entry is already reversed) — or 503 with Retry-After
(no connection or lock in time). Never a 500, never a 422 (each request was valid when
sent); no double spend (the ledger's obligations never exceed the allocation, an entry is
reversed once); no item in two places; the log verifies."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.verify import verify_log
from secassist.core.config import Settings
from secassist.equipment.models import CustodyEvent, Item
from secassist.http.app import create_app
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.programs.models import LedgerEntry
from secassist.storage.engine import engine_from_settings, make_session_factory
from secassist.storage.uow import read_only, unit_of_work
from tests.api.test_cases_api import _new_case

pytestmark = pytest.mark.usefixtures("demo_db")

API = "/api/v1"
TODAY = datetime.now(UTC).date().isoformat()  # the demo's custody dates count back from today
CLIENTS = 12
HOLDERS = ("LT", "LV", "EE", "DE")


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, sessionmaker[Session]]]:
    """uvicorn on loopback over an engine with a small pool, so that the burst queues."""
    import uvicorn

    s = settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 2, "db_pool_timeout": 2.0})
    eng = engine_from_settings(s)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(settings=s, engine=eng), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", make_session_factory(eng)
    srv.should_exit = True
    thread.join(timeout=10)
    eng.dispose()


Reply = tuple[int, dict[str, str], Any]


def call(base: str, token: str, method: str, path: str, body: object | None = None) -> Reply:
    req = urllib.request.Request(  # noqa: S310 - the loopback test server
        f"{base}{API}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - loopback test server
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, dict(e.headers), json.loads(raw) if raw.startswith(b"{") else raw.decode()


def token(factory: sessionmaker[Session], username: str) -> str:
    with unit_of_work(factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=identity.user_by_name(s, username).id, name="burst")
        return raw


def burst(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Run every call at once (released together by a barrier); the replies in call order."""
    replies: list[Reply | None] = [None] * len(calls)
    go = threading.Barrier(len(calls))

    def run(i: int) -> None:
        go.wait()
        replies[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in replies), "a client never got an answer"
    return [r for r in replies if r is not None]


# A concurrent transaction the database refused (nothing written; retry).
RETRY = "database.retry"


def losers_ok(replies: list[Reply], won: int, conflicts: set[str]) -> None:
    """Each reply is a win (``won``), a 409 problem whose code is one of ``conflicts``
    (or the database's retry), or a 503 problem with Retry-After; nothing else."""
    for code, headers, body in replies:
        if code == won:
            continue
        assert code in (409, 503), (code, body)  # not 500, not a 422 refusal of valid input
        assert isinstance(body, dict), body
        assert headers.get("content-type", headers.get("Content-Type")) == "application/problem+json", headers
        if code == 503:
            assert headers.get("Retry-After") or headers.get("retry-after"), headers
        else:
            assert body["status"] == 409, body
            assert body["code"] in conflicts | {RETRY}, body
            assert body["detail"], body


def test_many_clients_race_for_the_same_case_funds_and_items(
    server: tuple[str, sessionmaker[Session]],
) -> None:
    base, factory = server
    dsca, state = token(factory, "dsca.case"), token(factory, "pm.officer")

    # A fresh allocation of $1,000 to race for: 12 obligations of $300 fit 3 times.
    code, _, approp = call(
        base, state, "POST", "/programs/appropriations",
        {"program": "IMET", "fiscal_year": 2026, "amount": "1000", "available_from": "2026-01-01",
         "available_until": "2027-09-30", "title": "burst", "status": "UNCONFIRMED"},
    )  # fmt: skip
    assert code == 201, approp
    appropriation_id = approp["appropriation_id"] if "appropriation_id" in approp else approp["id"]
    code, _, alloc = call(
        base, state, "POST", "/programs/allocations",
        {"appropriation_id": appropriation_id, "country": "PL", "amount": "1000", "on": "2026-01-02"},
    )  # fmt: skip
    assert code == 201, alloc

    with httpx.Client(base_url=base, timeout=30) as c:  # TestClient's interface, over real HTTP
        case = _new_case(c, {"Authorization": f"Bearer {dsca}"})  # type: ignore[arg-type]

    # Serials held in Poland, each contested by 4 clients transferring it to different holders.
    with read_only(factory) as s:
        serials = list(
            s.scalars(
                select(Item.serial).where(Item.serial.like("DEMO-PVS14-A%")).order_by(Item.serial).limit(3)
            )
        )
    assert len(serials) == 3

    def obligate(i: int) -> Reply:
        return call(
            base, state, "POST", "/programs/obligations",
            {"appropriation_id": appropriation_id, "country": "PL", "amount": "300", "on": "2026-02-01",
             "target": "training", "reference": f"burst {i}"},
        )  # fmt: skip

    def transfer(serial: str, to: str) -> Reply:
        return call(
            base, dsca, "POST", f"/items/{serial}/events".replace("/items", "/equipment/items"),
            {"kind": "transferred", "on": TODAY, "holder_country": to, "note": "burst"},
        )  # fmt: skip

    calls: list[Callable[[], Reply]] = [lambda i=i: obligate(i) for i in range(CLIENTS)]
    calls += [lambda s=s, c=c: transfer(s, c) for s in serials for c in HOLDERS]
    advance = {"to": "lor_complete", "version": case["version"]}
    calls += [lambda: call(base, dsca, "POST", f"/cases/{case['id']}/advance", advance)] * CLIENTS
    replies = burst(calls)
    funds, items, advances = replies[:CLIENTS], replies[CLIENTS:-CLIENTS], replies[-CLIENTS:]

    losers_ok(advances, 200, {"case.version_conflict", "case.transition_conflict"})
    busy = sum(code == 503 for code, _, _ in advances)
    assert sum(code == 200 for code, _, _ in advances) == (1 if busy < CLIENTS else 0), advances
    code, _, now = call(base, dsca, "GET", f"/cases/{case['id']}")
    assert (code, now["status"], now["version"]) == (200, "lor_complete", case["version"] + 1), now

    losers_ok(funds, 201, {"program.insufficient_funds"})
    # Lost the (item_id, seq) race while writing, or judged after the winner had committed.
    losers_ok(items, 201, {"equipment.concurrent_change", "equipment.custody_conflict"})
    for code, _, body in items:
        if code == 409 and body["code"] == "equipment.custody_conflict":
            # The item already left: its transfer out ended U.S.-held custody here.
            assert body["errors"][0]["rule"] in ("after_end", "not_allowed"), body
    spent = sum(code == 201 for code, _, _ in funds)
    assert spent == 3 if not any(code == 503 for code, _, _ in funds) else 1 <= spent <= 3, funds
    with read_only(factory) as s:
        obligated = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.appropriation_id == appropriation_id, LedgerEntry.kind == "obligation"
            )
        )
        assert obligated == 300_00 * sum(code == 201 for code, _, _ in funds)
        assert obligated <= 1000_00
        for k, serial in enumerate(serials):
            won = [HOLDERS[j] for j, (code, _, _) in enumerate(items[4 * k : 4 * k + 4]) if code == 201]
            contest = items[4 * k : 4 * k + 4]
            assert len(won) == 1 or (not won and any(c == 503 for c, _, _ in contest)), (serial, contest)
            item = s.scalars(select(Item).where(Item.serial == serial)).one()
            events = s.scalars(
                select(CustodyEvent).where(CustodyEvent.item_id == item.id).order_by(CustodyEvent.seq)
            ).all()
            # One custody history, no branch: seqs 1..n, one transfer at most, the item where it says.
            assert [e.seq for e in events] == list(range(1, len(events) + 1)), serial
            assert item.events == len(events)
            assert [e.holder_country for e in events if e.kind == "transferred"] == won
            if won:
                assert (item.state, item.holder_country) == ("transferred", won[0])
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems

    # Many clients reverse the same obligation: one reversal; the rest find it reversed.
    first = next(body for code, _, body in funds if code == 201)
    reversal = {"on": "2026-02-02", "reason": "burst"}
    reversals = burst(
        [lambda: call(base, state, "POST", f"/programs/entries/{first['id']}/reversal", reversal)] * CLIENTS
    )
    losers_ok(reversals, 201, {"program.reversal_conflict"})
    wins = sum(code == 201 for code, _, _ in reversals)
    # One winner, unless every client was turned away before any could reverse it.
    turned_away = all(c == 503 or b.get("code") == RETRY for c, _, b in reversals)
    assert wins == 1 or (wins == 0 and turned_away), reversals
    with read_only(factory) as s:
        assert s.scalar(select(func.count()).where(LedgerEntry.reverses_id == first["id"])) == sum(
            code == 201 for code, _, _ in reversals
        )
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems
