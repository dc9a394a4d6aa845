"""Renderings of an explanation: golden text and JSON, the JSON schema, Markdown, HTML, rich.

Golden files live in tests/golden/. After an intended change of the output, regenerate them with

    CHAINRULE_UPDATE_GOLDEN=1 python -m pytest tests/test_explain_render.py

and review the diff by eye before committing. The examples avoid SymPy (its printing may change
between versions) and use only numbers that are exact in binary floating point, so the files
hold the same bits on every platform.
"""

import io
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.tools import render
from chainrule.tools.explanation_json import SCHEMA

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHAINRULE_UPDATE_GOLDEN") == "1"

# Every number of these cases is exact in binary floating point (+, -, *, ** on small integers
# and halves; the neuron's sigmoid is taken at 0), so text and JSON are the same bits on every
# platform and libm. An expression with its point, or a function with its inputs.
CASES = {
    "cake": ("f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))", {"x": 5}),
    "multivariable": ("g(t) = t**2; h(t) = 3*t + 1; f(x, y) = x*y; f(g(t), h(t))", {"t": 2}),
    "neuron": (
        "z(w, x, b) = w*x + b; a(z) = sigmoid(z); L(a, y) = (a - y)**2; L(a(z(w, x, b)), y)",
        {"w": 0.5, "x": 2, "b": -1, "y": 1},
    ),
    "fan_out": ("f(u) = u*u + u; f(2*x)", {"x": 1.5}),
    "broadcast": ("sum(x * w)", {"x": [1.0, 2.0, 3.0], "w": 2}),
    "matmul": (
        lambda A, v: ((A @ v) ** 2).sum(),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])),
    ),
}


def _explain(case, finite_differences=True):
    target, point = CASES[case]
    if callable(target):
        return cr.explain(target, *point, finite_differences=finite_differences)
    return cr.explain(target, at=point, symbolic=False, finite_differences=finite_differences)


def _check_golden(name, text):
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}: run with CHAINRULE_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_matches_golden_file(case):
    _check_golden(f"{case}.txt", _explain(case).to_text())


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_matches_golden_file(case):
    # Without finite differences: their last bits come from the platform's exp and BLAS (the
    # text shows them to six digits; test_explain checks them against the gradient).
    _check_golden(f"{case}.json", _explain(case, finite_differences=False).to_json() + "\n")


def test_cake_text_shows_the_chain_of_the_seed():
    text = _explain("cake").to_text()
    # Values are named after the functions that return them: the seed's dh/dg · dg/df · df/dx.
    assert "f = x ** 2   = 25   f(x)" in text
    assert "h ← g ← f ← x:  ∂h/∂g · ∂g/∂f · ∂f/∂x = 1 × 2 × 10 = 20" in text
    assert "by function" not in text  # the path already reads by function


def test_multivariable_text_sums_the_two_paths():
    text = _explain("multivariable").to_text()
    # z = x y with x = t² = 4, y = 3t + 1 = 7: dz/dt = y · 2t + x · 3 = 28 + 12
    assert "f ← g ← t:  ∂f/∂g · ∂g/∂t = 7 × 4 = 28" in text
    assert "by function: ∂f/∂h · ∂h/∂t = 4 × 3 = 12" in text  # h = u1 + 1, u1 = 3 t
    assert "sum of the 2 paths: 28 + 12 = 40" in text


def test_matmul_text_shows_shapes_and_the_vector_jacobian_product():
    text = _explain("matmul").to_text()
    assert "u1 = A @ v     = (2,) [-1, -1]" in text
    assert "→ A: J^T v by the rule g @ v^T = (2, 2) [[-2, 2], [-2, 2]]" in text
    assert "→ v: J^T v by the rule A^T @ g = (2,) [-8, -12]" in text
    assert "tensors: each rule computes J^T v (v: the gradient in)" in text


def test_scalar_text_leaves_out_the_tensor_rule():
    assert "J^T v" not in _explain("cake").to_text()


def test_broadcast_text_says_the_gradient_is_summed_back():
    assert "w was broadcast from (), so this is summed back: 6" in _explain("broadcast").to_text()


# ============================================================================ JSON
def test_json_follows_the_documented_schema():
    data = json.loads(_explain("neuron").to_json())
    assert data["schema"] == SCHEMA
    assert set(data) == {"schema", "source", "differentiated", "output", "values", "forward",
                         "backward", "gradients", "notes"}  # fmt: skip
    assert set(data["forward"][0]) == {
        "name",
        "op",
        "node",
        "notation",
        "expression",
        "inputs",
        "shape",
        "dtype",
        "value",
        "labels",
        "layer",
        "module",
        "constant",
    }
    contribution = data["backward"][0]["contributions"][0]
    assert set(contribution) == {
        "from",
        "to",
        "position",
        "parameter",
        "symbol",
        "formula",
        "local",
        "raw_shape",
        "shape",
        "value",
        "broadcast",
    }
    gradient = data["gradients"][0]
    assert set(gradient) == {
        "name",
        "kind",
        "shape",
        "value",
        "gradient",
        "terms",
        "paths",
        "path_count",
        "paths_truncated",
        "checks",
    }
    assert set(gradient["paths"][0]) == {"nodes", "edges", "value", "layers"}
    assert gradient["paths"][0]["nodes"] == ["L", "u2", "a", "z", "u1", "w"]
    assert [layer["value"] for layer in gradient["paths"][0]["layers"]] == [-1.0, 0.25, 2.0]


def test_json_writes_non_finite_numbers_as_strings():
    data = json.loads(cr.explain("log(x)", x=-1.0, symbolic=False).to_json())
    assert data["output"]["value"] == "nan"
    assert data["notes"]


def test_json_for_matmul_has_null_local_derivatives():
    e = cr.explain(lambda a, v: (a @ v).sum(), np.eye(2), np.ones(2))
    matmul = next(s for s in e.to_dict()["backward"] if s["op"] == "MatMul")
    assert [c["local"] for c in matmul["contributions"]] == [None, None]
    assert matmul["elementwise"] is False


# ============================================================================ Markdown and HTML
def test_markdown_has_tables_and_escapes_pipes():
    text = cr.explain("abs(x) * 2", x=-3.0, symbolic=False).to_markdown()
    assert "| value | computed as | = | function |" in text
    # |x| is the notation of abs; GitHub's tables need the pipes escaped, code spans included.
    assert "| `u1` | `\\|x\\|` | 3 |" in text
    assert "**∂u2/∂x = -2**" in text


def test_html_escapes_every_text():
    class Doubler:
        def forward(self, x):
            return cr.relu(x) * 2

        def __call__(self, x):
            return self.forward(x)

    class Evil(Doubler):  # a model whose submodule's name is markup
        def __init__(self):
            self.child = Doubler()

        def named_modules(self):
            return [("", self), ("<script>alert(1)</script>", self.child)]

        def forward(self, x):
            return self.child(x)

    e = cr.explain(Evil(), 1.5)
    html = e._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "x &gt; 0" in html  # the rule of relu: 1 if x > 0 else 0
    assert html.startswith('<div class="chainrule-explanation">')


# ============================================================================ terminal
class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_print_to_a_pipe_is_plain_text():
    e = _explain("cake")
    out = io.StringIO()
    e.print(out)
    assert out.getvalue() == e.to_text()


def test_print_to_a_terminal_is_coloured_with_rich(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    e = _explain("cake")
    out = _Terminal()
    e.print(out)
    assert "\x1b[" in out.getvalue()
    assert e.__rich__().plain == e.to_text()


@pytest.mark.parametrize(("variable", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_print_to_a_terminal_without_colours_has_no_colour_codes(monkeypatch, variable, value):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv(variable, value)
    out = _Terminal()
    _explain("cake").print(out)
    # Bold and underline may stay (NO_COLOR asks for no colour only); foreground colours go.
    parameters = [p for codes in re.findall(r"\x1b\[([0-9;]*)m", out.getvalue())
                  for p in codes.split(";")]  # fmt: skip
    assert not [p for p in parameters if p.isdigit() and (30 <= int(p) <= 38 or int(p) >= 90)]
    assert "h = g + 3" in re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())


def test_print_to_a_colour_terminal_uses_foreground_colours(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = _Terminal()
    _explain("cake").print(out)
    assert re.search(r"\x1b\[[0-9;]*3[0-9]m", out.getvalue())  # the same check can fail


def test_print_to_a_terminal_without_rich_is_plain_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.console", None)
    e = _explain("cake")
    out = _Terminal()
    e.print(out)
    assert out.getvalue() == e.to_text()


def test_long_symbolic_derivatives_are_shortened_in_text():
    e = cr.explain("sigmoid(" * 8 + "x" + ")" * 8, x=0.5)
    assert len(e.gradients[0].symbolic) > render.MAX_SYMBOLIC_SHOWN
    assert "characters) = " in e.to_text()
