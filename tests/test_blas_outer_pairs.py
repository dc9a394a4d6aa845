"""``_blas.outer``: stacks of outer products, written two at a time as one BLAS product.

Each pair is ``[a0 0; 0 a1] @ [b0; b1]``, so every entry adds ``0 * b`` of the other example:
it must add exactly nothing (einsum's bits, the sign of each zero included but for products
that underflow to zero), and where that ``0 * b`` would be nan (the side the zeros meet holds
an inf or a nan) the stack must not be written so. Pairs write the shorter side last (a
transposed view where that is the rows), einsum the longer. The pairs must also be what
actually ran, or these tests would only check einsum against itself. Timings are in
benchmarks/bench_func.py, never here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from chainrule import _blas, _split

SHAPES = [
    ((256, 16, 1), (256, 1, 24)),  # an even stack, fewer rows than columns: written as b^T a^T
    ((7, 40, 1), (7, 1, 64)),  # odd: the last one has no pair
    ((2, 5, 32, 1), (2, 5, 1, 16)),  # two batch dimensions
    ((9, 128, 1), (9, 1, 10)),  # more rows than columns: as it is
]


def _operands(a_shape: Any, b_shape: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Random operands with signed zeros, subnormals and large numbers among them."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    for x in (a, b):
        x.reshape(-1)[::7] = -0.0
        x.reshape(-1)[1::11] = 0.0
        x.reshape(-1)[3::17] = np.finfo(dtype).max / 2**16
    a.reshape(-1)[2::13] = np.finfo(dtype).smallest_subnormal
    return a, b


@pytest.fixture
def pairs_run(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many parts the pairs wrote, counted by a wrapper of ``_blas._pairs_into``."""
    calls: list[int] = []
    pairs_into = _blas._pairs_into

    def counted(out: Any, a: Any, b: Any) -> None:
        calls.append(len(out))
        pairs_into(out, a, b)

    monkeypatch.setattr(_blas, "_pairs_into", counted)
    monkeypatch.setattr(_blas, "_PAIRS_MIN_BYTES", 0)  # the small stacks here take them too
    return calls


@pytest.mark.parametrize("split", [False, True], ids=["one thread", "three parts"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("a_shape", "b_shape"), SHAPES)
def test_pairs_write_einsums_bits(
    monkeypatch: pytest.MonkeyPatch,
    pairs_run: list[int],
    split: bool,
    dtype: Any,
    a_shape: Any,
    b_shape: Any,
) -> None:
    monkeypatch.setattr(_split, "serial_below", 0 if split else 2**40)
    monkeypatch.setattr(_split, "parts", 3)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)  # (pytest-xdist's other worker)
    a, b = _operands(a_shape, b_shape, dtype)
    expected = np.einsum("...ik,...kj->...ij", a, b)
    out = _blas.outer(a, b)
    # parts along the first axis, each from an even example: (2, 5) has no two such parts
    assert len(pairs_run) == (min(3, a_shape[0]) if split and a_shape[:2] != (2, 5) else 1)
    rows, columns = a_shape[-2], b_shape[-1]
    shorter_last = out.strides[-1 if columns <= rows else -2] == out.itemsize
    assert out.dtype == dtype and shorter_last
    np.testing.assert_array_equal(out, expected)
    # A zero keeps einsum's sign, but for a product that underflows: BLAS's fused multiply-add
    # rounds the tiny product to a zero of its sign and adds the partner's 0 * b, so its sign
    # may be either (einsum adds the rounded product to +0).
    exact = np.einsum("...ik,...kj->...ij", a.astype(np.float128), b.astype(np.float128))
    underflow = (out == 0) & (exact != 0)
    assert underflow.any()  # (a subnormal times a number below 1)
    kept = ~underflow
    np.testing.assert_array_equal(np.signbit(out)[kept], np.signbit(expected)[kept])


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((256, 16, 1), (256, 1, 24)), ((255, 16, 1), (255, 1, 24)), ((6, 5, 16, 1), (6, 5, 1, 24))],
    ids=["even stack", "odd stack", "five examples a row"],
)
def test_the_bits_are_the_same_whether_the_stack_is_split_or_not(
    monkeypatch: pytest.MonkeyPatch,
    pairs_run: list[int],
    parts: int,
    transposed: bool,
    a_shape: Any,
    b_shape: Any,
) -> None:
    """A pair's underflowed zeros take their signs from the partner's ``0 * b``, so a part
    that began at an odd example paired others than one pass did: the split is made on idle
    cores only, and the zeros' signs changed with the load. Parts begin at even examples."""
    monkeypatch.setattr(_split, "parts", parts)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)  # (pytest-xdist's other worker)
    a, b = _operands(a_shape, b_shape, np.float32)
    a *= np.float32(1e-23)  # products below the smallest subnormal: zeros of either sign
    b *= np.float32(1e-23)
    written = []
    for below in (2**40, 0):  # one pass; parts
        monkeypatch.setattr(_split, "serial_below", below)
        written.append(_blas.outer(a, b, transposed).view(np.int32))
    assert len(pairs_run) > 2  # (one pass, then two parts or more)
    assert (written[0] == np.int32(np.float32(-0.0).view(np.int32))).any()
    np.testing.assert_array_equal(written[1], written[0])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("columns", [8, 16], ids=["rows = columns", "rows < columns"])
@pytest.mark.parametrize("side", ["a", "b"])
def test_an_inf_or_nan_stays_in_its_own_example(
    pairs_run: list[int], bad: float, columns: int, side: str
) -> None:
    """Example 1's inf times example 0's zero block would be nan in example 0. The zeros meet
    b, or a where the stack is written as b^T a^T (fewer rows than columns): an inf there
    keeps einsum; on the other side the pairs are right."""
    a = np.ones((4, 8, 1), np.float32)
    b = np.ones((4, 1, columns), np.float32)
    (a if side == "a" else b)[1].reshape(-1)[3] = bad
    out = _blas.outer(a, b)
    meets_zeros = "a" if columns > 8 else "b"
    assert bool(pairs_run) == (side != meets_zeros)
    np.testing.assert_array_equal(out, np.einsum("...ik,...kj->...ij", a, b))
    assert np.isfinite(out[[0, 2, 3]]).all()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (np.ones((4, 8, 1), np.float32), np.ones((1, 1, 8), np.float32)),  # b broadcasts
        (np.ones((4, 8, 1), np.int64), np.ones((4, 1, 8), np.int64)),  # not a BLAS dtype
        (np.ones((4, 8, 1), np.float32), np.ones((4, 1, 8), np.float64)),  # mixed dtypes
        (np.ones((4, 4, 1), np.float32), np.ones((4, 1, 64), np.float32)),  # a short side
        (np.ones((2, 512, 1), np.float32), np.ones((2, 1, 512), np.float32)),  # BLAS threads
        (np.ones((64, 1), np.float32), np.ones((1, 512), np.float32)),  # one outer product
        (np.ones((1, 16, 1), np.float32), np.ones((1, 1, 32), np.float32)),  # a stack of one
    ],
    ids=[
        "broadcast",
        "int64",
        "mixed dtypes",
        "short side",
        "large matrices",
        "one",
        "stack of one",
    ],
)
def test_other_stacks_keep_einsum(pairs_run: list[int], a: Any, b: Any) -> None:
    expected = np.einsum("...ik,...kj->...ij", a, b)
    out = _blas.outer(a, b)
    assert not pairs_run
    assert out.dtype == expected.dtype
    assert out.flags.c_contiguous == (a.shape[-2] <= b.shape[-1])  # einsum: the longer side last
    np.testing.assert_array_equal(out, expected)


def test_per_example_gradients_with_an_inf_input_match_the_loop(pairs_run: list[int]) -> None:
    """Through the engine: ``vmap(grad)`` of a linear layer's loss, one example's input inf.
    Its weight gradient is the outer product of the output's gradient and that input, the side
    the zeros meet (more rows than columns); the other examples' must stay the loop's."""
    import chainrule as cr

    rng = np.random.default_rng(3)
    w = cr.tensor(rng.random((32, 16)) + 0.5)  # (positive: w @ x is inf, not inf - inf)
    xs = rng.standard_normal((64, 16))
    xs[5, 7] = np.inf

    def loss(w: Any, x: Any) -> Any:
        return (w @ x).sum()

    batched = cr.func.vmap(cr.func.grad(loss), in_dims=(None, 0))(w, cr.tensor(xs)).numpy()
    assert not pairs_run  # the inf keeps einsum
    loop = np.stack([cr.func.grad(loss)(w, cr.tensor(x)).numpy() for x in xs])
    np.testing.assert_array_equal(batched, loop)
    assert np.isfinite(np.delete(batched, 5, axis=0)).all()
    xs[5, 7] = 1.0  # and the pairs, once every input is finite
    batched = cr.func.vmap(cr.func.grad(loss), in_dims=(None, 0))(w, cr.tensor(xs)).numpy()
    assert pairs_run
    loop = np.stack([cr.func.grad(loss)(w, cr.tensor(x)).numpy() for x in xs])
    np.testing.assert_array_equal(batched, loop)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("shape", [(6, 16, 24), (6, 24, 16)], ids=["wide", "tall"])
@pytest.mark.parametrize("finite", [True, False], ids=["pairs", "einsum"])
def test_a_layout_asked_for_is_the_layout_given(
    pairs_run: list[int], transposed: bool, shape: tuple[int, int, int], finite: bool
) -> None:
    """``transposed`` overrides each writer's own choice (dual.matmul asks for its operand's
    layout), whichever writer runs."""
    count, rows, columns = shape
    rng = np.random.default_rng(5)
    a = rng.standard_normal((count, rows, 1))
    b = rng.standard_normal((count, 1, columns))
    if not finite:  # on both sides: einsum, whichever side the zeros would meet
        a[1, 2], b[3, 0, 4] = np.inf, np.nan
    out = _blas.outer(a, b, transposed)
    assert bool(pairs_run) == finite
    assert out.flags.c_contiguous == (not transposed)
    assert out.swapaxes(-1, -2).flags.c_contiguous == transposed
    np.testing.assert_array_equal(out, np.einsum("...ik,...kj->...ij", a, b))
