"""The HTTP peer of the case benchmark: ``bench.cases.raw_list`` and ``raw_detail`` (the
raw SQL every layer is set beside) behind a bare ASGI callable on the same uvicorn,
answering what they fetched as JSON. It shows what serving the query over HTTP costs with
no framework, no ORM and no authentication, so the API's own overhead can be read off
beside it.

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

from bench.cases import _in_transaction, _ph, raw_detail, raw_list
from secassist.storage.engine import make_engine

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    engine = make_engine(os.environ["SECASSIST_DATABASE_URL"])
    ph = _ph(engine)

    def answer(path: str, query: dict[str, list[str]]) -> bytes | None:
        if path == "/health":
            return b"{}"
        if path == "/list":
            country, status = query["country"][0], query["status"][0]
            doc = _in_transaction(engine, lambda cur: raw_list(cur, ph, country, status))
        elif path.startswith("/detail/"):
            case_id = int(path.rsplit("/", 1)[1])
            doc = _in_transaction(engine, lambda cur: raw_detail(cur, ph, case_id))
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
