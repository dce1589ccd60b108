"""The HTTP peer of the case benchmark: the same raw SQL as ``bench.cases.raw_list`` and
``raw_detail``, behind a bare ASGI callable on the same uvicorn, answering the rows as
JSON. It shows what serving the query over HTTP costs with no framework, no ORM and no
authentication, so the API's own overhead can be read off beside it.

Run by ``bench.cases`` as ``uvicorn --factory bench._rawhttp:create_app`` with
``SECASSIST_DATABASE_URL`` set. Each request runs its statements in one worker-thread
hop (as any server with a blocking driver must) on a pooled DBAPI connection.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from anyio import to_thread

from bench.cases import _in_transaction, _ph
from secassist.storage.engine import make_engine

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _rows_list(cur: Any, ph: str, country: str, status: str) -> Any:
    where = f"WHERE purchaser_code = {ph} AND status = {ph}"
    cur.execute(f"SELECT count(*) FROM fms_case {where}", (country, status))
    total = cur.fetchone()[0]
    cur.execute(f"SELECT * FROM fms_case {where} ORDER BY id DESC LIMIT 50 OFFSET 0", (country, status))
    cases = cur.fetchall()
    lines = []
    if cases:
        marks = ", ".join([ph] * len(cases))
        cur.execute(
            f"SELECT case_id, mde, value FROM fms_case_line WHERE case_id IN ({marks})", [c[0] for c in cases]
        )
        lines = cur.fetchall()
    return {"total": total, "items": cases, "lines": lines}


def _rows_detail(cur: Any, ph: str, case_id: int) -> Any:
    out = {}
    cur.execute(
        f"SELECT fms_case.*, fms_lor.* FROM fms_case JOIN fms_lor ON fms_lor.id = fms_case.lor_id "
        f"WHERE fms_case.id = {ph}",
        (case_id,),
    )
    out["case"] = cur.fetchone()
    for key, sql in (
        ("lines", f"SELECT * FROM fms_case_line WHERE case_id = {ph} ORDER BY number"),
        ("amendments", f"SELECT * FROM fms_amendment WHERE case_id = {ph} ORDER BY kind, number"),
        ("events", f"SELECT * FROM fms_case_event WHERE case_id = {ph} ORDER BY occurred_on, id"),
    ):
        cur.execute(sql, (case_id,))
        out[key] = cur.fetchall()
    return out


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    engine = make_engine(os.environ["SECASSIST_DATABASE_URL"])
    ph = _ph(engine)

    def answer(path: str, query: dict[str, list[str]]) -> bytes | None:
        if path == "/health":
            return b"{}"
        if path == "/list":
            doc = _in_transaction(
                engine, lambda cur: _rows_list(cur, ph, query["country"][0], query["status"][0])
            )
        elif path.startswith("/detail/"):
            case_id = int(path.rsplit("/", 1)[1])
            doc = _in_transaction(engine, lambda cur: _rows_detail(cur, ph, case_id))
        else:
            return None
        return json.dumps(doc, default=str).encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    engine.dispose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        query = parse_qs(scope.get("query_string", b"").decode())
        body = await to_thread.run_sync(answer, scope["path"], query)
        status = 200 if body is not None else 404
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body or b""})

    return app
