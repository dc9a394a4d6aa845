"""PyTorch's TypeError for a Python number given where a function takes a tensor.

``torch.sum(0.5)`` raises ``TypeError: sum(): argument 'input' (position 1) must be Tensor, not
float``; chainrule's function read the number's ``.dtype`` and raised an AttributeError that
named neither the function nor the argument. The functions below are wrapped under their public
names only (``cr.sum``), so methods and the engine's own calls pay nothing; declared ops refuse
numbers in ``Op.__call__``, and functions that warn check for themselves (a wrapper would
move their warnings' stack level). The list holds the rest of the functions PyTorch refuses
a number for as their first argument (``tests/test_torch_toplevel.py`` asks PyTorch again).

    >>> import chainrule as cr
    >>> cr.sum(0.5)
    Traceback (most recent call last):
    ...
    TypeError: sum(): argument 'input' (position 1) must be Tensor, not float
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from chainrule.tensor import Tensor

NAMES = (
    *("amax", "amin", "aminmax", "argmax", "argmin", "argsort", "argwhere"),
    *("bernoulli", "bincount", "bitwise_not", "cholesky_inverse", "combinations"),
    *("conj", "corrcoef", "count_nonzero", "cov", "cumulative_trapezoid", "deg2rad", "det"),
    *("diag", "diag_embed", "diagflat", "diagonal", "diff", "empty_like", "flatten", "fliplr"),
    *("flipud", "frexp", "geqrf", "gradient", "histc", "histogram", "imag", "inverse"),
    *("is_conj", "is_neg"),
    *("is_nonzero", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "logdet"),
    *("logical_not", "logit", "matrix_exp", "max", "mean", "median", "min", "mode"),
    *("msort", "nan_to_num", "nanmean", "nanmedian", "nansum", "nonzero", "nuclear_norm"),
    *("numel", "ones_like", "pdist", "pinverse", "poisson", "positive", "prod", "qr"),
    *("rad2deg", "rand_like", "randn_like", "ravel", "real", "repeat_interleave"),
    *("resolve_conj", "resolve_neg", "rot90", "signbit", "sinc", "slogdet", "sort", "square"),
    *("squeeze", "sum", "svd", "t", "trace", "trapezoid", "trapz", "tril", "triu", "unbind"),
    *("unique", "unique_consecutive", "vander", "zeros_like", "norm_except_dim"),
)


# PyTorch's words where they name another function or argument than ``<name>(): argument
# 'input'``: (function, argument) as its message spells them
_SPELLED = {
    "cumulative_trapezoid": ("cumulative_trapezoid", "y"),
    "trapezoid": ("trapezoid", "y"),
    "trapz": ("trapz", "y"),
    "vander": ("vander", "x"),
    "norm_except_dim": ("norm_except_dim", "v"),
    "repeat_interleave": ("repeat_interleave", "repeats"),
    "unique": ("_unique2", "input"),
}


def tensor_argument(function: str, input: Any, position: int = 1, name: str = "input") -> None:  # noqa: A002
    """PyTorch's TypeError for a function given something other than a tensor.

    >>> tensor_argument("abs_", 1.0)
    Traceback (most recent call last):
    ...
    TypeError: abs_(): argument 'input' (position 1) must be Tensor, not float
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{function}(): argument '{name}' (position {position}) must be Tensor, not "
            f"{type(input).__name__}"
        )


def takes_tensor(function: Callable[..., Any], public: str) -> Callable[..., Any]:
    """``function``, exported as ``public``, refusing a first argument that is not a tensor
    in PyTorch's words."""
    shown, argument = _SPELLED.get(public, (public, "input"))
    keyword = next(iter(inspect.signature(function).parameters))  # chainrule's own name

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else kwargs.get(keyword, _ABSENT)
        if first is not _ABSENT:
            tensor_argument(shown, first, name=argument)
        return function(*args, **kwargs)

    return checked


_ABSENT = object()  # no first argument given: the function's own error says so
