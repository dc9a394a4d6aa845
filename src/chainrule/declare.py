"""What one op declaration gives: ``cr.<name>``, ``Tensor.<name>``, the expression language's
function and the SymPy counterpart, all from the op class itself.

An op class that sets ``public = "sinh"`` is the only place to edit when adding an op: when the
class is defined, :func:`install` makes the public function (its signature is the forward's
tensor inputs, then the constructor's parameters), puts it in the op's module and in the
``chainrule`` package, and adds the Tensor method. The explainer's expression language offers
every declared op that has a ``sympy`` counterpart (:func:`expression_functions`), and the
symbolic cross-check builds its SymPy functions from the same declarations
(:func:`sympy_functions`).

    >>> import chainrule as cr
    >>> cr.sinh is cr.ops.elementwise.sinh, cr.Tensor.sinh.__doc__.splitlines()[0]
    (True, 'sinh(x); d/dx = cosh(x)')
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

from chainrule.out import accepts_out, write_out
from chainrule.tensor import Tensor

#: Public name -> the op class that declared it, in declaration order.
DECLARED: dict[str, type] = {}

_TENSOR_NAMES = ("input", "other", "third")


def install(cls: type) -> None:
    """Make ``cr.<cls.public>`` and ``Tensor.<cls.public>`` for a declared op class: the
    function takes PyTorch's ``out=`` (:mod:`chainrule.out`), the method does not."""
    name = cls.public
    plain = _public_function(cls)
    function = plain if cls.out_rule is None else _taking_out(cls, plain)
    function.__name__ = function.__qualname__ = plain.__name__ = plain.__qualname__ = name
    function.__module__ = cls.__module__
    function.__doc__ = plain.__doc__ = _docstring(cls)
    signature = _signature(cls)
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *([out] if cls.out_rule else [])]
    )
    DECLARED[name] = cls
    package = sys.modules.get("chainrule")
    for public in (name, *cls.aliases):
        setattr(sys.modules[cls.__module__], public, function)
        if package is not None:
            setattr(package, public, function)
        if cls.method:
            setattr(Tensor, public, _method(plain))


def _public_function(cls: type) -> Callable[..., Any]:
    # Specialised closures: this is every call's path, so no argument shuffling where none is
    # needed (the common case, ``cr.sin(x)``, is one call more than ``Sin()(x)``).
    if "apply" in vars(cls):
        apply = cls.apply
        return lambda *args, **kwargs: apply(*args, **kwargs)
    inputs = _input_count(cls)
    takes_parameters = len(_constructor_parameters(cls)) > 0
    # ``op.__call__(...)`` by name is cheaper than ``op(...)``, which goes through the type's slot.
    if inputs == 1 and not takes_parameters:
        return lambda input: cls().__call__(input)  # noqa: A006
    if inputs == 2 and not takes_parameters:
        return lambda input, other: cls().__call__(input, other)  # noqa: A006
    return lambda *args, **kwargs: cls(*args[inputs:], **kwargs)(*args[:inputs])


def _taking_out(cls: type, plain: Callable[..., Any]) -> Callable[..., Any]:
    """``plain`` (from :func:`_public_function`) with the keyword ``out=``, by the op's
    ``out_rule``. The one- and two-tensor forms call the op themselves: ``cr.tanh(x)`` pays no
    extra call for ``out``."""
    name, exact = cls.public, cls.out_rule == "exact"
    if "apply" not in vars(cls) and not _constructor_parameters(cls):
        if _input_count(cls) == 1:

            def one(input: Any, *, out: Any = None) -> Any:  # noqa: A002
                if out is None:
                    return cls().__call__(input)
                return write_out(name, out, lambda: plain(input), (input,), exact=exact)

            return one
        if _input_count(cls) == 2:

            def two(input: Any, other: Any, *, out: Any = None) -> Any:  # noqa: A002
                if out is None:
                    return cls().__call__(input, other)
                return write_out(
                    name, out, lambda: plain(input, other), (input, other), exact=exact
                )

            return two
    return accepts_out(plain, exact=exact)


def _method(function: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return function(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = function.__doc__
    return method


def _input_count(cls: type) -> int:
    code = cls.forward.__code__
    return code.co_argcount - 1


def _constructor_parameters(cls: type) -> list[inspect.Parameter]:
    if cls.__init__ is object.__init__:
        return []
    return list(inspect.signature(cls.__init__).parameters.values())[1:]


def _signature(cls: type) -> inspect.Signature:
    if "apply" in vars(cls):
        return inspect.signature(cls.apply)
    tensors = [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for n in _TENSOR_NAMES[: _input_count(cls)]
    ]
    return inspect.Signature(tensors + _constructor_parameters(cls))


def _docstring(cls: type) -> str:
    names = cls.forward.__code__.co_varnames[1 : 1 + _input_count(cls)]
    rules = "; ".join(f"d/d{n} = {d}" for n, d in zip(names, cls.derivatives, strict=False))
    head = f"{cls.notation}; {rules}"
    return f"{head}\n\n{inspect.cleandoc(cls.__doc__)}" if cls.__doc__ else head


# ----------------------------------------------------------------------------- readers
def expression_functions() -> dict[str, Callable[..., Any]]:
    """The functions ``chainrule explain`` offers: every declared op with a SymPy twin."""
    return {
        name: getattr(sys.modules[cls.__module__], name)
        for name, cls in DECLARED.items()
        if cls.sympy is not None
    }


def sympy_functions(sp: Any) -> dict[str, Callable[..., Any]]:
    """SymPy counterparts of the declared ops: a name of a SymPy function, or a callable
    taking the ``sympy`` module first."""
    functions: dict[str, Callable[..., Any]] = {}
    for name, cls in DECLARED.items():
        twin = cls.sympy
        if twin is None:
            continue
        functions[name] = getattr(sp, twin) if isinstance(twin, str) else _bound(twin, sp)
    return functions


def _bound(twin: Callable[..., Any], sp: Any) -> Callable[..., Any]:
    def counterpart(*args: Any) -> Any:
        return twin(sp, *args)

    # The symbolic check calls with the same arguments as the expression: keep the signature
    # without ``sp``.
    parameters = list(inspect.signature(twin).parameters.values())[1:]
    counterpart.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return counterpart
