"""Random programs (``tests/fuzz_programs.py``) run eagerly and through ``cr.compile``.

Each program becomes a function of its input tensors that runs its lines (ops with
broadcasting and fan-out, views, in-place ops, then backward, backward twice with
``retain_graph``, or second derivatives) and returns every named tensor. Compiled, it is traced
on one draw of the inputs and called on two more; every value and every leaf's gradient must
equal the eager run's on the same inputs, bit for bit, and an error must be the same error.
What cannot be replayed runs eagerly, which passes trivially: the test is that nothing
replayed ever differs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from fuzz_programs import PURE, VIEWS, Program, programs, weights
from hypothesis import HealthCheck, given, settings

import chainrule as cr

SETTINGS = settings(
    max_examples=150,
    derandomize=True,  # the same programs every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def as_function(lines: list[str]) -> Any:
    def program(*inputs: Any) -> dict[str, Any]:
        names: dict[str, Any] = {"lib": cr, "weight": lambda v: cr.tensor(weights(tuple(v.shape)))}
        names.update((f"v{i}", x) for i, x in enumerate(inputs))
        names["leaves"] = [x for x in inputs if x.requires_grad]
        for line in lines:
            exec(line, names)  # the program's own generated source  # noqa: S102
        return {k: v for k, v in names.items() if k[0] == "v" and k[1:].isdigit()}

    return program


def outcome(fn: Any, arrays: list[np.ndarray], requires_grad: tuple[bool, ...]) -> Any:
    inputs = [cr.tensor(a, requires_grad=g) for a, g in zip(arrays, requires_grad, strict=True)]
    try:
        named = fn(*inputs)
    except Exception as error:  # compared with the other run's
        return f"{type(error).__name__}: {error}"
    values = {k: v.detach().numpy().copy() for k, v in named.items()}
    grads = [None if x.grad is None else x.grad.numpy().copy() for x in inputs]
    return values, grads


def same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    (values_a, grads_a), (values_b, grads_b) = a, b
    pairs = [(values_a.get(k), v) for k, v in values_b.items()] + list(
        zip(grads_a, grads_b, strict=True)
    )
    return values_a.keys() == values_b.keys() and all(
        (x is None) == (y is None)
        and (x is None or (x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)))
        for x, y in pairs
    )


@pytest.mark.parametrize("layer", [pytest.param(PURE, id="pure"), pytest.param(VIEWS, id="views")])
def test_random_programs_compiled_equal_eager(layer: int) -> None:
    replayed = []

    @SETTINGS
    @given(programs(layer))
    def agree(program: Program) -> None:
        lines, first, requires_grad = program.case(layer)
        rng = np.random.default_rng(program.seed)
        draws = [first] + [[rng.uniform(-2, 2, x.shape) for x in first] for _ in range(2)]
        eager, compiled = as_function(lines), cr.compile(as_function(lines))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the programs that run eagerly say so
            for n, arrays in enumerate(draws):
                want = outcome(eager, arrays, requires_grad)
                got = outcome(compiled, arrays, requires_grad)
                assert same(got, want), f"call {n} differs:\n" + "\n".join(lines)
        if compiled.traces == 1 and any(isinstance(e, list) for e in compiled.cache.values()):
            replayed.append(program)

    agree()
    # The same programs every run: 59 of the 150 of each layer replay (the rest raise or run
    # eagerly); far fewer would mean the comparison above checks little.
    assert len(replayed) >= 50
