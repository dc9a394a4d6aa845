"""``cr.nn.attention``: choosing the kernels of ``scaled_dot_product_attention``.

chainrule has one computation for attention; :func:`sdpa_kernel` sets the switches of
:mod:`chainrule.backends.cuda` as PyTorch's does, so code written for PyTorch runs unchanged,
and a choice of only kernels a CPU lacks (``EFFICIENT_ATTENTION``, ``CUDNN_ATTENTION``) is
refused when attention runs, as PyTorch refuses it on a CPU.

>>> import chainrule as cr
>>> from chainrule.nn.attention import SDPBackend, sdpa_kernel
>>> q = cr.ones(1, 2, 3)
>>> with sdpa_kernel(SDPBackend.MATH):
...     tuple(cr.nn.functional.scaled_dot_product_attention(q, q, q).shape)
(1, 2, 3)
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

from chainrule.backends import cuda

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.Enum):
    """PyTorch's attention kernels, with its numbers (``int()`` gives them; unlike an int, a
    kernel equals no number)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self) -> int:
        return self.value


# the switch of chainrule.backends.cuda each kernel turns on (OVERRIDEABLE has none there)
_SWITCHES = {
    SDPBackend.MATH: "math",
    SDPBackend.FLASH_ATTENTION: "flash",
    SDPBackend.EFFICIENT_ATTENTION: "mem_efficient",
    SDPBackend.CUDNN_ATTENTION: "cudnn",
}


@contextmanager
def sdpa_kernel(
    backends: list[SDPBackend] | SDPBackend, set_priority: bool = False
) -> Iterator[None]:
    """Only ``backends`` may run inside the block; the switches are restored after it.
    ``set_priority`` (the order to try them in) is accepted: chainrule has one computation."""
    if not isinstance(backends, SDPBackend | list):  # a list's entries are not checked
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
            f"got {type(backends).__name__}"
        )
    chosen = [backends] if isinstance(backends, SDPBackend) else backends
    saved = dict(cuda._sdp)
    cuda._sdp.update({switch: backend in chosen for backend, switch in _SWITCHES.items()})
    try:
        yield
    finally:
        cuda._sdp.update(saved)
