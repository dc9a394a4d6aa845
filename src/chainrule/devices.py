"""Devices as a CPU-only PyTorch build has them: ``cpu`` works, ``cuda`` says it is not there.

Tutorials open by picking a device; the same lines run here and pick the CPU:

    >>> import chainrule as cr
    >>> device = "cuda" if cr.cuda.is_available() else "cpu"
    >>> cr.zeros(2, device=device).device
    device(type='cpu')
    >>> cr.device("cpu") == cr.device("cpu"), str(cr.device("cpu"))
    (True, 'cpu')
"""

from __future__ import annotations

import threading
from typing import Any

from chainrule import dtypes

# The device types PyTorch's parser knows, in its order (its error message lists them).
_KNOWN = (
    *("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga"),
    *("maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone"),
)


class device:  # noqa: N801 - PyTorch's name
    """A device name: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 1)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cpu", type  # a bare ordinal; PyTorch means the current accelerator
        name, _, ordinal = str(type).partition(":")
        if name not in _KNOWN:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN)} device type at start of device string: {type}"
            )
        if ordinal:
            if index is not None or not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(ordinal)
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        # As in PyTorch, a device equals a device, not its string.
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self) -> device:
        """``with device(...)``: the default device of factories inside the block (PyTorch's;
        the CPU holds values, ``"meta"`` gives meta tensors, another device's factories raise)."""
        _here.outer.append(_here.default)
        set_default_device(self)
        return self

    def __exit__(self, *exc: object) -> None:
        set_default_device(_here.outer.pop())


CPU = device("cpu")


class _Defaults(threading.local):
    """The calling thread's default device (a new thread's is the CPU), and the defaults
    outside the ``with device(...)`` blocks it has entered. PyTorch keeps them per thread:
    another thread's ``with device("meta")`` must not make this thread's tensors valueless."""

    default: device = CPU

    def __init__(self) -> None:
        self.outer: list[device] = []


_here = _Defaults()
#: The threads whose default device is not the CPU: empty as a rule, so a factory asks its
#: thread (:data:`_here`, a ``threading.local``) only when some thread has set another.
_elsewhere: set[int] = set()


def set_default_device(dev: Any) -> None:
    """Where factories put tensors made without ``device=`` in the calling thread: the CPU, or
    ``"meta"`` (shapes without values, see :mod:`chainrule.meta`); another device's factories
    raise."""
    _here.default = default = CPU if dev is None else device(dev)
    if default == CPU:
        _elsewhere.discard(threading.get_ident())
    else:
        _elsewhere.add(threading.get_ident())


def get_default_device() -> device:
    """The device factories use; asking after ``set_default_device("cuda")`` fails as there."""
    return _here.default if on_meta(None) else CPU


def on_meta(dev: Any) -> bool:
    """Whether a factory given ``device`` (None: the default device) makes a meta tensor
    (see :mod:`chainrule.meta`): False for the CPU, :func:`check`'s error for other devices.

        >>> on_meta("meta"), on_meta(None)
        (True, False)
    """
    if dev is None:
        if not _elsewhere:
            return False
        dev = _here.default
    if dev is CPU or isinstance(dev, str) and dev == "cpu":
        return False
    if device(dev).type == "meta":
        return True
    check(dev)
    return False


def check(dev: Any) -> None:
    """Accept the CPU (or None, the default device); anything else raises PyTorch's error."""
    if dev is None:
        dev = _here.default if _elsewhere else CPU
        if dev is CPU:
            return
    if isinstance(dev, str) and dev == "cpu":
        return
    dev = device(dev)
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        # PyTorch's CPU builds raise exactly this, which is what users search for.
        raise AssertionError("Torch not compiled with CUDA enabled")
    if dev.type == "meta":
        raise RuntimeError(
            "chainrule makes meta tensors with its factories (zeros, empty, randn, arange, "
            "tensor, the *_like ones...) only: this one runs on the CPU (see chainrule.meta)"
        )
    raise RuntimeError(
        f"chainrule runs on the CPU with NumPy: the '{dev.type}' backend is not available"
    )


def is_device(arg: Any) -> bool:
    """Whether a positional argument of ``.to(...)`` names a device (a dtype otherwise)."""
    if isinstance(arg, device):
        return True
    return isinstance(arg, str) and arg.partition(":")[0] in _KNOWN


def names_meta(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``.to(...)``'s arguments name the meta device (see :mod:`chainrule.meta`)."""
    named = [arg for arg in (*args, kwargs.get("device")) if is_device(arg)]
    return any(device(arg).type == "meta" for arg in named)


def asks_copy(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``.to(...)``'s arguments ask for a copy: ``copy=True``, or the second of its
    positional flags (``non_blocking``, then ``copy``)."""
    flags = [arg for arg in args if isinstance(arg, bool)]
    return bool(kwargs.get("copy", len(flags) > 1 and flags[1]))


def parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype that ``.to(...)``'s arguments ask for (None: keep); devices are checked.

    Accepts PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
    ``to(other_tensor)``, and ``device=``/``dtype=`` keywords.
    """
    dtype = kwargs.get("dtype")
    for arg in args:
        if is_device(arg):
            check(arg)
        elif hasattr(arg, "_data"):  # a Tensor: take its dtype
            dtype = arg._data.dtype
        elif arg is not None and not isinstance(arg, bool):  # non_blocking/copy flags skip
            dtype = arg
    if "device" in kwargs:
        check(kwargs["device"])
    return None if dtype is None else dtypes.as_dtype(dtype)
