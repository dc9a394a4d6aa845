"""The Train page's endpoints: training sessions, stepped or streamed as server-sent events.

* ``POST /api/train/sessions`` a :class:`~chainrule.web.playground.TrainConfig` -> 201 with the
  session's ``id``, its data points and the first frame; 429 when all sessions are taken.
* ``POST /api/train/sessions/{id}/step?count=1`` -> the frame after ``count`` steps.
* ``GET /api/train/sessions/{id}/stream?steps_per_frame=10`` -> ``text/event-stream``: a frame
  per ``data:`` message while the page plays, for at most ``Limits.stream_s`` seconds, then an
  ``end`` event (the page reconnects to keep playing); 409 if the session is already streaming.
* ``POST /api/train/sessions/{id}/explain?index=0`` -> the Explanation (and layout) of one
  training example's loss through the network as it is now: each weight's gradient as its
  chain of local derivatives, shown by the Explain page.
* ``POST /api/train/sessions/{id}/weight?parameter=0.0.weight&row=0&col=1&index=0`` -> one
  weight's gradient for one training example as its chain of local derivatives, their
  product, and the gradient the engine's backward pass gave (see
  :mod:`chainrule.web.weight_chain`).
* ``DELETE /api/train/sessions/{id}`` -> 204.

Unknown and expired sessions are 404. Each piece of training runs in a worker thread under the
same time limit as any request.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from chainrule.web.layout import with_layout
from chainrule.web.playground import EXTENT, Session, SessionLimit, Sessions, TrainConfig
from chainrule.web.weight_chain import ChainError, weight_chain


def add_train_routes(
    app: FastAPI, sessions: Sessions, run: Callable[[Any], Awaitable[Any]], stream_s: float
) -> None:
    """Register the endpoints on ``app``; ``run`` runs engine work within the request limits."""

    def find(key: str) -> Session:
        session = sessions.get(key)
        if session is None:
            raise HTTPException(404, f"no training session {key[:40]!r} (it may have expired)")
        return session

    @app.post("/api/train/sessions", status_code=201, responses={429: {"description": "full"}})
    async def create(config: TrainConfig) -> dict[str, Any]:
        """Start a training session: its id, its data points and the untrained network's frame."""

        def start() -> tuple[str, Session, dict[str, Any]]:
            key, session = sessions.create(config)
            return key, session, session.step(0)

        try:
            key, session, frame = await run(start)
        except SessionLimit as error:
            raise HTTPException(429, str(error)) from None
        return {
            "id": key,
            "config": config.model_dump(),
            "extent": EXTENT,
            "points": session.points,
            "weights": session.weights(),
            "frame": frame,
        }

    @app.post("/api/train/sessions/{key}/step", responses={404: {"description": "no session"}})
    async def step(key: str, count: int = Query(1, ge=1, le=100)) -> dict[str, Any]:
        """Train ``count`` mini-batches and return the frame after them."""
        session = find(key)
        return await run(lambda: session.step(count))

    @app.get(
        "/api/train/sessions/{key}/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}, 409: {"description": "busy"}},
    )
    async def stream(
        key: str, request: Request, steps_per_frame: int = Query(10, ge=1, le=50)
    ) -> StreamingResponse:
        """Train while the page listens: one server-sent event per ``steps_per_frame`` steps."""
        session = find(key)
        if session.streaming:
            raise HTTPException(409, "this session is already streaming to another page")
        session.streaming = True  # no await since the check: no other request saw it unset

        def stop() -> None:
            session.streaming = False

        async def events() -> AsyncIterator[str]:
            try:
                deadline = time.monotonic() + stream_s
                while time.monotonic() < deadline and sessions.get(key) is session:
                    if await request.is_disconnected():
                        return
                    frame = await run(lambda: session.step(steps_per_frame))
                    yield f"data: {json.dumps(frame)}\n\n"
                    await anyio.sleep(0.02)  # room for the other requests between frames
                yield "event: end\ndata: {}\n\n"
            except HTTPException as error:  # the work took too long: say so, then stop
                yield f"event: error\ndata: {json.dumps({'detail': error.detail})}\n\n"
            finally:
                stop()

        from starlette.background import BackgroundTask

        # The generator's ``finally`` does not run if it never started (the client left at
        # once); the background task runs after the response in every case.
        return StreamingResponse(
            events(), media_type="text/event-stream", background=BackgroundTask(stop),
            headers={"cache-control": "no-store"},
        )  # fmt: skip

    @app.post(
        "/api/train/sessions/{key}/explain",
        responses={404: {"description": "no session"}, 400: {"description": "no such example"}},
    )
    async def explain(key: str, index: int = Query(0, ge=0, le=2000)) -> dict[str, Any]:
        """The chain rule for one training example's loss through the network as it is now:
        ``{"explanation": <chainrule.explain/1 JSON>, "layout": ...}``, as ``/api/explain``."""
        session = find(key)

        def explained() -> dict[str, Any]:
            try:
                return with_layout(session.explain(index).to_dict())
            except IndexError as error:
                raise HTTPException(400, str(error)) from None

        return await run(explained)

    @app.post(
        "/api/train/sessions/{key}/weight",
        responses={404: {"description": "no session"}, 400: {"description": "no such weight"}},
    )
    async def weight(
        key: str,
        parameter: str = Query(max_length=100, examples=["0.0.weight"]),
        row: int = Query(ge=0, le=1000),
        col: int = Query(ge=0, le=1000),
        index: int = Query(0, ge=0, le=2000),
    ) -> dict[str, Any]:
        """One weight's gradient for training example ``index``, as the chain of local
        derivatives from the loss down to ``parameter[row, col]``, each with its value; their
        product, and the engine's gradient it must equal (``agrees``)."""
        session = find(key)

        def chain() -> dict[str, Any]:
            try:
                return weight_chain(session.explain(index).to_dict(), parameter, row, col)
            except (IndexError, ChainError) as error:
                raise HTTPException(400, str(error)) from None

        return {**await run(chain), "index": index}

    @app.delete("/api/train/sessions/{key}", status_code=204)
    async def delete(key: str) -> Response:
        """End a session now, instead of letting it expire."""
        if not sessions.delete(key):
            raise HTTPException(404, f"no training session {key[:40]!r}")
        return Response(status_code=204)
