"""PyTorch's TypeError for a Python number given where a function takes a tensor.

``torch.sum(0.5)`` raises ``TypeError: sum(): argument 'input' (position 1) must be Tensor, not
float``; chainrule's function read the number's ``.dtype`` and raised an AttributeError that
named neither the function nor the argument. The functions below are wrapped under their public
names only (``cr.sum``), so methods and the engine's own calls pay nothing; declared ops refuse
numbers in ``Op.__call__``, and functions that warn check for themselves (a wrapper would
move their warnings' stack level). The list holds the rest of the functions PyTorch refuses
a number for as their first argument (``tests/test_torch_toplevel.py`` asks PyTorch again).

:data:`OPERANDS` are functions of two tensors that PyTorch gives no overload with a number
(``torch.maximum(x, 2)`` is a TypeError where ``torch.max(x, 2)`` and ``x + 2`` are not): both
operands are checked, for the function and for its methods. :data:`TENSOR_FIRST` take a number
second (``torch.eq(x, 2)``) but not first.

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

from chainrule.arguments import mistyped, no_overload
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


def tensor_argument(
    function: str,
    input: Any,  # noqa: A002
    position: int | None = 1,
    name: str = "input",
) -> None:
    """PyTorch's TypeError for a function given something other than a tensor; ``position``
    None for an argument given by keyword (PyTorch then names no position).

    >>> tensor_argument("abs_", 1.0)
    Traceback (most recent call last):
    ...
    TypeError: abs_(): argument 'input' (position 1) must be Tensor, not float
    """
    if not isinstance(input, Tensor):
        raise mistyped(function, name, position, "Tensor", input)


def takes_tensor(function: Callable[..., Any], public: str) -> Callable[..., Any]:
    """``function``, exported as ``public``, refusing a first argument that is not a tensor
    in PyTorch's words."""
    shown, argument = _SPELLED.get(public, (public, "input"))
    return _checking(function, shown, (argument,))


#: Functions of two tensors (PyTorch's ``input`` and ``other``) with no overload for a number.
OPERANDS = ("atan2", "arctan2", "dist", "fmax", "fmin", "gcd", "hypot", "lcm", "logaddexp")
OPERANDS += ("logaddexp2", "logical_and", "logical_or", "logical_xor", "maximum", "minimum")
OPERANDS += ("nextafter",)
#: In-place methods of :data:`OPERANDS` (``x.atan2_(2)`` is refused as ``atan2_()``).
IN_PLACE = ("atan2_", "arctan2_", "gcd_", "hypot_", "lcm_", "logical_and_", "logical_or_")
IN_PLACE += ("logical_xor_", "nextafter_")
#: Functions whose overloads all take a tensor first (a number second is one of them).
TENSOR_FIRST = ("clamp", "clip", "clamp_min", "clamp_max", "copysign", "eq", "ne", "ge", "gt")
TENSOR_FIRST += ("le", "lt", "greater", "greater_equal", "less", "less_equal", "not_equal")
TENSOR_FIRST += ("fmod",)


def takes_tensors(function: Callable[..., Any], public: str) -> Callable[..., Any]:
    """``function`` of :data:`OPERANDS`, exported as ``public``, refusing operands that are
    not tensors in PyTorch's words.

    >>> import chainrule as cr
    >>> cr.maximum(cr.ones(2), 0.5)
    Traceback (most recent call last):
    ...
    TypeError: maximum(): argument 'other' (position 2) must be Tensor, not float
    """
    return _checking(function, public, ("input", "other"))


def method_takes_tensor(method: Callable[..., Any], public: str) -> Callable[..., Any]:
    """``Tensor.<public>`` of :data:`OPERANDS` or :data:`IN_PLACE`, refusing an operand that is
    not a tensor: ``x.maximum(2)`` names 'other' at position 1, as PyTorch's."""
    keyword = list(inspect.signature(method).parameters)[1]  # chainrule's own name

    @functools.wraps(method)
    def checked(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        _check(public, args, kwargs, (("other", keyword),))
        return method(self, *args, **kwargs)

    return checked


def takes_tensor_first(function: Callable[..., Any], public: str) -> Callable[..., Any]:
    """``function`` of :data:`TENSOR_FIRST`, refusing a first argument that is not a tensor
    with PyTorch's error for a call that matches none of its overloads.

    >>> import chainrule as cr
    >>> cr.eq(2, cr.ones(2))
    Traceback (most recent call last):
    ...
    TypeError: eq() received an invalid combination of arguments - got (int, Tensor), but expected one of:
    """  # noqa: E501
    keyword = next(iter(inspect.signature(function).parameters))

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else kwargs.get(keyword, _ABSENT)
        if first is not _ABSENT and not isinstance(first, Tensor):
            raise no_overload(public, args, kwargs)
        return function(*args, **kwargs)

    return checked


def _checking(function: Callable[..., Any], public: str, names: tuple[str, ...]) -> Any:
    """``function`` checking that its first ``len(names)`` arguments (PyTorch's ``names``)
    are tensors, given by position or by chainrule's own keyword."""
    keywords = list(inspect.signature(function).parameters)[: len(names)]
    pairs = tuple(zip(names, keywords, strict=True))

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check(public, args, kwargs, pairs)
        return function(*args, **kwargs)

    return checked


def _check(public: str, args: tuple[Any, ...], kwargs: dict[str, Any], pairs: Any) -> None:
    """PyTorch's TypeError for the first of ``pairs`` (its name, chainrule's keyword) given
    something other than a tensor, by position (numbered from 1) or by keyword."""
    for position, (name, keyword) in enumerate(pairs):
        if position < len(args):
            tensor_argument(public, args[position], position + 1, name)
        elif keyword in kwargs:
            tensor_argument(public, kwargs[keyword], None, name)


_ABSENT = object()  # no first argument given: the function's own error says so
