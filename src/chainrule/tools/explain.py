"""``explain``: the chain rule as the engine applied it, step by step, with the engine's numbers.

``explain`` runs a computation, then replays the backward pass through
:func:`~chainrule.autodiff.backward.run_backward`'s observer, which sees every rule the engine
applies with the engine's own values. Nothing is derived a second time: formulas come from each
op's ``derivatives`` strings, values from its ``vjp``. The result is plain data
(:class:`Explanation`), rendered as text, Markdown, HTML, JSON or a graph picture.

    >>> import chainrule as cr
    >>> e = cr.explain("f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))", x=5)
    >>> [f"{step.name} = {step.expression} = {step.value}" for step in e.forward]
    ['f = x ** 2 = 25.0', 'g = 2 * f = 50.0', 'h = g + 3 = 53.0']
    >>> [float(factor) for factor in e.gradient_of("x").paths[0].factors]   # 1 x 2 x 2x
    [1.0, 2.0, 10.0]
    >>> float(e.grad("x"))
    20.0
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from chainrule import declare, expr, grad_mode, graph
from chainrule._array import xp
from chainrule.autodiff.backward import run_backward
from chainrule.op import _parameter_names
from chainrule.ops.broadcast import unbroadcast
from chainrule.tensor import Tensor, _make
from chainrule.tools import format as fmt

#: Paths listed per input; more are counted (the sum of all of them is still the gradient).
MAX_PATHS = 16
#: Finite differences evaluate the computation twice per element, for at most this many.
MAX_FINITE_DIFFERENCE_ELEMENTS = 1_000
#: Most numbers an explanation holds: its inputs, parameters and every op's result together.
#: Each is shown, kept and serialized (a million made 226 MB of JSON), so more is refused.
MAX_ELEMENTS = 100_000

_ELEMENTWISE_MODULE = "chainrule.ops.elementwise"


# ============================================================================== the data
@dataclass(eq=False)
class Value:
    """A value that no op of the graph produced: an input, a parameter or a constant."""

    name: str
    kind: str  # "input" | "parameter" | "constant"
    value: xp.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(eq=False)
class ForwardStep:
    """One op of the forward pass: ``name = expression = value``."""

    name: str  # "u1"
    op: str  # "Pow"
    node: str  # PyTorch's node name, "PowBackward0"
    notation: str  # the op's notation, "a ** b"
    expression: str  # the notation with the inputs' names, "x ** 2"
    inputs: tuple[str, ...]  # ("x", "2")
    value: xp.ndarray
    labels: tuple[str, ...] = ()  # user functions that returned this value, innermost first
    layer: str | None = None  # the outermost of those functions, "f"
    module: str | None = None  # dotted name of the nn module that created the op
    # A step that carries no gradient (a comparison, arg-max indices, a dropout mask): its
    # value steers the computation but is a constant for the chain rule.
    constant: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(eq=False)
class LocalDerivative:
    """d(node)/d(input) for one input of one op: the formula and its value at this point."""

    node: str  # the value the op produced, "u2"
    input: str  # the input differentiated against, "u1"
    position: int  # which input of the op
    parameter: str  # the op's name for it in ``notation`` and ``derivatives``, "b"
    formula: str  # the op's ``derivatives`` entry with the inputs' names, "2"
    # Elementwise ops (and ops with one output element) have a local derivative per element:
    # the engine's vjp with an upstream of ones. Other ops act as J^T v: value None.
    value: xp.ndarray | None
    repeated: bool = False  # the same input appears at several positions of the op (x * x)

    @property
    def symbol(self) -> str:
        suffix = f"[{self.parameter}]" if self.repeated else ""
        return f"∂{self.node}/∂{self.input}{suffix}"


@dataclass(eq=False)
class Contribution:
    """What one op sent back to one of its inputs: upstream gradient times local derivative."""

    local: LocalDerivative
    raw: xp.ndarray  # as the op's vjp returned it (in the broadcast shape)
    value: xp.ndarray  # summed back to the input's shape by the engine's ``unbroadcast``

    @property
    def source(self) -> str:
        return self.local.node

    @property
    def target(self) -> str:
        return self.local.input

    @property
    def broadcast(self) -> bool:
        """True where the input was broadcast, so its gradient was summed back."""
        return self.raw.shape != self.value.shape


@dataclass(eq=False)
class BackwardStep:
    """One rule application of the backward pass, in the engine's order."""

    node: str
    op: str
    rule: str  # the op's derivative table, "d/da a * b = b; d/db a * b = a"
    elementwise: bool  # contribution = upstream ⊙ local; otherwise J^T v by the op's vjp
    upstream: xp.ndarray  # the gradient flowing in: d(output)/d(node)
    # Where the node's value fans out to several ops, the contributions that added up to
    # ``upstream`` (the multivariable chain rule); empty when it has one user or is the output.
    upstream_terms: tuple[Contribution, ...]
    contributions: tuple[Contribution, ...]


@dataclass(eq=False)
class LayerFactor:
    """A product of consecutive local derivatives between two user-function outputs."""

    of: str  # "h"
    wrt: str  # "g"
    value: xp.ndarray | None  # None unless every factor in between is a scalar


@dataclass(eq=False)
class Path:
    """One route from the output back to an input, and the gradient carried along it."""

    edges: tuple[LocalDerivative, ...]  # output first
    value: xp.ndarray  # the product of the local derivatives (vector-Jacobian products)
    layers: tuple[LayerFactor, ...] = ()

    @property
    def nodes(self) -> tuple[str, ...]:
        if not self.edges:
            return ()
        return (self.edges[0].node, *(edge.input for edge in self.edges))

    @property
    def factors(self) -> tuple[xp.ndarray | None, ...]:
        return tuple(edge.value for edge in self.edges)


@dataclass(eq=False)
class InputGradient:
    """Everything about the gradient of the output with respect to one input."""

    name: str
    kind: str  # "input" | "parameter"
    value: xp.ndarray
    gradient: xp.ndarray | None  # what the engine computed; None where no path reaches it
    terms: tuple[Contribution, ...]  # the contributions that added up to ``gradient``
    paths: tuple[Path, ...]  # at most MAX_PATHS of them
    path_count: int  # all paths, listed or not
    finite_difference: xp.ndarray | None = None
    symbolic: str | None = None  # SymPy's derivative of the expression, e.g. "4*x"
    symbolic_value: float | None = None

    @property
    def paths_truncated(self) -> bool:
        return len(self.paths) < self.path_count


@dataclass(eq=False)
class Explanation:
    """A computation, its forward pass, the backward pass the engine ran, and per input the
    chain rule: each path's product of local derivatives and their sum, the gradient."""

    source: str | None  # the expression, when one was given
    values: tuple[Value, ...]  # inputs, parameters and constants
    forward: tuple[ForwardStep, ...]
    output: str  # name of the output value
    output_value: xp.ndarray
    backward: tuple[BackwardStep, ...] = ()
    gradients: tuple[InputGradient, ...] = ()
    notes: tuple[str, ...] = ()
    differentiated: bool = True  # False for a picture of a non-scalar tensor: values only
    _lookup: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for item in (*self.values, *self.forward):
            self._lookup[item.name] = item

    # --- access -----------------------------------------------------------------------
    def value_of(self, name: str) -> xp.ndarray:
        """The value named ``name`` (an input, a constant or an intermediate ``u1``...)."""
        try:
            return self._lookup[name].value
        except KeyError:
            raise KeyError(f"no value named {name!r} in this explanation") from None

    def gradient_of(self, name: str) -> InputGradient:
        for gradient in self.gradients:
            if gradient.name == name:
                return gradient
        names = ", ".join(g.name for g in self.gradients) or "none"
        raise KeyError(f"no input named {name!r} (inputs: {names})")

    def grad(self, name: str) -> xp.ndarray | None:
        """d(output)/d(input ``name``) as the engine computed it."""
        return self.gradient_of(name).gradient

    # --- renderings -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; the schema is documented in :mod:`chainrule.tools.explanation_json`."""
        from chainrule.tools.explanation_json import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        from chainrule.tools.explanation_json import to_json

        return to_json(self, indent=indent)

    def to_text(self) -> str:
        from chainrule.tools.render import to_text

        return to_text(self)

    def to_markdown(self) -> str:
        from chainrule.tools.render import to_markdown

        return to_markdown(self)

    def to_html(self) -> str:
        from chainrule.tools.render import to_html

        return to_html(self)

    def print(self, file: Any = None) -> None:
        """Print to a terminal: coloured with rich where available, plain text otherwise."""
        from chainrule.tools.render import print_explanation

        print_explanation(self, file)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        inputs = ", ".join(g.name for g in self.gradients)
        return f"<Explanation of {self.output}: {len(self.forward)} ops, inputs {inputs}>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __rich__(self) -> Any:
        from chainrule.tools.render import to_rich

        return to_rich(self)


# ============================================================================== entry point
def expression_functions() -> dict[str, Callable[..., Any]]:
    """The built-ins of ``explain`` expressions: the core's elementwise functions, plus
    ``sum`` and ``mean`` so that vector inputs can be reduced to a scalar output."""
    import chainrule

    functions = declare.expression_functions()
    # One argument only: the evaluator checks calls against these signatures.
    functions["sum"] = lambda x: chainrule.sum(x)
    functions["mean"] = lambda x: chainrule.mean(x)
    return {name: _accepting_numbers(name, function) for name, function in functions.items()}


def _accepting_numbers(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    # Core functions take Tensors, as in PyTorch; ``sin(2)`` in an expression means a number.
    # A parameter with a default value (leaky_relu's negative_slope, elu's alpha) is a setting,
    # a number as in PyTorch: a value computed from the variables cannot go there.
    parameters = list(inspect.signature(function).parameters.values())[1:]
    settings = [p.name for p in parameters if p.default not in (inspect.Parameter.empty, None)]

    @functools.wraps(function)  # keeps the signature, which the evaluator checks calls against
    def call(first: Any, *rest: Any) -> Any:
        for setting, value in zip(parameters, rest, strict=False):
            if setting.name in settings and isinstance(value, Tensor):
                kind = " number" if isinstance(setting.default, int | float) else ""
                message = (
                    f"{name}(): {setting.name} must be a constant{kind}, not a value computed "
                    "from the variables"
                )
                raise expr.ExprError(message, kind="type error")
        if not isinstance(first, Tensor):
            first = _make(xp.asarray(first, dtype=xp.float64))
        return function(first, *rest)

    return call


def explain(
    target: str | Callable[..., Any] | Tensor,
    *inputs: Any,
    at: Mapping[str, Any] | None = None,
    modules: Any = None,
    symbolic: bool = True,
    finite_differences: bool = True,
    wrt: Sequence[str] | None = None,
    **variables: Any,
) -> Explanation:
    """Explain how the gradient of a scalar computation comes out of the chain rule.

    ``target`` is one of:

    - an expression of :mod:`chainrule.expr`, with its variables by name (or in ``at``):
      ``explain("(x + 2)**2", x=3)``; user functions label their results
      (``f(x) = x**2; g(u) = 2*u; g(f(x))``);
    - a function and its inputs: ``explain(lambda x, y: x * y + x, 2.0, 3.0)``; inputs are
      named after the function's parameters; leaves it reaches that require grad (a model's
      parameters) are explained too. A model as the function (or in ``modules``) tags each op
      with the submodule that created it;
    - a scalar Tensor whose graph is already recorded.

    Numbers and arrays become float64 tensors; Tensors keep their dtype and are copied, so
    nothing of the caller's changes (no ``.grad`` is written). ``symbolic`` adds SymPy's
    derivative of an expression where SymPy is installed; ``finite_differences`` adds central
    differences as an independent check: the output recomputed by the recorded ops' forward
    rules at nudged inputs (for a recorded Tensor too), never by their derivative rules.

    ``wrt`` names the variables of an expression to differentiate (all by default); the
    others are constants.

    >>> e = explain("(x + 2)**2", x=3)
    >>> float(e.grad("x"))
    10.0
    >>> [g.name for g in explain("x * y", x=2, y=3, wrt=["y"]).gradients]
    ['y']
    """
    if isinstance(target, str):
        if inputs:
            raise TypeError('give an expression\'s variables by name: explain("x**2", x=3)')
        twice = sorted(set(at or {}) & set(variables))
        if twice:
            raise TypeError(
                f"explain: {twice[0]} is given both in at= and as a keyword argument; give it once"
            )
        values = {**(at or {}), **variables}
        return _explain_source(target, values, symbolic, finite_differences, wrt)
    if at or variables or wrt is not None:
        raise TypeError("variables by name are for expressions; pass a function's inputs in order")
    if isinstance(target, Tensor):
        if inputs:
            raise TypeError("explain(tensor) explains the graph already recorded: no inputs")
        return _Builder(target, finite_differences=finite_differences).build()
    if callable(target):
        return _explain_callable(target, inputs, modules, finite_differences)
    raise TypeError(
        f"explain: expected an expression, a function or a Tensor, not {type(target).__name__}"
    )


def _explain_source(
    source: str,
    values: dict[str, Any],
    symbolic: bool,
    finite_differences: bool,
    wrt: Sequence[str] | None = None,
) -> Explanation:
    program = expr.parse(source)
    used = ", ".join(program.variables) or "none"
    for name in [*values, *(wrt or ())]:
        if name not in program.variables:
            message = f"variable '{name}' is not used by the expression (it uses: {used})"
            raise expr.ExprError(message, None, source, "name error")
    given = [name for name in program.variables if name in values]
    chosen = given if wrt is None else [name for name in given if name in wrt]
    leaves = {name: _leaf(values[name], name) for name in chosen}
    # The variables not differentiated are constants: float64 values that record nothing.
    constants = {
        name: _make(xp.asarray(_leaf(values[name], name)._data)) for name in given
        if name not in leaves
    }  # fmt: skip
    functions = expression_functions()
    returns: list[tuple[expr.Call, list[Any], Any]] = []
    assigned: list[tuple[str, Any]] = []
    with _recording():
        output = expr.evaluate(
            program,
            {**constants, **leaves},
            functions,
            on_return=lambda *call: returns.append(call),
            on_assign=lambda *named: assigned.append(named),
        )

    builder = _Builder(
        output,
        leaves=[(name, "input", leaf) for name, leaf in leaves.items()],
        returns=returns,
        assigned=assigned,
        source=source,
        finite_differences=finite_differences,
    )
    explanation = builder.build()
    scope = {**constants, **leaves}
    if symbolic and all(leaf._data.size == 1 for leaf in scope.values()):
        from chainrule.tools.symbolic import symbolic_derivatives

        point = {name: float(leaf._data.reshape(())) for name, leaf in scope.items()}
        for name, (text, value) in symbolic_derivatives(program, point).items():
            if name not in leaves:
                continue
            gradient = explanation.gradient_of(name)
            gradient.symbolic, gradient.symbolic_value = text, value
            known = gradient.gradient is not None and math.isfinite(value)
            if known and not _close(gradient.gradient, xp.array(value)):
                explanation.notes += (
                    f"SymPy's derivative for {name} ({fmt.number(value)}) differs from the "
                    f"gradient ({fmt.array(gradient.gradient)}): is the function smooth there?",
                )
    return explanation


def _explain_callable(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    modules: Any,
    finite_differences: bool,
    differentiate: bool | None = True,
) -> Explanation:
    names = _parameter_names_of(fn, len(inputs))
    leaves = [_leaf(value, name) for value, name in zip(inputs, names, strict=True)]
    model = modules if modules is not None else (fn if hasattr(fn, "named_modules") else None)
    parameter_names = {}
    if model is not None and hasattr(model, "named_parameters"):
        parameter_names = {id(p): name for name, p in model.named_parameters()}
    tagging = nullcontext({})
    if model is not None:
        from chainrule.tools.modules import tag_modules

        tagging = tag_modules(model)
    with _recording(), tagging as tags:
        output = fn(*leaves)

    return _Builder(
        output,
        leaves=[(name, "input", leaf) for name, leaf in zip(names, leaves, strict=True)],
        parameter_names=parameter_names,
        tags=tags,
        finite_differences=finite_differences,
        differentiate=differentiate,
    ).build()


def _parameter_names_of(fn: Callable[..., Any], count: int) -> list[str]:
    """Inputs are named after the function's positional parameters, else x1, x2, ..."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [
        p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) >= count and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return positional[:count]
    if count == 1:
        return ["x"]
    return [f"x{i}" for i in range(1, count + 1)]


def _leaf(value: Any, name: str) -> Tensor:
    """A fresh leaf that requires grad: float64 for numbers, a copy for arrays and Tensors."""
    data = value._data if isinstance(value, Tensor) else xp.asarray(value)
    if data.dtype.kind != "f":
        if data.dtype.kind not in "biu":
            raise TypeError(f"input {name!r} must be numeric, not {data.dtype}")
        data = data.astype(xp.float64)
    return _make(xp.array(data), requires_grad=True)


@contextmanager
def _recording() -> Iterator[None]:
    """Gradients on, and NumPy quiet: a nan in the explanation is reported as a note."""
    with grad_mode.enable_grad(), xp.errstate(all="ignore"):
        yield


# ============================================================================== the builder
class _Builder:
    """Names the graph's values, replays the backward pass and decomposes it into paths."""

    def __init__(
        self,
        output: Any,
        leaves: Sequence[tuple[str, str, Tensor]] = (),
        returns: Sequence[tuple[expr.Call, list[Any], Any]] = (),
        assigned: Sequence[tuple[str, Any]] = (),
        source: str | None = None,
        parameter_names: Mapping[int, str] | None = None,
        tags: Mapping[Any, str] | None = None,
        finite_differences: bool = False,
        differentiate: bool | None = True,
    ) -> None:
        """``differentiate``: True requires a scalar output; None differentiates only a
        scalar one (pictures of any tensor); False records the forward pass alone."""
        if not isinstance(output, Tensor) or not output.requires_grad:
            raise ValueError("nothing to explain: the output does not depend on any input")
        if differentiate is None:
            differentiate = output._data.size == 1
        if differentiate and output._data.size != 1:
            raise ValueError(
                f"explain needs a scalar output, got shape {fmt.shape(output._data.shape)}: "
                "reduce it first, e.g. with sum(...)"
            )
        self.nodes = graph.ancestors([output.grad_fn])
        # Every step shown: the nodes, and the steps without gradient that feed them.
        self.steps = graph.steps([output.grad_fn])
        self.step_values = _step_values(self.steps)
        _check_size(self.steps, self.step_values)
        self.output = output
        self.leaves = list(leaves)
        self.returns = returns
        self.assigned = assigned
        self.source = source
        self.parameter_names = parameter_names or {}
        self.tags = tags or {}
        self.finite_differences = finite_differences
        self.differentiate = differentiate
        self.names: dict[int, str] = {}  # id(tensor, node or array constant) -> name
        self.values: list[Value] = []
        self.constants = 0

    # --- naming -----------------------------------------------------------------------
    def _name_values(self) -> None:
        for name, kind, leaf in self.leaves:
            self.names[id(leaf)] = name
            self.values.append(Value(name, kind, xp.array(leaf._data)))
        taken = {name for name, _, _ in self.leaves}
        user_names = self._user_names(taken)
        taken |= set(user_names.values())
        prefix = next(
            p
            for p in ("u", "v", "w", "z", "n")
            if not any(re.fullmatch(rf"{p}\d+", name) for name in taken)
        )
        unnamed = 0
        for node in self.steps:
            if id(node) in user_names:
                self.names[id(node)] = user_names[id(node)]
            else:
                unnamed += 1
                self.names[id(node)] = f"{prefix}{unnamed}"
        unnamed_leaves = 0
        for node in self.nodes:
            for x in node.inputs:
                if not isinstance(x, Tensor) or x.grad_fn is not None or id(x) in self.names:
                    continue
                if x.requires_grad:  # a leaf the caller did not pass: a model parameter
                    unnamed_leaves += 1
                    name = self.parameter_names.get(id(x), f"p{unnamed_leaves}")
                    self.names[id(x)] = name
                    self.leaves.append((name, "parameter", x))
                    self.values.append(Value(name, "parameter", xp.array(x._data)))
        if self.output.grad_fn is None and id(self.output) not in self.names:
            self.names[id(self.output)] = "x"  # explain(leaf): the output is the input
            self.leaves.append(("x", "input", self.output))
            self.values.append(Value("x", "input", xp.array(self.output._data)))

    def _user_names(self, taken: set[str]) -> dict[int, str]:
        """id(node) -> the name the user gave its value: an assignment's (``f = x*y``), else
        the user function that returned it (``f(x) = x**2``), where that function returned
        this one value only and the outermost of the functions that returned it. A name
        already taken (an input's) or given twice leaves the value unnamed."""
        in_graph = {id(node) for node in self.steps}
        names: dict[int, str] = {}
        taken = set(taken)  # grows with each name given

        def give(node: Any, name: str) -> None:
            if id(node) in in_graph and id(node) not in names and name not in taken:
                names[id(node)] = name
                taken.add(name)

        for name, value in self.assigned:
            if isinstance(value, Tensor):
                give(value.grad_fn or graph.source(value), name)
        returned: dict[str, set[int]] = {}  # function -> the nodes it returned
        outermost: dict[int, tuple[str, Any]] = {}  # id(node) -> the last function returning it
        for call, _, value in self.returns:
            if isinstance(value, Tensor) and value.grad_fn is not None:
                returned.setdefault(call.func, set()).add(id(value.grad_fn))
                outermost[id(value.grad_fn)] = (call.func, value.grad_fn)
        for function, node in outermost.values():
            if len(returned[function]) == 1:
                give(node, function)
        return names

    def name_of(self, x: Any, user: Any = None) -> str:
        """The name of ``x``, as the node ``user`` read it (its history before any later
        in-place change)."""
        if isinstance(x, Tensor):
            source = x.grad_fn if user is None else graph.parent(x, user)
            if source is None:
                source = graph.source(x)  # a step without gradient (x > 0)
            if source is not None and id(source) in self.names:
                return self.names[id(source)]
            if id(x) in self.names:
                return self.names[id(x)]
            data = x._data
        else:
            data = xp.asarray(x)
        if data.size == 1:
            return fmt.number(data.reshape(()))
        self.constants += 1  # an array constant: named, and listed among the values
        name = f"c{self.constants}"
        self.names[id(x)] = name
        self.values.append(Value(name, "constant", xp.array(data)))
        return name

    # --- forward ----------------------------------------------------------------------
    def _forward_steps(self) -> list[ForwardStep]:
        labels: dict[int, list[tuple[str, str]]] = {}
        for call, args, value in self.returns:
            if isinstance(value, Tensor) and value.grad_fn is not None:
                text = f"{call.func}({', '.join(self.name_of(a) for a in args)})"
                labels.setdefault(id(value.grad_fn), []).append((call.func, text))
        steps = []
        for node in self.steps:
            cls = type(node)
            inputs = tuple(self.name_of(x, node) for x in node.inputs)
            params = _parameter_names(cls)
            # The node's own notation where it has one (a comparison's ``a > b``).
            notation = node.notation
            if len(params) == len(inputs):
                expression = _fill_in(notation, node, params, inputs)
            else:  # variadic (cat): the notation has no names to fill in
                expression = f"{_op_name(node).lower()}({', '.join(inputs)})"
            found = labels.get(id(node), [])
            constant = id(node) in self.step_values
            steps.append(
                ForwardStep(
                    name=self.names[id(node)],
                    op=_op_name(node),
                    # A step without gradient has no backward node: its class names it.
                    node=cls.__name__ if constant else node.label(),
                    notation=notation,
                    expression=expression,
                    inputs=inputs,
                    value=xp.array(self.step_values[id(node)] if constant else node.out),
                    labels=tuple(text for _, text in found),
                    layer=found[-1][0] if found else None,
                    module=self.tags.get(node),
                    constant=constant,
                )
            )
        return steps

    # --- backward ---------------------------------------------------------------------
    def _replay(self) -> tuple[list[tuple[Any, xp.ndarray, list[Any]]], list[Any]]:
        """Run the engine's backward pass, recording what each rule application saw."""
        records = []

        def observer(node: Any, upstream: Any, grads: tuple[Any, ...]) -> None:
            local = None
            if _has_local_values(node):
                ones = xp.ones_like(node.out)
                local = node.vjp(ones, node.out, *node.args)
            records.append(
                (
                    node,
                    xp.array(upstream),
                    [
                        (i, g, None if local is None or local[i] is None else xp.array(local[i]))
                        for i, g in enumerate(grads)
                        if g is not None and node.needs[i]
                    ],
                )
            )

        targets = [leaf for _, _, leaf in self.leaves]
        with xp.errstate(all="ignore"):
            found = run_backward(
                [self.output], [None], retain_graph=True, create_graph=False,
                targets=targets, accumulate=False, observer=observer,
            )  # fmt: skip
        return records, found

    def _local(self, node: Any, position: int, value: xp.ndarray | None) -> LocalDerivative:
        cls = type(node)
        params = _parameter_names(cls)
        inputs = tuple(self.name_of(x, node) for x in node.inputs)
        # Every op of the core has its formulas; a user's autograd.Function has its backward.
        derivatives = cls.derivatives or (f"{_op_name(node)}.backward (user-defined)",)
        formula = derivatives[min(position, len(derivatives) - 1)]
        if len(params) == len(inputs):
            formula = _fill_in(formula, node, params, inputs)
            parameter = params[position]
        else:
            parameter = f"#{position}"
        return LocalDerivative(
            node=self.names[id(node)],
            input=inputs[position],
            position=position,
            parameter=parameter,
            formula=formula,
            value=value,
            repeated=inputs.count(inputs[position]) > 1,
        )

    def _backward_steps(
        self, records: list[tuple[Any, xp.ndarray, list[Any]]]
    ) -> tuple[list[BackwardStep], dict[str, list[Contribution]], dict[tuple[int, int], Any]]:
        arrived: dict[str, list[Contribution]] = {}  # target name -> contributions so far
        locals_: dict[tuple[int, int], LocalDerivative] = {}  # (id(node), position) -> local
        steps = []
        for node, upstream, grads in records:
            name = self.names[id(node)]
            contributions = []
            for position, raw, local_value in grads:
                local = self._local(node, position, local_value)
                locals_[(id(node), position)] = local
                data = node.inputs[position]._data
                value = unbroadcast(raw, data.shape).astype(data.dtype, copy=False)
                contribution = Contribution(local, xp.array(raw), xp.array(value))
                contributions.append(contribution)
                arrived.setdefault(local.input, []).append(contribution)
            terms = arrived.get(name, [])
            steps.append(
                BackwardStep(
                    node=name,
                    op=_op_name(node),
                    rule=type(node).formula(),
                    elementwise=_has_local_values(node),
                    upstream=upstream,
                    upstream_terms=tuple(terms) if len(terms) > 1 else (),
                    contributions=tuple(contributions),
                )
            )
        return steps, arrived, locals_

    # --- paths ------------------------------------------------------------------------
    def _paths(
        self,
        leaf_name: str,
        locals_: Mapping[tuple[int, int], LocalDerivative],
        layer_names: Mapping[str, str],
    ) -> tuple[list[Path], int]:
        """Paths from the output to ``leaf_name``, depth first in input order, and their count."""
        if self.output.grad_fn is None:
            is_leaf = self.names.get(id(self.output)) == leaf_name
            return ([Path((), xp.ones_like(self.output._data))], 1) if is_leaf else ([], 0)
        counts = self._path_counts(leaf_name)
        paths: list[Path] = []
        # Entries are (node, edges so far); node None marks a finished path.
        stack: list[tuple[Any, tuple[LocalDerivative, ...]]] = [(self.output.grad_fn, ())]
        while stack and len(paths) < MAX_PATHS:
            node, edges = stack.pop()
            if node is None:
                paths.append(self._path(edges, layer_names))
                continue
            for position in reversed(range(len(node.inputs))):  # first input on top
                local = locals_.get((id(node), position))
                if local is None:
                    continue
                source = graph.parent(node.inputs[position], node)
                if source is None:
                    if local.input == leaf_name:
                        stack.append((None, (*edges, local)))
                elif counts.get(id(source)):
                    stack.append((source, (*edges, local)))
        return paths, counts.get(id(self.output.grad_fn), 0)

    def _path_counts(self, leaf_name: str) -> dict[int, int]:
        """Number of paths from each node down to the leaf (oldest nodes first)."""
        counts: dict[int, int] = {}
        for node in self.nodes:
            total = 0
            for position, x in enumerate(node.inputs):
                if not isinstance(x, Tensor) or not node.needs[position]:
                    continue
                source = graph.parent(x, node)
                if source is not None:
                    total += counts.get(id(source), 0)
                elif self.names.get(id(x)) == leaf_name:
                    total += 1
            if total:
                counts[id(node)] = total
        return counts

    def _path(self, edges: tuple[LocalDerivative, ...], layer_names: Mapping[str, str]) -> Path:
        """The gradient along one path: the engine's vjp rules applied edge after edge."""
        by_name = {self.names[id(node)]: node for node in self.nodes}
        v = xp.ones_like(self.output._data)
        with grad_mode.no_grad(), xp.errstate(all="ignore"):
            for edge in edges:
                node = by_name[edge.node]
                g = node.vjp(v, node.out, *node.args)[edge.position]
                data = node.inputs[edge.position]._data
                v = unbroadcast(g, data.shape).astype(data.dtype, copy=False)
        return Path(edges, xp.array(v), _layers(edges, layer_names))

    # --- checks -----------------------------------------------------------------------
    def _finite_differences(self) -> dict[str, xp.ndarray]:
        """Central differences of the replayed output, one leaf element at a time."""
        results: dict[str, xp.ndarray] = {}
        budget = MAX_FINITE_DIFFERENCE_ELEMENTS
        with grad_mode.no_grad(), xp.errstate(all="ignore"):
            for name, _, leaf in self.leaves:
                data = leaf._data
                if data.size > budget or data.dtype.kind != "f":
                    continue
                budget -= data.size
                results[name] = _central_differences(data, self._replayed_output)
        return results

    def _replayed_output(self) -> float:
        """The output recomputed from the leaves' current data by running each recorded op's
        ``forward`` again, oldest first. Unlike calling the user's function again, this runs
        no module code: no random draws (a dropout mask keeps the value drawn), no running
        statistics updated, the same function at every point."""
        outs: dict[int, Any] = {}
        for node in self.steps:
            if getattr(node, "draws", False):  # the mask drawn then, not a new one
                outs[id(node)] = self.step_values[id(node)]
                continue
            args = []
            for x, saved in zip(node.inputs, node.args, strict=True):
                if not isinstance(x, Tensor):
                    args.append(saved)
                elif x.grad_fn is None and graph.source(x) is None:
                    args.append(x._data)  # a leaf, perturbed in place by the caller
                else:  # a comparison too is computed again, at the nudged values
                    args.append(outs.get(id(graph.parent(x, node) or graph.source(x)), saved))
            # Some ops keep what their vjp needs from forward (indices, columns, a Function's
            # ctx): the replay works on copies and the node gets its own state back.
            state = getattr(node, "__dict__", None)
            saved_state = dict(state) if state is not None else {}
            if state is not None:
                state.update({k: copy.copy(v) for k, v in saved_state.items()
                              if hasattr(v, "__dict__") and not isinstance(v, type)})  # fmt: skip
            try:
                # As Op.__call__ does: NumPy returns scalars for 0-d results, keep arrays.
                outs[id(node)] = xp.asarray(node.forward(*args))
            finally:
                if state is not None:
                    state.clear()
                    state.update(saved_state)
        if self.output.grad_fn is None:  # explain("x", x=...): the output is the input
            return float(self.output._data.reshape(()))
        return float(xp.asarray(outs[id(self.output.grad_fn)]).reshape(()))

    # --- assembly ---------------------------------------------------------------------
    def build(self) -> Explanation:
        self._name_values()
        forward = self._forward_steps()
        output_name = self.name_of(self.output)
        if not self.differentiate:
            return Explanation(
                self.source, tuple(self.values), tuple(forward), output_name,
                xp.array(self.output._data), notes=tuple(_notes(forward, [])),
                differentiated=False,
            )  # fmt: skip
        records, found = self._replay()
        backward, arrived, locals_ = self._backward_steps(records)
        layer_names = _layer_names(forward)
        if self.output.grad_fn is not None and output_name not in layer_names:
            layer_names[output_name] = output_name
        differences = self._finite_differences() if self.finite_differences else {}
        gradients = []
        for (name, kind, leaf), gradient in zip(self.leaves, found, strict=True):
            paths, count = self._paths(name, locals_, layer_names)
            gradients.append(
                InputGradient(
                    name=name,
                    kind=kind,
                    value=xp.array(leaf._data),
                    gradient=None if gradient is None else xp.array(gradient),
                    terms=tuple(arrived.get(name, ())),
                    paths=tuple(paths),
                    path_count=count,
                    finite_difference=differences.get(name),
                )
            )
        return Explanation(
            self.source, tuple(self.values), tuple(forward), output_name,
            xp.array(self.output._data), tuple(backward), tuple(gradients),
            tuple(_notes(forward, gradients)),
        )  # fmt: skip


# ============================================================================== helpers
def _step_values(steps: Sequence[Any]) -> dict[int, Any]:
    """id(step) -> its value, for the steps without gradient (:class:`chainrule.op.Constant`
    keeps no output: their values are the tensors the later steps read)."""
    return {
        id(source): x._data
        for node in steps
        for x in node.inputs
        if isinstance(x, Tensor) and (source := graph.source(x)) is not None
    }


def _check_size(nodes: Sequence[Any], step_values: Mapping[int, Any]) -> None:
    """Refuse a computation too large to explain, before anything is replayed or stored."""
    counted: set[int] = set()
    total = 0
    for node in nodes:
        out = step_values.get(id(node))
        if out is None:  # a node with a gradient keeps its output
            out = node.out
        for x in (out, *(x._data for x in node.inputs if isinstance(x, Tensor))):
            if id(x) not in counted:
                counted.add(id(x))
                total += xp.size(x)
    if total > MAX_ELEMENTS:
        raise ValueError(
            f"explain: the computation holds {total:,} numbers (inputs and every op's result), "
            f"more than the {MAX_ELEMENTS:,} an explanation can show; explain it on a smaller "
            "example"
        )


def _op_name(node: Any) -> str:
    """The op's name without PyTorch's suffix: ``Mul`` for ``MulBackward0``, and a user's
    ``autograd.Function`` by its own name (``Cube`` for ``CubeBackward``)."""
    return re.sub(r"Backward\d*$", "", node.label())


def _has_local_values(node: Any) -> bool:
    """Elementwise ops have a diagonal Jacobian, and an op with one output element a single
    row: either way d(out)/d(input) is one array, the vjp of an upstream of ones."""
    return type(node).__module__ == _ELEMENTWISE_MODULE or node.out.size == 1


def _fill_in(text: str, node: Any, params: Sequence[str], inputs: Sequence[str]) -> str:
    """An op's notation or derivative with the inputs' names, and with the op's numeric
    settings where the text names them (``clamp``'s ``lo`` and ``hi``, ``elu``'s ``alpha``)."""
    settings = {
        key: fmt.number(value)
        for key, value in getattr(node, "__dict__", {}).items()
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and key not in params
    }
    return _substitute(text, (*params, *settings), (*inputs, *settings.values()))


def _substitute(text: str, params: Sequence[str], names: Sequence[str]) -> str:
    """Replace the op's parameter names in ``text`` by the inputs' names, whole words only.

    Case is ignored: notations write matrix parameters in capitals (``A @ B`` for ``a, b``).
    """
    if not params:
        return text
    wrapped = (f"({n})" if n.startswith("-") else n for n in names)
    mapping = {p.lower(): n for p, n in zip(params, wrapped, strict=True)}
    return _parameter_pattern(tuple(params)).sub(lambda m: mapping[m.group(1).lower()], text)


@functools.cache
def _parameter_pattern(params: tuple[str, ...]) -> re.Pattern[str]:
    """Whole-word matches of an op's parameter names (one pattern per op signature)."""
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in params) + r")\b", re.IGNORECASE)


def _layer_names(forward: Sequence[ForwardStep]) -> dict[str, str]:
    """Value name -> the user function that returned it ("f"), where that is unambiguous."""
    layers = {step.name: step.layer for step in forward if step.layer is not None}
    repeated = {layer for layer, count in Counter(layers.values()).items() if count > 1}
    return {name: (name if layer in repeated else layer) for name, layer in layers.items()}


def _layers(
    edges: Sequence[LocalDerivative], layer_names: Mapping[str, str]
) -> tuple[LayerFactor, ...]:
    """Group a path's factors between user-function outputs: dh/dg x dg/df x df/dx."""
    if not edges or not any(edge.input in layer_names for edge in edges[:-1]):
        return ()
    nodes = [edges[0].node, *(edge.input for edge in edges)]
    bounds = [0, *(i for i in range(1, len(nodes) - 1) if nodes[i] in layer_names),
              len(nodes) - 1]  # fmt: skip
    layers = []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        factors = [edge.value for edge in edges[start:stop]]
        scalar = all(f is not None and f.size == 1 for f in factors)
        value = xp.array(math.prod(float(f.reshape(-1)[0]) for f in factors)) if scalar else None
        of = layer_names.get(nodes[start], nodes[start])
        wrt = layer_names.get(nodes[stop], nodes[stop]) if stop < len(nodes) - 1 else nodes[stop]
        layers.append(LayerFactor(of, wrt, value))
    return tuple(layers)


def _central_differences(data: xp.ndarray, f: Callable[[], float]) -> xp.ndarray:
    """(f(x + h) - f(x - h)) / 2h per element, perturbing ``data`` in place and restoring it
    exactly; h is eps**(1/3) scaled to the element (the step that balances the truncation
    error against rounding)."""
    result = xp.zeros(data.shape, dtype=xp.float64)
    scale = float(xp.finfo(data.dtype).eps) ** (1 / 3)
    for index in xp.ndindex(data.shape):
        old = data[index].copy()
        h = scale * max(1.0, abs(float(old)))
        data[index] = old + h
        up, high = f(), float(data[index])
        data[index] = old - h
        down, low = f(), float(data[index])
        data[index] = old
        result[index] = (up - down) / (high - low)
    return result.astype(data.dtype)


def _notes(forward: Sequence[ForwardStep], gradients: Sequence[InputGradient]) -> Iterator[str]:
    for step in forward:
        if not xp.all(xp.isfinite(step.value)):
            yield f"{step.name} = {step.expression} is not finite ({fmt.array(step.value)})"
    for g in gradients:
        if g.gradient is None:
            yield f"the output does not depend on {g.name}: no path leads to it"
            continue
        if not xp.all(xp.isfinite(g.gradient)):
            yield f"the gradient of {g.name} is not finite"
        if g.finite_difference is not None and not _close(g.gradient, g.finite_difference):
            yield (
                f"finite differences for {g.name} ({fmt.array(g.finite_difference)}) differ "
                f"from the gradient ({fmt.array(g.gradient)}): is the function smooth there?"
            )


def _close(a: xp.ndarray, b: xp.ndarray) -> bool:
    tight = a.dtype == xp.float64
    with xp.errstate(all="ignore"):
        return bool(xp.allclose(a, b, rtol=1e-4 if tight else 1e-2, atol=1e-6 if tight else 1e-3))
