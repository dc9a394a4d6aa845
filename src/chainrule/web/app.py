"""The FastAPI app of ``chainrule serve``: the pages, and a JSON API over the explainer.

Endpoints (all documented in the OpenAPI schema at ``/openapi.json``):

* ``GET /`` the Explain page; ``GET /static/...`` its scripts and styles.
* ``GET /api/examples`` the seed documents' worked examples.
* ``POST /api/explain`` ``{"source": "(x + 2)**2", "at": {"x": 3}}`` -> ``{"explanation":
  <chainrule.explain/1 JSON>, "layout": <graph layout>}``.
* ``POST /api/symbolic`` the same body -> SymPy's derivative by each variable, for the page's
  SymPy column: ``{"available": false, ...}`` where the server has no SymPy.
* ``POST /api/layout`` an explanation's JSON (as the CLI saves it) -> its graph layout.
* ``GET /train`` the Train page, over the training sessions of :mod:`chainrule.web.train_api`.

Bad input gets a 4xx answer with a one-line ``detail``: 400 for an expression or value the
explainer refuses, 413 for a body over the limit, 422 for JSON of the wrong shape; 503 when
the work takes longer than the per-request limit.

    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app())
    >>> answer = client.post("/api/explain", json={"source": "(x + 2)**2", "at": {"x": 3}})
    >>> answer.json()["explanation"]["gradients"][0]["gradient"]
    10.0
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

import anyio

from chainrule import expr
from chainrule._array import xp as np
from chainrule.web import MISSING_EXTRA
from chainrule.web.examples import EXAMPLES
from chainrule.web.guard import BodyLimit, Busy, SecurityHeaders, bounded
from chainrule.web.layout import LayoutError, layout, with_layout
from chainrule.web.playground import Sessions

try:
    import anyio.to_thread
    from fastapi import Body, FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
    from pydantic import BaseModel, Field

    from chainrule.web.train_api import add_train_routes
except ImportError as error:
    raise ImportError(MISSING_EXTRA) from error


@dataclass(frozen=True)
class Limits:
    """What one request may cost. The expression language bounds each expression itself."""

    max_body_bytes: int = 256 * 1024
    request_timeout_s: float = 10.0
    workers: int = 2  # explanations computed at once; more requests wait (within the timeout)
    max_elements: int = 1_000  # numbers in all of one request's variables together
    train_sessions: int = 4  # training sessions at once (each bounded by TrainConfig)
    session_ttl_s: float = 600.0  # a session left idle this long expires
    stream_s: float = 60.0  # longest one event stream runs before the page reconnects
    symbolic_timeout_s: float = 5.0  # SymPy runs in a child process, killed after this


#: Largest expression the playground explains, in nodes with user functions inlined
#: (``expr.expanded_size``); the page cannot show more than a few hundred steps anyway.
MAX_NODES = 1_000
#: Nodes times input numbers: the explanation holds every intermediate value, so this bounds
#: its time and size (about a second and a few megabytes of JSON).
MAX_WORK = 100_000
#: Finite differences replay the graph twice per input number: at most this much work.
MAX_FINITE_DIFFERENCE_WORK = 50_000

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]  # "3" is not a number


class ExplainRequest(BaseModel):
    """An expression of the safe expression language and the point to explain it at."""

    source: str = Field(max_length=expr.MAX_SOURCE_LENGTH, examples=["(x + 2)**2"])
    at: dict[str, Finite | list[Finite] | list[list[Finite]]] = Field(
        default_factory=dict, max_length=64, examples=[{"x": 3}]
    )


class SymbolicAnswer(BaseModel):
    available: bool = Field(description="false where the server has no SymPy")
    message: str | None = Field(description="why there is no derivative, if there is none")
    derivatives: dict[str, dict[str, Any]] = Field(
        description='{variable: {"derivative": "y*cos(x*y) + y", "value": 1.17}}'
    )


class ExplainAnswer(BaseModel):
    explanation: dict[str, Any] = Field(description="schema chainrule.explain/1")
    layout: dict[str, Any] | None = Field(description="null where the graph is too large")


def create_app(limits: Limits = Limits()) -> FastAPI:  # noqa: B008 (a frozen dataclass)
    """The app; ``limits`` bound each request."""
    app = FastAPI(
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: offline, and against
        # this app's Content-Security-Policy. The schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        title="chainrule playground",
        summary="The chain rule, step by step, on chainrule's own engine.",
        version="1",
    )
    workers = anyio.CapacityLimiter(limits.workers)
    static = resources.files("chainrule.web") / "static"

    async def run(work: Any) -> Any:
        try:
            return await bounded(work, workers, limits.request_timeout_s)
        except Busy as error:
            raise HTTPException(503, str(error)) from None

    @app.get("/", include_in_schema=False)
    def explain_page() -> FileResponse:
        return FileResponse(str(static / "explain.html"))

    @app.get("/train", include_in_schema=False)
    def train_page() -> FileResponse:
        return FileResponse(str(static / "train.html"))

    @app.get("/api/examples")
    def examples() -> list[dict[str, Any]]:
        """The seed documents' worked examples: ``id``, ``title``, ``source``, ``at``, ``seed``."""
        return [example.to_dict() for example in EXAMPLES]

    @app.post("/api/explain", responses={400: {"description": "refused expression or value"}})
    async def explain(request: ExplainRequest) -> ExplainAnswer:
        """Explain the gradient of ``source`` at ``at``: the Explanation JSON and its layout."""
        point = _point(request.at, limits.max_elements)
        return await run(lambda: _explain(request.source, point))

    symbolic_workers = anyio.CapacityLimiter(1)  # one SymPy process at a time

    @app.post("/api/symbolic", responses={400: {"description": "refused expression"}})
    async def symbolic(request: ExplainRequest) -> SymbolicAnswer:
        """SymPy's derivative of ``source`` by each variable at ``at``, for the Explain page's
        SymPy column; ``available`` is false where SymPy is not installed."""
        from chainrule.web.symbolic import symbolic_column

        point = _point(request.at, limits.max_elements)
        timeout = limits.symbolic_timeout_s

        def column() -> dict[str, Any]:
            return symbolic_column(request.source, point, timeout)

        try:
            # The child is killed after ``timeout``; the fork server's first start may add more.
            with anyio.fail_after(timeout + limits.request_timeout_s):
                answer = await anyio.to_thread.run_sync(column, limiter=symbolic_workers)
        except expr.ExprError as error:
            raise HTTPException(400, error.pretty()) from None
        except TimeoutError:
            raise HTTPException(503, "SymPy is busy: try again") from None
        return SymbolicAnswer(**answer)

    @app.post("/api/layout", responses={400: {"description": "not a drawable explanation"}})
    async def layout_of(
        explanation: Annotated[dict[str, Any], Body(description="chainrule.explain/1 JSON")],
    ) -> dict[str, Any]:
        """Lay out an explanation saved by ``chainrule explain --format json``."""
        from chainrule.tools.explanation_json import SCHEMA

        if explanation.get("schema") != SCHEMA:
            raise HTTPException(400, f"not an explanation: 'schema' must be {SCHEMA!r}")
        try:
            return await run(lambda: layout(explanation))
        except LayoutError as error:
            raise HTTPException(400, str(error)) from None

    sessions = Sessions(limits.train_sessions, limits.session_ttl_s)
    add_train_routes(app, sessions, run, limits.stream_s)
    app.state.sessions = sessions

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer echoes each bad input, which fails for NaN (not JSON) with a
        # 500, and sends huge inputs back: the place and the reason are enough.
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                  for e in error.errors()[:20]]  # fmt: skip
        return JSONResponse({"detail": detail}, status_code=422)

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app


def _point(at: dict[str, Any], max_elements: int) -> dict[str, Any]:
    point = {}
    for name, value in at.items():
        try:
            point[name] = np.asarray(value, dtype=np.float64)
        except ValueError:  # ragged nested lists
            raise HTTPException(400, f"{name}: rows of a matrix must have equal lengths") from None
    total = sum(value.size for value in point.values())
    if total > max_elements:
        raise HTTPException(400, f"too many numbers: {total:,} (limit {max_elements:,})")
    return {name: float(v) if v.ndim == 0 else v for name, v in point.items()}


def _explain(source: str, point: dict[str, Any]) -> dict[str, Any]:
    from chainrule.tools.explain import explain

    try:
        # Work started in a thread cannot be stopped, and engine work holds one lock: every
        # request must be cheap by construction, not only abandoned when slow.
        size = expr.expanded_size(expr.parse(source))
        if size > MAX_NODES:
            raise HTTPException(
                400, f"expression too large for the playground: {size:,} nodes once its "
                f"functions are inlined (limit {MAX_NODES:,}); chainrule explain takes it",
            )  # fmt: skip
        work = size * max(sum(np.size(value) for value in point.values()), 1)
        if work > MAX_WORK:
            raise HTTPException(
                400, f"too much for the playground: {size:,} nodes times the numbers given is "
                f"{work:,} (limit {MAX_WORK:,}); chainrule explain takes it",
            )  # fmt: skip
        finite_differences = work <= MAX_FINITE_DIFFERENCE_WORK
        # No SymPy cross-check here: its time is not bounded by the expression's size (12
        # nested gelu take minutes). Finite differences check instead, where cheap enough.
        explanation = explain(
            source, at=point, symbolic=False, finite_differences=finite_differences
        )
        if not finite_differences:
            explanation.notes += (
                "finite differences are left out: too many numbers times operations for the "
                "playground; chainrule explain computes them",
            )
    except expr.ExprError as error:
        raise HTTPException(400, error.pretty()) from None
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as error:
        raise HTTPException(400, str(error) or type(error).__name__) from None
    return with_layout(explanation.to_dict())
