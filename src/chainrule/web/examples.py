"""The worked examples of the seed documents (/work/shared/seeds), for the Explain page's menu.

Each is an expression of :mod:`chainrule.expr` and the point the document evaluates it at; the
tests check that the page shows the numbers the documents derive.

    >>> [example.id for example in EXAMPLES][:2]
    ['smoothie', 'cake']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    source: str
    at: dict[str, Any]
    seed: str  # which seed document works it out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EXAMPLES: tuple[Example, ...] = (
    Example("smoothie", "g = x², f = 2g + 3: dy/dx = 4x", "g(x) = x**2; f(g) = 2*g + 3; f(g(x))",
            {"x": 3.0}, "000"),
    Example("cake", "Layers f = x², g = 2f, h = g + 3 at x = 5",
            "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))", {"x": 5.0}, "001"),
    Example("simple", "(x + 2)² at x = 3", "(x + 2)**2", {"x": 3.0}, "002"),
    Example("complex", "((x² + 3) sin x)³ at x = 2", "((x**2 + 3) * sin(x))**3", {"x": 2.0},
            "002"),
    Example("affine-square", "(3x + 1)²: 6(3x + 1)", "(3*x + 1)**2", {"x": 1.0}, "004"),
    Example("neuron", "A single neuron: (σ(wx + b) − y)²",
            "z(w, x, b) = w*x + b; a(z) = sigmoid(z); L(a, y) = (a - y)**2; L(a(z(w, x, b)), y)",
            {"w": 0.8, "x": 1.5, "b": -0.3, "y": 1.0}, "004"),
    Example("two-paths", "z = xy, x = t², y = sin t: two paths add up",
            "g(t) = t**2; h(t) = sin(t); f(x, y) = x*y; f(g(t), h(t))", {"t": 1.3}, "004"),
    Example("vector", "A vector: sum(tanh(w · x))", "sum(tanh(w * x))",
            {"w": [0.5, -1.0, 2.0], "x": [1.0, 2.0, 3.0]}, "004"),
    Example("vanishing", "Ten sigmoids: the gradient vanishes", "sigmoid(" * 10 + "x" + ")" * 10,
            {"x": 0.0}, "004"),
)  # fmt: skip
