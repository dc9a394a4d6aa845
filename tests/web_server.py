"""A real uvicorn server on loopback for the tests that speak HTTP (the browser, hostile input).

with running_server(create_app()) as base_url:
    httpx.get(base_url + "/api/examples")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def running_server(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 at a free port in a thread; yields its base URL."""
    with socket.socket() as probe:  # a free port on loopback only
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
