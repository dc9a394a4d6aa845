"""``chainrule explain``: every output format, the graph file, and hostile input refused with a
message on stderr (never a traceback), in process with click's CliRunner and as a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click import testing as click_testing

from chainrule.commands.explain import (
    command,  # noqa: E402 - needs click, checked above
    parse_point,
)

CAKE = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))"


def _run(*args, input=None):  # noqa: A002 - click's name
    return click_testing.CliRunner().invoke(command, list(args), input=input)


def test_text_output_walks_through_the_cake_example():
    result = _run(CAKE, "--at", "x=5")
    assert result.exit_code == 0, result.output
    assert "h = g + 3    = 53   h(g)" in result.stdout
    assert "h ← g ← f ← x:  ∂h/∂g · ∂g/∂f · ∂f/∂x = 1 × 2 × 10 = 20" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_steps_are_named_after_the_users_names():
    result = _run("f = x*y; g = sin(f) + f", "--at", "x=1", "--at", "y=2")
    assert result.exit_code == 0, result.output
    assert "f = x * y" in result.stdout and "g = u1 + f" in result.stdout
    assert "∂g/∂x = 1.16771" in result.stdout


def test_json_output_parses_and_holds_the_gradient():
    result = _run("(sigmoid(w*x + b) - y)**2", "--at", "w=0.5", "--at", "x=2", "--at", "b=-1",
                  "--at", "y=1", "--format", "json")  # fmt: skip
    data = json.loads(result.stdout)
    assert {g["name"]: g["gradient"] for g in data["gradients"]} == {
        "w": -0.5, "x": -0.125, "b": -0.25, "y": 1.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("output_format", "marker"), [("md", "| value | computed as |"), ("html", "<table>")]
)
def test_markdown_and_html_output(output_format, marker):
    result = _run("(x + 2)**2", "--at", "x=3", "--format", output_format)
    assert result.exit_code == 0 and marker in result.stdout


def test_vector_values_and_reductions():
    result = _run("sum(x * w)", "--at", "x=1,2,3", "--at", "w=2", "--format", "json")
    data = json.loads(result.stdout)
    assert [g["gradient"] for g in data["gradients"]] == [[2.0, 2.0, 2.0], 6.0]


def test_expression_from_stdin():
    result = _run("-", "--at", "x=3", input="(x + 2)**2\n")
    assert result.exit_code == 0 and "∂u2/∂x = 10" in result.stdout


def test_graph_option_writes_an_svg(tmp_path):
    path = tmp_path / "chain.svg"
    result = _run(CAKE, "--at", "x=5", "--graph", str(path))
    assert result.exit_code == 0, result.output
    assert "grad 20" in path.read_text()
    assert f"graph written to {path}" in result.stderr


def test_parse_point_reads_numbers_and_vectors():
    point = parse_point(("x=2", "y=-1.5e-3", "v=[1, 2]"))
    assert point["x"] == 2.0 and point["y"] == -0.0015 and point["v"].tolist() == [1.0, 2.0]


BAD_INPUT = [
    ((CAKE,), "unknown variable 'x'"),
    (("x + 1", "--at", "x=abc"), "'abc' is not a number"),
    (("x + 1", "--at", "x=inf"), "not a finite number"),
    (("x + 1", "--at", "x"), "expected NAME=VALUE"),
    (("x + 1", "--at", "x=1", "--at", "x=2"), "given twice"),
    (("x + 1", "--at", "x=1", "--at", "y=2"), "'y' is not used"),
    (("x * 2", "--at", "x=1,2"), "needs a scalar output"),
    (("x * w", "--at", "x=1,2,3", "--at", "w=[1,2]"), "must match the size of tensor b (2)"),
    (("sin(2)",), "does not depend on any input"),
    (("__import__('os')", "--at", "x=1"), "strings are not part of the language"),
    (("x.__class__", "--at", "x=1"), "attribute access"),
    (("9**9**9",), "out of range"),
    (("(" * 10_000 + "x" + ")" * 10_000, "--at", "x=1"), "input is too long"),
    (("(" * 65 + "x" + ")" * 65, "--at", "x=1"), "nested too deeply"),
    (("x" * 1_000_000, "--at", "x=1"), "input is too long"),  # a megabyte
    (("nope(x)", "--at", "x=1"), "unknown function 'nope'"),
    (("(x + 1", "--at", "x=1"), "expected ')'"),
    (("x" + " + sin(x)" * 151, "--at", "x=1", "--graph", "never.svg"), "too many to lay out"),
    (
        ("(-8)**(1/3)*x", "--at", "x=1"),
        "math error at column 5: -8 to the power 0.333333 is not a real number",
    ),
    (
        ("leaky_relu(x, x)", "--at", "x=1"),
        "type error at column 1: leaky_relu(): negative_slope must be a constant number",
    ),
]


@pytest.mark.timeout(5)  # a hang guard, not a speed test: each takes milliseconds
@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_exits_quickly_with_a_message_and_no_traceback(args, message):
    result = _run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_control_characters_are_escaped_in_the_title():
    result = _run("x *\r2 +\v x\f", "--at", "x=1")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "chain rule for x *\\r2 +\\x0b x\\x0c"


@pytest.mark.parametrize(
    "args",
    [("x", "--format", "xyz"), (), ("x", "--nope"), ("x", "--at")],
    ids=["bad-choice", "missing-argument", "unknown-option", "option-without-value"],
)
def test_usage_errors_are_one_line_too(args):
    result = _run(*args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")


def test_explain_does_not_depend_on_the_train_subcommand(monkeypatch):
    from chainrule import cli

    monkeypatch.setitem(sys.modules, "chainrule.commands.train", None)  # import fails
    result = click_testing.CliRunner().invoke(cli.build(), ["explain", "x*x", "--at", "x=3"])
    assert result.exit_code == 0 and "∂u1/∂x = 6" in result.stdout
    assert sorted(cli.SUBCOMMANDS) == [
        "attack",
        "attribute",
        "explain",
        "gradflow",
        "serve",
        "train",
    ]
    broken = click_testing.CliRunner().invoke(cli.build(), ["train"])
    assert broken.exit_code == 1 and "Traceback" not in broken.output
    assert broken.stderr.startswith("Error: chainrule train cannot start: ")


def test_a_megabyte_on_stdin_is_refused():
    result = _run("-", "--at", "x=1", input="x + " * 250_000)
    assert result.exit_code == 1 and "input is too long" in result.stderr


# The list, as (expression argument, stdin, message). A megabyte cannot be one argument
# (Linux caps each at 128 KiB), so it comes on stdin, as a user would pipe it. More cases run
# in process above, where each interpreter's start-up does not cost a second.
REAL_HOSTILE = {
    "import": ("__import__('os').system('echo hi')", "", "strings are not part of the language"),
    "attribute": ("x.__class__.__base__", "", "attribute access"),
    "tower": ("9**9**9", "", "exponent 387,420,489 is out of range"),
    "parentheses": ("(" * 10_000 + "x" + ")" * 10_000, "", "input is too long"),
    "megabyte": ("-", "x + " * 250_000 + "x", "input is too long"),
    "unknown-name": ("system(x)", "", "unknown function 'system'"),
}


# Start-up and imports dominate (about a second each, longer with six at once on two busy
# cores); the refusals themselves are timed in process above. A hang would hit this guard.
@pytest.mark.timeout(60)
def test_hostile_input_through_the_real_command_line():
    # All at once, each in its own interpreter: a hang or a crash in any one of them fails.
    processes = {}
    for name, (expression, stdin, _) in REAL_HOSTILE.items():
        command = [sys.executable, "-m", "chainrule", "explain", expression, "--at", "x=1"]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        processes[name] = process
        try:
            process.stdin.write(stdin)
            process.stdin.close()
        except BrokenPipeError:  # the command stopped reading: it refuses long input early
            pass
    for name, process in processes.items():
        stdout, stderr = process.stdout.read(), process.stderr.read()
        process.wait()
        assert process.returncode == 1, (name, stderr)
        assert stdout == "", name
        assert stderr.startswith("Error: ") and REAL_HOSTILE[name][2] in stderr.splitlines()[0]
        assert "Traceback" not in stderr, name


def test_the_installed_chainrule_script_explains_from_stdin():
    # The console script that `pip install` puts beside the interpreter (pyproject's
    # [project.scripts]); the hostile-input test above runs `python -m chainrule`.
    script = Path(sys.executable).with_name("chainrule")
    assert script.exists(), f"{script} is missing: install the package with pip install -e ."
    result = subprocess.run(
        [str(script), "explain", "-", "--at", "x=5", "--format", "json", "--no-symbolic"],
        input=CAKE, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["gradients"][0]["gradient"] == 20.0


def test_help_lists_the_expression_languages_functions_and_examples():
    from chainrule.tools.explain import expression_functions

    result = _run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())  # help wraps its lines
    assert all(name in text for name in expression_functions())
    assert 'chainrule explain "(x + 2)**2" --at x=3' in text and "--wrt" in text


def test_wrt_differentiates_only_the_named_variables():
    result = _run("x*y + sin(x)", "--at", "x=1", "--at", "y=2", "--wrt", "y", "--format", "json")
    assert result.exit_code == 0, result.output
    gradients = json.loads(result.stdout)["gradients"]
    assert [(g["name"], g["gradient"]) for g in gradients] == [("y", 1.0)]
    unknown = _run("x*y", "--at", "x=1", "--at", "y=2", "--wrt", "z")
    assert unknown.exit_code == 1 and "variable 'z' is not used" in unknown.stderr


def test_the_gradient_is_named_after_the_users_outermost_function():
    result = _run(CAKE, "--at", "x=5")
    assert "  ∂h/∂x = 20\n" in result.stdout
    plain = _run("x**2 + 1", "--at", "x=3")
    assert "  ∂u2/∂x = 6\n" in plain.stdout
