"""The playground's JSON API (chainrule.web.app), through FastAPI's TestClient: every endpoint,
its answers checked against ``cr.explain`` itself, and the limits on what a request may cost."""

import json
import sys

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import chainrule as cr
from chainrule import expr
from chainrule.cli import build
from chainrule.tools.viz import MAX_DRAWN_OPS
from chainrule.web.app import Limits, create_app
from chainrule.web.examples import EXAMPLES
from chainrule.web.layout import NODE_WIDTH, LayoutError, layout


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def _explain(client, source, at, **extra):
    return client.post("/api/explain", json={"source": source, "at": at, **extra})


# ----------------------------------------------------------------------------- /api/explain
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_each_seed_example_answers_the_explanation_json_of_cr_explain(client, example):
    answer = _explain(client, example.source, example.at)
    assert answer.status_code == 200
    expected = cr.explain(example.source, at=example.at, symbolic=False).to_dict()
    assert answer.json()["explanation"] == json.loads(json.dumps(expected))


def test_explain_answer_is_what_the_cli_prints_with_format_json(client):
    source = "g(t) = t**2; h(t) = sin(t); f(x, y) = x*y; f(g(t), h(t))"
    command = ["explain", source, "--at", "t=1.3", "--format", "json", "--no-symbolic"]
    printed = CliRunner().invoke(build(), command)
    assert printed.exit_code == 0
    answer = _explain(client, source, {"t": 1.3})
    assert answer.json()["explanation"] == json.loads(printed.output)


def test_explain_with_vectors_and_matrices(client):
    answer = _explain(client, "sum(tanh(A * w))", {"A": [[1, 2], [3, 4]], "w": [0.5, -0.5]})
    assert answer.status_code == 200
    gradients = {g["name"]: g["gradient"] for g in answer.json()["explanation"]["gradients"]}
    expected = cr.explain("sum(tanh(A * w))", A=[[1.0, 2.0], [3.0, 4.0]], w=[0.5, -0.5])
    assert gradients["A"] == expected.grad("A").tolist()  # the same engine: the same numbers
    assert gradients["w"] == expected.grad("w").tolist()


def test_explain_answer_includes_a_layout_of_every_value_and_op(client):
    data = _explain(client, "(x + 2)**2", {"x": 3}).json()
    assert [n["id"] for n in data["layout"]["nodes"]] == ["x", "u1", "u2"]
    assert data["layout"]["edges"] == [{"from": "x", "to": "u1"}, {"from": "u1", "to": "u2"}]


@pytest.mark.parametrize(
    ("source", "at", "message"),
    [
        ('__import__("os").system("true")', {}, "strings are not part of the language"),
        ("__import__(x)", {"x": 1}, "__import__"),
        ("x.__class__", {"x": 1}, "syntax error"),
        ("x**99999", {"x": 2}, "exponent 99,999 is out of range"),
        ("9**9**9", {}, "out of range"),
        ("(" * 100 + "x" + ")" * 100, {"x": 1}, "limit error"),
        ("x + y", {"x": 1}, "y"),
        ("x", {"x": 1, "z": 2}, "variable 'z' is not used"),
        ("sum(A)", {"A": [[1, 2], [3]]}, "rows of a matrix must have equal lengths"),
    ],
)  # fmt: skip
def test_refused_expressions_get_400_with_the_explainers_message(client, source, at, message):
    answer = _explain(client, source, at)
    assert answer.status_code == 400
    assert message in answer.json()["detail"]


def test_expressions_too_costly_for_the_playground_get_400_before_any_work(client):
    doublings = "; ".join(f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(2, 11))
    answer = _explain(client, f"f1(x) = x * x; {doublings}; f10(x)", {"x": 1.0})
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("expression too large for the playground: 4,09")
    wide = _explain(client, "sum(sin(x) * " * 30 + "x" + ")" * 30, {"x": [1.0] * 1000})
    assert wide.status_code == 400
    assert "too much for the playground" in wide.json()["detail"]


def test_finite_differences_are_left_out_where_they_would_cost_too_much(client):
    deep = "sum(" + "sin(" * 60 + "x" + ")" * 61  # 62 nodes: 62,000 with 1,000 numbers
    explanation = _explain(client, deep, {"x": [0.5] * 1000}).json()["explanation"]
    assert explanation["gradients"][0]["checks"]["finite_difference"] is None
    assert any("finite differences are left out" in note for note in explanation["notes"])
    small = _explain(client, deep, {"x": [0.5] * 10}).json()["explanation"]
    assert small["gradients"][0]["checks"]["finite_difference"] is not None


def test_too_many_numbers_get_400(client):
    answer = _explain(client, "sum(x)", {"x": [1.0] * 1001})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "too many numbers: 1,001 (limit 1,000)"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"source": "x", "at": {"x": NaN}}',
        b'{"source": "x", "at": {"x": Infinity}}',
        b'{"source": "x", "at": {"x": "3"}}',
        b'{"source": "x", "at": {"x": [[[1]]]}}',
        b'{"at": {"x": 1}}',
        b"[]",
    ],
)
def test_malformed_bodies_get_422_without_echoing_the_input(client, body):
    answer = client.post("/api/explain", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert all(set(error) == {"loc", "msg", "type"} for error in answer.json()["detail"])


def test_source_longer_than_the_language_allows_gets_422(client):
    answer = _explain(client, "x+" * (expr.MAX_SOURCE_LENGTH // 2) + "x", {"x": 1})
    assert answer.status_code == 422


def test_body_over_the_limit_gets_413_before_it_is_read():
    client = TestClient(create_app(Limits(max_body_bytes=1_000)))
    big = json.dumps({"source": "x", "at": {"x": [1.0] * 500}})
    answer = client.post("/api/explain", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body too large (limit 1,000 bytes)"}


def test_chunked_body_over_the_limit_gets_413_while_it_streams():
    client = TestClient(create_app(Limits(max_body_bytes=1_000)))
    chunks = (b'{"source": "' + b"x" * 100 for _ in range(50))  # no Content-Length
    answer = client.post(
        "/api/explain", content=chunks, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


def test_no_sympy_check_runs_in_the_server_finite_differences_do(client):
    # SymPy's time is not bounded by the expression language's limits: 12 nested gelu take
    # minutes, and engine work holds one lock. The CLI keeps the SymPy check.
    deep = "gelu(" * 12 + "x" + ")" * 12
    gradient, *_ = _explain(client, deep, {"x": 0.3}).json()["explanation"]["gradients"]
    assert gradient["checks"]["symbolic"] is None
    assert gradient["checks"]["finite_difference"] == pytest.approx(gradient["gradient"])


# ----------------------------------------------------------------------------- /api/symbolic
def test_symbolic_column_gives_sympys_derivative_next_to_each_gradient(client):
    source, at = "f = x*y; g = sin(f) + f", {"x": 1.0, "y": 2.0}
    answer = client.post("/api/symbolic", json={"source": source, "at": at})
    assert answer.status_code == 200
    data = answer.json()
    assert data["available"] is True and data["message"] is None
    e = cr.explain(source, at=at)  # the CLI's own SymPy check, in this process
    for name in at:
        shown = data["derivatives"][name]
        assert (
            shown["derivative"]
            == e.gradient_of(name).symbolic
            == f"{'yx'[name == 'y']}*cos(x*y) + {'yx'[name == 'y']}"
        )
        assert shown["value"] == pytest.approx(float(e.grad(name)), rel=1e-12)


def test_symbolic_column_says_plainly_when_sympy_is_not_installed(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy raises ImportError
    data = client.post("/api/symbolic", json={"source": "x**2", "at": {"x": 3}}).json()
    assert data["available"] is False and data["derivatives"] == {}
    assert data["message"].startswith("SymPy not installed")
    assert "pip install 'chainrule[explain]'" in data["message"]


def test_symbolic_column_stops_sympy_past_its_time_and_refuses_bad_input():
    client = TestClient(create_app(Limits(symbolic_timeout_s=0.5)))
    deep = "gelu(" * 12 + "x" + ")" * 12  # minutes of SymPy
    data = client.post("/api/symbolic", json={"source": deep, "at": {"x": 0.3}}).json()
    assert data["message"] == "SymPy took longer than 0.5 s and was stopped"
    vector = client.post("/api/symbolic", json={"source": "sum(x)", "at": {"x": [1, 2]}})
    assert vector.json()["message"] == "SymPy's check is for scalar variables only"
    refused = client.post("/api/symbolic", json={"source": "(x", "at": {}})
    assert refused.status_code == 400 and "expected ')'" in refused.json()["detail"]


def test_work_over_the_time_limit_gets_503():
    # The work takes about 25 ms. 1 ms, not 10: the limit fires only when the event loop gets
    # a turn, and on loaded cores a 10 ms limit lost that race (the work answered 200 first)
    client = TestClient(create_app(Limits(request_timeout_s=0.001)))
    sigmoids = "f(x) = sigmoid(sigmoid(sigmoid(x))); g(x) = f(f(f(x))); sum(g(g(g(x))))"
    answer = _explain(client, sigmoids, {"x": [0.5] * 1000})  # within the limits, not 1 ms
    assert answer.status_code == 503
    assert "longer than 0.001 s" in answer.json()["detail"]


# ----------------------------------------------------------------------------- /api/layout
def test_layout_of_an_explanation_saved_by_the_cli(client):
    source = "f(u) = u*u + u; f(2*x)"
    printed = CliRunner().invoke(build(), ["explain", source, "--at", "x=1.5", "--format", "json"])
    answer = client.post("/api/layout", json=json.loads(printed.output))
    assert answer.status_code == 200
    assert answer.json() == layout(cr.explain(source, x=1.5).to_dict())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"values": [], "forward": []}, "'schema' must be 'chainrule.explain/1'"),
        ({"schema": "chainrule.explain/1", "values": 3, "forward": []}, "lists 'values'"),
        ({"schema": "chainrule.explain/1", "values": [{"name": "x"}], "forward": []}, "'kind'"),
        ({"schema": "chainrule.explain/1", "values": [],
          "forward": [{"name": "u", "inputs": []}] * (MAX_DRAWN_OPS + 1)}, "too many ops"),
    ],
)  # fmt: skip
def test_layout_refuses_what_is_not_a_drawable_explanation(client, body, message):
    answer = client.post("/api/layout", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["detail"]


def test_layout_places_each_op_right_of_its_inputs_and_shared_values_once():
    graph = layout(cr.explain("f(u) = u*u + u; f(2*x)", x=1.5, symbolic=False).to_dict())
    column = {n["id"]: n["column"] for n in graph["nodes"]}
    for edge in graph["edges"]:
        assert column[edge["from"]] < column[edge["to"]]
    assert sorted(column) == ["f", "u1", "u2", "x"]  # u1 = 2x feeds u*u and + u: one node
    xs = {n["id"]: n["x"] for n in graph["nodes"]}
    assert graph["width"] == max(xs.values()) + NODE_WIDTH


def test_layout_orders_rows_so_that_parallel_chains_do_not_cross():
    graph = layout(cr.explain("sin(exp(a)) + cos(exp(b))", a=1.0, b=2.0).to_dict())
    row = {n["id"]: n["y"] for n in graph["nodes"]}
    # a's chain stays above b's chain in every column
    chains = {"a": ["a"], "b": ["b"]}
    for edge in graph["edges"]:
        for chain in chains.values():
            if edge["from"] == chain[-1]:
                chain.append(edge["to"])
    assert all(row[p] < row[q] for p, q in zip(chains["a"][:3], chains["b"][:3], strict=True))


def test_layout_error_names_the_problem():
    with pytest.raises(LayoutError, match="used twice"):
        layout(
            {"values": [{"name": "x", "kind": "input"}], "forward": [{"name": "x", "inputs": []}]}
        )


# ----------------------------------------------------------------------------- pages
def test_pages_and_static_files_are_served_with_a_strict_content_security_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<script src="/static/explain.js"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("explain.js", "common.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_examples_endpoint_lists_the_seed_examples(client):
    answer = client.get("/api/examples").json()
    assert [e["id"] for e in answer] == [e.id for e in EXAMPLES]
    assert {"source", "at", "seed", "title"} <= set(answer[0])


def test_openapi_schema_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/examples", "/api/explain", "/api/layout"} <= set(paths)
    assert client.get("/docs").status_code == 404  # its scripts would come from a CDN


# ----------------------------------------------------------------------------- chainrule serve
def test_serve_runs_uvicorn_on_loopback_by_default(monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    result = CliRunner().invoke(build(), ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]
    assert "warning" not in result.output


def test_serve_warns_when_binding_beyond_loopback(monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    result = CliRunner().invoke(build(), ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "warning: listening on 0.0.0.0, not loopback" in result.output


def test_serve_without_the_web_extra_names_the_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi now raises ImportError
    monkeypatch.delitem(sys.modules, "chainrule.web.app", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[web\]'"):
        import chainrule.web.app  # noqa: F401
    result = CliRunner().invoke(build(), ["serve"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: the web playground needs FastAPI and uvicorn: pip install 'chainrule[web]'"
    )


@pytest.mark.parametrize(
    "module",
    ["chainrule.web.app", "chainrule.web.layout", "chainrule.web.examples",
     "chainrule.web.guard", "chainrule.commands.serve", "chainrule.web.symbolic",
     "chainrule.web.weight_chain", "chainrule.web.playground"],
)  # fmt: skip
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
