"""Tests of the expression language: parsing, evaluation, bounds, errors and printing."""

import math

import numpy as np
import pytest

from chainrule.expr import (
    MAX_EXPONENT,
    MAX_NESTING_DEPTH,
    MAX_NODES,
    MAX_SOURCE_LENGTH,
    MAX_TREE_DEPTH,
    BinOp,
    Call,
    ExprError,
    FunctionDef,
    Name,
    Number,
    UnaryOp,
    evaluate,
    expanded_size,
    parse,
    to_source,
)

MATH_FUNCTIONS = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "hypot": math.hypot}
VALUES = {"x": 1.7, "y": 0.6, "z": -2.5}
SEED = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))"

# Expressions whose text means the same in Python, which serves as the oracle.
PYTHON_EXPRESSIONS = [
    "1 + 2 * 3",
    "(1 + 2) * 3",
    "10 - 4 - 3",
    "10 - (4 - 3)",
    "2 / 4 / 8",
    "2 * 3 / 4 * 5",
    "2 ** 3 ** 2",
    "(2 ** 3) ** 2",
    "-2 ** 2",
    "(-2) ** 2",
    "2 ** -1",
    "2 ** -x ** 2",
    "-x ** 2",
    "-x ** -y",
    "x ** y ** 2",
    "-(-x)",
    "--x",
    "+x - -y",
    "-x * -y",
    "x - y - z",
    "x / y * z",
    "x * y - x / y + x ** y",
    "1.5e2 + .5 - 3. + 2E-3",
    "sin(x) * cos(y) ** 2",
    "-sin(x) ** 2",
    "exp(-x ** 2 / 2) / (1 + z * z)",
    "hypot(x, y + z) ** 0.5",
    "((x))",
    "x ** 1000 / x ** 999",
]


def _chain_of_doublings(count: int) -> str:
    """f1(x) = x + x; f2(x) = f1(x) + f1(x); ...: the expanded size doubles per function."""
    definitions = ["f1(x) = x + x"]
    definitions += [f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(2, count + 1)]
    return "; ".join([*definitions, f"f{count}(x)"])


def _parse_and_evaluate(source: str, functions=MATH_FUNCTIONS):
    return evaluate(parse(source), {"x": 1.0}, functions)


@pytest.mark.parametrize("source", PYTHON_EXPRESSIONS)
def test_precedence_and_associativity_match_python(source):
    expected = eval(source, {"__builtins__": {}}, {**MATH_FUNCTIONS, **VALUES})
    assert evaluate(parse(source), VALUES, MATH_FUNCTIONS) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("-x**2", UnaryOp("-", BinOp("**", Name("x"), Number(2)))),
        ("2**-1", BinOp("**", Number(2), UnaryOp("-", Number(1)))),
        ("a**b**c", BinOp("**", Name("a"), BinOp("**", Name("b"), Name("c")))),
        ("a - b - c", BinOp("-", BinOp("-", Name("a"), Name("b")), Name("c"))),
        ("f(a, 2.5)", Call("f", (Name("a"), Number(2.5)))),
        ("(\n x\n +\n 1\n)", BinOp("+", Name("x"), Number(1))),
    ],
)
def test_parse_builds_the_expected_tree(source, tree):
    assert parse(source).body == tree


def test_parse_records_positions_of_names_and_operators():
    body = parse("ab + cd").body
    assert (body.pos, body.left.pos, body.right.pos) == (3, 0, 5)


def test_seed_example_composes_layers_and_reports_each_call():
    calls = []
    result = evaluate(
        parse(SEED), {"x": 5}, on_call=lambda name, value: calls.append((name, value))
    )
    assert result == 53
    assert calls == [("f", 25), ("g", 50), ("h", 53)]


def test_definitions_may_be_separated_by_newlines_and_come_in_any_order():
    program = parse("h(v) = g(v) + 3\ng(u) = 2*u\n\nh(x)")
    assert list(program.functions) == ["h", "g"]
    assert program.functions["g"] == FunctionDef("g", ("u",), BinOp("*", Number(2), Name("u")))
    assert evaluate(program, {"x": 1.0}) == 5.0


def test_on_call_runs_once_per_call_of_a_user_function():
    names = []
    evaluate(parse("f(x) = 2*x; f(f(x)) + f(1)"), {"x": 1.0}, on_call=lambda n, v: names.append(n))
    assert names == ["f", "f", "f"]


def test_assignments_name_values_once_and_the_last_one_is_the_result():
    program = parse("f = x*y; g = sin(f) + f")
    assert program.variables == ["x", "y"]
    assert program.body == Name("g")
    named = []
    value = evaluate(
        program, {"x": 1.0, "y": 2.0}, MATH_FUNCTIONS, on_assign=lambda *a: named.append(a)
    )
    assert value == math.sin(2.0) + 2.0
    assert named == [("f", 2.0), ("g", value)]
    # An expression may follow the assignments; each assigned value is computed once.
    calls = []
    source = "sq(u) = u*u; f = sq(x); f + f"
    assert evaluate(parse(source), {"x": 3.0}, on_call=lambda *c: calls.append(c)) == 18.0
    assert calls == [("sq", 9.0)]
    assert to_source(parse(source)) == "sq(u) = u * u; f = sq(x); f + f"
    # Each assignment costs its own size once, however often its name is read.
    assert expanded_size(parse("f = x*x; f + f + f")) == 3 + 5


def test_user_functions_take_several_parameters_and_call_builtins():
    program = parse("dist(a, b) = hypot(a, b); dist(x, 4)")
    assert evaluate(program, {"x": 3.0}, MATH_FUNCTIONS) == 5.0


def test_evaluate_works_on_numpy_arrays():
    result = evaluate(parse("x**2 + 2*x"), {"x": np.array([1.0, 2.0])})
    np.testing.assert_allclose(result, [3.0, 8.0])


def test_default_functions_come_from_the_chainrule_core():
    import chainrule as cr

    result = evaluate(parse("sin(x)"), {"x": cr.tensor(2.0)})
    assert result.item() == pytest.approx(math.sin(2.0))


def test_a_moderate_chain_of_functions_is_within_the_expansion_bound():
    assert evaluate(parse(_chain_of_doublings(10)), {"x": 1.0}) == 2.0**10


@pytest.mark.parametrize(
    ("source", "variables"),
    [
        ("3", []),
        ("x + y * x", ["x", "y"]),
        ("b * a + a", ["b", "a"]),
        ("sin(z) + a", ["z", "a"]),
        ("f(u) = u**2; f(y) + x", ["y", "x"]),
        (SEED, ["x"]),
    ],
)
def test_variables_lists_free_names_in_first_appearance_order(source, variables):
    assert parse(source).variables == variables


@pytest.mark.parametrize(
    ("source", "fragment", "column"),
    [
        ("f(x) = x; f(x) = 2*x; f(1)", "already defined", 11),
        ("sin(x) = x; sin(1)", "built-in", 1),
        ("f(x) = x; f(1, 2)", "takes 1 argument but 2", 11),
        ("f(x, y) = x; f(1)", "takes 2 arguments but 1", 14),
        ("f(x) = f(x); f(1)", "f -> f", 1),
        ("f(x) = g(x); g(y) = h(y); h(z) = f(z); f(1)", "f -> g -> h -> f", 1),
        ("f(x) = y; f(1)", "unknown variable 'y' in function 'f'", 8),
        ("f(x, x) = x; 1", "appears twice", 6),
        ("x; y", "must be the last statement", 4),
        ("f(x) = x", "expected an expression", 9),
        ("1 = 3", "expected a function name", 1),
        ("f = x; f = 2*x", "'f' is already assigned", 8),
        ("f = f * 2", "'f' is used before it is assigned", 1),
        ("f = x; g = h * 2; h = f", "'h' is used before it is assigned", 19),
        ("sin = x; sin", "'sin' is a function", 1),
        ("f(x) = x; f = 2; f", "'f' is a function", 11),
        ("f(x + 1) = 3; 1", "expected ',' or '\\)', found '\\+'", 5),
        ("f(1) = 3; 1", "expected a parameter name", 3),
    ],
)
def test_invalid_definitions_are_reported_where_they_occur(source, fragment, column):
    with pytest.raises(ExprError, match=fragment) as caught:
        parse(source)
    assert caught.value.position == column - 1


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("y + 1", "unknown variable 'y'"),
        ("tan(x)", "unknown function 'tan'"),
        ("sin(x, x)", "wrong number of arguments for sin()"),
        ("x / (x - 1)", "division by zero"),
        ("exp(1000 * x)", "result is too large"),
    ],
)
def test_evaluation_errors_point_into_the_source(source, fragment):
    with pytest.raises(ExprError, match=fragment) as caught:
        _parse_and_evaluate(source)
    assert caught.value.source == source
    assert caught.value.position is not None


def test_default_functions_refuse_names_outside_the_allowed_list():
    with pytest.raises(ExprError, match="unknown function '__import__'"):
        _parse_and_evaluate("__import__(x)", functions=None)


HOSTILE_SOURCES = [
    pytest.param("__import__('os')", "strings are not part of the language", id="string-quotes"),
    pytest.param('open("x")', "strings are not part of the language", id="double-quotes"),
    pytest.param("x.__class__", "attribute access is not part of the language", id="attribute"),
    pytest.param(
        "().__class__", "attribute access is not part of the language", id="empty-tuple-attribute"
    ),
    pytest.param("[1]", "lists and indexing are not part of the language", id="list"),
    pytest.param("{}", "unexpected character '{'", id="dict"),
    pytest.param("lambda x: x", "unexpected character ':'", id="lambda"),
    pytest.param("import os", "unexpected name 'os'", id="import"),
    pytest.param("x if x else x", "unexpected name 'if'", id="conditional"),
    pytest.param("x // x", "expected a number, a name or '\\(', found '/'", id="floor-division"),
    pytest.param("x @ x", "unexpected character '@'", id="matmul"),
    pytest.param("x = 1; x = 2", "'x' is already assigned", id="reassignment"),
    pytest.param("x = x + 1", "'x' is used before it is assigned", id="self-assignment"),
    pytest.param("\x00", "unexpected character '\\\\x00'", id="nul"),
    pytest.param("\u0663", "unexpected character '٣'", id="arabic-digit"),
    pytest.param("9**9**9", "exponent 387,420,489 is out of range", id="tower-of-nines"),
    pytest.param("2**2**2**2**2", "exponent 65,536 is out of range", id="tower-of-twos"),
    pytest.param("x**1001", "exponent 1,001 is out of range", id="large-exponent"),
    pytest.param("x**-(10**4)", "exponent -10,000 is out of range", id="large-negative-exponent"),
    pytest.param("2**(1/0)", "division by zero", id="exponent-divides-by-zero"),
    pytest.param("(10.0**300)**1000", "result is too large", id="float-overflow"),
    pytest.param("1" * 5000, "number is too large", id="long-integer"),
    pytest.param("1" * 400, "number is too large", id="integer-beyond-float"),
    pytest.param("1e999", "number is too large", id="float-literal-overflow"),
    pytest.param(
        "(" * 4000 + "x" + ")" * 4000, "parentheses are nested too deeply", id="nested-parentheses"
    ),
    pytest.param(
        "(" * 10_000 + "x" + ")" * 10_000, "input is too long", id="ten-thousand-parentheses"
    ),
    pytest.param("x+" * 500_000 + "x", "input is too long", id="megabyte"),
    pytest.param("-" * 5000 + "x", "expression is nested too deeply", id="sign-chain"),
    pytest.param("2**" * 3000 + "2", "program is too long", id="power-chain"),
    pytest.param("x+" * 3000 + "x", "expression is nested too deeply", id="sum-chain"),
    pytest.param("g(" + "x," * 2500 + "x)", "program is too long", id="many-arguments"),
    pytest.param(
        _chain_of_doublings(40), "expression is too expensive", id="exponential-expansion"
    ),
    pytest.param("f(x) = f(x); f(1)", "recursive function definition: f -> f", id="recursion"),
    pytest.param(
        "f(x) = g(x); g(x) = f(x); f(1)",
        "recursive function definition: f -> g -> f",
        id="mutual-recursion",
    ),
    pytest.param("os", "unknown variable 'os'", id="unknown-variable"),
    pytest.param("getattr(x, x)", "unknown function 'getattr'", id="unknown-function"),
]


@pytest.mark.timeout(5)  # a hang guard, not a speed test: each takes milliseconds
@pytest.mark.parametrize(("source", "message"), HOSTILE_SOURCES)
@pytest.mark.parametrize("functions", [MATH_FUNCTIONS, None], ids=["math", "chainrule"])
def test_hostile_input_fails_quickly_with_expr_error(source, message, functions):
    with pytest.raises(ExprError, match=message):
        _parse_and_evaluate(source, functions)


@pytest.mark.parametrize(
    ("accepted", "refused"),
    [
        ("x**" + str(MAX_EXPONENT), "x**" + str(MAX_EXPONENT + 1)),
        ("x**-" + str(MAX_EXPONENT), "x**-" + str(MAX_EXPONENT + 1)),
        (
            "(" * MAX_NESTING_DEPTH + "x" + ")" * MAX_NESTING_DEPTH,
            "(" * (MAX_NESTING_DEPTH + 1) + "x" + ")" * (MAX_NESTING_DEPTH + 1),
        ),
        ("-" * (MAX_TREE_DEPTH - 1) + "x", "-" * MAX_TREE_DEPTH + "x"),
        ("g(" + "x, " * (MAX_NODES - 2) + "x)", "g(" + "x, " * (MAX_NODES - 1) + "x)"),
        (" " * (MAX_SOURCE_LENGTH - 1) + "x", " " * MAX_SOURCE_LENGTH + "x"),
    ],
    ids=["exponent", "negative-exponent", "parentheses", "tree-depth", "nodes", "length"],
)
def test_bounds_accept_the_limit_and_refuse_one_more(accepted, refused):
    parse(accepted)
    with pytest.raises(ExprError, match="limit") as caught:
        parse(refused)
    assert caught.value.kind == "limit error"


def test_inlining_that_nests_too_deeply_is_refused():
    definitions = [f"f{i}(x) = " + "-" * 50 + f"f{i - 1}(x)" for i in range(2, 6)]
    source = "; ".join(["f1(x) = x", *definitions, "f5(x)"])
    with pytest.raises(ExprError, match="once its functions are inlined"):
        parse(source)


def test_error_message_is_one_line_with_the_column():
    with pytest.raises(ExprError) as caught:
        parse("(x + 2")
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error) == "syntax error at column 7: expected ')', found end of input"
    assert (error.message, error.position, error.source) == (
        "expected ')', found end of input",
        6,
        "(x + 2",
    )


def test_pretty_puts_a_caret_under_the_error():
    with pytest.raises(ExprError) as caught:
        parse("(x + 2")
    assert caught.value.pretty() == (
        "syntax error at column 7: expected ')', found end of input\n  (x + 2\n        ^"
    )


@pytest.mark.parametrize(
    "source",
    ["x + @", "f(x) = x**2\ng(u) = u $ 2\ng(x)", "\tx +\t@", "y" * 300 + " + ? + " + "y" * 300],
    ids=["one-line", "second-line", "tabs", "long-line"],
)
def test_pretty_caret_sits_under_the_offending_character(source):
    with pytest.raises(ExprError) as caught:
        parse(source)
    _, shown_line, caret_line = caught.value.pretty().split("\n")
    assert shown_line[caret_line.index("^")] == source[caught.value.position]


def test_pretty_never_echoes_control_characters():
    with pytest.raises(ExprError) as caught:
        parse("x\r + \x1b]0;owned\x07 + y")  # a terminal escape sequence in the input
    pretty = caught.value.pretty()
    assert "\x1b" not in pretty and "\x07" not in pretty and "\r" not in pretty
    _, shown_line, caret_line = pretty.split("\n")
    assert shown_line == "  x? + ?]0;owned? + y" and caret_line.index("^") == 2 + 5


def test_errors_on_later_lines_give_line_and_column():
    with pytest.raises(ExprError, match="at line 2, column 6:"):
        parse("f(x) = x**2\nf(y +")


def test_error_without_position_pretty_prints_only_the_message():
    with pytest.raises(ExprError) as caught:
        parse("x" * (MAX_SOURCE_LENGTH + 1))
    assert caught.value.position is None
    assert caught.value.pretty() == str(caught.value)


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("x ** 2", "x**2"),
        ("(x**2)**3", "(x**2)**3"),
        ("x**(2**3)", "x**2**3"),
        ("-(x**2)", "-x**2"),
        ("(-x)**2", "(-x)**2"),
        ("2**(-1)", "2**-1"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a / (b * c)", "a / (b * c)"),
        ("(a * b) / c", "a * b / c"),
        ("(a + b) * -c", "(a + b) * -c"),
        ("f( x ,y )", "f(x, y)"),
        ("1.50", "1.5"),
        ("1e3", "1000.0"),
        (SEED, "f(x) = x**2; g(u) = 2 * u; h(v) = v + 3; h(g(f(x)))"),
    ],
)
def test_to_source_prints_normalized_text_with_minimal_parentheses(source, printed):
    program = parse(source)
    assert to_source(program if program.functions else program.body) == printed


def test_to_source_parenthesizes_hand_built_negative_numbers():
    assert to_source(BinOp("**", Number(-2), Number(2))) == "(-2)**2"


@pytest.mark.parametrize("source", PYTHON_EXPRESSIONS)
def test_to_source_round_trips_to_the_same_tree_and_value(source):
    body = parse(source).body
    reparsed = parse(to_source(body)).body
    assert reparsed == body
    reparsed_value = evaluate(parse(to_source(body)), VALUES, MATH_FUNCTIONS)
    assert reparsed_value == evaluate(parse(source), VALUES, MATH_FUNCTIONS)
