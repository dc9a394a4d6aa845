"""``torch.nn.utils.parametrize``: a parameter or buffer computed from other tensors.

After ``register_parametrization(module, "weight", f)``, reading ``module.weight`` computes
``f(original)`` afresh, so gradients reach the unconstrained ``original`` (which the optimizer
updates), and assigning ``module.weight = value`` stores ``f.right_inverse(value)`` in it.

The module's class is swapped for a subclass made for it alone, ``Parametrized<Name>``, whose
properties do the computing (as in PyTorch, where ``type(m).__name__`` shows it); the
originals live in ``module.parametrizations.<name>``, a :class:`ParametrizationList`.

>>> import chainrule as cr
>>> from chainrule.nn.utils import parametrize
>>> class Double(cr.nn.Module):
...     def forward(self, X):
...         return 2 * X
...     def right_inverse(self, W):
...         return W / 2
>>> m = parametrize.register_parametrization(cr.nn.Linear(2, 2), "weight", Double())
>>> type(m).__name__, list(m.state_dict())
('ParametrizedLinear', ['bias', 'parametrizations.weight.original'])
>>> m.weight = cr.ones(2, 2)
>>> m.parametrizations.weight.original
Parameter containing:
tensor([[0.5000, 0.5000],
        [0.5000, 0.5000]], requires_grad=True)
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from chainrule import grad_mode
from chainrule.nn.container import ModuleDict, ModuleList
from chainrule.nn.lazy import SHAPE_OF_UNINITIALIZED, is_lazy
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

# Inside ``with cached():`` each parametrized tensor is computed once and kept here, keyed by
# (id of its module, its name); ``_cache_depth`` counts nested ``cached()`` blocks.
_cache: dict[tuple[int, str], Tensor] = {}
_cache_depth = 0


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor at most once inside the block (a weight read several
    times in a forward pass, or shared by time steps of a recurrent net); the values are
    dropped when the outermost block ends.

    >>> import chainrule as cr
    >>> from chainrule.nn.utils import parametrize
    >>> m = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    >>> with parametrize.cached():
    ...     m.weight is m.weight
    True
    """
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if _cache_depth == 0:
            _cache.clear()


def _attach(owner: Module, name: str, tensor: Tensor) -> None:
    """Register ``tensor`` on ``owner`` as what it is: a Parameter, or else a buffer."""
    if isinstance(tensor, Parameter):
        owner.register_parameter(name, tensor)
    else:
        owner.register_buffer(name, tensor)


def _check_unchanged(
    kind: str, before: Any, after: Any, flag: str, labels: tuple[str, str]
) -> None:
    """Refuse a ``kind`` ("shape" or "dtype") that a parametrization changed; ``labels`` name
    the two values, with ``{kind}`` in them."""
    if before != after:
        first, second = (label.format(kind=kind) for label in labels)
        raise ValueError(
            f"Registering a parametrization may not change the {kind} of the tensor, unless "
            f"{flag} flag is enabled.\n{first}: {before}\n{second}: {after}"
        )


def _require_tensor(value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
    return value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original tensor(s) they
    start from: ``original``, or ``original0``, ``original1``, ... when the first one's
    ``right_inverse`` returns several tensors. Made by :func:`register_parametrization`.

    >>> import chainrule as cr
    >>> from chainrule.nn.utils import parametrize
    >>> class Sum(cr.nn.Module):
    ...     def forward(self, A, B):
    ...         return A + B
    ...     def right_inverse(self, W):
    ...         return W, cr.zeros_like(W)
    >>> plist = parametrize.ParametrizationList([Sum()], cr.nn.Parameter(cr.ones(2)))
    >>> plist.original1, plist()
    (Parameter containing:
    tensor([0., 0.], requires_grad=True), tensor([1., 1.], grad_fn=<AddBackward0>))
    """

    def __init__(
        self, modules: Sequence[Module], original: Tensor | Parameter, unsafe: bool = False
    ) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        with grad_mode.no_grad():
            # Undo the parametrizations from the last to the first; one without a
            # right_inverse counts as the identity here.
            start: Any = original
            for parametrization in reversed(list(self)):
                inverse = getattr(parametrization, "right_inverse", None)
                if inverse is not None:
                    with suppress(NotImplementedError):
                        start = inverse(start)
        if isinstance(start, Tensor):
            self.is_tensor, self.ntensors = True, 1
            if start.dtype != dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {dtype}\nright_inverse(original).dtype: {start.dtype}"
                )
            # The same tensor object stays the original (taking the new shape, if any: the
            # forward's shape is what is checked), so that an optimizer holding the parameter
            # keeps updating what the parametrization reads.
            with grad_mode.no_grad():
                original.set_(start)
            _attach(self, "original", original)
        elif isinstance(start, Sequence):
            self.is_tensor, self.ntensors = False, len(start)
            for i, part in enumerate(start):
                if not isinstance(part, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        f"(list, tuple...). Got element {i} of the sequence with type "
                        f"{type(part).__name__}."
                    )
                if isinstance(original, Parameter):
                    part = Parameter(part, original.requires_grad)
                _attach(self, f"original{i}", part)
        else:
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(start).__name__}"
            )
        if not unsafe:
            result = _require_tensor(self())
            labels = ("unparametrized {kind}", "parametrized {kind}")
            _check_unchanged("shape", shape, result.shape, "`unsafe`", labels)
            _check_unchanged("dtype", dtype, result.dtype, "`unsafe`", labels)

    def _original_names(self) -> list[str]:
        if self.is_tensor:
            return ["original"]
        return [f"original{i}" for i in range(self.ntensors)]

    def _originals(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._original_names()]

    def forward(self) -> Tensor:
        first, *rest = list(self)
        value = first(*self._originals())
        for parametrization in rest:
            value = parametrization(value)
        return value

    def right_inverse(self, value: Tensor) -> None:
        """Store in the original(s) what makes this list compute ``value``: the
        parametrizations' ``right_inverse`` applied from the last to the first."""
        with grad_mode.no_grad():
            for parametrization in reversed(list(self)):
                if not hasattr(parametrization, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(parametrization).__name__} does not implement "
                        "right_inverse."
                    )
                value = parametrization.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(
                        f"`right_inverse` should return a tensor. Got {type(value).__name__}"
                    )
                parts = [value]
            else:
                if not isinstance(value, Sequence):
                    raise ValueError(
                        "'right_inverse' must return a sequence of tensors. "
                        f"Got {type(value).__name__}."
                    )
                if len(value) != self.ntensors:
                    raise ValueError(
                        "'right_inverse' must return a sequence of tensors of length "
                        f"{self.ntensors}. Got a sequence of length {len(value)}."
                    )
                parts = list(value)
            for i, (original, part) in enumerate(zip(self._originals(), parts, strict=True)):
                if not isinstance(part, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a sequence of tensors or reference-type "
                        f"opaques. Got element {i} of type {type(part).__name__}."
                    )
                if part.dtype != original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {part.dtype} while "
                        f"`original` has dtype {original.dtype}"
                    )
                # In place: the original objects (and optimizers' references) stay.
                original.set_(part)


def _parametrized_property(name: str) -> property:
    """The property that stands for the tensor ``name`` on a parametrized class."""

    def compute(module: Module) -> Tensor:
        plist = module.parametrizations[name]
        if _cache_depth == 0:
            return plist()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = plist()
        return _cache[key]

    def assign(module: Module, value: Tensor) -> None:
        module.parametrizations[name].right_inverse(value)

    return property(compute, assign)


def _refuse_pickling(module: Module) -> Any:
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training"
    )


def _deep_copy(module: Module, memo: dict[int, Any]) -> Module:
    # Pickling is refused, so deepcopy cannot go through __getstate__: copy the attributes
    # into a new instance of the same parametrized class.
    twin = object.__new__(type(module))
    memo[id(module)] = twin
    for key, value in module.__dict__.items():
        object.__setattr__(twin, key, copy.deepcopy(value, memo))
    return twin


def _make_parametrized_class(module: Module) -> None:
    base = type(module)
    namespace = {"__getstate__": _refuse_pickling, "__deepcopy__": _deep_copy}
    module.__class__ = type(f"Parametrized{base.__name__}", (base,), namespace)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization, or one on ``tensor_name``.

    >>> import chainrule as cr
    >>> m = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    >>> is_parametrized(m), is_parametrized(m, "weight"), is_parametrized(m, "bias")
    (True, True, False)
    """
    lists = getattr(module, "parametrizations", None)
    if not isinstance(lists, ModuleDict):
        return False
    return len(lists) > 0 if tensor_name is None else tensor_name in lists


def type_before_parametrizations(module: Module) -> type:
    """The class ``module`` had before it was parametrized (its own class if it is not).

    >>> import chainrule as cr
    >>> m = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    >>> type(m).__name__, type_before_parametrizations(m).__name__
    ('ParametrizedLinear', 'Linear')
    """
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def _check_appended(module: Module, tensor_name: str, parametrization: Module) -> None:
    """A parametrization added to a parametrized tensor must keep its shape and dtype, and
    so must its right_inverse, if it has one."""
    current = getattr(module, tensor_name)
    result = _require_tensor(parametrization(current))
    labels = (f"module.{tensor_name}.{{kind}}", f"parametrization(module.{tensor_name}).{{kind}}")
    _check_unchanged("shape", current.shape, result.shape, "the `unsafe`", labels)
    _check_unchanged("dtype", current.dtype, result.dtype, "the `unsafe`", labels)
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        back = parametrization.right_inverse(result)
    except NotImplementedError:
        return
    if not isinstance(back, Tensor):
        raise ValueError(
            f"parametrization.right_inverse must return a tensor. Got: {type(back).__name__}"
        )
    for kind in ("dtype", "shape"):
        if getattr(back, kind) != getattr(current, kind):
            raise ValueError(
                f"The tensor returned by parametrization.right_inverse must have the same {kind} "
                f"as module.{tensor_name}, unless the `unsafe` flag is enabled.\n"
                f"module.{tensor_name}.{kind}: {getattr(current, kind)}\n"
                f"returned {kind}: {getattr(back, kind)}"
            )


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` (appended after any
    already there); returns ``module``. The first registration moves the tensor to
    ``module.parametrizations.<tensor_name>.original`` (through ``right_inverse`` if the
    parametrization has one). ``unsafe=True`` skips the checks that the shape and dtype stay.

    >>> import chainrule as cr
    >>> class Symmetric(cr.nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).mT
    >>> m = register_parametrization(cr.nn.Linear(3, 3), "weight", Symmetric())
    >>> bool((m.weight == m.weight.mT).all())
    True
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_appended(module, tensor_name, parametrization)
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
            f"with name '{tensor_name}'"
        )
    tensor = getattr(module, tensor_name)
    if is_lazy(tensor):
        # Its shape is unknown until the first forward: nothing to check or invert yet.
        raise RuntimeError(SHAPE_OF_UNINITIALIZED)
    plist = ParametrizationList([parametrization], tensor, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _make_parametrized_class(module)
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, _parametrized_property(tensor_name))
    module.parametrizations[tensor_name] = plist
    return module


_SUBCLASS_SET_REFUSED = (
    "Calling remove_parametrizations() with leave_parametrized=True for a parameter that is an "
    "instance of a tensor subclass requires set_() to be implemented correctly for the tensor "
    "subclass.Alternatively, one can opt into the swap_tensors pathEither set "
    "leave_parametrized=False or provide a working implementationfor set_() in the tensor "
    "subclass or set chainrule.__future__.set_swap_module_params_on_conversion(True)."
)


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo :func:`register_parametrization` on ``tensor_name``: it becomes a plain parameter
    (or buffer) again, holding its current parametrized value (``leave_parametrized``) or the
    original. The module gets its class back when no parametrization is left.

    >>> import chainrule as cr
    >>> m = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    >>> type(remove_parametrizations(m, "weight")).__name__, list(m.state_dict())
    ('Linear', ['bias', 'weight'])
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        tensor = plist.original
        if leave_parametrized:
            with grad_mode.no_grad():
                value = getattr(module, tensor_name)
                try:
                    tensor.set_(value)
                except RuntimeError as e:
                    if type(tensor) is Tensor:
                        raise
                    # a Parameter (a Tensor subclass) that set_ refuses (another dtype): PyTorch
                    # words it so
                    raise RuntimeError(_SUBCLASS_SET_REFUSED) from e
    elif leave_parametrized:
        # A parameter when the value depends on trainable originals, else a buffer.
        value = getattr(module, tensor_name)
        tensor = Parameter(value.detach()) if value.requires_grad else value.detach()
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _attach(module, tensor_name, tensor)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Give ``to_module`` the parametrizations of ``from_module`` (all, or those of
    ``tensor_name``), sharing its original tensors; returns ``to_module``.

    >>> import chainrule as cr
    >>> a = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(2, 2))
    >>> b = transfer_parametrizations_and_params(a, cr.nn.Linear(2, 2))
    >>> b.parametrizations.weight.original1 is a.parametrizations.weight.original1
    True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        for original_name in source._original_names():
            setattr(target, original_name, getattr(source, original_name))
    return to_module
