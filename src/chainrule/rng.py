"""Random numbers as PyTorch's CPU generator makes them: a seeded Mersenne Twister and
PyTorch's transforms, so ``cr.manual_seed(s)`` then ``cr.rand``/``randn``/``randint``/
``randperm``... give PyTorch's values for the same seed.

PyTorch's CPU generator is the standard 32-bit mt19937 (seeded as ``std::mt19937(seed)``);
NumPy's ``MT19937`` bit generator is the same algorithm, so it runs the stream once its state
is set as PyTorch seeds it. The transforms follow ATen's ``DistributionsHelper.h``,
``TransformationHelper.h`` and ``cpu/DistributionTemplates.h``:

- uniform float32: the low 24 bits of one 32-bit draw times 2**-24; float64: the low 53 bits
  of a 64-bit draw (two 32-bit draws, the first the high half) times 2**-53;
- integers in [low, high): one draw (two when the range reaches 2**32) modulo the range;
- normal, fewer than 16 values: Box-Muller in float64, the second value of each pair cached
  for the next call; 16 or more: all uniforms first, then Box-Muller over blocks of 16
  (the last block recomputed from fresh uniforms when the size is no multiple of 16).

Float32 normals from 16 values on use PyTorch's AVX2 polynomials for log, sin and cos
(:mod:`chainrule._normal_avx2`); float64 ones the C library's functions, as PyTorch's scalar
kernel does.

Checked bit for bit against PyTorch 2.13 on x86 (``tests/test_torch_random.py``, over seeds,
sizes and dtypes): ``rand``, ``randn``, ``normal`` (numbers or tensors of means and stds),
``randint``, ``randperm``, ``bernoulli``, ``multinomial``, ``poisson``, ``exponential_``,
``normal_``, ``uniform_``, ``random_``, ``geometric_``, ``log_normal_``, ``cauchy_``, the
``*_like`` factories, every layer's default initialisation and ``nn.init``'s
fills, dropout masks and ``DataLoader(shuffle=True)``; the examples in ``examples/`` print
PyTorch's numbers from their first line. Out of reach, and why:

- float16 normals of more than 16 values that are no multiple of 16: PyTorch's reduced-
  precision kernel recomputes the last block from draws this module does not reproduce
  (the first values agree; bfloat16 is not a chainrule dtype);
- PyTorch's ARM builds, which fill float32 normals without the AVX2 polynomials: this module
  gives the x86 values there;
- an FMA whose exact sum lies halfway between two float32 values (about once in 2**29
  normals, see :mod:`chainrule._normal_avx2`).

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.rand(3)
    tensor([0.4963, 0.7682, 0.0885])
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from chainrule import _normal_avx2
from chainrule._array import xp
from chainrule.autodiff import open_transforms
from chainrule.dtypes import _TORCH_DTYPE_NAMES

# PyTorch's default seed (``torch.initial_seed()`` before any ``manual_seed``).
DEFAULT_SEED = 67280421310721
_MASK32 = 0xFFFFFFFF


def _mt_key(seed: int) -> Any:
    """The 624-word state of ``std::mt19937(seed)`` (PyTorch keeps the low 32 bits)."""
    key = [seed & _MASK32]
    for i in range(1, 624):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK32)
    return xp.array(key, dtype=xp.uint32)


class Generator:
    """A seedable source of random numbers with PyTorch's CPU stream, like ``torch.Generator``."""

    def __init__(self, device: Any = "cpu") -> None:
        self._bits = xp.random.MT19937(0)
        self._numpy = xp.random.Generator(self._bits)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": _mt_key(int(seed)), "pos": 624},
        }
        self._seed = int(seed)
        self._next_normal: float | None = None  # Box-Muller's second value, as PyTorch caches
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return {"bits": self._bits.state, "seed": self._seed, "next_normal": self._next_normal}

    def set_state(self, state: dict[str, Any]) -> None:
        self._bits.state = state["bits"]
        self._seed = state["seed"]
        self._next_normal = state["next_normal"]

    @property
    def numpy(self) -> Any:
        """A ``numpy.random.Generator`` drawing from the same stream (not PyTorch's transforms)."""
        return self._numpy

    # --- PyTorch's raw draws -------------------------------------------------------------
    def random(self, n: int) -> Any:
        """``n`` 32-bit draws (``CPUGeneratorImpl::random``), as uint64."""
        return self._bits.random_raw(n)

    def random64(self, n: int) -> Any:
        """``n`` 64-bit draws: two 32-bit draws each, the first the high half."""
        raw = self._bits.random_raw(2 * n).reshape(n, 2)
        return (raw[:, 0] << xp.uint64(32)) | raw[:, 1]


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (and return it, as PyTorch does)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    new_seed = int(xp.random.SeedSequence().entropy % (2**63))
    default_generator.manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, Any]:
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    default_generator.set_state(state)


def generator(g: Generator | None = None) -> Any:
    """The NumPy generator over ``g``'s stream (or the global one's)."""
    return _source(g).numpy


def _source(g: Generator | None) -> Generator:
    """``g`` or the global generator, for one draw; inside ``vmap`` a draw is allowed only as
    its ``randomness`` says."""
    from chainrule.autodiff import batching

    if open_transforms.here.vmap or open_transforms.here.looped:
        batching.check_randomness(open_transforms.here.drawing_per_example)
    return g or default_generator


@contextlib.contextmanager
def looped_examples(randomness: str) -> Iterator[Callable[[], None]]:
    """For a ``vmap`` that runs its function once per example (its last resort): the draws of
    each run are that example's own, as ``"different"`` asks; ``"error"`` still refuses them,
    and with ``"same"`` each run starts from the default generator's state as the first did
    (call the function this yields before each run), so every example draws the same values.
    """

    state = default_generator.get_state()

    def start_example() -> None:
        if randomness == "same":
            default_generator.set_state(state)

    open_transforms.here.looped.append(randomness)
    try:
        yield start_example
    finally:
        open_transforms.here.looped.pop()


def per_example(draw: Callable[[tuple[int, ...]], Any], shape: tuple[int, ...]) -> Any:
    """``draw(shape)``, an array; inside ``vmap(randomness="different")``, each example's own
    draw: one draw of every example's values at once, as a batched tensor.

    >>> import chainrule as cr
    >>> rows = cr.func.vmap(lambda x: x + cr.rand(2), randomness="different")(cr.zeros(3, 2))
    >>> len({tuple(r) for r in rows.tolist()})  # three examples, three draws
    3
    """
    from chainrule.autodiff import batching

    if not open_transforms.here.vmap:
        return draw(shape)
    different = batching.different_levels()
    if not different:  # randomness="same": one draw for every example
        return draw(shape)
    here = open_transforms.here
    here.drawing_per_example = True
    try:
        values = draw(tuple(level.size for level in different) + tuple(shape))
    finally:
        here.drawing_per_example = False
    from chainrule.tensor import _make

    batched = _make(values)
    for level in different:  # outermost first: its examples run along dimension 0
        batched = batching.BatchedTensor(batched, level)
    return batched


# --- PyTorch's transforms ----------------------------------------------------------------
def uniform(
    shape: tuple[int, ...], dtype: Any, low: float = 0.0, high: float = 1.0, g: Any = None
) -> Any:
    """Uniform on [low, high) (``uniform_real_distribution``): float32 from 24 bits, float64
    from 53; other dtypes are drawn as float32 and cast (a value rounded up to ``high`` is
    ``low``, as PyTorch keeps the interval half-open)."""
    g = _source(g)
    n = math.prod(shape)
    if xp.dtype(dtype) == xp.float64:
        x = (g.random64(n) & xp.uint64(2**53 - 1)).astype(xp.float64) * 2.0**-53
        if (low, high) != (0.0, 1.0):
            x = fma(x, high - low, low)
        return x.reshape(shape)
    x = (g.random(n) & xp.uint64(2**24 - 1)).astype(xp.float32) * xp.float32(2.0**-24)
    span, low32 = xp.float32(xp.float32(high) - xp.float32(low)), xp.float32(low)
    # ATen's x * (to - from) + from, which the compiler fuses into one rounding (an FMA).
    out = (x.astype(xp.float64) * float(span) + float(low32)).astype(xp.float32)
    out = out.reshape(shape).astype(dtype, copy=False)
    if out.dtype != xp.float32:  # rounded up to ``high`` in float16: PyTorch gives ``low``
        out[out == xp.asarray(high, out.dtype)] = low
    return out


def fma(x: Any, a: float, b: float) -> Any:
    """``x * a + b`` of float64 values ``x`` rounded once, as the FMA ATen's compiler emits
    (Python 3.11 has no math.fma). Error-free steps: the product split exactly into ``p + e``
    (Dekker's two-product), ``p + b`` into ``s + t`` and ``t + e`` into ``u + d`` (Knuth's
    two-sum); where ``d`` is 0, ``s + u`` is the exact result and its sum rounds once. Where
    it is not (rare), ``math.fsum`` of ``p, e, b`` does; exact rationals where the split could
    overflow or underflow.

        >>> float(fma(xp.array([0.1]), 3.0, -0.3)[0])  # unfused: 5.551115123125783e-17
        2.7755575615628914e-17
    """
    shape = xp.shape(x)
    x = xp.asarray(x, dtype=xp.float64).ravel()
    magnitudes = xp.abs(xp.append(x[x != 0], a or 1.0))
    if not 2.0**-400 < magnitudes.min() <= magnitudes.max() < 2.0**400:
        fa, fb = Fraction(a), Fraction(b)
        return xp.array([float(Fraction(v) * fa + fb) for v in x.tolist()]).reshape(shape)
    p = x * a
    x_hi, x_lo = _halves(x)
    a_hi, a_lo = _halves(xp.float64(a))
    e = ((x_hi * a_hi - p) + x_hi * a_lo + x_lo * a_hi) + x_lo * a_lo
    s, t = _two_sum(p, b)
    u, d = _two_sum(t, e)
    out = s + u
    inexact = xp.flatnonzero(d)
    for i, pi, ei in zip(inexact.tolist(), p[inexact].tolist(), e[inexact].tolist(), strict=True):
        out[i] = math.fsum((pi, ei, b))
    return out.reshape(shape)


def _two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``(s, t)`` with ``s = a + b`` rounded and ``s + t`` exactly ``a + b`` (Knuth)."""
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _halves(x: Any) -> tuple[Any, Any]:
    """Veltkamp's split of float64 values into two 26-bit halves whose sum is exact."""
    c = 134217729.0 * x  # 2**27 + 1
    high = c - (c - x)
    return high, x - high


def normal(
    shape: tuple[int, ...],
    dtype: Any,
    mean: float = 0.0,
    std: float = 1.0,
    g: Any = None,
    blocks: bool = True,
) -> Any:
    """Normal values (``normal_kernel``): vectorized Box-Muller from 16 values on, else the
    cached double-precision Box-Muller. ``blocks`` False: for a tensor that is not
    contiguous, which ATen's kernel fills one cached Box-Muller value at a time, however
    many."""
    g = _source(g)
    n = math.prod(shape)
    dtype = xp.dtype(dtype)
    if n < 16 or not blocks:
        return _affine(normal_doubles(n, g), std, mean).astype(dtype).reshape(shape)
    work = xp.float64 if dtype == xp.float64 else xp.float32
    data = uniform((n,), work, g=g)
    _normal_fill(data[: n - n % 16], mean, std)
    if n % 16:
        tail = uniform((16,), work, g=g)
        _normal_fill(tail, mean, std)
        data[n - 16 :] = tail
    return data.astype(dtype, copy=False).reshape(shape)


def _affine(x: Any, std: float, mean: float) -> Any:
    """``x * std + mean`` as ATen's ``transformation::normal`` computes it in double: one FMA
    (an infinite or nan ``std`` or ``mean`` gives what the plain product and sum give)."""
    if (std, mean) == (1.0, 0.0) or not (math.isfinite(std) and math.isfinite(mean)):
        return x * std + mean
    return fma(x, std, mean)


def _libm(function: Any) -> Any:
    """``function`` from Python's math (the C library's, as PyTorch's scalar kernels call)
    over a float64 array: NumPy's own vectorized versions differ in the last bit at times."""
    return lambda x: xp.array([function(v) for v in x.ravel().tolist()]).reshape(x.shape)


_log, _log1p, _cos, _sin = (_libm(f) for f in (math.log, math.log1p, math.cos, math.sin))


def _normal_fill(data: Any, mean: float, std: float) -> None:
    """ATen's ``normal_fill_16`` over consecutive blocks of 16, in place: its AVX2 version
    for float32, the scalar one (the C library's log, cos, sin) for float64."""
    if data.dtype == xp.float32:
        _normal_avx2.fill(data, mean, std)
        return
    blocks = data.reshape(-1, 16)
    radius = xp.sqrt(-2.0 * _log(1.0 - blocks[:, :8]))
    theta = 2.0 * math.pi * blocks[:, 8:]
    # radius * cos(theta) * std + mean, the product by std and the sum fused into one FMA by
    # ATen's compiler, as in the serial kernel's transform.
    blocks[:, :8] = _affine(radius * _cos(theta), std, mean)
    blocks[:, 8:] = _affine(radius * _sin(theta), std, mean)


def normal_doubles(n: int, g: Generator) -> Any:
    """``n`` standard normals, one ``normal_distribution<double>`` call each: Box-Muller over
    pairs of float64 uniforms, the cosine value first, the sine value cached for the next call
    (as PyTorch's generator keeps it); a cached value is used first."""
    out = []
    if n and g._next_normal is not None:
        out.append(g._next_normal)
        g._next_normal = None
    pairs = (n - len(out) + 1) // 2
    if pairs:
        both = []
        for u1, u2 in uniform((pairs, 2), xp.float64, g=g).tolist():  # the C library's math
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            both += (r * math.cos(theta), r * math.sin(theta))
        if (n - len(out)) % 2:
            g._next_normal = both.pop()
        out += both
    return xp.array(out, dtype=xp.float64)


def in_memory_order(
    draw: Callable[[tuple[int, ...]], Any], shape: tuple[int, ...], strides: Any
) -> Any:
    """``draw``'s values for a tensor of ``shape`` laid out at ``strides``, made in the order
    PyTorch's serial kernels write them: TensorIterator's order of the dimensions, the one of
    the smallest stride fastest (:func:`chainrule.memory_formats.memory_order`), so that a
    transposed tensor is filled in memory order.

    >>> g = Generator().manual_seed(0)
    >>> in_memory_order(lambda s: integers(0, 10, s, g), (2, 3), (1, 2)).tolist()
    [[4, 3, 3], [9, 0, 9]]
    """
    from chainrule.memory_formats import outermost_first

    order = outermost_first(shape, strides)
    if order is None:
        return draw(shape)
    return draw(tuple(shape[d] for d in order)).transpose(xp.argsort(order))


def integers(low: int, high: int, shape: tuple[int, ...], g: Any = None, wide: int = 2**28) -> Any:
    """Integers in [low, high) (``uniform_int_from_to_distribution``), as int64: one draw
    each, two (a 64-bit draw) when the range reaches ``wide``: 2**28 for PyTorch's
    ``random_(from, to)`` and ``randint``, whatever the dtype; ``random_()`` of no bounds
    (``uniform_int_distribution``) draws two only for int64 and float64, the dtypes whose
    ranges reach 2**32. The whole int64 range is a 64-bit draw as it is
    (``uniform_int_full_range``)."""
    g = _source(g)
    n, span = math.prod(shape), high - low
    if span == 2**64:
        return g.random64(n).view(xp.int64).reshape(shape)
    raw = g.random64(n) if span >= wide else g.random(n)
    return ((raw % xp.uint64(span)).astype(xp.int64) + low).reshape(shape)


def random_range(dtype: Any, low: int, high: int | None) -> tuple[int, int]:
    """``[low, high)`` of ``t.random_(low, high)`` for a ``t`` of ``dtype`` (``high`` None: up
    to the largest integer the dtype holds exactly), with ATen's checks, warnings and rounding
    of bounds a float cannot hold (``random_from_to_impl``).

    >>> random_range(xp.float32, 0, None), random_range(xp.int8, -3, 3)
    ((0, 16777217), (-3, 3))
    """
    dtype = xp.dtype(dtype)
    floating = dtype.kind == "f"
    if high is not None:
        if low >= high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        if floating:
            low, high = _held_from(low, dtype), _held_to(high, dtype)
            if low >= high:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={low} >= to={high}"
                )
        _check_random_bounds(low, high - 1, dtype, _TORCH_DTYPE_NAMES[dtype.name][0])
        return low, high
    if low == -(2**63):  # the whole int64 range
        if dtype not in (xp.int64, xp.float32, xp.float64):
            raise RuntimeError(
                "random_full_64_bits_range_kernel_cpu handles only int64, double, float and "
                "bfloat16"
            )
        return low, 2**63
    if floating:
        top = min(2 ** (xp.finfo(dtype).nmant + 1), 2**63 - 1)
        low = _held_from(low, dtype)
        if low >= top:
            raise RuntimeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                f"casted to dtype, but got from={low} > to_inc={top}"
            )
    else:
        top = 1 if dtype == xp.bool_ else int(xp.iinfo(dtype).max)
    _check_random_bounds(low, top, dtype, _TORCH_DTYPE_NAMES[dtype.name][0])
    return low, top + 1


def _held_from(low: int, dtype: Any) -> int:
    """ATen's ``update_from``: a ``from`` the float dtype rounds down moves up to a value
    it holds."""
    with xp.errstate(over="ignore"):  # past the dtype's range: left to the bounds check
        plus = xp.array(low + 1, dtype=xp.int64).astype(dtype)
    if xp.isfinite(plus) and int(plus) < low:
        n = abs(low + 1).bit_length() - 1
        return int(plus) + (1 << (n - xp.finfo(dtype).nmant))
    return low


def _held_to(high: int, dtype: Any) -> int:
    """ATen's ``update_to``: a ``to`` the float dtype rounds up moves down to a value it
    holds."""
    with xp.errstate(over="ignore"):
        minus = xp.array(high - 1, dtype=xp.int64).astype(dtype)
    if xp.isfinite(minus) and int(minus) >= high:
        n = abs(high - 1).bit_length() - 1
        return int(minus) - (1 << (n - xp.finfo(dtype).nmant))
    return high


def _check_random_bounds(low: int, top: int, dtype: Any, name: str) -> None:
    """ATen's ``check_from_to_in_range``: both ends within the dtype's values; for floats, a
    warning past the integers they hold exactly."""
    import warnings

    if dtype.kind == "f":
        lo, hi = float(xp.finfo(dtype).min), float(xp.finfo(dtype).max)
    else:
        info = xp.iinfo(xp.uint8 if dtype == xp.bool_ else dtype)
        lo, hi = int(info.min), 1 if dtype == xp.bool_ else int(info.max)
    bounds = ((low, "from"), (top, "to - 1"))
    for value, what in bounds:
        if not lo <= value <= hi:
            raise RuntimeError(f"{what} is out of bounds for {name}")
    if dtype.kind == "f":
        digits = xp.finfo(dtype).nmant + 1
        for value, what in bounds:
            if not -(2**digits) <= value <= 2**digits:
                warnings.warn(
                    f"{what} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {name} can support discrete uniform distribution only within "
                    "this range. This warning will become an error in version 1.7 release, "
                    "please fix the code in advance",
                    UserWarning,
                    stacklevel=5,
                )


def permutation(n: int, g: Any = None) -> Any:
    """``randperm(n)``: PyTorch's Fisher-Yates, one 32-bit draw per swap."""
    g = _source(g)
    out = list(range(n))
    if n > 1:
        for i, raw in enumerate(g.random(n - 1).tolist()):
            z = i + raw % (n - i)
            out[i], out[z] = out[z], out[i]
    return xp.array(out, dtype=xp.int64)


def bernoulli_probability(p: float) -> float:
    """``p``, a Python probability for ``bernoulli(x, p)`` or ``x.bernoulli_(p)``, with
    ATen's error where it is outside [0, 1] (nan included): a draw below 2 is always 1.

    >>> bernoulli_probability(1.5)
    Traceback (most recent call last):
    RuntimeError: bernoulli_ expects p to be in [0, 1], but got p=1.5
    """
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return p


def bernoulli_probabilities(p: Any) -> Any:
    """``p``, an array of probabilities for ``bernoulli(p)`` or ``x.bernoulli_(p)``, with
    ATen's error where one is outside [0, 1] (nan included): a draw below 1.5 is always 1,
    not a probability of 1.5.

    >>> bernoulli_probabilities(xp.array([0.5, 1.5]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: Expected p_in >= 0 && p_in <= 1 to be true, but got false. ...
    """
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)"
        )
    return p


def bernoulli(p: Any, g: Any = None) -> Any:
    """0/1 with probabilities ``p`` (an array): a uniform of p's precision below p, drawn
    row-major whatever p's layout (PyTorch's out-of-place bernoulli is contiguous)."""
    p = xp.asarray(p)
    dtype = xp.float64 if p.dtype == xp.float64 else xp.float32
    return uniform(p.shape, dtype, g=g) < p


def exponential(shape: tuple[int, ...], lambd: float = 1.0, g: Any = None) -> Any:
    """Exponential values, float64: ``-log1p(-u) / lambda`` (what PyTorch's CPU kernel
    computes; checked value for value by the tests)."""
    u = uniform(shape, xp.float64, g=g)
    return -1.0 / lambd * _log1p(-u)


def poisson(rates: Any, g: Any = None) -> Any:
    """Poisson counts of the ``rates`` (an array), float64, one after another as ATen's
    ``sample_poisson`` draws them: Hoermann's transformed rejection from a rate of 10 on,
    below it the product of uniforms until it falls under ``exp(-rate)``."""
    g = _source(g)
    if not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = rates.astype(xp.float64).ravel().tolist()
    # The uniforms come in blocks (one NumPy call each, not one per uniform); the stream is
    # then rewound and moved on by exactly the uniforms used.
    start, used, block = g.get_state(), 0, []

    def u() -> float:
        nonlocal used, block
        if used == len(block):
            block += uniform((len(values) * 4 + 64,), xp.float64, g=g).tolist()
        used += 1
        return block[used - 1]

    counts = [_poisson_count(rate, u) for rate in values]
    g.set_state(start)
    g.random64(used)
    return xp.array(counts, dtype=xp.float64).reshape(rates.shape)


def _poisson_count(rate: float, u: Callable[[], float]) -> int:
    """One count of ATen's ``sample_poisson``, from the uniforms ``u()`` gives in turn."""
    if rate == 0:
        return 0
    if rate < 10:
        limit, count, product = math.exp(-rate), 0, 1.0
        while True:
            product *= u()
            if product <= limit:
                return count
            count += 1
    root, log_rate = math.sqrt(rate), math.log(rate)
    b = 0.931 + 2.53 * root
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        x = u() - 0.5
        v = u()
        us = 0.5 - abs(x)
        k = math.floor((2 * a / us + b) * x + rate + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        accept = -rate + k * log_rate - math.lgamma(k + 1)
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= accept:
            return k


def geometric(shape: tuple[int, ...], p: float, g: Any = None) -> Any:
    """Geometric values (trials up to the first success), float64: ``ceil(log(u) /
    log1p(-p))`` of one float64 uniform each, ATen's transform."""
    u = uniform(shape, xp.float64, g=g)
    return xp.ceil(_log_or_minus_inf(u) / math.log1p(-p))


def log_normal(shape: tuple[int, ...], mean: float, std: float, g: Any = None) -> Any:
    """Log-normal values, float64: ``exp`` of one ``normal_distribution<double>`` draw per
    value, as ATen's serial kernel makes them (no vectorized block of 16 here)."""
    g = _source(g)
    return _exp(_affine(normal_doubles(math.prod(shape), g), std, mean)).reshape(shape)


def cauchy(shape: tuple[int, ...], median: float, sigma: float, g: Any = None) -> Any:
    """Cauchy values, float64: ``median + sigma * tan(pi * (u - 0.5))`` of one float64
    uniform each, ATen's transform."""
    u = uniform(shape, xp.float64, g=g)
    return median + sigma * _tan(math.pi * (u - 0.5))


def _exp_or_inf(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:  # C's exp gives inf
        return math.inf


# The C library's functions, where Python's raise instead of giving C's value.
_tan = _libm(math.tan)
_exp = _libm(_exp_or_inf)
_log_or_minus_inf = _libm(lambda v: math.log(v) if v > 0 else -math.inf)
