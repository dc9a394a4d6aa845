"""Every docstring example runs: those of every chainrule module and of the test helpers.

The examples are the first thing a reader tries; one that drifted from the code is a wrong
statement in the documentation.
"""

import doctest
import importlib
import pkgutil

import pytest

import chainrule

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule.")
    if not info.name.endswith(".__main__")  # importing it would start the command line
)
TEST_HELPERS = ["gradcheck_util", "op_table", "op_table_nn", "fuzz_programs"]


@pytest.mark.parametrize("module", MODULES + TEST_HELPERS)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {module} fail"


def test_the_walk_finds_the_core_modules_and_their_examples() -> None:
    # A broken walk (a renamed package, an import path to the installed copy) would pass above.
    for core in ("chainrule.tensor", "chainrule.op", "chainrule.ops.elementwise", "chainrule.nn"):
        assert core in MODULES
        assert doctest.testmod(importlib.import_module(core), report=False).attempted > 0
