"""``cr.backends.cudnn``: the flags tutorials set (``benchmark``, ``deterministic``,
``allow_tf32``) are kept and change nothing: NumPy's CPU kernels are deterministic, have no
autotuner and compute float32 in float32.

>>> import chainrule as cr
>>> with cr.backends.cudnn.flags(enabled=False, allow_tf32=False):
...     cr.backends.cudnn.allow_tf32
False
>>> cr.backends.cudnn.allow_tf32
True
"""

from collections.abc import Iterator
from contextlib import contextmanager

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None


@contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
    fp32_precision: str = "none",
    depthwise_kernel: str = "auto",
) -> Iterator[None]:
    """The flags set for the duration of a ``with`` block (PyTorch's arguments and defaults;
    the ones without a flag here are accepted and ignored), restored after it."""
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    given = dict(zip(names, (enabled, benchmark, deterministic, allow_tf32), strict=True))
    saved = {name: globals()[name] for name in names}
    globals().update(given)
    try:
        yield
    finally:
        globals().update(saved)
