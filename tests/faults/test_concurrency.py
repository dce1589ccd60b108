"""Concurrency (issue #16, test 4): many clients against a real uvicorn on loopback, over a
small connection pool, all at once: advancing the same case, obligating from the same
allocation and transferring the same items out of U.S.-accountable custody.

Each contested change has one winner. A loser gets 409 (a stale version), 503 with
Retry-After (no connection or lock in time), or — when it was serialized behind the winner
and then judged on the new state — the domain's own refusal (422 naming the rule: the
funds are spent, the item is already gone). Never a 500; no double spend (the ledger's
obligations never exceed the allocation); no item in two places; the log verifies."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.verify import verify_log
from secassist.core.config import Settings
from secassist.equipment.models import CustodyEntry, Item
from secassist.http.app import create_app
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.programs.models import LedgerEntry
from secassist.storage.engine import engine_from_settings, make_session_factory
from secassist.storage.uow import read_only, unit_of_work

pytestmark = pytest.mark.usefixtures("demo_db")

API = "/api/v1"
CLIENTS = 12


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
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
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


def losers_ok(replies: list[Reply], refusals: set[str]) -> None:
    for code, headers, body in replies:
        assert code < 500 or code == 503, (code, body)
        if code == 503:
            assert headers.get("Retry-After") or headers.get("retry-after"), headers
        elif code == 422:
            assert isinstance(body, dict) and body.get("code") in refusals, body
        else:
            assert code in (200, 201, 409), (code, body)


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
            {"kind": "transferred", "on": "2026-03-01", "holder_country": to, "note": "burst"},
        )  # fmt: skip

    calls: list[Callable[[], Reply]] = [lambda i=i: obligate(i) for i in range(CLIENTS)]
    calls += [lambda s=s, c=c: transfer(s, c) for s in serials for c in ("LT", "LV", "EE", "DE")]
    replies = burst(calls)
    funds, items = replies[:CLIENTS], replies[CLIENTS:]

    losers_ok(funds, {"program.insufficient_funds"})
    losers_ok(items, {"equipment.custody_refused"})
    assert sum(code == 201 for code, _, _ in funds) <= 3
    for k, serial in enumerate(serials):
        won = [code for code, _, _ in items[4 * k : 4 * k + 4] if code == 201]
        assert len(won) <= 1, (serial, won)

    with read_only(factory) as s:
        obligated = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.appropriation_id == appropriation_id, LedgerEntry.kind == "obligation"
            )
        )
        assert Decimal(obligated) == 300 * sum(code == 201 for code, _, _ in funds)
        assert Decimal(obligated) <= 1000
        for serial in serials:
            item = s.scalars(select(Item).where(Item.serial == serial)).one()
            transfers = s.scalar(
                select(func.count()).select_from(CustodyEntry).where(CustodyEntry.item_id == item.id)
            )
            assert transfers is not None
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems
