"""uvicorn's HTTP/1.1 protocols with ``TCP_NODELAY`` on every connection.

``uvicorn --workers N`` binds the listening socket itself, without naming the protocol
(``proto`` 0), and asyncio only switches Nagle's algorithm off for sockets whose ``proto``
is TCP. A response is written as two segments (headers, then body); with Nagle on, the body
waits for the client's delayed ACK of the headers: about 40 ms added to every keep-alive
response, measured by ``make load`` (issue #16). Run the server with
``--http secassist.http.tcp:NoDelayHttpToolsProtocol --loop uvloop`` (httptools' C parser
and libuv's event loop: a fraction of the CPU per request of the pure-Python h11 parser
and asyncio's loop, measured by ``make load``); :class:`NoDelayH11Protocol` is the same
for a server without httptools.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """:class:`H11Protocol` that sends each write at once (``TCP_NODELAY``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that sends each write at once (``TCP_NODELAY``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)
