"""What a node saved, read as PyTorch reads it: ``grad_fn._saved_self``, ``_saved_result``,
``_saved_dim``, ... and ``_raw_saved_self.register_hooks`` (PyTorch's tutorials "Hooks for
saved tensors" and "Autograd mechanics"), each row run on chainrule and on torch.

Each op row builds one node; the test compares the names of its ``_saved_*`` attributes,
their values (a tensor: its values, dtype, which input it *is*, whether it is the output),
then the same after a backward with ``retain_graph=True`` and the errors (or the numbers)
after one without. The tutorial rows are the tutorial's snippets, their observations compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import chainrule as cr


def _lib_inputs(lib: Any) -> dict[str, Any]:
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.5]], requires_grad=True)
    y = lib.tensor([[0.5, 1.5, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    w = lib.tensor([[0.5, -1.5, 2.0], [1.0, 2.0, -3.0]], requires_grad=True)
    m = lib.tensor([[0.5, 1.0], [-1.0, 2.0], [3.0, 0.25]], requires_grad=True)
    b = lib.tensor([0.1, 0.2], requires_grad=True)
    c = lib.tensor([[2.0, 1.0, 0.5], [3.0, 1.5, 2.5]])
    return {"x": x, "y": y, "w": w, "m": m, "b": b, "c": c}


# id -> the op, on the inputs above (``L`` is chainrule or torch).
OPS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "exp": lambda L, t: t["x"].exp(),
    "sin": lambda L, t: t["x"].sin(),
    "cos": lambda L, t: t["x"].cos(),
    "tanh": lambda L, t: t["x"].tanh(),
    "sigmoid": lambda L, t: t["x"].sigmoid(),
    "relu": lambda L, t: t["w"].relu(),
    "log": lambda L, t: t["x"].log(),
    "sqrt": lambda L, t: t["x"].sqrt(),
    "pow_int": lambda L, t: t["x"].pow(2),
    "pow_float": lambda L, t: t["x"] ** 2.5,
    "pow_tensor": lambda L, t: t["x"].pow(t["y"]),
    "pow_constant_exponent": lambda L, t: t["x"].pow(t["c"]),
    "pow_constant_base": lambda L, t: t["c"].pow(t["y"]),
    "rpow": lambda L, t: 2 ** t["x"],
    "mul": lambda L, t: t["x"] * t["y"],
    "mul_int": lambda L, t: t["x"] * 2,
    "mul_float": lambda L, t: t["x"] * 2.5,
    "mul_constant_left": lambda L, t: t["c"] * t["x"],
    "div": lambda L, t: t["x"] / t["y"],
    "div_int": lambda L, t: t["x"] / 2,
    "div_constant": lambda L, t: t["c"] / t["y"],
    "add": lambda L, t: t["x"] + t["y"],
    "add_number": lambda L, t: t["x"] + 2,
    "sub": lambda L, t: t["x"] - t["y"],
    "add_alpha": lambda L, t: L.add(t["x"], t["y"], alpha=2),
    "sub_alpha": lambda L, t: L.sub(t["x"], t["y"], alpha=0.5),
    "rsub": lambda L, t: 1 - t["x"],
    "matmul": lambda L, t: t["x"] @ t["m"],
    "mm": lambda L, t: t["x"].mm(t["m"]),
    "mm_transposed": lambda L, t: t["x"].mm(t["y"].T),
    "mm_constant": lambda L, t: L.mm(t["c"], t["m"]),
    "sum": lambda L, t: t["x"].sum(),
    "sum_dim": lambda L, t: t["x"].sum(1),
    "sum_dims_keepdim": lambda L, t: t["x"].sum((0, 1), keepdim=True),
    "mean": lambda L, t: t["x"].mean(),
    "mean_dim": lambda L, t: t["x"].mean(0),
    "linear": lambda L, t: L.nn.functional.linear(t["x"], t["w"], t["b"]),
    "linear_no_bias": lambda L, t: L.nn.functional.linear(t["x"], t["w"]),
    "linear_constant_weight": lambda L, t: L.nn.functional.linear(t["x"], t["c"], t["b"]),
    "softmax": lambda L, t: t["x"].softmax(1),
    "log_softmax": lambda L, t: L.nn.functional.log_softmax(t["x"], 0),
    "view": lambda L, t: t["x"].view(3, 2),
    "reshape": lambda L, t: t["x"].reshape(6),
    "index": lambda L, t: t["x"][[0, 1], [1, 2]],
    "select_column": lambda L, t: t["x"][:, 1],
    "select_method": lambda L, t: t["x"].select(1, 0),
    "select_row": lambda L, t: t["x"][1],
    "gather": lambda L, t: t["x"].gather(1, L.tensor([[0], [2]])),
    "cat": lambda L, t: L.cat([t["x"], t["y"]], 1),
    "cat_constant": lambda L, t: L.cat([t["x"], t["c"]]),
    "index_select": lambda L, t: t["x"].index_select(1, L.tensor([2, 0])),
    "squeeze": lambda L, t: t["x"][None].squeeze(),
    "t": lambda L, t: t["x"].t(),
    "permute": lambda L, t: t["x"][None].permute(2, 0, 1),
    "permute_T": lambda L, t: t["x"].T,
    "max_dim": lambda L, t: t["x"].max(1)[0],
    "min_dim_keepdim": lambda L, t: t["x"].min(0, keepdim=True).values,
    "max": lambda L, t: t["x"].max(),
    "min": lambda L, t: t["x"].min(),
    "amax": lambda L, t: t["x"].amax(1),
    "amin": lambda L, t: t["x"].amin((0, 1), keepdim=True),
    "clamp": lambda L, t: t["x"].clamp(1.5, 4),
    "clamp_min": lambda L, t: t["x"].clamp(min=1.5),
    "clamp_min_method": lambda L, t: t["x"].clamp_min(1.5),
    "clamp_max_method": lambda L, t: t["x"].clamp_max(2),
    "clamp_tensor": lambda L, t: t["x"].clamp(t["c"], None),
    "clamp_tensor_max": lambda L, t: L.clamp(t["x"], max=t["y"]),
    "where": lambda L, t: L.where(t["c"] > 1, t["x"], t["y"]),
    "abs": lambda L, t: t["w"].abs(),
    "neg": lambda L, t: -t["x"],
    "exp2": lambda L, t: t["x"].exp2(),
    "expm1": lambda L, t: t["x"].expm1(),
    "log1p": lambda L, t: t["x"].log1p(),
    "log2": lambda L, t: t["x"].log2(),
    "log10": lambda L, t: t["x"].log10(),
    "rsqrt": lambda L, t: t["x"].rsqrt(),
    "reciprocal": lambda L, t: t["x"].reciprocal(),
    "tan": lambda L, t: t["x"].tan(),
    "atan": lambda L, t: t["x"].atan(),
    "asin": lambda L, t: t["b"].asin(),
    "acos": lambda L, t: t["b"].acos(),
    "sinh": lambda L, t: t["x"].sinh(),
    "cosh": lambda L, t: t["x"].cosh(),
    "erf": lambda L, t: t["x"].erf(),
    "leaky_relu": lambda L, t: L.nn.functional.leaky_relu(t["w"], 0.2),
    "gelu": lambda L, t: L.nn.functional.gelu(t["w"]),
    "gelu_tanh": lambda L, t: L.nn.functional.gelu(t["w"], approximate="tanh"),
    "silu": lambda L, t: L.nn.functional.silu(t["w"]),
    "elu": lambda L, t: L.nn.functional.elu(t["w"], 0.5),
    "selu": lambda L, t: L.nn.functional.selu(t["w"]),
    "celu": lambda L, t: L.nn.functional.celu(t["w"], 0.5),
    "softplus": lambda L, t: L.nn.functional.softplus(t["w"], 2.0, 3.0),
    "hardtanh": lambda L, t: L.nn.functional.hardtanh(t["w"], -1.0, 1.5),
    "relu6": lambda L, t: L.nn.functional.relu6(t["w"]),
    "var": lambda L, t: t["x"].var(),
    "var_dim": lambda L, t: t["x"].var(1),
    "var_correction_keepdim": lambda L, t: t["x"].var(0, correction=0, keepdim=True),
    "std": lambda L, t: t["x"].std(),
    "std_dim": lambda L, t: t["x"].std((0, 1), keepdim=True),
    "prod": lambda L, t: t["x"].prod(),
    "prod_dim": lambda L, t: t["x"].prod(1, keepdim=True),
    "cumsum": lambda L, t: t["x"].cumsum(1),
    "bmm": lambda L, t: t["x"][None].bmm(t["m"][None]),
    "expand": lambda L, t: t["b"].expand(3, 2),
    "expand_as": lambda L, t: t["b"].expand_as(t["m"]),
    "flip": lambda L, t: t["x"].flip(1, 0),
    "roll": lambda L, t: t["x"].roll((1, 2), (0, 1)),
    "repeat": lambda L, t: t["x"].repeat(1, 2, 1),
    "narrow": lambda L, t: t["x"].narrow(1, 1, 2),
    "narrow_negative_start": lambda L, t: t["x"].narrow(1, -2, 2),
    "slice": lambda L, t: t["x"][:, 1:],
    "slice_step": lambda L, t: t["x"][::2],
    "slice_negative": lambda L, t: t["x"][:, -2:-1],
    "slice_after_ellipsis": lambda L, t: t["x"][..., :2],
    "mse_loss": lambda L, t: L.nn.functional.mse_loss(t["x"], t["y"]),
    "mse_loss_sum_constant": lambda L, t: L.nn.functional.mse_loss(t["x"], t["c"], reduction="sum"),
    "l1_loss": lambda L, t: L.nn.functional.l1_loss(t["x"], t["y"]),
    "smooth_l1_loss": lambda L, t: L.nn.functional.smooth_l1_loss(t["x"], t["y"], beta=0.5),
    "huber_loss": lambda L, t: L.nn.functional.huber_loss(
        t["x"], t["y"], reduction="none", delta=2.0
    ),
}


def _rounded(values: Any) -> Any:
    """Nested lists of numbers to 4 significant digits: the two libraries' float32 math
    differs in its last bits."""
    if isinstance(values, list):
        return [_rounded(v) for v in values]
    return float(f"{values:.4g}") if isinstance(values, float) else values


def _describe(value: Any, inputs: dict[str, Any], out: Any) -> Any:
    """A value made comparable across the two libraries: a tensor by its values, dtype,
    ``requires_grad``, node name, which input it is and whether it is the output."""
    if isinstance(value, tuple | list):
        return type(value).__name__, [_describe(v, inputs, out) for v in value]
    if isinstance(value, torch.Tensor | cr.Tensor):
        node = value.grad_fn
        return (
            "tensor",
            _rounded(value.detach().tolist()),
            str(value.dtype).rsplit(".", 1)[-1],
            value.requires_grad,
            node and node.name(),
            [name for name, x in inputs.items() if x is value],
            value is out,
        )
    return value


def _saved_names(node: Any) -> list[str]:
    return sorted(n for n in dir(node) if n.startswith(("_saved_", "_raw_saved_")))


def _read(node: Any, name: str, inputs: dict[str, Any], out: Any) -> Any:
    """The attribute, described, or the error it raises (type and first line)."""
    try:
        value = getattr(node, name)
    except Exception as error:  # compared as data: type and message
        return type(error).__name__, str(error).splitlines()[0]
    return _describe(value, inputs, out)


def _observe(lib: Any, row: str) -> dict[str, Any]:
    inputs = _lib_inputs(lib)
    out = OPS[row](lib, inputs)
    node = out.grad_fn
    names = _saved_names(node)
    values = [n for n in names if n.startswith("_saved_")]
    seen: dict[str, Any] = {"node": node.name(), "names": names}
    seen["values"] = {n: _read(node, n, inputs, out) for n in values}
    out.sum().backward(retain_graph=True)
    seen["retained"] = {n: _read(node, n, inputs, out) for n in values}
    out.sum().backward()
    seen["freed"] = {n: _read(node, n, inputs, out) for n in values}
    seen["grads"] = {
        k: None if v.grad is None else _rounded(v.grad.tolist()) for k, v in inputs.items()
    }
    return seen


@pytest.mark.parametrize("row", list(OPS))
def test_a_nodes_saved_attributes_are_pytorchs(row: str) -> None:
    assert _observe(cr, row) == _observe(torch, row)


# --------------------------------------------------------------------------- the tutorial
def _errors(run: Callable[[], Any]) -> Any:
    try:
        result = run()
    except Exception as error:  # compared as data: type and message
        return type(error).__name__, str(error).splitlines()[0]
    return _describe(result, {}, None)


def _tutorial_saved_self(L: Any) -> list[Any]:
    x = L.randn(5, requires_grad=True)
    y = x.pow(2)
    return [y.grad_fn._saved_self.equal(x), y.grad_fn._saved_self is x]


def _tutorial_saved_result(L: Any) -> list[Any]:
    x = L.randn(5, requires_grad=True)
    y = x.exp()
    return [y.grad_fn._saved_result.equal(y), y.grad_fn._saved_result is y]


def _tutorial_freed(L: Any) -> list[Any]:
    x = L.randn(5, requires_grad=True)
    y = x.pow(2)
    y.sum().backward()
    return [_errors(lambda: y.grad_fn._saved_self), y.grad_fn._saved_exponent]


def _tutorial_retained(L: Any) -> list[Any]:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.pow(2)
    y.sum().backward(retain_graph=True)
    return [y.grad_fn._saved_self is x, x.grad.tolist()]


def _tutorial_context_hooks(L: Any) -> list[Any]:
    calls: list[str] = []

    def pack_hook(x: Any) -> Any:
        calls.append("Packing " + str(x.tolist()))
        return x

    def unpack_hook(x: Any) -> Any:
        calls.append("Unpacking " + str(x.tolist()))
        return x

    a = L.ones(5, requires_grad=True)
    b = L.ones(5, requires_grad=True) * 2
    with L.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
        y = a * b
    y.sum().backward()
    return [sorted(calls), a.grad.tolist()]


def _tutorial_register_hooks(L: Any) -> list[Any]:
    calls: list[str] = []

    def pack_hook(x: Any) -> Any:
        calls.append("pack")
        return x

    def unpack_hook(x: Any) -> Any:
        calls.append("unpack")
        return x

    x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)
    after_register = list(calls)
    read = y.grad_fn._saved_self.tolist()  # reading it unpacks it
    y.sum().backward()
    return [after_register, read, calls, x.grad.tolist()]


def _tutorial_saved_to_disk(L: Any, folder: Any) -> list[Any]:
    files = []

    def pack_hook(tensor: Any) -> Any:
        name = folder / f"saved{len(files)}.pt"
        files.append(name)
        L.save(tensor, name)
        return name

    def unpack_hook(name: Any) -> Any:
        return L.load(name)

    x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.grad_fn._raw_saved_result.register_hooks(pack_hook, unpack_hook)
    y.sum().backward()
    return [len(files), _rounded(x.grad.tolist())]


def _tutorial_unpack_not_a_tensor(L: Any) -> list[Any]:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: "packed", lambda p: 5)
    return [_errors(lambda: y.grad_fn._saved_self), _errors(lambda: y.sum().backward())]


def _register_twice(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    return _errors(lambda: y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t))


def _register_inside_saved_tensors_hooks(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.pow(2)
    return _errors(lambda: y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t))


def _register_on_freed(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    return _errors(lambda: y.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t))


def _register_on_none(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2  # x's gradient reads the 2 alone: self is not saved
    return [
        y.grad_fn._saved_self,
        _errors(lambda: y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)),
    ]


def _register_not_callable(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.pow(2)
    return _errors(lambda: y.grad_fn._raw_saved_self.register_hooks(1, lambda t: t))


def _no_such_attribute(L: Any) -> Any:
    y = L.tensor([1.0, 2.0], requires_grad=True).pow(2)
    return [
        _errors(lambda: y.grad_fn._saved_result),
        _errors(lambda: y.grad_fn._raw_saved_exponent),
        # a name none of the class's nodes saves is no property of it: Python's own words,
        # which name chainrule's class ('Pow' where PyTorch says 'PowBackward0')
        _errors(lambda: y.grad_fn._saved_other)[0],
    ]


def _result_shares_the_output(L: Any) -> Any:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    saved = y.grad_fn._saved_result
    with L.no_grad():
        y.add_(1)
    return [_rounded(saved.tolist()), saved._version, saved.grad_fn is y.grad_fn, saved.is_leaf]


TUTORIAL: dict[str, Callable[..., Any]] = {
    "saved_self_is_the_input": _tutorial_saved_self,
    "saved_result_is_a_new_tensor": _tutorial_saved_result,
    "freed_after_backward": _tutorial_freed,
    "readable_with_retain_graph": _tutorial_retained,
    "saved_tensors_hooks_block": _tutorial_context_hooks,
    "register_hooks_on_one_saved_tensor": _tutorial_register_hooks,
    "unpack_hook_not_a_tensor": _tutorial_unpack_not_a_tensor,
    "register_hooks_twice": _register_twice,
    "register_hooks_inside_a_block": _register_inside_saved_tensors_hooks,
    "register_hooks_after_backward": _register_on_freed,
    "register_hooks_on_an_unsaved_tensor": _register_on_none,
    "register_hooks_not_callable": _register_not_callable,
    "no_such_saved_attribute": _no_such_attribute,
    "saved_result_shares_the_outputs_memory": _result_shares_the_output,
}


@pytest.mark.parametrize("row", list(TUTORIAL))
def test_the_saved_tensor_tutorials_snippets_run_as_in_pytorch(row: str) -> None:
    assert TUTORIAL[row](cr) == TUTORIAL[row](torch)


def test_a_saved_tensor_packed_to_disk_is_loaded_back_for_backward(tmp_path: Any) -> None:
    (tmp_path / "cr").mkdir()
    (tmp_path / "torch").mkdir()
    ours = _tutorial_saved_to_disk(cr, tmp_path / "cr")
    assert ours == _tutorial_saved_to_disk(torch, tmp_path / "torch")
    assert ours == [1, [2.718, 7.389, 20.09]]
