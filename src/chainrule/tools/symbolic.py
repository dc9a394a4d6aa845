"""A symbolic cross-check: SymPy differentiates the same expression the engine did.

The parsed tree of :mod:`chainrule.expr` is converted node by node (user functions inlined);
no text is ever handed to SymPy's parser. Large expressions are skipped, since symbolic
derivatives can grow far faster than the expression. Without SymPy installed the check is
simply absent.

    >>> from chainrule import expr
    >>> symbolic_derivatives(expr.parse("g(x) = x**2; f(g) = 2*g + 3; f(g(x))"), {"x": 3.0})
    {'x': ('4*x', 12.0)}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from chainrule import expr

#: Largest expression tree (user functions inlined) that SymPy differentiates, and its deepest
#: nesting: derivatives grow much faster than expressions, and SymPy recurses on the tree.
SYMBOLIC_MAX_NODES = 150
SYMBOLIC_MAX_DEPTH = 40


class _Unsupported(Exception):
    """The expression uses something without a SymPy counterpart, or is too large."""


def symbolic_derivatives(
    program: expr.Program, point: Mapping[str, float]
) -> dict[str, tuple[str, float]]:
    """{variable: (derivative as SymPy prints it, its value at ``point``)}; empty without
    SymPy or for an expression it cannot take."""
    try:
        import sympy
    except ImportError:
        return {}
    symbols = {name: sympy.Symbol(name, real=True) for name in program.variables}
    scope = {name: _Term(symbol, 1, 1) for name, symbol in symbols.items()}
    at = {symbols[name]: value for name, value in point.items()}
    results = {}
    try:
        converter = _Converter(program, sympy)
        for assignment in program.assignments:  # a named value: one term, used where named
            scope[assignment.name] = converter.convert(assignment.value, scope)
        expression = converter.convert(program.body, scope).expression
        for name, symbol in symbols.items():
            derivative = sympy.diff(expression, symbol)
            results[name] = (sympy.sstr(derivative), _value_at(derivative, at, sympy))
    # The bounds keep SymPy's recursion shallow; should it still run out, there is no check.
    except (_Unsupported, RecursionError):
        return {}
    return results


def _value_at(derivative: Any, at: Mapping[Any, float], sp: Any) -> float:
    """The derivative's value in floats. SymPy's own ``evalf`` takes seconds on derivatives of
    nested functions; this walk takes milliseconds (shared subexpressions are cached)."""
    try:
        return _FloatEvaluator(at, sp).value(derivative)
    # Complex results, overflow, a function without a float counterpart: no number.
    except (TypeError, ValueError, ArithmeticError, RecursionError, _Unsupported):
        return float("nan")


class _FloatEvaluator:
    def __init__(self, at: Mapping[Any, float], sp: Any) -> None:
        self.cache: dict[Any, float] = dict(at)
        self.sp = sp
        self.functions: dict[Any, Callable[[float], float]] = {
            sp.exp: math.exp, sp.log: math.log, sp.sin: math.sin, sp.cos: math.cos,
            sp.tan: math.tan, sp.tanh: math.tanh, sp.erf: math.erf, sp.Abs: abs,
            sp.asin: math.asin, sp.acos: math.acos, sp.atan: math.atan, sp.atan2: math.atan2,
            sp.sinh: math.sinh, sp.cosh: math.cosh, sp.asinh: math.asinh,
            sp.acosh: math.acosh, sp.atanh: math.atanh,
            sp.sign: lambda v: float((v > 0) - (v < 0)),
            # d/dx sign(x) = 2 DiracDelta(x): zero away from 0, no number at 0.
            sp.DiracDelta: lambda v: 0.0 if v != 0 else float("nan"),
        }  # fmt: skip

    def value(self, e: Any) -> float:
        found = self.cache.get(e)
        if found is not None:
            return found
        sp = self.sp
        if not e.free_symbols:
            result = float(e)
        elif e.is_Add:
            result = math.fsum(self.value(arg) for arg in e.args)
        elif e.is_Mul:
            result = math.prod(self.value(arg) for arg in e.args)
        elif e.is_Pow:
            result = self.value(e.base) ** self.value(e.exp)
            if isinstance(result, complex):
                raise ValueError("complex power")
        elif isinstance(e, sp.Piecewise):
            result = next(self.value(piece) for piece, condition in e.args
                          if self._holds(condition))  # fmt: skip
        elif e.func in self.functions:
            result = self.functions[e.func](*(self.value(arg) for arg in e.args))
        else:
            raise _Unsupported
        self.cache[e] = result
        return result

    def _holds(self, condition: Any) -> bool:
        if condition is self.sp.true:
            return True
        if isinstance(condition, (self.sp.Or, self.sp.And)):
            found = (self._holds(part) for part in condition.args)
            return any(found) if isinstance(condition, self.sp.Or) else all(found)
        comparisons = {
            self.sp.StrictGreaterThan: float.__gt__, self.sp.GreaterThan: float.__ge__,
            self.sp.StrictLessThan: float.__lt__, self.sp.LessThan: float.__le__,
        }  # fmt: skip
        compare = comparisons.get(condition.func)
        if compare is None:
            raise _Unsupported
        return compare(float(self.value(condition.lhs)), float(self.value(condition.rhs)))


class _Term(NamedTuple):
    """A converted subexpression and the size and depth of its tree once user functions are
    inlined: a parameter used twice copies its argument twice, which SymPy then walks twice."""

    expression: Any
    size: int
    depth: int


class _Converter:
    def __init__(self, program: expr.Program, sympy: Any) -> None:
        self.program = program
        self.sp = sympy
        self.builtins = _builtins(sympy)

    def convert(self, node: expr.Node, scope: Mapping[str, _Term]) -> _Term:
        """The SymPy expression of ``node``; raises :class:`_Unsupported` past the bounds."""
        match node:
            case expr.Number():
                return _Term(_exact(node.value, self.sp), 1, 1)
            case expr.Name():
                return scope[node.id]
            case expr.UnaryOp():
                operand = self.convert(node.operand, scope)
                value = -operand.expression if node.op == "-" else operand.expression
                return self._term(value, [operand])
            case expr.BinOp():
                left, right = self.convert(node.left, scope), self.convert(node.right, scope)
                return self._term(
                    _BINARY[node.op](left.expression, right.expression), [left, right]
                )
            case expr.Call():
                args = [self.convert(arg, scope) for arg in node.args]
                definition = self.program.functions.get(node.func)
                if definition is not None:
                    return self.convert(
                        definition.body, dict(zip(definition.params, args, strict=True))
                    )
                builtin = self.builtins.get(node.func)
                if builtin is None:
                    raise _Unsupported
                try:
                    value = builtin(*(arg.expression for arg in args))
                except TypeError as error:  # an argument count SymPy's version lacks
                    raise _Unsupported from error
                return self._term(value, args)
        raise _Unsupported

    def _term(self, value: Any, children: list[_Term]) -> _Term:
        size = 1 + sum(child.size for child in children)
        depth = 1 + max(child.depth for child in children)
        if size > SYMBOLIC_MAX_NODES or depth > SYMBOLIC_MAX_DEPTH:
            raise _Unsupported
        return _Term(value, size, depth)


def _exact(value: int | float, sp: Any) -> Any:
    """Integers and short decimals as exact rationals (0.5 -> 1/2), others as floats."""
    if isinstance(value, int):
        return sp.Integer(value)
    text = repr(value)
    if len(text) <= 12 and "e" not in text and "inf" not in text and "nan" not in text:
        return sp.Rational(text)
    return sp.Float(value)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _builtins(sp: Any) -> dict[str, Callable[..., Any]]:
    """SymPy counterparts of the explainer's built-in functions: each op's own declaration."""
    from chainrule import declare

    return {
        **declare.sympy_functions(sp),
        "sum": lambda x: x,  # the symbolic check runs on scalar inputs only
        "mean": lambda x: x,
    }
