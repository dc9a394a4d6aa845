"""The CTC loss, adaptive softmax, fractional max pooling, more lazy modules, ``nn.Buffer``,
SyncBatchNorm and the legacy layers against PyTorch.

Each case runs the same code on ``chainrule`` and ``torch`` (``lib``) and compares values,
gradients with respect to inputs and parameters, dtypes and shapes; error cases compare the
exception type and message. Seeded cases compare exactly what the same seed draws (parameters,
fractional pooling's samples). The CTC op's rows in the op table are
``tests/op_table_ctc.py``'s.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = (cr, torch)


def _array(t: Any) -> np.ndarray:
    return t.detach().numpy()


def _close(got: Any, want: Any, what: str, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(_array(got), _array(want), rtol=rtol, atol=atol, err_msg=what)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], what
    assert tuple(got.shape) == tuple(want.shape), what


def _same_error(run: Callable[[Any], Any]) -> None:
    """``run(lib)`` raises the same exception type and message in both libraries."""
    with pytest.raises(Exception) as want:  # noqa: PT011 - PyTorch's type is the expectation
        run(torch)
    with pytest.raises(type(want.value)) as got:
        run(cr)
    expected = str(want.value).replace("torch.Size", "chainrule.Size")
    assert str(got.value) == expected


def _tensor(lib: Any, values: Any, **kw: Any) -> Any:
    return lib.tensor(np.asarray(values), **kw)


# ----------------------------------------------------------------------------- CTC loss
RNG = np.random.default_rng(21)
LOGITS = RNG.standard_normal((7, 3, 5))  # (T, N, C)
PADDED = [[1, 1, 2, 4], [3, 2, 2, 1], [4, 3, 1, 2]]  # a repeated label: a blank between
INPUT_LENGTHS = (7, 6, 5)
TARGET_LENGTHS = (4, 2, 3)
CONCATENATED = [1, 1, 2, 4, 3, 2, 4, 3, 1]


def _normalized(lib: Any, x: Any) -> Any:
    return x.log_softmax(-1)


def _raw(lib: Any, x: Any) -> Any:
    return x  # not normalized: PyTorch's gradient still adds exp(x), and so does chainrule's


def _ctc_padded(lib: Any, lp: Any, **kw: Any) -> Any:
    return lib.nn.functional.ctc_loss(lp, _tensor(lib, PADDED), INPUT_LENGTHS, TARGET_LENGTHS, **kw)


def _ctc_concatenated_tensors(lib: Any, lp: Any, **kw: Any) -> Any:
    return lib.nn.functional.ctc_loss(
        lp,
        _tensor(lib, CONCATENATED),
        _tensor(lib, INPUT_LENGTHS),
        _tensor(lib, TARGET_LENGTHS),
        **kw,
    )


def _ctc_impossible(lib: Any, lp: Any, **kw: Any) -> Any:
    """Sequence 0 needs 3 steps (1, blank, 1) but has 2; sequence 2 has an empty target."""
    return lib.nn.functional.ctc_loss(lp, _tensor(lib, PADDED), (2, 7, 4), (2, 4, 0), **kw)


def _ctc_unbatched(lib: Any, lp: Any, **kw: Any) -> Any:
    return lib.nn.functional.ctc_loss(lp[:, 1], _tensor(lib, [3, 2]), (6,), (2,), **kw)


def _ctc_unbatched_tensor_lengths(lib: Any, lp: Any, **kw: Any) -> Any:
    return lib.nn.functional.ctc_loss(
        lp[:, 0], _tensor(lib, PADDED[0]), _tensor(lib, 7), _tensor(lib, 4), **kw
    )


def _ctc_module_blank_last(lib: Any, lp: Any, **kw: Any) -> Any:
    """The blank is the last class; the targets use 0..3."""
    loss = lib.nn.CTCLoss(blank=4, **kw)
    targets = _tensor(lib, [[0, 0, 1, 3], [2, 1, 1, 0], [3, 2, 0, 1]])
    return loss(lp, targets, list(INPUT_LENGTHS), list(TARGET_LENGTHS))


CTC_CALLS = {
    "padded": _ctc_padded,
    "concatenated_tensor_lengths": _ctc_concatenated_tensors,
    "impossible_and_empty": _ctc_impossible,
    "unbatched": _ctc_unbatched,
    "unbatched_tensor_lengths": _ctc_unbatched_tensor_lengths,
    "module_blank_last": _ctc_module_blank_last,
}


@pytest.mark.parametrize("inputs", [_normalized, _raw], ids=["log_softmax", "unnormalized"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("zero_infinity", [False, True], ids=["inf", "zero_infinity"])
@pytest.mark.parametrize("call", list(CTC_CALLS.values()), ids=list(CTC_CALLS))
def test_ctc_loss_values_and_gradients_match_torch(
    call: Any, zero_infinity: bool, reduction: str, inputs: Any
) -> None:
    results = []
    for lib in LIBS:
        x = lib.tensor(LOGITS, requires_grad=True)
        loss = call(lib, inputs(lib, x), reduction=reduction, zero_infinity=zero_infinity)
        weights = lib.tensor(np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape)))
        (loss * weights).sum().backward()
        results.append((loss, x.grad))
    (loss, grad), (t_loss, t_grad) = results
    _close(loss, t_loss, "loss")
    _close(grad, t_grad, "gradient")  # nan where the loss is inf without zero_infinity


def test_ctc_loss_float32_matches_torch() -> None:
    results = []
    for lib in LIBS:
        x = lib.tensor(LOGITS.astype(np.float32), requires_grad=True)
        loss = _ctc_concatenated_tensors(lib, x.log_softmax(-1))
        loss.backward()
        results.append((loss, x.grad))
    _close(results[0][0], results[1][0], "loss", rtol=1e-5, atol=1e-6)
    _close(results[0][1], results[1][1], "gradient", rtol=1e-4, atol=1e-6)


def test_ctc_gradient_of_unnormalized_inputs_is_torchs_not_the_derivative() -> None:
    """Documented: the gradient adds exp(log_probs), which only a log-softmax before the
    loss cancels; for raw inputs it is PyTorch's number, not the loss's derivative."""
    x = cr.tensor(LOGITS, requires_grad=True)
    _ctc_padded(cr, x, reduction="sum").backward()
    step, direction = 1e-6, np.zeros_like(LOGITS)
    direction[0, 0, 0] = 1.0
    plus = _ctc_padded(cr, cr.tensor(LOGITS + step * direction), reduction="sum").item()
    minus = _ctc_padded(cr, cr.tensor(LOGITS - step * direction), reduction="sum").item()
    derivative = (plus - minus) / (2 * step)
    assert abs(x.grad[0, 0, 0].item() - (derivative + np.exp(LOGITS[0, 0, 0]))) < 1e-6


CTC_ERRORS: dict[str, Callable[[Any], Any]] = {
    "input_length_above_T": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (5, 4), (2, 2)
    ),
    "negative_input_length": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, -1), (2, 2)
    ),
    "negative_target_length": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, -1)
    ),
    "padded_targets_too_short": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (3, 2)
    ),
    "concatenated_targets_wrong_total": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([1, 2, 1]), (4, 4), (2, 2)
    ),
    "blank_above_classes": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2), blank=3
    ),
    "negative_blank": lambda lib: lib.nn.CTCLoss(blank=-1)(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2)
    ),
    "input_lengths_size": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4,), (2, 2)
    ),
    "target_lengths_size": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2, 2)
    ),
    "float_length_tensor": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), lib.tensor([4.0, 4.0]), lib.tensor([2, 2])
    ),
    "four_dimensional_log_probs": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(1, 4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2)
    ),
    "three_dimensional_targets": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[[1, 2], [1, 1]]]), (4, 4), (2, 2)
    ),
    "integer_log_probs": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3, dtype=lib.int64), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2)
    ),
    "bad_reduction": lambda lib: lib.nn.functional.ctc_loss(
        lib.zeros(4, 2, 3), lib.tensor([[1, 2], [1, 1]]), (4, 4), (2, 2), reduction="avg"
    ),
}


@pytest.mark.parametrize("run", list(CTC_ERRORS.values()), ids=list(CTC_ERRORS))
def test_ctc_loss_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


def test_ctc_loss_mixed_tuple_and_tensor_lengths_are_refused_as_in_torch() -> None:
    for lib in LIBS:
        with pytest.raises(TypeError):
            lib.nn.functional.ctc_loss(
                lib.zeros(7, 3, 5), _tensor(lib, PADDED), INPUT_LENGTHS, _tensor(lib, (4, 2, 3))
            )


def test_ctc_targets_out_of_range_are_refused() -> None:
    """PyTorch reads past its buffer for such a label (an arbitrary number); chainrule
    refuses it."""
    with pytest.raises(IndexError, match="target 5 is out of bounds for 5 classes"):
        cr.nn.functional.ctc_loss(cr.zeros(7, 1, 5), cr.tensor([[1, 5]]), (7,), (2,))


def test_ctc_gradient_of_gradient_raises_torchs_error() -> None:
    grads = []
    for lib in LIBS:
        x = lib.tensor(LOGITS, requires_grad=True)
        (g,) = lib.autograd.grad(_ctc_padded(lib, x.log_softmax(-1)), x, create_graph=True)
        grads.append(g)
        with pytest.raises(RuntimeError) as error:
            g.sum().backward()
        assert str(error.value) == "derivative for aten::_ctc_loss_backward is not implemented"
    _close(grads[0], grads[1], "first derivative under create_graph")


def test_ctc_forward_mode_raises_torchs_error() -> None:
    messages = []
    for lib in LIBS:
        x = lib.tensor(LOGITS)
        with pytest.raises(NotImplementedError) as error:
            lib.func.jvp(lambda lp, lib=lib: _ctc_padded(lib, lp), (x,), (lib.ones_like(x),))
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_ctc_under_vmap_matches_torch_per_example() -> None:
    batch = np.random.default_rng(5).standard_normal((4, 7, 3, 5))

    def loss(lp: Any) -> Any:
        return _ctc_padded(cr, lp.log_softmax(-1), reduction="sum")

    values = cr.vmap(loss)(cr.tensor(batch))
    grads = cr.vmap(cr.func.grad(loss))(cr.tensor(batch))
    for i in range(4):
        x = torch.tensor(batch[i], requires_grad=True)
        want = _ctc_padded(torch, x.log_softmax(-1), reduction="sum")
        want.backward()
        _close(values[i], want, f"example {i}: loss")
        _close(grads[i], x.grad, f"example {i}: gradient")


def test_ctc_loss_module_repr_and_settings() -> None:
    for lib in LIBS:
        loss = lib.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
        assert repr(loss) == "CTCLoss()"
        assert (loss.blank, loss.reduction, loss.zero_infinity) == (2, "sum", True)


# ----------------------------------------------------------------------------- fractional pooling
IMAGE = np.random.default_rng(7).permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8) * 0.1
VOLUME = np.random.default_rng(8).permutation(2 * 2 * 6 * 7 * 5).reshape(2, 2, 6, 7, 5) * 0.1


def _samples(lib: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    return lib.tensor(np.random.default_rng(sum(shape)).uniform(size=shape), dtype=dtype)


POOLS: dict[str, tuple[np.ndarray, Callable[..., Any]]] = {
    "2d_output_size": (
        IMAGE,
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(
            x,
            (2, 3),
            output_size=(4, 5),
            return_indices=True,
            _random_samples=_samples(lib, (2, 3, 2), x.dtype),
        ),
    ),
    "2d_output_ratio_seeded": (
        IMAGE,
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(
            x, 2, output_ratio=(0.5, 0.7), return_indices=True
        ),
    ),
    "2d_unbatched_seeded": (
        IMAGE[0],
        lambda lib, x: lib.nn.functional.fractional_max_pool2d(x, 3, output_size=5),
    ),
    "2d_with_indices": (
        IMAGE,
        lambda lib, x: lib.nn.functional.fractional_max_pool2d_with_indices(
            x,
            2,
            output_size=(8, 7),  # windows as dense as they go
        ),
    ),
    "2d_module_seeded": (
        IMAGE,
        lambda lib, x: lib.nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True)(x),
    ),
    "2d_module_fixed_samples": (
        IMAGE,
        lambda lib, x: lib.nn.FractionalMaxPool2d(
            (3, 2), output_size=(3, 3), _random_samples=_samples(lib, (4, 3, 2), x.dtype)
        )(x),  # more samples than examples: the first ones are used
    ),
    "3d_output_size": (
        VOLUME,
        lambda lib, x: lib.nn.functional.fractional_max_pool3d(
            x,
            (2, 3, 2),
            output_size=(3, 4, 3),
            return_indices=True,
            _random_samples=_samples(lib, (2, 2, 3), x.dtype),
        ),
    ),
    "3d_ratio_seeded": (
        VOLUME,
        lambda lib, x: lib.nn.functional.fractional_max_pool3d_with_indices(x, 2, output_ratio=0.5),
    ),
    "3d_unbatched_module_seeded": (
        VOLUME[0],
        lambda lib, x: lib.nn.FractionalMaxPool3d(2, output_size=(2, 3, 2))(x),
    ),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(POOLS))
def test_fractional_max_pool_matches_torch(name: str, dtype: str) -> None:
    """Same windows (fixed samples, or the same seed's draw), values, indices and gradients."""
    data, call = POOLS[name]
    results = []
    for lib in LIBS:
        lib.manual_seed(3)
        x = lib.tensor(data.astype(dtype), requires_grad=True)
        out = call(lib, x)
        outs = out if isinstance(out, tuple) else (out,)
        weights = lib.tensor(np.cos(np.arange(outs[0].numel())).reshape(tuple(outs[0].shape)))
        (outs[0] * weights.to(x.dtype)).sum().backward()
        results.append((outs, x.grad))
    (outs, grad), (t_outs, t_grad) = results
    assert len(outs) == len(t_outs)
    for got, want in zip(outs, t_outs, strict=True):
        _close(got, want, "values and indices", rtol=0, atol=0)
    _close(grad, t_grad, "gradient", rtol=0, atol=0)


def test_fractional_max_pool_gradients_pass_gradcheck() -> None:
    samples = cr.tensor(np.random.default_rng(1).uniform(size=(1, 2, 2)))
    x = cr.tensor(IMAGE[:1, :2], requires_grad=True)

    def pool(t: Any) -> Any:
        return cr.nn.functional.fractional_max_pool2d(t, 2, (4, 3), _random_samples=samples)

    assert cr.autograd.gradcheck(pool, (x,))
    assert cr.autograd.gradgradcheck(pool, (x,))


POOL_ERRORS: dict[str, Callable[[Any], Any]] = {
    "no_size_or_ratio": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(1, 1, 4, 4), 2
    ),
    "2d_pool_too_large_for_height": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(1, 1, 4, 6), 2, output_size=(4, 2)
    ),
    "2d_pool_too_large_for_width": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(1, 1, 4, 6), 3, output_size=(2, 5)
    ),
    "3d_pool_reaching_the_edge": lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.zeros(1, 1, 5, 6, 7), 2, output_size=(4, 2, 2)
    ),
    "3d_pool_too_large_for_width": lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.zeros(1, 1, 5, 6, 7), 2, output_size=(2, 2, 7)
    ),
    "samples_channels": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(2, 3, 6, 6), 2, output_size=3, _random_samples=lib.zeros(2, 2, 2)
    ),
    "samples_batch": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(2, 3, 6, 6), 2, output_size=3, _random_samples=lib.zeros(1, 3, 2)
    ),
    "samples_last_dimension": lambda lib: lib.nn.functional.fractional_max_pool3d(
        lib.zeros(2, 3, 6, 6, 6), 2, output_size=3, _random_samples=lib.zeros(2, 3, 2)
    ),
    "samples_dtype": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(2, 3, 6, 6), 2, output_size=3, _random_samples=lib.zeros(2, 3, 2).double()
    ),
    "2d_input_too_small": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(6, 6), 2, output_size=3
    ),
    "integer_input_draw": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(1, 1, 6, 6, dtype=lib.int64), 2, output_size=3
    ),
    "2d_float_ratio_has_no_len": lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(1, 1, 6, 6), 2, output_ratio=0.5
    ),
    "module_no_size_or_ratio": lambda lib: lib.nn.FractionalMaxPool2d(2),
    "module_3d_no_size_or_ratio": lambda lib: lib.nn.FractionalMaxPool3d(2),
    "module_both": lambda lib: lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
    "module_ratio_above_one": lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5),
    "module_ratio_zero": lambda lib: lib.nn.FractionalMaxPool3d(2, output_ratio=0),
}


@pytest.mark.parametrize("run", list(POOL_ERRORS.values()), ids=list(POOL_ERRORS))
def test_fractional_max_pool_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


def test_fractional_max_pool_modules_repr_and_buffer() -> None:
    for lib in LIBS:
        pool = lib.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=lib.zeros(1, 1, 2))
        assert repr(pool) == "FractionalMaxPool2d()"
        assert pool.kernel_size == (2, 2) and pool.output_ratio == (0.5, 0.5)
        assert list(pool.state_dict()) == ["_random_samples"]
        assert repr(lib.nn.FractionalMaxPool3d(2, output_size=3)) == "FractionalMaxPool3d()"


# ----------------------------------------------------------------------------- adaptive softmax
ASM_SETTINGS = {
    "two_clusters": dict(cutoffs=[3, 6], div_value=4.0, head_bias=False),
    "three_clusters_head_bias": dict(cutoffs=[2, 5, 8], div_value=2.0, head_bias=True),
    "one_cluster": dict(cutoffs=[5], div_value=1.5, head_bias=True),
}
ASM_INPUT = np.random.default_rng(9).standard_normal((7, 8))
ASM_TARGET = np.array([0, 9, 5, 3, 2, 7, 1])


def _asm(lib: Any, settings: dict[str, Any]) -> Any:
    lib.manual_seed(0)
    with warnings.catch_warnings():  # a tail of hidden size 0: PyTorch warns at its init
        warnings.simplefilter("ignore")
        return lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, **settings).double()


@pytest.mark.parametrize("name", list(ASM_SETTINGS))
def test_adaptive_log_softmax_matches_torch(name: str) -> None:
    results = []
    for lib in LIBS:
        asm = _asm(lib, ASM_SETTINGS[name])
        x = lib.tensor(ASM_INPUT, requires_grad=True)
        out = asm(x, lib.tensor(ASM_TARGET))
        (out.output.sum() * 0.3 + out.loss).backward()
        single = asm(x[0], lib.tensor(ASM_TARGET[0]))
        results.append((asm, x, out, single, repr(asm), type(out).__name__, out._fields))
    (asm, x, out, single, text, kind, fields), (t_asm, t_x, t_out, t_single, *t_rest) = results
    assert [text, kind, fields] == t_rest
    for (n, p), (t_n, t_p) in zip(asm.named_parameters(), t_asm.named_parameters(), strict=True):
        assert n == t_n
        _close(p, t_p, f"{n}: the same seed's values", rtol=0, atol=0)
        if t_p.grad is not None:
            _close(p.grad, t_p.grad, f"{n}: gradient")
    _close(out.output, t_out.output, "output")
    _close(out.loss, t_out.loss, "loss")
    _close(x.grad, t_x.grad, "input gradient")
    _close(single.output, t_single.output, "unbatched output")
    _close(single.loss, t_single.loss, "unbatched loss")
    _close(asm.log_prob(x), t_asm.log_prob(t_x), "log_prob")
    assert asm.predict(x).tolist() == t_asm.predict(t_x).tolist()


def test_adaptive_log_softmax_predict_mixes_shortlist_and_clusters() -> None:
    """Head weights that send some rows to a cluster: predict's three paths."""
    predictions = []
    for lib in LIBS:
        asm = _asm(lib, ASM_SETTINGS["two_clusters"])
        with lib.no_grad():
            asm.head.weight.copy_(lib.tensor(np.eye(5, 8) * 3.0))
        rows = lib.tensor(np.eye(8)[[0, 3, 4, 1]] * 2.0)
        predictions.append([asm.predict(rows[i:j]).tolist() for i, j in ((0, 4), (0, 1), (1, 3))])
    assert predictions[0] == predictions[1]


ASM_ERRORS: dict[str, Callable[[Any], Any]] = {
    "empty_cutoffs": lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []),
    "unsorted_cutoffs": lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]),
    "cutoff_too_large": lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10]),
    "target_out_of_range": lambda lib: _asm(lib, ASM_SETTINGS["one_cluster"])(
        lib.zeros(2, 8, dtype=lib.float64), lib.tensor([1, 10])
    ),
    "batch_mismatch": lambda lib: _asm(lib, ASM_SETTINGS["one_cluster"])(
        lib.zeros(3, 8, dtype=lib.float64), lib.tensor([1, 2])
    ),
    "one_dimensional_target_three_dimensional_input": lambda lib: _asm(
        lib, ASM_SETTINGS["one_cluster"]
    )(lib.zeros(2, 1, 8, dtype=lib.float64), lib.tensor([1, 2])),
    "scalar_target_matrix_input": lambda lib: _asm(lib, ASM_SETTINGS["one_cluster"])(
        lib.zeros(2, 8, dtype=lib.float64), lib.tensor(1)
    ),
    "matrix_target": lambda lib: _asm(lib, ASM_SETTINGS["one_cluster"])(
        lib.zeros(2, 8, dtype=lib.float64), lib.tensor([[1, 2]])
    ),
}


@pytest.mark.parametrize("run", list(ASM_ERRORS.values()), ids=list(ASM_ERRORS))
def test_adaptive_log_softmax_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


# ----------------------------------------------------------------------------- lazy modules
LAZY: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "batch_norm_1d": (lambda nn: nn.LazyBatchNorm1d(), (4, 3, 5)),
    "batch_norm_2d_no_affine": (lambda nn: nn.LazyBatchNorm2d(affine=False), (4, 3, 5, 2)),
    "batch_norm_3d_no_stats_no_bias": (
        lambda nn: nn.LazyBatchNorm3d(track_running_stats=False, bias=False),
        (2, 3, 2, 2, 2),
    ),
    "instance_norm_1d": (lambda nn: nn.LazyInstanceNorm1d(), (4, 3, 5)),
    "instance_norm_2d_eps": (lambda nn: nn.LazyInstanceNorm2d(eps=1e-3), (2, 3, 4, 5)),
    "instance_norm_3d_cumulative": (
        lambda nn: nn.LazyInstanceNorm3d(momentum=None),
        (2, 3, 2, 2, 2),
    ),
    "conv_transpose_1d": (lambda nn: nn.LazyConvTranspose1d(4, 3, stride=2), (2, 3, 5)),
    "conv_transpose_2d_groups": (
        lambda nn: nn.LazyConvTranspose2d(4, 3, stride=2, groups=2, output_padding=1),
        (1, 6, 5, 5),
    ),
    "conv_transpose_3d_unbatched_no_bias": (
        lambda nn: nn.LazyConvTranspose3d(2, 2, bias=False, dilation=2),
        (3, 2, 3, 4),
    ),
}


@pytest.mark.parametrize("name", list(LAZY))
def test_lazy_module_initializes_as_torch(name: str) -> None:
    """The same reprs before and after, the same seeded parameters and buffers, outputs and
    gradients, an SGD step on the materialized parameters, and a second call."""
    build, shape = LAZY[name]
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in LIBS:
        lib.manual_seed(0)
        module = build(lib.nn).double()
        before = (repr(module), [repr(p) for p in module.parameters()])
        inputs = lib.tensor(x, requires_grad=True)
        y = module(inputs)
        (y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum().backward()
        if list(module.parameters()):
            lib.optim.SGD(module.parameters(), lr=0.1).step()
        again = module(lib.tensor(x))
        state = {k: _array(v) for k, v in module.state_dict().items()}
        grads = [p.grad for p in module.parameters()]
        results.append((before, repr(module), type(module).__name__, y, inputs.grad, again,
                        state, grads))  # fmt: skip
    got, want = results
    assert got[:3] == want[:3]
    _close(got[3], want[3], "output")
    _close(got[4], want[4], "input gradient")
    _close(got[5], want[5], "output after a step")
    assert list(got[6]) == list(want[6])
    for key in want[6]:
        np.testing.assert_allclose(got[6][key], want[6][key], rtol=1e-10, err_msg=key)
    for g, t in zip(got[7], want[7], strict=True):
        _close(g, t, "parameter gradient")


LAZY_ERRORS: dict[str, Callable[[Any], Any]] = {
    "conv_transpose_rank": lambda lib: lib.nn.LazyConvTranspose1d(4, 3)(lib.zeros(5)),
    "conv_rank": lambda lib: lib.nn.LazyConv2d(4, 3)(lib.zeros(1, 2, 3, 4, 5)),
    "conv_transpose_groups": lambda lib: lib.nn.LazyConvTranspose1d(4, 3, groups=2)(
        lib.zeros(1, 3, 5)
    ),
    "instance_norm_unbatched_reads_the_length": lambda lib: lib.nn.LazyInstanceNorm1d()(
        lib.zeros(3, 5)
    ),
}


@pytest.mark.parametrize("run", list(LAZY_ERRORS.values()), ids=list(LAZY_ERRORS))
def test_lazy_module_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


def test_uninitialized_buffer_materializes_in_place() -> None:
    for lib in LIBS:
        buffer = lib.nn.UninitializedBuffer(persistent=False)
        assert repr(buffer) == "<UninitializedBuffer>"
        module = lib.nn.Module()
        module.stats = buffer
        assert list(module.state_dict()) == [] and [n for n, _ in module.named_buffers()] == [
            "stats"
        ]
        buffer.materialize((3,))
        assert module.stats is buffer and tuple(buffer.shape) == (3,)
        assert isinstance(buffer, lib.Tensor) and not isinstance(buffer, lib.nn.UninitializedBuffer)
    assert repr(cr.nn.LazyBatchNorm1d().running_mean) == "<UninitializedBuffer>"


# ----------------------------------------------------------------------------- nn.Buffer
def test_buffer_assignment_registers_a_buffer_as_torch() -> None:
    seen = []
    for lib in LIBS:
        m = lib.nn.Module()
        m.a = lib.nn.Buffer(lib.ones(2), persistent=False)
        m.b = lib.nn.Buffer(lib.zeros(1))
        record = [list(m.state_dict()), [n for n, _ in m.named_buffers()], m.a.persistent]
        m.a = lib.ones(3)  # a plain tensor keeps the buffer's persistence
        record.append(list(m.state_dict()))
        m.a = lib.nn.Buffer(lib.ones(3))  # a Buffer brings its own
        record.append(list(m.state_dict()))
        x = lib.ones(2, requires_grad=True)
        b = lib.nn.Buffer(x)
        record += [b.requires_grad, b.grad_fn is None, repr(b), repr(lib.nn.Buffer())]
        record += [isinstance(b, lib.nn.Buffer), isinstance(lib.ones(1), lib.nn.Buffer)]
        b.data[0] = 5.0  # shares the values
        record.append(x.tolist())
        copied = copy.deepcopy(m)
        record.append(list(copied.state_dict()))
        seen.append(record)
    seen[1][7] = seen[1][7].replace("torch", "chainrule")
    assert seen[0] == seen[1]


def test_pickled_buffer_keeps_its_persistence() -> None:
    buffer = pickle.loads(pickle.dumps(cr.nn.Buffer(cr.ones(2), persistent=False)))
    assert buffer.persistent is False and buffer.tolist() == [1.0, 1.0]


class _AssignsEarly:
    def __init__(self, lib: Any) -> None:
        class Early(lib.nn.Module):
            def __init__(self) -> None:
                self.q = lib.nn.Buffer(lib.ones(1))

        Early()


def _buffer_over_attribute(lib: Any) -> None:
    m = lib.nn.Module()
    m.c = 3
    m.c = lib.nn.Buffer(lib.ones(1))


BUFFER_ERRORS: dict[str, Callable[[Any], Any]] = {
    "before_module_init": _AssignsEarly,
    "over_a_plain_attribute": _buffer_over_attribute,
}


@pytest.mark.parametrize("run", list(BUFFER_ERRORS.values()), ids=list(BUFFER_ERRORS))
def test_buffer_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


# ----------------------------------------------------------------------------- SyncBatchNorm
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 2, 2, 2)])
def test_sync_batch_norm_is_batch_norm_in_one_process(shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(2).standard_normal(shape)
    results = []
    for lib in LIBS:
        norm = lib.nn.SyncBatchNorm(3, momentum=None).double()
        inputs = lib.tensor(x, requires_grad=True)
        y = norm(inputs)
        (y * lib.tensor(np.sin(np.arange(y.numel())).reshape(shape))).sum().backward()
        norm.eval()
        results.append((repr(norm), y, inputs.grad, norm.weight.grad, norm(lib.tensor(x)),
                        norm.running_var, norm.num_batches_tracked))  # fmt: skip
    got, want = results
    assert got[0] == want[0]
    for a, b in zip(got[1:], want[1:], strict=True):
        _close(a, b, "values, gradients, statistics")


def test_convert_sync_batchnorm_keeps_the_tensors() -> None:
    reprs = []
    for lib in LIBS:
        model = lib.nn.Sequential(
            lib.nn.Conv2d(3, 4, 1),
            lib.nn.BatchNorm2d(4, affine=False),
            lib.nn.Sequential(lib.nn.BatchNorm1d(4, bias=False), lib.nn.InstanceNorm2d(4)),
        )
        model.eval()
        inner = model[2][0]
        converted = lib.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        reprs.append(repr(converted))
        assert converted[2][0].weight is inner.weight
        assert converted[2][0].running_mean is inner.running_mean
        assert not converted[2][0].training
        assert type(
            lib.nn.SyncBatchNorm.convert_sync_batchnorm(lib.nn.BatchNorm3d(2))
        ).__name__ == ("SyncBatchNorm")
    assert reprs[0] == reprs[1]


SYNC_ERRORS: dict[str, Callable[[Any], Any]] = {
    "one_dimensional": lambda lib: lib.nn.SyncBatchNorm(3)(lib.zeros(3)),
    "no_channels": lambda lib: lib.nn.SyncBatchNorm(0)(lib.zeros(2, 0, 3)),
}


@pytest.mark.parametrize("run", list(SYNC_ERRORS.values()), ids=list(SYNC_ERRORS))
def test_sync_batch_norm_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)


# ----------------------------------------------------------------------------- legacy layers
def test_nll_loss_2d_and_container_warn_and_work_as_torch() -> None:
    logp = np.log(np.random.default_rng(4).dirichlet(np.ones(3), (2, 4, 5)))
    logp = np.ascontiguousarray(logp.transpose(0, 3, 1, 2))  # PyTorch's kernel wants it so
    target = np.random.default_rng(4).integers(0, 3, (2, 4, 5))
    seen = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = lib.nn.NLLLoss2d(ignore_index=1)
            container = lib.nn.Container(act=lib.nn.ReLU(), lin=lib.nn.Linear(2, 2))
        x = lib.tensor(logp, requires_grad=True)
        value = loss(x, lib.tensor(target))
        value.backward()
        messages = [(w.category.__name__, str(w.message)) for w in caught]
        seen.append((messages, repr(loss), repr(container), value, x.grad))
    got, want = seen
    assert got[:3] == want[:3]
    _close(got[3], want[3], "loss")
    _close(got[4], want[4], "gradient")


@pytest.mark.parametrize("size", [2, 3, 4, 5])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d_values_and_gradients_match_torch(size: int, channels: int) -> None:
    """PyTorch's legacy windows: its forward always counts channel 0, and its backward is not
    that forward's derivative; both are matched."""
    x = np.random.default_rng(size * 10 + channels).standard_normal((2, channels, 3, 4))
    u = np.random.default_rng(1).standard_normal(x.shape)
    results = []
    for lib in LIBS:
        layer = lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.7, k=1.5)
        inputs = lib.tensor(x, requires_grad=True)
        y = layer(inputs)
        (y * lib.tensor(u)).sum().backward()
        results.append((repr(layer), y, inputs.grad))
    got, want = results
    assert got[0] == want[0]
    _close(got[1], want[1], "values")
    _close(got[2], want[2], "gradient")


def _cross_map_create_graph(lib: Any) -> Any:
    x = lib.ones(1, 3, 2, 2, requires_grad=True)
    return lib.autograd.grad(lib.nn.CrossMapLRN2d(3)(x).sum(), x, create_graph=True)


CROSS_MAP_ERRORS: dict[str, Callable[[Any], Any]] = {
    "three_dimensional": lambda lib: lib.nn.CrossMapLRN2d(3)(lib.zeros(3, 4, 5)),
    "size_one_backward": lambda lib: (
        lib.nn.CrossMapLRN2d(1)(lib.ones(1, 3, 2, 2, requires_grad=True)).sum().backward()
    ),
    "create_graph": _cross_map_create_graph,
}


@pytest.mark.parametrize("run", list(CROSS_MAP_ERRORS.values()), ids=list(CROSS_MAP_ERRORS))
def test_cross_map_lrn2d_errors_match_torch(run: Callable[[Any], Any]) -> None:
    _same_error(run)
