"""Running the endpoint's ASGI app under uvicorn, safe against idle and slow clients.

uvicorn's ``limit_concurrency`` counts open connections, so a few dozen idle sockets would
starve real requests; and it never times out a connection that has not finished sending
its request head. Here no connection count is capped (requests waiting for a query worker
are, in :class:`kg.workers.WorkerPool`), and each connection must deliver a complete
request head within ``header_timeout`` seconds of opening or of its previous answer, or it
is closed. Idle keep-alive connections close after ``keep_alive`` seconds, and a request
body must arrive within the app's own limit.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpProtocol", "serve"]


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for every request head."""

    header_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()


def serve(
    app: Any,
    host: str,
    port: int,
    *,
    header_timeout: float = 10.0,
    keep_alive: int = 5,
) -> None:
    """Serve ``app`` on ``host:port`` until interrupted."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    protocol = type("Protocol", (GuardedHttpProtocol,), {"header_timeout": header_timeout})
    config = uvicorn.Config(
        app,
        http=protocol,
        loop="auto",  # uvloop when installed
        timeout_keep_alive=keep_alive,
        log_level="warning",
        access_log=False,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])
