"""A small, safe expression language for the CLI (``chainrule explain``) and the web playground.

A program is a list of function definitions composed like textbook layers, separated by ``;``
or newlines, ending with the one expression to evaluate::

    f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))

Intermediate values may be named too, each once; a program that ends with an assignment
evaluates to the value assigned last (the explainer names its steps after these names)::

    f = x*y; g = sin(f) + f

The language has numbers (``2``, ``0.5``, ``1e-3``), variables, ``+ - * / **`` with Python's
precedence (``**`` is right-associative and binds tighter than a unary sign on its left, so
``-x**2`` is ``-(x**2)`` and ``2**-1`` works), parentheses and calls ``name(a, b)``. Nothing
else: no strings, attributes, indexing or keywords. The source is read by a hand-written
tokenizer and parser (never ``eval``), and every program is checked against the bounds below
before anything is evaluated, so hostile input fails with :class:`ExprError` at once.

Operators are applied with Python's operators, so one evaluator serves floats, NumPy arrays
and chainrule Tensors:

    >>> program = parse("f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))")
    >>> program.variables
    ['x']
    >>> evaluate(program, {"x": 5.0})
    53.0
    >>> to_source(program.body)
    'h(g(f(x)))'
"""

from __future__ import annotations

import inspect
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "builtin_names",
    "MAX_EXPANDED_NODES",
    "MAX_EXPONENT",
    "MAX_NESTING_DEPTH",
    "MAX_NODES",
    "MAX_SOURCE_LENGTH",
    "MAX_TREE_DEPTH",
    "BinOp",
    "Assignment",
    "Call",
    "ExprError",
    "FunctionDef",
    "Name",
    "Node",
    "Number",
    "Program",
    "UnaryOp",
    "evaluate",
    "expanded_size",
    "parse",
    "to_source",
]

# --- bounds: each one turns a way to make the parser or evaluator slow into a clear error -------

#: Longest accepted source, in characters (a megabyte of input is refused before tokenizing).
MAX_SOURCE_LENGTH = 10_000
#: Deepest accepted nesting of parentheses, calls included.
MAX_NESTING_DEPTH = 64
#: Deepest accepted expression tree, also after inlining user functions. Every tree walk is
#: recursive, so this keeps them all far below Python's recursion limit (about 2 frames a level).
MAX_TREE_DEPTH = 200
#: Most nodes in one program, function bodies included.
MAX_NODES = 2_000
#: Largest magnitude of a constant exponent (``x**1001`` and ``9**9**9`` are refused).
MAX_EXPONENT = 1_000
#: Most operations one evaluation may perform once user functions are inlined: definitions
#: that call each other twice, ten deep, already cost 2**10 times their size.
MAX_EXPANDED_NODES = 20_000


def builtin_names() -> tuple[str, ...]:
    """The built-in functions when :func:`evaluate` uses the chainrule core: every op that
    declares a SymPy counterpart (see :mod:`chainrule.declare`), in declaration order."""
    # Imported at call time: the package imports this module.
    from chainrule import declare

    return tuple(declare.expression_functions())


class ExprError(ValueError):
    """Why a program cannot be parsed or evaluated, and where.

    ``kind`` is one of ``"syntax error"``, ``"definition error"`` (redefinitions, recursion,
    argument counts), ``"name error"`` (unknown variables and functions at evaluation),
    ``"limit error"`` (the module's bounds), ``"math error"`` and ``"type error"`` (a
    built-in's argument of the wrong kind). ``position`` is a 0-based
    offset into ``source``, or None when the error has no place (input too long).

    >>> try:
    ...     parse("(x + 2")
    ... except ExprError as error:
    ...     print(error.pretty())
    syntax error at column 7: expected ')', found end of input
      (x + 2
            ^
    """

    def __init__(
        self, message: str, position: int | None = None, source: str = "", kind: str = "error"
    ) -> None:
        self.message = message
        self.position = position
        self.source = source
        self.kind = kind
        super().__init__(message)

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.kind}: {self.message}"
        return f"{self.kind} at {self._location()}: {self.message}"

    def pretty(self) -> str:
        """The one-line message, then the offending source line with a caret under the spot."""
        if self.position is None or not self.source:
            return str(self)
        line_start = self.source.rfind("\n", 0, self.position) + 1
        line_end = self.source.find("\n", self.position)
        line = self.source[line_start : len(self.source) if line_end == -1 else line_end]
        line, column = _clip_line(line, self.position - line_start)
        # Copy tabs so the caret lines up with the text however the terminal expands them.
        padding = "".join("\t" if char == "\t" else " " for char in line[:column])
        return f"{self}\n  {line}\n  {padding}^"

    def _location(self) -> str:
        line = self.source.count("\n", 0, self.position) + 1
        column = self.position - (self.source.rfind("\n", 0, self.position) + 1) + 1
        return f"column {column}" if line == 1 else f"line {line}, column {column}"


def _clip_line(line: str, column: int, width: int = 80) -> tuple[str, int]:
    """Show at most ``width`` characters of a long line, keeping ``column`` in view. Control
    characters show as '?' (one each, so the caret stays in place): echoing the source must
    not send escape sequences to the user's terminal."""
    line = "".join(char if char.isprintable() or char == "\t" else "?" for char in line)
    if len(line) <= width:
        return line, column
    start = max(0, min(column - width // 2, len(line) - width))
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + width < len(line) else ""
    return prefix + line[start : start + width] + suffix, column - start + len(prefix)


# --- the tree -------------------------------------------------------------------------------
# ``pos`` is a 0-based offset into the source (the operator for UnaryOp and BinOp, the name for
# Call). It is left out of comparisons so trees that differ only in spacing compare equal.


@dataclass(frozen=True)
class Number:
    """A numeric literal; ``value`` is an int or a float as written."""

    value: int | float
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Name:
    """A variable (or, inside a function body, a parameter)."""

    id: str
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class UnaryOp:
    """``-operand`` or ``+operand``."""

    op: str
    operand: Node
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BinOp:
    """``left op right`` for op in ``+ - * / **``."""

    op: str
    left: Node
    right: Node
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Call:
    """``func(*args)``: a user-defined or a built-in function."""

    func: str
    args: tuple[Node, ...]
    pos: int | None = field(default=None, compare=False)


Node = Number | Name | UnaryOp | BinOp | Call


@dataclass(frozen=True)
class FunctionDef:
    """``name(*params) = body``; the body may use only the parameters."""

    name: str
    params: tuple[str, ...]
    body: Node
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Assignment:
    """``name = value``: a named intermediate value, assigned once."""

    name: str
    value: Node
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Program:
    """Function definitions (in source order), the assignments (in the order they run) and
    the expression to evaluate (the last assignment's name where the program ends with one)."""

    functions: dict[str, FunctionDef]
    body: Node
    source: str = field(default="", compare=False, repr=False)
    assignments: tuple[Assignment, ...] = ()

    @property
    def variables(self) -> list[str]:
        """The input variables the program needs, in order of first appearance.

        >>> parse("f(u) = u**2; f(y) + x*y").variables
        ['y', 'x']
        >>> parse("f = x*y; g = sin(f) + f").variables
        ['x', 'y']
        """
        assigned = {assignment.name for assignment in self.assignments}
        roots = [*(assignment.value for assignment in self.assignments), self.body]
        names = (
            node.id for root in roots for node in _walk(root)
            if isinstance(node, Name) and node.id not in assigned
        )  # fmt: skip
        return list(dict.fromkeys(names))


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case UnaryOp():
            return (node.operand,)
        case BinOp():
            return (node.left, node.right)
        case Call():
            return node.args
        case _:
            return ()


def _walk(root: Node) -> Iterator[Node]:
    """Every node under ``root`` in source order (pre-order, left to right)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))


# --- tokenizer --------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "number", "name", "op", "sep" (';' or a newline) or "end"
    text: str
    pos: int


# ASCII classes on purpose: ``\d`` and ``\w`` would also accept other scripts' digits.
_TOKEN_PATTERN = re.compile(
    r"(?P<space>[ \t\r\f\v]+)"
    r"|(?P<newline>\n)"
    r"|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/(),=;])"
)

_CHARACTER_HINTS = {
    "'": "strings are not part of the language",
    '"': "strings are not part of the language",
    ".": "attribute access is not part of the language",
    "[": "lists and indexing are not part of the language",
}


def _tokenize(source: str) -> list[_Token]:
    """Split ``source`` into tokens, refusing excessive parenthesis nesting up front."""
    tokens: list[_Token] = []
    depth = 0
    position = 0
    while position < len(source):
        match = _TOKEN_PATTERN.match(source, position)
        if match is None:
            raise _unexpected_character(source, position)
        kind, text = match.lastgroup, match.group()
        if text == "(":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                message = f"parentheses are nested too deeply (limit {MAX_NESTING_DEPTH})"
                raise ExprError(message, position, source, "limit error")
        elif text == ")":
            depth = max(0, depth - 1)  # an unmatched ')' is reported by the parser
        # Inside parentheses a newline only continues the line, as in Python.
        if (kind == "newline" and depth == 0) or text == ";":
            tokens.append(_Token("sep", text, position))
        elif kind in ("number", "name", "op"):
            tokens.append(_Token(kind, text, position))
        position = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _unexpected_character(source: str, position: int) -> ExprError:
    char = source[position]
    hint = _CHARACTER_HINTS.get(char)
    message = f"unexpected character {char!r}" + (f": {hint}" if hint else "")
    return ExprError(message, position, source, "syntax error")


def _number_value(token: _Token, source: str) -> int | float:
    try:
        value = int(token.text) if token.text.isdigit() else float(token.text)
        too_large = abs(float(value)) == float("inf")
    except (OverflowError, ValueError):  # ValueError: more digits than int() converts
        too_large = True
    if too_large:
        raise ExprError("number is too large", token.pos, source, "limit error")
    return value


def _describe(token: _Token) -> str:
    text = token.text if len(token.text) <= 20 else token.text[:20] + "..."
    match token.kind:
        case "end":
            return "end of input"
        case "sep":
            return "';'" if token.text == ";" else "end of line"
        case "number":
            return f"number {text}"
        case "name":
            return f"name '{text}'"
        case _:
            return f"'{text}'"


# --- parser -----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent that recurses only into parentheses, whose depth the tokenizer bounds;
    sign and power chains are read in loops. Every node is counted and its depth checked."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._tokens = _tokenize(source)
        self._index = 0
        self._depths: dict[int, int] = {}  # id(node) -> height of its subtree
        self._node_count = 0

    def parse_program(self) -> Program:
        functions: dict[str, FunctionDef] = {}
        assignments: list[Assignment] = []
        body: Node | None = None
        while self._peek().kind != "end":
            if self._peek().kind == "sep":
                self._advance()
                continue
            if body is not None:
                raise self._error("the expression to evaluate must be the last statement")
            if self._statement_is_definition():
                if self._peek().kind == "name" and self._tokens[self._index + 1].text == "=":
                    assignments.append(self._parse_assignment())
                else:
                    self._add_definition(functions, self._parse_definition())
            else:
                body = self._parse_expression()
                self._expect_statement_end()
        if body is None and assignments:  # ``f = x*y; g = sin(f) + f`` evaluates to g
            body = Name(assignments[-1].name, assignments[-1].pos)
        if body is None:
            raise self._error("expected an expression to evaluate")
        return Program(functions, body, self._source, tuple(assignments))

    # --- statements ---
    def _statement_is_definition(self) -> bool:
        for token in self._tokens[self._index :]:
            if token.kind in ("sep", "end"):
                return False
            if token.text == "=":
                return True
        return False

    def _parse_assignment(self) -> Assignment:
        name = self._advance()  # the caller saw ``name =``
        self._expect("=", "'='")
        value = self._parse_expression()
        self._expect_statement_end()
        return Assignment(name.text, value, name.pos)

    def _parse_definition(self) -> FunctionDef:
        name = self._advance()
        if name.kind != "name":
            raise self._error("expected a function name or f(x) = ..., as in f(x) = x**2", name)
        if not self._accept("("):
            raise self._error("'=' defines a function, f(x) = x**2, or names a value, f = x*y")
        params: list[str] = []
        while not self._accept(")"):
            if params:
                self._expect(",", "',' or ')'")
            param = self._advance()
            if param.kind != "name":
                raise self._error(f"expected a parameter name, found {_describe(param)}", param)
            if param.text in params:
                raise self._error(f"parameter '{param.text}' appears twice", param)
            params.append(param.text)
        self._expect("=", "'='")
        body = self._parse_expression()
        self._expect_statement_end()
        return FunctionDef(name.text, tuple(params), body, name.pos)

    def _add_definition(self, functions: dict[str, FunctionDef], definition: FunctionDef) -> None:
        if definition.name in builtin_names():
            message = f"'{definition.name}' is a built-in function and cannot be redefined"
        elif definition.name in functions:
            message = f"function '{definition.name}' is already defined"
        else:
            functions[definition.name] = definition
            return
        raise ExprError(message, definition.pos, self._source, "definition error")

    def _expect_statement_end(self) -> None:
        token = self._peek()
        if token.kind not in ("sep", "end"):
            missing = " (missing operator?)" if token.kind in ("name", "number") else ""
            raise self._error(f"unexpected {_describe(token)}{missing}", token)

    # --- expressions, loosest binding first ---
    def _parse_expression(self) -> Node:
        node = self._parse_product()
        while operator_token := self._accept("+", "-"):
            right = self._parse_product()
            node = self._new(BinOp(operator_token.text, node, right, operator_token.pos))
        return node

    def _parse_product(self) -> Node:
        node = self._parse_signed_power()
        while operator_token := self._accept("*", "/"):
            right = self._parse_signed_power()
            node = self._new(BinOp(operator_token.text, node, right, operator_token.pos))
        return node

    def _parse_signed_power(self) -> Node:
        """Read ``-a ** -b ** c`` as segments (signs, operand, '**'), then fold from the right:
        ``-(a ** -(b ** c))``. A loop, so long chains cannot exhaust the Python stack."""
        segments: list[tuple[list[_Token], Node, _Token | None]] = []
        while True:
            signs = []
            while sign := self._accept("-", "+"):
                signs.append(sign)
            operand = self._parse_primary()
            power = self._accept("**")
            segments.append((signs, operand, power))
            if power is None:
                break
        node: Node | None = None  # the last segment is the only one without a '**'
        for signs, operand, power in reversed(segments):
            node = operand if power is None else self._new(BinOp("**", operand, node, power.pos))
            for sign in reversed(signs):
                node = self._new(UnaryOp(sign.text, node, sign.pos))
        return node

    def _parse_primary(self) -> Node:
        token = self._advance()
        if token.kind == "number":
            return self._new(Number(_number_value(token, self._source), token.pos))
        if token.kind == "name":
            if self._accept("("):
                return self._new(Call(token.text, self._parse_arguments(), token.pos))
            return self._new(Name(token.text, token.pos))
        if token.text == "(":
            node = self._parse_expression()
            self._expect(")", "')'")
            return node
        raise self._error(f"expected a number, a name or '(', found {_describe(token)}", token)

    def _parse_arguments(self) -> tuple[Node, ...]:
        args: list[Node] = []
        while not self._accept(")"):
            if args:
                self._expect(",", "',' or ')'")
            args.append(self._parse_expression())
        return tuple(args)

    # --- helpers ---
    def _new(self, node: Node) -> Node:
        depth = 1 + max((self._depths[id(child)] for child in _children(node)), default=0)
        if depth > MAX_TREE_DEPTH:
            message = f"expression is nested too deeply (limit {MAX_TREE_DEPTH} levels)"
            raise ExprError(message, node.pos, self._source, "limit error")
        self._node_count += 1
        if self._node_count > MAX_NODES:
            message = f"program is too long (limit {MAX_NODES:,} nodes)"
            raise ExprError(message, node.pos, self._source, "limit error")
        self._depths[id(node)] = depth
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind != "end":
            self._index += 1
        return token

    def _accept(self, *texts: str) -> _Token | None:
        token = self._peek()
        if token.kind == "op" and token.text in texts:
            return self._advance()
        return None

    def _expect(self, text: str, description: str) -> _Token:
        token = self._accept(text)
        if token is None:
            raise self._error(f"expected {description}, found {_describe(self._peek())}")
        return token

    def _error(self, message: str, token: _Token | None = None) -> ExprError:
        position = (token or self._peek()).pos
        return ExprError(message, position, self._source, "syntax error")


def parse(source: str) -> Program:
    """Parse and check a program; raise :class:`ExprError` if it is invalid or too large.

    The checks cover syntax, every bound of this module, redefinitions, recursion, argument
    counts of user functions and variables a function body uses without declaring them.
    Unknown variables of the final expression and unknown built-in functions are reported by
    :func:`evaluate`, which knows what is available.

    >>> parse("-x**2").body == UnaryOp("-", BinOp("**", Name("x"), Number(2)))
    True
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        message = f"input is too long: {len(source):,} characters (limit {MAX_SOURCE_LENGTH:,})"
        raise ExprError(message, None, "", "limit error")
    program = _Parser(source).parse_program()
    _check_program(program)
    return program


# --- checks that need the whole program ----------------------------------------------------------


def _check_program(program: Program) -> None:
    for definition in program.functions.values():
        _check_function_body(definition, program)
        _constant_value(definition.body, program.source)
    _check_assignments(program)
    for root in (*(assignment.value for assignment in program.assignments), program.body):
        _check_user_calls(root, program)
        _constant_value(root, program.source)
    _check_expansion(program)


def _check_assignments(program: Program) -> None:
    """Each name is assigned once, is no function's, and is not read before it is assigned
    (it would be an input variable there and a computed value after)."""
    assigned: set[str] = set()
    for assignment in program.assignments:
        name = assignment.name
        if name in assigned:
            message = f"'{name}' is already assigned: each name is given one value"
        elif name in program.functions or name in builtin_names():
            message = f"'{name}' is a function and cannot be assigned a value"
        else:
            message = ""
        if message:
            raise ExprError(message, assignment.pos, program.source, "definition error")
        assigned.add(name)
    read: set[str] = set()
    for assignment in program.assignments:
        read.update(n.id for n in _walk(assignment.value) if isinstance(n, Name))
        if assignment.name in read:
            message = f"'{assignment.name}' is used before it is assigned"
            raise ExprError(message, assignment.pos, program.source, "definition error")


def _check_function_body(definition: FunctionDef, program: Program) -> None:
    for node in _walk(definition.body):
        if isinstance(node, Name) and node.id not in definition.params:
            message = (
                f"unknown variable '{node.id}' in function '{definition.name}': "
                "a function can only use its parameters"
            )
            raise ExprError(message, node.pos, program.source, "definition error")
    _check_user_calls(definition.body, program)


def _check_user_calls(root: Node, program: Program) -> None:
    for node in _walk(root):
        definition = program.functions.get(node.func) if isinstance(node, Call) else None
        if definition is not None and len(node.args) != len(definition.params):
            expected = len(definition.params)
            message = (
                f"{definition.name}() takes {expected} argument{'s' * (expected != 1)} "
                f"but {len(node.args)} were given"
            )
            raise ExprError(message, node.pos, program.source, "definition error")


def _check_exponent(exponent: float, node: BinOp, source: str) -> None:
    if not abs(exponent) <= MAX_EXPONENT:  # also refuses inf and nan
        message = f"exponent {exponent:,.15g} is out of range (limit ±{MAX_EXPONENT:,})"
        raise ExprError(message, node.pos, source, "limit error")


def _constant_value(node: Node, source: str) -> float | None:
    """Fold constant subexpressions in floats, as :func:`evaluate` would compute them, checking
    each constant exponent on the way (``9**9**9`` fails on ``9**9`` being too large)."""
    match node:
        case Number():
            return float(node.value)
        case UnaryOp():
            operand = _constant_value(node.operand, source)
            return None if operand is None else _UNARY_OPERATORS[node.op](operand)
        case BinOp():
            left = _constant_value(node.left, source)
            right = _constant_value(node.right, source)
            if node.op == "**" and right is not None:
                _check_exponent(right, node, source)
            if left is None or right is None:
                return None
            return _apply_operator(node, left, right, source)
        case Call():
            for arg in node.args:
                _constant_value(arg, source)
            return None
        case _:
            return None


def expanded_size(program: Program) -> int:
    """How many nodes one evaluation visits, every user call inlined (what MAX_EXPANDED_NODES
    bounds): a measure of its cost.

    >>> expanded_size(parse("f(u) = u*u; f(x) + f(x)"))
    11
    """
    return _expanded(program)[0]


def _expanded(program: Program) -> tuple[int, int]:
    costs: dict[str, tuple[int, int]] = {}  # function name -> (expanded size, expanded depth)
    for name in _definition_order(program):
        costs[name] = _expanded_cost(program.functions[name].body, costs)
    # Each assignment is evaluated once, on its own: sizes add up, depths do not.
    statements = [_expanded_cost(a.value, costs) for a in program.assignments]
    statements.append(_expanded_cost(program.body, costs))
    return sum(size for size, _ in statements), max(depth for _, depth in statements)


def _check_expansion(program: Program) -> None:
    """Bound the work of an evaluation in which every user call is inlined."""
    size, depth = _expanded(program)
    first = program.assignments[0].value if program.assignments else program.body
    start = min((node.pos for node in _walk(first) if node.pos is not None), default=None)
    if size > MAX_EXPANDED_NODES:
        message = (
            f"expression is too expensive: inlining its functions gives more than "
            f"{MAX_EXPANDED_NODES:,} operations"
        )
        raise ExprError(message, start, program.source, "limit error")
    if depth > MAX_TREE_DEPTH:
        message = (
            f"expression is nested too deeply once its functions are inlined "
            f"(limit {MAX_TREE_DEPTH} levels)"
        )
        raise ExprError(message, start, program.source, "limit error")


def _expanded_cost(node: Node, function_costs: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    """(size, depth) of ``node`` with each call of a user function replaced by its body."""
    child_costs = [_expanded_cost(child, function_costs) for child in _children(node)]
    size = 1 + sum(child_size for child_size, _ in child_costs)
    depth = 1 + max((child_depth for _, child_depth in child_costs), default=0)
    if isinstance(node, Call) and node.func in function_costs:
        body_size, body_depth = function_costs[node.func]
        size += body_size
        depth += body_depth
    return size, depth


def _definition_order(program: Program) -> list[str]:
    """User functions, each after every function it calls (Kahn's algorithm, no recursion);
    raise if the definitions are recursive."""
    callees = {
        name: {node.func for node in _walk(definition.body) if isinstance(node, Call)}
        & program.functions.keys()
        for name, definition in program.functions.items()
    }
    callers: dict[str, list[str]] = {name: [] for name in callees}
    for name, called in callees.items():
        for callee in called:
            callers[callee].append(name)
    waiting_on = {name: len(called) for name, called in callees.items()}
    order = [name for name, count in waiting_on.items() if count == 0]
    for name in order:  # grows while iterating: each finished function may free its callers
        for caller in callers[name]:
            waiting_on[caller] -= 1
            if waiting_on[caller] == 0:
                order.append(caller)
    if len(order) < len(callees):
        _raise_recursion(callees, set(callees) - set(order), program)
    return order


def _raise_recursion(callees: dict[str, set[str]], unfinished: set[str], program: Program) -> None:
    # Each unfinished function calls another unfinished one, so following calls must loop.
    path = [min(unfinished, key=lambda name: program.functions[name].pos or 0)]
    while True:
        following = min(callees[path[-1]] & unfinished)
        if following in path:
            cycle = path[path.index(following) :] + [following]
            start = program.functions[cycle[0]]
            message = f"recursive function definition: {' -> '.join(cycle)}"
            raise ExprError(message, start.pos, program.source, "definition error")
        path.append(following)


# --- evaluation -------------------------------------------------------------------------------

_BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
_UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {"-": operator.neg, "+": operator.pos}


def _apply_operator(node: BinOp, left: Any, right: Any, source: str) -> Any:
    try:
        result = _BINARY_OPERATORS[node.op](left, right)
    except ArithmeticError as error:
        raise _math_error(error, node.pos, source) from error
    if isinstance(result, complex):  # Python's float power: (-8) ** (1/3) is complex
        message = (
            f"{left:g} to the power {right:g} is not a real number (a negative base needs a "
            "whole exponent)"
        )
        raise ExprError(message, node.pos, source, "math error")
    return result


def _math_error(error: ArithmeticError, position: int | None, source: str) -> ExprError:
    if isinstance(error, ZeroDivisionError):
        message = "division by zero"
    elif isinstance(error, OverflowError):
        message = "result is too large"
    else:
        message = str(error)
    return ExprError(message, position, source, "math error")


class _Evaluator:
    def __init__(
        self,
        program: Program,
        functions: Mapping[str, Callable[..., Any]] | None,
        on_call: Callable[[str, Any], None] | None,
        on_return: Callable[[Call, list[Any], Any], None] | None = None,
    ) -> None:
        self._program = program
        self._functions = functions
        self._on_call = on_call
        self._on_return = on_return
        self._builtins: dict[str, Callable[..., Any]] = {}  # resolved and arity-checked

    def value(self, node: Node, scope: Mapping[str, Any]) -> Any:
        match node:
            case Number():
                # Floats, never ints: constant arithmetic cannot build enormous integers.
                return float(node.value)
            case Name():
                return self._lookup(node, scope)
            case UnaryOp():
                return _UNARY_OPERATORS[node.op](self.value(node.operand, scope))
            case BinOp():
                left = self.value(node.left, scope)
                right = self.value(node.right, scope)
                return _apply_operator(node, left, right, self._program.source)
            case Call():
                args = [self.value(arg, scope) for arg in node.args]
                return self._call(node, args)
        raise TypeError(f"not an expression node: {node!r}")

    def _lookup(self, node: Name, scope: Mapping[str, Any]) -> Any:
        if node.id in scope:
            return scope[node.id]
        given = ", ".join(scope) or "none"
        message = f"unknown variable '{node.id}' (variables given: {given})"
        raise ExprError(message, node.pos, self._program.source, "name error")

    def _call(self, node: Call, args: list[Any]) -> Any:
        definition = self._program.functions.get(node.func)
        if definition is not None:
            result = self.value(definition.body, dict(zip(definition.params, args, strict=True)))
            if self._on_call is not None:
                self._on_call(node.func, result)
            if self._on_return is not None:
                self._on_return(node, args, result)
            return result
        function = self._builtin(node, len(args))
        try:
            return function(*args)
        except ArithmeticError as error:
            raise _math_error(error, node.pos, self._program.source) from error
        except ExprError as error:
            if error.position is not None:
                raise
            # A built-in refused an argument (an ``explain`` built-in wants a number): say where.
            raise ExprError(error.message, node.pos, self._program.source, error.kind) from None

    def _builtin(self, node: Call, arg_count: int) -> Callable[..., Any]:
        function = self._builtins.get(node.func)
        if function is None:
            function = self._resolve(node)
            self._builtins[node.func] = function
        _check_arity(function, node, arg_count, self._program.source)
        return function

    def _resolve(self, node: Call) -> Callable[..., Any]:
        if self._functions is not None:
            available: Mapping[str, Any] | tuple[str, ...] = self._functions
        else:
            available = builtin_names()
        if node.func not in available:
            names = ", ".join([*self._program.functions, *available]) or "none"
            message = f"unknown function '{node.func}' (available: {names})"
            raise ExprError(message, node.pos, self._program.source, "name error")
        if self._functions is not None:
            return self._functions[node.func]
        # Imported at call time: the package may import this module, and callers that pass
        # their own ``functions`` never need the core.
        import chainrule

        return getattr(chainrule, node.func)


def _check_arity(function: Callable[..., Any], node: Call, arg_count: int, source: str) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins (NumPy ufuncs) publish no signature
        return
    try:
        signature.bind(*([None] * arg_count))
    except TypeError as error:
        message = f"wrong number of arguments for {node.func}(): {error}"
        raise ExprError(message, node.pos, source, "definition error") from error


def evaluate(
    program: Program,
    variables: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
    on_call: Callable[[str, Any], None] | None = None,
    on_return: Callable[[Call, list[Any], Any], None] | None = None,
    on_assign: Callable[[str, Any], None] | None = None,
) -> Any:
    """Evaluate a program from :func:`parse` with Python's operators on the given values.

    Built-in calls are looked up in ``functions``; when it is None, the names in
    :func:`builtin_names` are taken from the chainrule core (``chainrule.sin`` ...).
    ``on_call(name, value)`` is called each time a user-defined function returns, which lets
    the explainer label layer outputs; ``on_return(call, args, value)`` is the same with the
    :class:`Call` node and the argument values, for labels such as ``g(u1)``;
    ``on_assign(name, value)`` is called as each assignment ``name = ...`` runs. Numbers
    evaluate as floats. Unknown variables or functions, wrong argument counts and arithmetic
    errors (``ZeroDivisionError``, ``OverflowError``) raise :class:`ExprError` pointing into
    the source.

    >>> import math
    >>> calls = []
    >>> program = parse("f(x) = sin(x)**2; f(t) + 1")
    >>> evaluate(program, {"t": 0.0}, {"sin": math.sin}, lambda name, value: calls.append(name))
    1.0
    >>> calls
    ['f']
    """
    evaluator = _Evaluator(program, functions, on_call, on_return)
    scope = dict(variables)
    for assignment in program.assignments:
        scope[assignment.name] = evaluator.value(assignment.value, scope)
        if on_assign is not None:
            on_assign(assignment.name, scope[assignment.name])
    return evaluator.value(program.body, scope)


# --- printing ---------------------------------------------------------------------------------

_BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_UNARY_PRECEDENCE = 3
_ATOM_PRECEDENCE = 5


def _precedence(node: Node) -> int:
    match node:
        case BinOp():
            return _BINARY_PRECEDENCE[node.op]
        case UnaryOp():
            return _UNARY_PRECEDENCE
        case Number() if node.value < 0:  # a hand-built negative literal prints with its sign
            return _UNARY_PRECEDENCE
        case _:
            return _ATOM_PRECEDENCE


def _wrapped(node: Node, needs_parentheses: bool) -> str:
    text = to_source(node)
    return f"({text})" if needs_parentheses else text


def _binary_source(node: BinOp) -> str:
    precedence = _BINARY_PRECEDENCE[node.op]
    if node.op == "**":
        # Right-associative, and tighter than a sign on its left but not on its right.
        left = _wrapped(node.left, _precedence(node.left) <= precedence)
        right = _wrapped(node.right, _precedence(node.right) < _UNARY_PRECEDENCE)
        return f"{left}**{right}"
    # Left-associative: an equal-precedence right operand keeps its parentheses, a - (b - c).
    left = _wrapped(node.left, _precedence(node.left) < precedence)
    right = _wrapped(node.right, _precedence(node.right) <= precedence)
    return f"{left} {node.op} {right}"


def to_source(node: Node | FunctionDef | Program) -> str:
    """Print a node back as normalized text with the fewest parentheses that keep its meaning.

    >>> to_source(parse("((-(x ** 2)) + (2*u))/(a-(b-c))").body)
    '(-x**2 + 2 * u) / (a - (b - c))'
    >>> to_source(parse("f( x )=x**2\\nf(1)"))
    'f(x) = x**2; f(1)'
    >>> to_source(parse("f=x*y;g=sin(f)+f"))
    'f = x * y; g = sin(f) + f'
    """
    match node:
        case Program():
            statements = [to_source(definition) for definition in node.functions.values()]
            statements += [f"{a.name} = {to_source(a.value)}" for a in node.assignments]
            last = node.assignments[-1].name if node.assignments else None
            if node.body != Name(last):  # a program ending with an assignment evaluates to it
                statements.append(to_source(node.body))
            return "; ".join(statements)
        case FunctionDef():
            return f"{node.name}({', '.join(node.params)}) = {to_source(node.body)}"
        case Number():
            return repr(node.value)
        case Name():
            return node.id
        case Call():
            return f"{node.func}({', '.join(to_source(arg) for arg in node.args)})"
        case UnaryOp():
            return node.op + _wrapped(node.operand, _precedence(node.operand) < _UNARY_PRECEDENCE)
        case BinOp():
            return _binary_source(node)
    raise TypeError(f"not an expression node: {node!r}")
