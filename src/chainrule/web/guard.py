"""Bounds on what one HTTP request may cost: its body's size and the time its work may take.

:class:`BodyLimit` is ASGI middleware that answers 413 as soon as a body is known to be too
large (from ``Content-Length``, or while a chunked body streams in), before any of it is parsed.
:class:`SecurityHeaders` adds a strict Content-Security-Policy.
:func:`bounded` runs blocking work (an explanation, a layout) in a worker thread of a small
pool and answers 503 when it takes too long or the pool stays busy. Work already started in a
thread cannot be stopped, so each piece must also be bounded by itself: the expression
language's limits do that for explanations.

    >>> BodyLimit(app=None, max_bytes=1024).max_bytes
    1024
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.exceptions import HTTPException

T = TypeVar("T")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


#: The one Content-Security-Policy of every answer: the pages load nothing from elsewhere and
#: run no inline script, so injected markup could not run either.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413 and a JSON ``detail``."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0

        async def limited_receive() -> dict[str, Any]:
            # A body without Content-Length (chunked) is counted as it arrives; the route's
            # body reading re-raises an HTTPException, which FastAPI answers as such.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body too large (limit {self.max_bytes:,} bytes)"

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": self._message()})
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body.encode()})


class SecurityHeaders:
    """Adds the Content-Security-Policy and ``nosniff`` headers to every HTTP answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", CSP.encode()),
                         (b"x-content-type-options", b"nosniff")]  # fmt: skip
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


#: Held by every piece of engine work. The grad mode and the open transforms are per thread,
#: but some of the engine's state is one per process, as in PyTorch (the anomaly mode, the
#: default random generator): the pieces of work, each in a worker thread, run one at a time.
ENGINE = threading.Lock()


def _locked(work: Callable[[], T]) -> T:
    with ENGINE:
        return work()


class Busy(Exception):
    """The work did not finish within the time allowed (or never got a worker)."""


async def bounded(work: Callable[[], T], limiter: anyio.CapacityLimiter, timeout_s: float) -> T:
    """``work()`` in a worker thread, holding :data:`ENGINE`; :class:`Busy` if it has not
    finished after ``timeout_s`` (waiting for a free worker or the engine included)."""
    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(
                _locked, work, limiter=limiter, abandon_on_cancel=True
            )
    except TimeoutError:
        raise Busy(f"the request took longer than {timeout_s:g} s and was abandoned") from None
