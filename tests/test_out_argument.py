"""PyTorch's ``out=``: each call runs on torch and on chainrule, and the returned tensor (is it
``out``?), ``out``'s values, dtype and shape, what a view of ``out`` sees, the warnings and the
errors (type and first line) must be the same."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

# name -> (inputs: lib -> dict, call: (lib, inputs) -> result). ``inputs["out"]`` is the out
# tensor; ``inputs["whole"]``, when there, a tensor that ``out`` is a view of.
CASES: dict[str, tuple[Callable[[Any], dict[str, Any]], Callable[[Any, dict[str, Any]], Any]]] = {
    "mul": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.empty(2)},
        lambda lib, v: lib.mul(v["a"], 3, out=v["out"]),
    ),
    "matmul_tutorial": (
        lambda lib: {"t": lib.ones(4, 4), "out": lib.rand(4, 4)},
        lambda lib, v: lib.matmul(v["t"], v["t"].T, out=v["out"]),
    ),
    "exp_declared": (
        lambda lib: {"a": lib.tensor([0.0, 1.0]), "out": lib.empty(2)},
        lambda lib, v: lib.exp(v["a"], out=v["out"]),
    ),
    "clamp_declared_with_parameters": (
        lambda lib: {"a": lib.tensor([-1.0, 0.5, 3.0]), "out": lib.empty(3)},
        lambda lib, v: lib.clamp(v["a"], 0, 1, out=v["out"]),
    ),
    "maximum_declared_two_inputs": (
        lambda lib: {"a": lib.tensor([1.0, 5.0]), "b": lib.tensor([3.0, 2.0]), "out": lib.empty(2)},
        lambda lib, v: lib.maximum(v["a"], v["b"], out=v["out"]),
    ),
    "add_alpha": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.empty(2)},
        lambda lib, v: lib.add(v["a"], v["a"], alpha=2, out=v["out"]),
    ),
    "cat": (
        lambda lib: {"a": lib.tensor([1.0]), "b": lib.tensor([2.0, 3.0]), "out": lib.empty(3)},
        lambda lib, v: lib.cat([v["a"], v["b"]], out=v["out"]),
    ),
    "stack": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.empty(2, 2)},
        lambda lib, v: lib.stack([v["a"], v["a"]], dim=1, out=v["out"]),
    ),
    "float_into_double": (
        lambda lib: {"a": lib.tensor([1.5]), "out": lib.zeros(1, dtype=lib.float64)},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["out"]),
    ),
    "long_into_float": (
        lambda lib: {"i": lib.tensor([1, 2]), "out": lib.zeros(2)},
        lambda lib, v: lib.mul(v["i"], v["i"], out=v["out"]),
    ),
    "float_into_long_refused": (
        lambda lib: {"a": lib.tensor([1.5]), "out": lib.zeros(1, dtype=lib.int64)},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["out"]),
    ),
    "float_into_bool_refused": (
        lambda lib: {"a": lib.tensor([1.5]), "out": lib.zeros(1, dtype=lib.bool)},
        lambda lib, v: lib.exp(v["a"], out=v["out"]),
    ),
    "resized_with_a_warning": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.zeros(3)},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["out"]),
    ),
    "resized_from_empty_silently": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.zeros(0)},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["out"]),
    ),
    "view_writes_through_to_its_base": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "whole": (w := lib.zeros(4)), "out": w[::2]},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["out"]),
    ),
    "aliasing_an_input": (
        lambda lib: {"a": lib.tensor([1.0, 2.0])},
        lambda lib, v: lib.mul(v["a"], v["a"], out=v["a"]),
    ),
    "input_requires_grad_refused": (
        lambda lib: {"a": lib.tensor([1.0], requires_grad=True), "out": lib.empty(1)},
        lambda lib, v: lib.mul(v["a"], 2, out=v["out"]),
    ),
    "a_listed_input_requires_grad_refused": (
        lambda lib: {"a": lib.tensor([1.0], requires_grad=True), "out": lib.empty(2)},
        lambda lib, v: lib.cat([v["a"], v["a"]], out=v["out"]),
    ),
    "out_requires_grad_refused": (
        lambda lib: {"a": lib.tensor([1.0]), "out": lib.empty(1, requires_grad=True)},
        lambda lib, v: lib.exp(v["a"], out=v["out"]),
    ),
    "requires_grad_allowed_under_no_grad": (
        lambda lib: {"a": lib.tensor([1.0], requires_grad=True), "out": lib.empty(1)},
        lambda lib, v: _no_grad(lib, lambda: lib.mul(v["a"], 2, out=v["out"])),
    ),
    "out_not_a_tensor": (
        lambda lib: {"a": lib.tensor([1.0])},
        lambda lib, v: lib.mul(v["a"], v["a"], out=[1.0]),
    ),
    "out_given_by_position_refused": (
        lambda lib: {"a": lib.tensor([1.0]), "out": lib.empty(1)},
        lambda lib, v: lib.exp(v["a"], v["out"]),
    ),
    "several_results_into_a_tuple": (
        lambda lib: {
            "a": lib.tensor([2.0, 1.0]),
            "out": (lib.empty(0), lib.empty(0, dtype=lib.long)),
        },
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "several_results_into_a_list": (
        lambda lib: {
            "a": lib.tensor([2.0, 1.0]),
            "out": [lib.empty(0), lib.empty(0, dtype=lib.long)],
        },
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "several_results_into_a_view_writes_through": (
        lambda lib: {
            "a": lib.tensor([2.0, 1.0]),
            "whole": (w := lib.zeros(4)),
            "out": (w[::2], lib.empty(0, dtype=lib.long)),
        },
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "several_results_into_too_few_refused": (
        lambda lib: {"a": lib.tensor([2.0, 1.0]), "out": (lib.empty(0),)},
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "several_results_into_one_tensor_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0]]), "out": lib.empty(0)},
        lambda lib, v: lib.max(v["a"], 1, out=v["out"]),
    ),
    "one_result_into_a_tuple_refused": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": (lib.empty(0), lib.empty(0))},
        lambda lib, v: lib.max(v["a"], out=v["out"]),
    ),
    "several_results_of_an_input_that_requires_grad_refused": (
        lambda lib: {
            "a": lib.tensor([2.0, 1.0], requires_grad=True),
            "out": (lib.empty(0), lib.empty(0, dtype=lib.long)),
        },
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "indices_into_float_refused": (
        lambda lib: {"a": lib.tensor([[1, 2]]), "i": lib.tensor([[1]]), "out": lib.empty(0)},
        lambda lib, v: lib.gather(v["a"], 1, v["i"], out=v["out"]),
    ),
    "scan_into_its_input": (
        lambda lib: {"a": lib.tensor([1.0, 2.0, 3.0])},
        lambda lib, v: lib.cumsum(v["a"], 0, out=v["a"]),
    ),
    "scan_computed_in_outs_dtype": (
        lambda lib: {"a": lib.tensor([0.5, -1.0, 2.0]), "out": lib.empty(0, dtype=lib.long)},
        lambda lib, v: lib.cumsum(v["a"], 0, out=v["out"]),
    ),
    "sum_with_a_dtype_other_than_outs_refused": (
        lambda lib: {"a": lib.tensor([1.0, 2.0]), "out": lib.empty(0)},
        lambda lib, v: lib.sum(v["a"], 0, dtype=lib.float64, out=v["out"]),
    ),
    "mean_of_integers_into_float_refused": (
        lambda lib: {"i": lib.tensor([1, 2]), "out": lib.empty(0)},
        lambda lib, v: lib.mean(v["i"], 0, out=v["out"]),
    ),
    "mean_of_floats_computed_in_double": (
        lambda lib: {"a": lib.tensor([1.0, 1 / 3]), "out": lib.empty(0, dtype=lib.float64)},
        lambda lib, v: lib.mean(v["a"], 0, out=v["out"]),
    ),
    "mean_of_floats_into_long_refused": (
        lambda lib: {"a": lib.tensor([1.0, 1 / 3]), "out": lib.empty(0, dtype=lib.long)},
        lambda lib, v: lib.mean(v["a"], 0, out=v["out"]),
    ),
    "cat_into_an_input_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]])},
        lambda lib, v: lib.cat([v["a"], v["a"]], out=v["a"]),
    ),
    "stack_into_a_view_of_an_input_refused": (
        lambda lib: {"whole": (w := lib.zeros(2, 2)), "a": w[0]},
        lambda lib, v: lib.stack([v["a"], v["a"]], out=v["whole"]),
    ),
    "gather_into_its_input_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]]), "i": lib.tensor([[1, 0], [0, 1]])},
        lambda lib, v: lib.gather(v["a"], 0, v["i"], out=v["a"]),
    ),
    "index_select_into_its_input_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]]), "i": lib.tensor([1, 0])},
        lambda lib, v: lib.index_select(v["a"], 0, v["i"], out=v["a"]),
    ),
    "elementwise_into_a_part_of_its_input_refused": (
        lambda lib: {"whole": (w := lib.tensor([1.0, 2.0, 3.0, 4.0])), "a": w[1:], "out": w[:-1]},
        lambda lib, v: lib.mul(v["a"], 2, out=v["out"]),
    ),
    "elementwise_into_its_input_transposed_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]])},
        lambda lib, v: lib.exp(v["a"].t(), out=v["a"]),
    ),
    "outer_into_the_matrix_its_vector_is_a_row_of_refused": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]])},
        lambda lib, v: lib.outer(v["a"][0], v["a"][0], out=v["a"]),
    ),
    "product_into_its_input": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]])},
        lambda lib, v: lib.matmul(v["a"], v["a"], out=v["a"]),
    ),
    "addmm_into_the_matrix_it_adds": (
        lambda lib: {"a": lib.tensor([[1.0, 2.0], [3.0, 4.0]])},
        lambda lib, v: lib.addmm(v["a"], v["a"], v["a"], out=v["a"]),
    ),
    "sort_into_its_input": (
        lambda lib: {
            "a": (a := lib.tensor([[2.0, 1.0], [3.0, 4.0]])),
            "out": (a, lib.empty(0, dtype=lib.long)),
        },
        lambda lib, v: lib.sort(v["a"], out=v["out"]),
    ),
    "methods_take_no_out": (
        lambda lib: {"a": lib.tensor([1.0]), "out": lib.empty(1)},
        lambda lib, v: v["a"].exp(out=v["out"]),
    ),
}


def _no_grad(lib: Any, call: Callable[[], Any]) -> Any:
    with lib.no_grad():
        return call()


def _outcome(lib: Any, name: str) -> dict[str, Any]:
    make, call = CASES[name]
    values = make(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(lib, values)
        except Exception as exc:  # the error itself is what is compared
            first_line = str(exc).splitlines()[0].split(" (Triggered internally")[0]
            return {"error": (type(exc).__name__, first_line.replace("chainrule", "torch"))}
    tensors = {}  # a tuple of out tensors by key[i]
    for key, value in values.items():
        parts = enumerate(value) if isinstance(value, tuple | list) else [("", value)]
        tensors.update({f"{key}{i}": t for i, t in parts})
    seen = {
        key: (np.asarray(t.tolist()), str(t.dtype).split(".")[-1]) for key, t in tensors.items()
    }
    out = values.get("out", values.get("a"))
    several = isinstance(out, tuple | list)
    return {
        "is_out": [r is o for r, o in zip(result, out, strict=True)] if several else result is out,
        "results": [np.asarray(r.tolist()) for r in (result if several else [result])],
        "tensors": seen,
        "warnings": [str(w.message).split(" (Triggered internally")[0] for w in caught],
    }


# out= that is also an input of a matrix product: PyTorch hands its BLAS the aliased memory,
# so its answer is the BLAS's and the CPU's (the product on one machine; zeros, or rows
# computed from rows already written, on an AMD EPYC's), which nothing promises. chainrule
# multiplies the inputs' values first, then writes: the product, checked against NumPy's.
ALIASED_PRODUCTS = {
    "product_into_its_input": lambda a: a @ a,
    "addmm_into_the_matrix_it_adds": lambda a: a + a @ a,
}


@pytest.mark.parametrize("name", [name for name in CASES if name not in ALIASED_PRODUCTS])
def test_out_argument_as_pytorchs(name: str) -> None:
    ours, theirs = _outcome(cr, name), _outcome(torch, name)
    assert ours.keys() == theirs.keys(), (ours, theirs)
    if "error" in theirs:
        assert ours["error"][0] == theirs["error"][0]
        # Python's own TypeError for a keyword a function does not take names it its way.
        if not name.endswith(("by_position_refused", "take_no_out")):
            assert ours["error"][1] == theirs["error"][1]
        return
    assert ours["is_out"] == theirs["is_out"]
    assert np.all(theirs["is_out"])
    # float32 to rounding: NumPy's and PyTorch's exp may differ in the last bit
    for mine, reference in zip(ours["results"], theirs["results"], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-6)
    assert ours["tensors"].keys() == theirs["tensors"].keys()
    for key, (value, dtype) in theirs["tensors"].items():
        np.testing.assert_allclose(ours["tensors"][key][0], value, rtol=1e-6, err_msg=key)
        assert ours["tensors"][key][1] == dtype, key
    assert ours["warnings"] == theirs["warnings"]


@pytest.mark.parametrize("name", ALIASED_PRODUCTS)
def test_a_product_into_its_own_input_is_the_product_of_the_values_before(name: str) -> None:
    ours, theirs = _outcome(cr, name), _outcome(torch, name)
    assert "error" not in theirs  # PyTorch computes something too: no refusal to mirror
    assert ours["is_out"] is True
    before = np.asarray(CASES[name][0](cr)["a"].tolist())
    np.testing.assert_allclose(ours["results"][0], ALIASED_PRODUCTS[name](before))
    np.testing.assert_allclose(ours["tensors"]["a"][0], ALIASED_PRODUCTS[name](before))


def test_writing_out_moves_its_version_so_a_saved_out_is_caught() -> None:
    for lib in (cr, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        saved = lib.zeros(2)
        y = (x * saved).sum()  # mul saves ``saved`` for x's gradient
        version = saved._version
        lib.mul(lib.ones(2), 3, out=saved)
        assert saved._version > version
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_the_public_signature_shows_out() -> None:
    import inspect

    assert "out" in inspect.signature(cr.exp).parameters
    assert "out" in inspect.signature(cr.clamp).parameters
    assert "out" not in inspect.signature(cr.Tensor.exp).parameters


def test_a_view_that_would_need_a_resize_is_refused_not_written_elsewhere() -> None:
    # PyTorch grows ``whole[:1]`` into ``whole``'s memory (its base has room) and writes
    # ``whole[1]`` too; chainrule's views cannot grow, so it says so instead.
    whole = cr.zeros(4)
    with pytest.raises(RuntimeError, match=r"cannot resize a view of shape \[1\]"):
        cr.mul(cr.tensor([1.0, 2.0]), 2, out=whole[:1])
    assert whole.tolist() == [0.0] * 4


def test_a_reduction_into_a_part_of_its_input_is_refused_where_pytorch_loses_that_part() -> None:
    # PyTorch zeroes its out, the input's first row here, before summing the rows, and so
    # leaves out what that row held: a silent wrong sum. chainrule refuses the overlap.
    rows = [[0.5, 1.0], [2.0, 4.0]]
    theirs = torch.tensor(rows)
    torch.sum(theirs, 0, out=theirs[0])
    assert theirs[0].tolist() == [2.0, 4.0]  # not [2.5, 5.0]: the first row was lost
    ours = cr.tensor(rows)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        cr.sum(ours, 0, out=ours[0])
    assert ours.tolist() == rows
