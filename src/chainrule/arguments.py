"""PyTorch's checks of the arguments a Python call passes, and its words when they fail.

PyTorch parses arguments in C++ against a signature; its messages name the function, the
parameter and the Python type it got. These helpers give the same answers, so that a script
that fails under PyTorch fails the same way here.

    >>> import chainrule as cr
    >>> type_name(1.5), type_name(None), type_name(cr.float32)
    ('float', 'NoneType', 'chainrule.dtype')
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

from chainrule._array import xp


def type_name(value: Any) -> str:
    """Python's C-level name of the type, as PyTorch prints it: ``float``, ``numpy.ndarray``
    (types defined in C carry their module, classes defined in Python do not)."""
    kind = type(value)
    if kind.__flags__ & _HEAP_TYPE or kind.__module__ == "builtins":
        return _C_TYPES.get((kind.__module__, kind.__name__), kind.__name__)
    return f"{kind.__module__}.{kind.__name__}"


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class statement made the type
# chainrule's classes for types PyTorch defines in C, under the names PyTorch prints for those.
_C_TYPES = {
    ("chainrule.dtypes", "dtype"): "chainrule.dtype",
    ("chainrule.devices", "device"): "chainrule.device",
    ("chainrule.tensor", "Size"): "chainrule.Size",
    ("chainrule.rng", "Generator"): "chainrule._C.Generator",
}

#: The default of an argument that PyTorch reads differently when it is not given at all (no
#: signature of ``squeeze`` takes None: squeezing all is the one given no ``dim``).
OMITTED: Any = object()


def mistyped(name: str, param: str, position: int | None, expected: str, value: Any) -> TypeError:
    """PyTorch's error for an argument of the wrong type; ``position`` None for one given by
    keyword (PyTorch then names no position).

    >>> mistyped("mv", "vec", 2, "Tensor", 3)
    TypeError("mv(): argument 'vec' (position 2) must be Tensor, not int")
    """
    where = "" if position is None else f" (position {position})"
    return TypeError(
        f"{name}(): argument '{param}'{where} must be {expected}, not {type_name(value)}"
    )


def integer(value: Any, name: str, param: str, position: int | None = 1) -> int:
    """Read an ``int`` argument as PyTorch does: an int (not a bool), a NumPy integer, or an
    integer tensor of no dimensions; anything else (a float, None, a list) is refused.

    >>> import numpy as np
    >>> integer(np.int8(2), "unsqueeze", "dim")
    2
    >>> integer(1.0, "unsqueeze", "dim")
    Traceback (most recent call last):
    TypeError: unsqueeze(): argument 'dim' (position 1) must be int, not float
    """
    if type(value) is int:
        return value
    from chainrule.tensor import Tensor  # tensor.py imports this module

    if isinstance(value, Tensor):
        taken = value.ndim == 0 and value.dtype.kind in "iu"
    else:
        taken = isinstance(value, (int, xp.integer)) and not isinstance(value, bool)
    if not taken:
        raise mistyped(name, param, position, "int", value)
    return operator.index(value)


def boolean(value: Any, name: str, param: str, position: int | None = 1) -> bool:
    """Read a ``bool`` argument as PyTorch does: a Python bool only; an int, a NumPy bool or a
    tensor is refused, not taken by its truth.

    >>> boolean(1, "dropout", "train", 3)
    Traceback (most recent call last):
    TypeError: dropout(): argument 'train' (position 3) must be bool, not int
    """
    if type(value) is not bool:
        raise mistyped(name, param, position, "bool", value)
    return value


def number(
    value: Any, name: str, param: str, position: int | None = 2, expected: str = "Number"
) -> Any:
    """Read a ``Scalar`` argument as PyTorch does: a Python or NumPy number, or a tensor of no
    dimensions that needs no gradient (read as its value); a tensor of more elements (which
    was broadcast as an elementwise setting), None or a string is refused.

    >>> import chainrule as cr
    >>> number(cr.tensor(0.5), "hardshrink", "lambd")
    0.5
    >>> number(cr.ones(2), "hardshrink", "lambd")
    Traceback (most recent call last):
    TypeError: hardshrink(): argument 'lambd' (position 2) must be Number, not Tensor
    """
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return value
    from chainrule.tensor import Tensor  # tensor.py imports this module

    if isinstance(value, Tensor):
        if value.ndim == 0 and not value.requires_grad:
            return value.item()
    elif isinstance(value, (int, float, complex, xp.number, xp.bool_)):
        return value
    raise mistyped(name, param, position, expected, value)


def dim(value: Any, ndim: int, name: str, param: str, position: int = 1) -> int:
    """Read a dimension of a tensor with ``ndim`` dimensions (an ``integer``), counted from
    the end where negative, as a non-negative index (PyTorch's ``maybe_wrap_dim``).

    >>> dim(-1, 3, "flatten", "end_dim", 2)
    2
    """
    return wrap_dim(value if type(value) is int else integer(value, name, param, position), ndim)


def wrap_dim(value: int, ndim: int) -> int:
    """``value`` as a non-negative dimension of a tensor with ``ndim`` dimensions, with
    PyTorch's ``IndexError`` where it is none; a 0-d tensor takes -1 and 0, as PyTorch's does.

    >>> wrap_dim(5, 2)
    Traceback (most recent call last):
    IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 5)
    """
    n = ndim or 1
    if -n <= value < n:
        return value + n if value < 0 else value
    raise out_of_range(value, ndim)


def out_of_range(value: int, ndim: int) -> IndexError:
    """PyTorch's error for dimension ``value`` of a tensor with ``ndim`` dimensions."""
    n = ndim or 1
    return IndexError(
        f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {value})"
    )


def distinct_dims(values: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """``values`` as dimensions (``wrap_dim``), each at most once, checked one by one as
    PyTorch's ``dim_list_to_bitset`` checks them.

    >>> distinct_dims((0, -2), 2)
    Traceback (most recent call last):
    RuntimeError: dim 0 appears multiple times in the list of dims
    """
    dims: list[int] = []
    for value in values:
        d = wrap_dim(value, ndim)
        if d in dims:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims.append(d)
    return tuple(dims)


def int_list(
    args: tuple[Any, ...],
    name: str,
    param: str,
    *,
    position: int = 1,
    varargs: bool = True,
    overloads: tuple[Signature, ...] = (),
) -> tuple[int, ...]:
    """Read an ``int[]`` argument as PyTorch does: ``f((2, 3))``, and ``f(2, 3)`` where the list
    is the only positional parameter (``varargs``), with PyTorch's ``TypeError`` otherwise.

    ``args`` holds the positional arguments from the list's position on; ``name``, ``param``
    and ``position`` name them in the message. ``overloads``: all the function's signatures,
    where it has more than one (``view(dtype)``, ``view(size)``): PyTorch names the failure in
    one only where one alone takes that many arguments, and else lists them all.

    >>> int_list((2, 3), "expand", "size"), int_list(([2, 3],), "expand", "size")
    ((2, 3), (2, 3))
    >>> int_list((2, 3.0), "f", "size")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: f(): argument 'size' failed to unpack the object at pos 2 with error "type must...
    """
    # The common call, plain ints, costs two checks and a loop (reshape is on hot paths).
    if len(args) == 1 and isinstance(args[0], _LISTS):
        items = args[0]
    elif varargs and args:
        items = args
    else:
        items = ()
    if items:
        for n in items:
            if type(n) is not int:
                break
        else:
            return items if type(items) is tuple else tuple(items)
    return _read(args, name, param, position, varargs, overloads)


_LISTS = (tuple, list)


def _read(
    args: tuple[Any, ...],
    name: str,
    param: str,
    position: int,
    varargs: bool,
    overloads: tuple[Signature, ...],
) -> tuple[int, ...]:
    """``int_list`` for any arguments: PyTorch's checks in its order, and its messages."""
    where = f"{name}(): argument '{param}' (position {position}) must be tuple of ints"
    if len(args) == 1 and isinstance(args[0], _LISTS):
        items = args[0]
        if items and not is_index(items[0]):
            found = type_name(items[0])
            raise _refused(
                args, name, overloads, f"{where}, but found element of type {found} at pos 0"
            )
    elif args and varargs and is_index(args[0]):
        items = args  # f(2, 3): every positional argument is one size
    elif len(args) > 1:
        many = "s" if position > 1 else ""
        given = position - 1 + len(args)
        message = f"{name}() takes {position} positional argument{many} but {given} were given"
        raise _refused(args, name, overloads, message)
    elif args:
        raise _refused(args, name, overloads, f"{where}, not {type_name(args[0])}")
    else:
        message = f'{name}() missing 1 required positional arguments: "{param}"'
        raise _refused(args, name, overloads, message)
    # The first item passed the check above; the others are unpacked one by one, where a bool
    # counts as an int (PyTorch's unpacking, unlike its check, takes one).
    sizes = []
    for pos, n in enumerate(items, 1):
        if not (is_index(n) or isinstance(n, bool)):
            raise TypeError(
                f"{name}(): argument '{param}' failed to unpack the object at pos {pos} with "
                f'error "type must be tuple of ints,but got {type_name(n)}"'
            )
        sizes.append(operator.index(n))
    return tuple(sizes)


def int_window(
    value: Any, size: int, name: str, param: str, position: int | None = None
) -> tuple[int, ...]:
    """Read an ``int[size]`` argument (a window's kernel size, stride, padding, dilation) as
    PyTorch's parser does: one int (not a bool), NumPy integer or integer tensor of one element
    stands for ``size`` equal ones; a tuple or list is an ``int_list``; anything else is
    refused (and so is one int where ``size`` is 0: a list of no fixed length, as F.pad's).
    ``position`` None words the refusal of an argument given by keyword (PyTorch then names no
    position, nor the item that failed). The list's length is left to the caller: PyTorch's
    ops word that check each in their own way.

    >>> int_window(2, 2, "max_pool2d", "kernel_size", 2)
    (2, 2)
    >>> int_window(True, 2, "max_pool2d", "kernel_size", 2)
    Traceback (most recent call last):
    TypeError: max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, not bool
    """
    if type(value) is int and size:  # the usual call
        return (value,) * size
    if isinstance(value, _LISTS):
        if position is None and value and not is_index(value[0]):
            raise mistyped(name, param, None, "tuple of ints", value)
        return int_list((value,), name, param, position=position or 1, varargs=False)
    if size > 0 and is_index(value):
        return (operator.index(value),) * size
    raise mistyped(name, param, position, "tuple of ints", value)


def fits_int_list(value: Any, size: int) -> bool:
    """Whether PyTorch's parser takes ``value`` for an ``int[size]`` argument (its
    ``is_int_or_symint_list``): a tuple or list, empty or led by an int, or, where ``size`` is
    given, one int. An op of several signatures lists them all where one does not fit.

    >>> fits_int_list((2, 1.0), 2), fits_int_list((1.0, 2), 2), fits_int_list(True, 2)
    (True, False, False)
    """
    if isinstance(value, _LISTS):
        return not value or is_index(value[0])
    return size > 0 and is_index(value)


def is_index(value: Any) -> bool:
    """Whether PyTorch takes ``value`` as an int: an int, NumPy integer or integer tensor of one
    element, but not a bool (Python's ``__index__`` check, without its bool)."""
    if type(value) is int:
        return True
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


class Signature(NamedTuple):
    """One of a function's signatures, as PyTorch lists them when a call fits none."""

    text: str
    min_args: int
    max_args: int


VIEW = (Signature("(chainrule.dtype dtype)", 1, 1), Signature("(tuple of ints size)", 1, 1))
_OPTIONS = (
    "chainrule.Generator generator, Tensor out = None, chainrule.dtype dtype = None, "
    "chainrule.layout layout = None, chainrule.device device = None, bool pin_memory = False, "
    "bool requires_grad = False"
)
RANDOM = (  # rand, randn: the generator's signature needs it, so it takes two arguments or more
    Signature(f"(tuple of ints size, *, {_OPTIONS})", 2, 9),
    Signature(f"(tuple of ints size, *, {_OPTIONS.split(', ', 1)[1]})", 1, 8),
)


def _refused(
    args: tuple[Any, ...], name: str, overloads: tuple[Signature, ...], message: str
) -> TypeError:
    plausible = [s for s in overloads if s.min_args <= len(args) <= s.max_args]
    if overloads and len(plausible) != 1:
        return invalid_combination(args, name, overloads)
    return TypeError(message)


def no_overload(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TypeError:
    """PyTorch's error for a call that fits none of the function's signatures, as its first
    line reads (the signatures it lists after it are left out).

    >>> no_overload("eq", (2, 3.0), {"out": None})
    TypeError('eq() received an invalid combination of arguments - got (int, float, out=NoneType), but expected one of:')
    """  # noqa: E501
    got = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), but "
        "expected one of:"
    )


def no_overload_as_written(
    name: str,
    required: tuple[Any, ...],
    optional: tuple[tuple[Any, Any], ...] = (),
    flags: dict[str, tuple[Any, Any]] | None = None,
) -> TypeError:
    """:func:`no_overload` for a call whose arguments cannot be told from their defaults
    passed explicitly, listed as such calls are usually written: the ``required`` ones, the
    ``optional`` ``(value, default)`` pairs by position up to the last one that is not its
    default, and the ``flags`` (name: ``(value, default)``) by keyword where not their
    default.

    >>> no_overload_as_written("svd", (2,), ((None, None), (3, None)), {"some": (1, True)})
    TypeError('svd() received an invalid combination of arguments - got (int, NoneType, int, some=int), but expected one of:')
    """  # noqa: E501
    values = [value for value, _ in optional]
    while values and _is_default(values[-1], optional[len(values) - 1][1]):
        values.pop()
    given = {k: v for k, (v, default) in (flags or {}).items() if not _is_default(v, default)}
    return no_overload(name, (*required, *values), given)


def _is_default(value: Any, default: Any) -> bool:
    """Whether ``value`` is ``default``: the same object, or an equal plain value (a string,
    a number, a tuple of ints; never a tensor, whose == is elementwise)."""
    return value is default or (type(value) is type(default) in _PLAIN and value == default)


_PLAIN = (str, int, float, tuple)


def booleans(name: str, **flags: Any) -> None:
    """:func:`boolean` for several flags in their signature's order, each named as given by
    keyword: how it was passed cannot be told, and flags are usually given by name. Callers
    test ``type(flag) is not bool`` first, so that a call of bools builds nothing.

    >>> booleans("svd", some=True, compute_uv=1)
    Traceback (most recent call last):
    TypeError: svd(): argument 'compute_uv' must be bool, not int
    """
    for param, value in flags.items():
        boolean(value, name, param, None)


def invalid_combination(
    args: tuple[Any, ...], name: str, overloads: tuple[Signature, ...]
) -> TypeError:
    """PyTorch's error for a call that fits none of the function's signatures (its lines on
    why each did not fit are left out)."""
    got = ", ".join(type_name(a) for a in args)
    listed = "".join(f"\n * {s.text}" for s in overloads)
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:{listed}"
    )
