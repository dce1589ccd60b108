"""The server's connections send each write at once (secassist.http.tcp, issue #16).

A listening socket bound the way ``uvicorn --workers`` binds it (``proto`` 0) makes
asyncio leave Nagle's algorithm on; the body of every keep-alive response then waited
about 40 ms for the client's delayed ACK (measured by ``make load``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from secassist.http.tcp import NoDelayH11Protocol, NoDelayHttpToolsProtocol

Protocol = H11Protocol | HttpToolsProtocol
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,  # what make load and docs/operations.md run (--loop uvloop)
}


def _run(loop: str, protocol: type[Protocol]) -> int:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        return runner.run(_nodelay_of(protocol))


async def _nodelay_of(protocol: type[Protocol]) -> int:
    """TCP_NODELAY on the server side of one connection accepted as uvicorn --workers does."""
    loop = asyncio.get_running_loop()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like uvicorn's bind_socket
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    config = Config(app="secassist.http.app:create_app", factory=True, log_level="warning")
    made: list[Protocol] = []

    def factory() -> Protocol:
        made.append(protocol(config, ServerState(), {}))
        return made[-1]

    server = await loop.create_server(factory, sock=listener)
    client = socket.create_connection(listener.getsockname())
    try:
        for _ in range(200):
            if made and getattr(made[0], "transport", None) is not None:
                break
            await asyncio.sleep(0.01)
        sock = made[0].transport.get_extra_info("socket")
        return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        client.close()
        server.close()


def test_uvicorns_own_protocol_leaves_nagle_on_for_a_workers_socket() -> None:
    # The defect the protocol exists for: if asyncio or uvicorn ever fix it, this says so.
    assert asyncio.run(_nodelay_of(H11Protocol)) == 0


@pytest.mark.parametrize("loop", sorted(LOOPS))
@pytest.mark.parametrize("protocol", [NoDelayH11Protocol, NoDelayHttpToolsProtocol])
def test_the_servers_protocols_turn_nagle_off(loop: str, protocol: type[Protocol]) -> None:
    assert _run(loop, protocol) == 1
