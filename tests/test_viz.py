"""Graph pictures: every value with its value and gradient, derivative-labelled edges, colour by
gradient magnitude, one cluster per module, atomic files, and clear errors without Graphviz."""

import os
import sys
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.tools import format as fmt
from chainrule.tools import viz

CAKE = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))"
SVG = "{http://www.w3.org/2000/svg}"


def _svg_nodes(graph):
    """{node id: [text lines]} and the edge label lines, read from the rendered SVG."""
    root = ET.fromstring(graph.pipe(format="svg"))
    nodes, edges = {}, []
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        texts = [t.text for t in group.iter(f"{SVG}text")]
        if group.get("class") == "node":
            nodes[title.text] = texts
        elif group.get("class") == "edge":
            edges.extend(texts)
    return nodes, edges


def test_svg_shows_the_cake_values_and_gradients_of_the_seed():
    nodes, _ = _svg_nodes(viz.draw(cr.explain(CAKE, x=5, symbolic=False)))
    expected = {"x": ("5", "20"), "f": ("25", "2"), "g": ("50", "1"), "h": ("53", "1")}
    for name, (value, grad) in expected.items():
        lines = nodes[f"value/{name}"]
        assert f"value {value}" in lines and f"grad {grad}" in lines, lines
    assert nodes["value/f"][0] == "f = f(x)"  # each value named after its function
    assert {"op/f", "op/g", "op/h"} <= set(nodes)


SVG_CASES = {
    "neuron": ("(sigmoid(w*x + b) - y)**2", {"w": 0.8, "x": 1.5, "b": -0.3, "y": 1.0}),
    "fan-out": ("f(u) = u*u + u; f(2*x) * y", {"x": 1.5, "y": -2.0}),
    "vector": ("sum(exp(x) * w)", {"x": [0.5, -1.0, 2.0], "w": 3.0}),
}


@pytest.mark.parametrize("case", sorted(SVG_CASES))
def test_svg_has_a_node_for_every_value_with_its_value_and_gradient(case):
    source, point = SVG_CASES[case]
    e = cr.explain(source, at=point, symbolic=False)
    nodes, _ = _svg_nodes(viz.draw(e))
    # What each box must say, read from the explanation: the value, and the gradient that
    # reached it (the engine's d output / d value).
    grads = {g.name: g.gradient for g in e.gradients} | {s.node: s.upstream for s in e.backward}
    values = [(v.name, v.value) for v in e.values] + [(s.name, s.value) for s in e.forward]
    assert len(values) >= 5
    for name, value in values:
        lines = nodes[f"value/{name}"]
        assert f"value {fmt.array(value)}" in lines, (name, lines)
        assert f"grad {fmt.array(grads[name])}" in lines, (name, lines)
    assert {f"op/{s.name}" for s in e.forward} <= set(nodes)
    assert len([n for n in nodes if n.startswith("value/")]) == len(values)


def test_svg_edges_carry_the_local_derivatives():
    _, edges = _svg_nodes(viz.draw(cr.explain(CAKE, x=5, symbolic=False)))
    assert "∂f/∂x = 2 * x**(2 - 1) = 10" in edges
    assert "∂g/∂f = 2" in edges and "∂h/∂g = 1" in edges


def test_fill_follows_the_gradient_magnitude_on_a_log_scale():
    source = viz.draw(cr.explain("1000 * x * y", x=1.0, y=0.001, symbolic=False)).source
    # |grad y| = 1000 is the largest, |grad x| = 1 the smallest, u1 = 1000 x gets 0.001 ... so
    # the levels run from 1 to 9 by powers of ten.
    assert 'value/y" [label="y\\nvalue 0.001\\ngrad 1000" fillcolor="/orrd9/9"' in source
    assert 'value/u1" [label="u1\\nvalue 1000\\ngrad 0.001" fillcolor="/orrd9/1"' in source


def test_zero_gradients_are_white():
    source = viz.draw(cr.explain("relu(x)", x=-1.0, symbolic=False)).source
    assert 'value/x" [label="x\\nvalue -1\\ngrad 0" fillcolor=white' in source


def test_a_non_scalar_tensor_draws_values_without_gradients():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    source = viz.draw(x * 3).source
    assert "value [3, 6]" in source and "grad" not in source.replace("gradient", "")


def test_a_scalar_tensor_draws_gradients_and_keeps_its_graph():
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    assert "grad 4" in viz.draw(y).source
    y.backward()
    assert x.grad.item() == 4.0


def test_an_expression_draws_directly():
    assert "grad 10" in viz.draw("(x + 2)**2", x=3).source


def test_a_model_draws_one_cluster_per_module():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    source = viz.draw(model, cr.tensor([[1.0, 2.0]])).source
    clusters = source.split("subgraph cluster_")[1:]
    assert [c.split("label=")[1].split()[0] for c in clusters] == ["0", "1", "2"]
    assert '"value/0.weight"' in clusters[0] and '"op/' in clusters[0]
    assert "Tanh" in clusters[1] and '"value/2.bias"' in clusters[2]


def test_a_duck_typed_model_without_hooks_draws_clusters():
    class Scale:
        def __init__(self, factor):
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def __call__(self, x):
            return self.forward(x)

    class Model:
        def __init__(self):
            self.first, self.second = Scale(2.0), Scale(3.0)

        def named_modules(self):
            return [("", self), ("first", self.first), ("second", self.second)]

        def forward(self, x):
            return cr.sin(self.second(self.first(x)))

        def __call__(self, x):
            return self.forward(x)

    model = Model()
    e = cr.explain(model, 0.5)
    assert [(s.op, s.module) for s in e.forward] == [("Mul", "first"), ("Mul", "second"),
                                                     ("Sin", "")]  # fmt: skip
    assert "forward" not in vars(model.first)  # the wrapper is gone afterwards
    assert viz.draw(e).source.count("subgraph cluster_") == 2


@pytest.mark.parametrize(("name", "magic"), [("graph.svg", b"<?xml"), ("graph.png", b"\x89PNG")])
def test_render_writes_the_format_of_the_suffix_atomically(tmp_path, name, magic):
    path = viz.render(cr.explain(CAKE, x=5, symbolic=False), tmp_path / name)
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_rendered_picture_gets_the_permissions_open_would_give(tmp_path):
    path = viz.render(viz.draw("x * x", x=2), tmp_path / "graph.svg")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_render_accepts_a_drawn_graph_and_an_explicit_format(tmp_path):
    path = viz.render(viz.draw("x * x", x=2), tmp_path / "picture", format="svg")
    assert b"grad 4" in path.read_bytes()


@pytest.mark.parametrize(
    "lay_out",
    [
        lambda graph, folder: viz.render(graph, folder / "graph.svg"),
        lambda graph, folder: viz.render(graphviz.Digraph(body=graph.body), folder / "g.svg"),
        lambda graph, folder: graph.render(folder / "graph", format="png"),
        lambda graph, folder: graph._repr_mimebundle_(),  # Jupyter's inline picture
    ],
    ids=["viz.render", "viz.render-plain-digraph", "Digraph.render", "jupyter"],
)
def test_laying_out_without_dot_says_how_to_install_it(monkeypatch, tmp_path, lay_out):
    graph = viz.draw(cr.explain(CAKE, x=5, symbolic=False))
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot to be found
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        lay_out(graph, folder)
    assert [p.name for p in folder.iterdir() if p.suffix in (".svg", ".png")] == []


def test_draw_without_the_graphviz_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[viz\]'"):
        viz.draw(cr.explain(CAKE, x=5))


def test_draw_refuses_a_graph_too_large_to_lay_out_quickly():
    def explained(terms):  # x + sin(x) + ...: two ops per term
        source = "x" + " + sin(x)" * terms
        return cr.explain(source, x=0.5, symbolic=False, finite_differences=False)

    at_limit = explained(viz.MAX_DRAWN_OPS // 2)
    assert len(at_limit.forward) == viz.MAX_DRAWN_OPS
    assert viz.draw(at_limit).source.count("op/u") >= viz.MAX_DRAWN_OPS
    with pytest.raises(ValueError, match=f"302 ops, too many .* .limit {viz.MAX_DRAWN_OPS}"):
        viz.draw(explained(viz.MAX_DRAWN_OPS // 2 + 1))


def test_draw_refuses_what_it_cannot_draw():
    with pytest.raises(TypeError, match="expected an Explanation"):
        viz.draw(42)
    with pytest.raises(ValueError, match="does not depend on any input"):
        viz.draw(cr.tensor(np.ones(2)))


def test_digraph_shows_inline_in_jupyter_as_svg():
    bundle = viz.draw("x * 2", x=1)._repr_mimebundle_()  # what Jupyter calls to display it
    assert "value 1" in bundle["image/svg+xml"] and "grad 2" in bundle["image/svg+xml"]


@pytest.mark.parametrize(("fmt_name", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_the_digraphs_own_render_writes_svg_and_png(tmp_path, fmt_name, magic):
    graph = viz.draw(cr.explain(CAKE, x=5, symbolic=False))
    written = graph.render(tmp_path / "cake", format=fmt_name, cleanup=True)
    assert written.endswith(f"cake.{fmt_name}")
    data = (tmp_path / f"cake.{fmt_name}").read_bytes()
    assert data.startswith(magic)
    if fmt_name == "svg":
        assert b"grad 20" in data
