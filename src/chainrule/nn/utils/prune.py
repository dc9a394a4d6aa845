"""``torch.nn.utils.prune``: zero out entries of a module's parameter through a mask.

Pruning ``name`` moves the parameter to ``name + "_orig"`` (still the trained
:class:`~chainrule.nn.Parameter`), keeps the mask in the buffer ``name + "_mask"``, and sets the
plain attribute ``name`` to ``orig * mask``; a forward pre-hook (the pruning method itself)
recomputes it before every call, so gradients reach the unpruned entries of ``name + "_orig"``.
Pruning the same parameter again combines the masks (a :class:`PruningContainer`), and
:func:`remove` makes the pruned tensor the parameter again.

>>> import chainrule as cr
>>> layer = cr.nn.Linear(2, 2)
>>> with cr.no_grad():
...     _ = layer.weight.copy_(cr.tensor([[1.0, -3.0], [0.5, 2.0]]))
>>> _ = l1_unstructured(layer, "weight", amount=1)     # the smallest |entry|
>>> layer.weight
tensor([[ 1., -3.],
        [ 0.,  2.]], grad_fn=<MulBackward0>)
>>> list(layer.state_dict())
['bias', 'weight_orig', 'weight_mask']
>>> list(remove(layer, "weight").state_dict())
['bias', 'weight']
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from chainrule import (
    contiguous_format,
    kthvalue,
    norm,
    ones_like,
    rand,
    rand_like,
    topk,
    zeros_like,
)
from chainrule.nn.module import Module
from chainrule.nn.utils.convert_parameters import parameters_to_vector
from chainrule.nn.utils.norm_hooks import _hooks_of, _unregister
from chainrule.tensor import Tensor

__all__ = [
    "BasePruningMethod",
    "CustomFromMask",
    "Identity",
    "L1Unstructured",
    "LnStructured",
    "PruningContainer",
    "RandomStructured",
    "RandomUnstructured",
    "custom_from_mask",
    "global_unstructured",
    "identity",
    "is_pruned",
    "l1_unstructured",
    "ln_structured",
    "random_structured",
    "random_unstructured",
    "remove",
]


class BasePruningMethod(ABC):
    """A way of pruning one tensor: :meth:`compute_mask` says which entries stay (1) or go (0).

    An instance is also the forward pre-hook that recomputes the pruned tensor of the module
    it was applied to (its ``_tensor_name``, set by :meth:`apply`). A subclass defines
    ``compute_mask`` and ``PRUNING_TYPE`` (``"unstructured"``, ``"structured"`` with a ``dim``
    attribute, or ``"global"``), which tells a :class:`PruningContainer` which entries of an
    earlier mask a later method may still prune.

    >>> import chainrule as cr
    >>> L1Unstructured(amount=0.5).prune(cr.tensor([3.0, -1.0, 2.0, 0.5]))
    tensor([3., -0., 2., 0.])
    """

    _tensor_name: str
    PRUNING_TYPE: str

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for ``t``, given the mask ``default_mask`` of the pruning before."""

    def apply_mask(self, module: Module) -> Tensor:
        """``module``'s original tensor times its mask (the mask in the tensor's dtype)."""
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(
        cls,
        module: Module,
        name: str,
        *args: Any,
        importance_scores: Tensor | None = None,
        **kwargs: Any,
    ) -> BasePruningMethod:
        """Prune ``module``'s tensor ``name`` with ``cls(*args, **kwargs)``, ranking its entries
        by ``importance_scores`` (the tensor itself by default); returns the hook registered, a
        :class:`PruningContainer` of the earlier methods and this one if ``name`` was pruned
        before.

        >>> import chainrule as cr
        >>> layer = cr.nn.Linear(4, 2)
        >>> type(L1Unstructured.apply(layer, "weight", amount=3)).__name__
        'L1Unstructured'
        >>> int(layer.weight_mask.sum())
        5
        """
        method = _method_after(module, name, cls, args, kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif importance_scores.shape != orig.shape:
            raise AssertionError(
                f"importance_scores should have the same shape as parameter {name} of "
                f"{module}, got {importance_scores.shape} vs {orig.shape}"
            )
        first = not isinstance(method, PruningContainer)
        if first:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = (
                getattr(module, name + "_mask").detach().clone(memory_format=contiguous_format)
            )
        try:
            module.register_buffer(
                name + "_mask", method.compute_mask(importance_scores, default_mask)
            )
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            # a first pruning that failed makes ``name`` the parameter again (now the last
            # parameter, as in PyTorch)
            if first:
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def prune(
        self, t: Tensor, default_mask: Tensor | None = None, importance_scores: Tensor | None = None
    ) -> Tensor:
        """``t`` times its mask (pruned on ``importance_scores``, ``t`` by default), without a
        module.

        >>> import chainrule as cr
        >>> Identity().prune(cr.tensor([1.0, 2.0]), default_mask=cr.tensor([0.0, 1.0]))
        tensor([0., 2.])
        """
        if importance_scores is None:
            importance_scores = t
        elif importance_scores.shape != t.shape:
            raise AssertionError(
                "importance_scores should have the same shape as tensor t, got "
                f"{importance_scores.shape} vs {t.shape}"
            )
        if default_mask is None:
            default_mask = ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruned tensor ``module``'s parameter again: the ``_orig`` parameter object,
        holding the pruned values, without the mask (the hook itself stays registered;
        :func:`remove` unregisters it too)."""
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters.pop(name + "_orig")
        orig.data = weight.data
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


def _method_after(
    module: Module,
    name: str,
    cls: type[BasePruningMethod],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> BasePruningMethod:
    """A new ``cls(*args, **kwargs)`` pruning ``name``, in a :class:`PruningContainer` after
    the pruning method ``module`` already has on ``name`` if any. That one's hook is
    unregistered (the caller registers the result) before the new method is made, as in
    PyTorch: where ``args`` are refused, ``name`` stays pruned but no longer by a hook."""
    earlier = [hook for hook in _hooks_of(module, BasePruningMethod) if hook._tensor_name == name]
    if len(earlier) > 1:
        raise AssertionError(
            f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
            "Use a PruningContainer."
        )
    for old in earlier:
        _unregister(module, old)
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not earlier:
        return method
    old = earlier[0]
    container = old if isinstance(old, PruningContainer) else PruningContainer(old)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after the other to the same tensor: the last one prunes
    among the entries the mask before still keeps (any of them for ``"unstructured"``
    methods, those in channels along its ``dim`` not yet all pruned for ``"structured"``
    ones, all entries for ``"global"`` ones).

    >>> import chainrule as cr
    >>> first = L1Unstructured(amount=1)
    >>> first._tensor_name = "weight"
    >>> both = PruningContainer(first)
    >>> second = L1Unstructured(amount=1)
    >>> second._tensor_name = "weight"
    >>> both.add_pruning_method(second)
    >>> both.compute_mask(cr.tensor([3.0, 1.0, 2.0]), default_mask=cr.tensor([1.0, 0.0, 1.0]))
    tensor([1., 0., 0.])
    """

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(methods) == 1:
            # a container started from one method prunes that method's tensor
            self._tensor_name = methods[0]._tensor_name
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Append ``method``, which must prune the container's tensor."""
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(
                f"Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. Found "
                f"'{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the last method's mask written over the entries that method
        may prune (see the class); the tensor is ``default_mask`` itself, in ``t``'s dtype."""
        method = self._pruning_methods[-1]
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            where: Any = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(
                    'Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                    "`dim` defined."
                )
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            # the channels along ``dim`` that keep an entry
            others = [d for d in range(n_dims) if d != dim]
            where = (slice(None),) * dim + (default_mask.sum(dim=others) != 0,)
        elif kind == "global":
            where = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        mask = default_mask.to(dtype=t.dtype)
        partial = method.compute_mask(t[where], default_mask=default_mask[where])
        mask[where] = partial.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask stays as it was (all ones on a first pruning).

    >>> import chainrule as cr
    >>> Identity().prune(cr.tensor([1.0, 2.0]))
    tensor([1., 2.])
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:  # type: ignore[override]
        """:meth:`BasePruningMethod.apply` of the identity pruning."""
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Prunes ``amount`` entries (an int, or a fraction of all of them), those a subclass's
    :meth:`_pruned` picks, wherever they lie."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: float) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        count = _nparams_toprune(self.amount, t.nelement())
        mask = default_mask.clone(memory_format=contiguous_format)
        if count != 0:
            mask.view(-1)[self._pruned(t, count)] = 0
        return mask

    def _pruned(self, t: Tensor, count: int) -> Tensor:
        """The flat indices of the ``count`` entries of ``t`` to prune."""
        raise NotImplementedError


class RandomUnstructured(_Unstructured):
    """Prunes ``amount`` entries (an int, or a fraction of all of them) chosen at random: those
    where ``rand_like(t)`` is largest, as PyTorch (the same entries for the same seed).

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> RandomUnstructured(amount=2).prune(cr.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor([0., 0., 3., 4.])
    """

    def _pruned(self, t: Tensor, count: int) -> Tensor:
        return topk(rand_like(t).view(-1), k=count).indices

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, amount: float
    ) -> BasePruningMethod:
        """:meth:`BasePruningMethod.apply` of the random unstructured pruning."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prunes the ``amount`` entries (an int, or a fraction of all of them) of smallest absolute
    value (``topk(..., largest=False)`` picks among ties, as PyTorch's).

    >>> import chainrule as cr
    >>> L1Unstructured(amount=0.25).prune(cr.tensor([3.0, -1.0, 2.0, 0.5]))
    tensor([ 3., -1.,  2.,  0.])
    """

    def _pruned(self, t: Tensor, count: int) -> Tensor:
        return topk(t.abs().view(-1), k=count, largest=False).indices

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, amount: float, importance_scores: Tensor | None = None
    ) -> BasePruningMethod:
        """:meth:`BasePruningMethod.apply` of the L1 unstructured pruning."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim`` (an int, or a fraction of them) chosen at
    random: a channel stays where ``rand(channels)`` is above its ``amount``-th smallest value.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> RandomStructured(amount=1, dim=1).prune(cr.ones(2, 3))
    tensor([[1., 1., 0.],
            [1., 1., 0.]])
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: float, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        channels = _channels(t, self.dim)
        count = _nparams_toprune(self.amount, channels)
        if count == 0:
            return default_mask
        prob = rand(channels)
        keep = prob > kthvalue(prob, k=count).values
        return _channel_mask(t, self.dim, keep, default_mask)

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, amount: float, dim: int = -1
    ) -> BasePruningMethod:
        """:meth:`BasePruningMethod.apply` of the random structured pruning."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` channels along ``dim`` (an int, or a fraction of them) of smallest
    ``n``-norm (``n`` as :func:`chainrule.norm`'s ``p``: a number, ``inf``, ``-inf``,
    ``"fro"``, ``"nuc"``), keeping those ``topk`` ranks largest.

    >>> import chainrule as cr
    >>> LnStructured(amount=1, n=2, dim=0).prune(cr.tensor([[3.0, 4.0], [1.0, 1.0]]))
    tensor([[3., 4.],
            [0., 0.]])
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: float, n: float | str, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        channels = _channels(t, self.dim)
        count = _nparams_toprune(self.amount, channels)
        dims = list(range(t.dim()))
        del dims[self.dim]  # the norm of each channel: over all other dims
        kept = topk(norm(t, p=self.n, dim=dims), k=channels - count, largest=True).indices
        if count == 0:
            return default_mask
        return _channel_mask(t, self.dim, kept, default_mask)

    @classmethod
    def apply(  # type: ignore[override]
        cls,
        module: Module,
        name: str,
        amount: float,
        n: float | str,
        dim: int,
        importance_scores: Tensor | None = None,
    ) -> BasePruningMethod:
        """:meth:`BasePruningMethod.apply` of the Ln structured pruning."""
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prunes where ``mask`` is 0 (on top of the mask before).

    >>> import chainrule as cr
    >>> CustomFromMask(cr.tensor([1.0, 0.0])).prune(cr.tensor([5.0, 6.0]))
    tensor([5., 0.])
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if default_mask.shape != self.mask.shape:
            raise AssertionError(
                f"default_mask shape {default_mask.shape} must match self.mask shape "
                f"{self.mask.shape}"
            )
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, mask: Tensor
    ) -> BasePruningMethod:
        """:meth:`BasePruningMethod.apply` of a given mask."""
        return super().apply(module, name, mask=mask)


# ---------------------------------------------------------------- the functions
def identity(module: Module, name: str) -> Module:
    """Prune nothing of ``module``'s ``name``, but set up the pruning (an all-ones mask).

    >>> import chainrule as cr
    >>> list(identity(cr.nn.Linear(2, 1), "bias").named_buffers())
    [('bias_mask', tensor([1.]))]
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: float) -> Module:
    """Prune ``amount`` random entries of ``module``'s ``name`` (:class:`RandomUnstructured`).

    >>> import chainrule as cr
    >>> int(random_unstructured(cr.nn.Linear(5, 2), "weight", amount=0.3).weight_mask.sum())
    7
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(
    module: Module, name: str, amount: float, importance_scores: Tensor | None = None
) -> Module:
    """Prune the ``amount`` entries of ``module``'s ``name`` of smallest ``|importance_scores|``
    (the tensor's own by default; :class:`L1Unstructured`).

    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(2, 1)
    >>> scores = cr.tensor([[1.0, 0.0]])
    >>> l1_unstructured(layer, "weight", amount=1, importance_scores=scores).weight_mask
    tensor([[1., 0.]])
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: float, dim: int) -> Module:
    """Prune ``amount`` random channels along ``dim`` of ``module``'s ``name``
    (:class:`RandomStructured`).

    >>> import chainrule as cr
    >>> layer = random_structured(cr.nn.Linear(3, 4), "weight", amount=2, dim=0)
    >>> layer.weight_mask.sum(dim=1).tolist().count(0.0)
    2
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(
    module: Module,
    name: str,
    amount: float,
    n: float | str,
    dim: int,
    importance_scores: Tensor | None = None,
) -> Module:
    """Prune the ``amount`` channels along ``dim`` of ``module``'s ``name`` of smallest
    ``n``-norm of ``importance_scores`` (the tensor's own by default; :class:`LnStructured`).

    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(2, 2)
    >>> scores = cr.tensor([[3.0, 4.0], [1.0, 1.0]])
    >>> ln_structured(layer, "weight", 1, n=1, dim=0, importance_scores=scores).weight_mask
    tensor([[1., 1.],
            [0., 0.]])
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(
    parameters: Iterable[tuple[Module, str]],
    pruning_method: type[BasePruningMethod],
    importance_scores: dict[tuple[Module, str], Tensor] | None = None,
    **kwargs: Any,
) -> None:
    """Prune the ``(module, name)`` tensors of ``parameters`` as one: ``pruning_method(**kwargs)``
    (an ``"unstructured"`` one) chooses among all their unpruned entries together, ranked by
    ``importance_scores[(module, name)]`` where given (by the tensor itself elsewhere). Each
    tensor ends up pruned by a :class:`CustomFromMask` of its share of the mask.

    >>> import chainrule as cr
    >>> a, b = cr.nn.Linear(2, 1), cr.nn.Linear(2, 1)
    >>> with cr.no_grad():
    ...     _ = a.weight.copy_(cr.tensor([[1.0, 4.0]])), b.weight.copy_(cr.tensor([[3.0, 2.0]]))
    >>> global_unstructured([(a, "weight"), (b, "weight")], L1Unstructured, amount=2)
    >>> a.weight_mask, b.weight_mask
    (tensor([[0., 1.]]), tensor([[1., 0.]]))
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector(
        [
            importance_scores.get((module, name), getattr(module, name))
            for module, name in parameters
        ]
    )
    default_mask = parameters_to_vector(
        [
            getattr(module, name + "_mask", ones_like(getattr(module, name)))
            for module, name in parameters
        ]
    )
    # a container of the one method, so that it prunes only the entries still unpruned
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{pruning_method} of type {method.PRUNING_TYPE}"
        )
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        custom_from_mask(module, name, final_mask[start : start + param.numel()].view_as(param))
        start += param.numel()


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune ``module``'s ``name`` where ``mask`` is 0 (:class:`CustomFromMask`).

    >>> import chainrule as cr
    >>> layer = custom_from_mask(cr.nn.Linear(2, 1), "weight", cr.tensor([[0.0, 1.0]]))
    >>> layer.weight_mask
    tensor([[0., 1.]])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruned ``name`` of ``module`` a plain parameter again (holding the pruned
    values), dropping ``name + "_orig"``, ``name + "_mask"`` and the hook.

    >>> import chainrule as cr
    >>> layer = remove(l1_unstructured(cr.nn.Linear(2, 1), "weight", 1), "weight")
    >>> [name for name, _ in layer.named_parameters()], is_pruned(layer)
    (['bias', 'weight'], False)
    """
    for hook in _hooks_of(module, BasePruningMethod):
        if hook._tensor_name == name:
            hook.remove(module)
            _unregister(module, hook)
            return module
    raise ValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
    )


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or a module inside it has a pruning hook.

    >>> import chainrule as cr
    >>> net = cr.nn.Sequential(cr.nn.Linear(2, 2), cr.nn.ReLU())
    >>> is_pruned(net), is_pruned(identity(net[0], "bias"))
    (False, True)
    """
    return any(_hooks_of(m, BasePruningMethod) for m in module.modules())


# ---------------------------------------------------------------- validation (PyTorch's)
def _validate_pruning_amount_init(amount: Any) -> None:
    """``amount`` is a count (an int >= 0) or a fraction (a float in [0, 1])."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    is_count = isinstance(amount, numbers.Integral)
    if (is_count and amount < 0) or (not is_count and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer"
        )


def _nparams_toprune(amount: float, tensor_size: int) -> int:
    """How many of ``tensor_size`` entries (or channels) ``amount`` prunes, checked."""
    count = amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)
    if count > tensor_size:
        raise ValueError(
            f"amount={count} should be smaller than the number of parameters to prune={tensor_size}"
        )
    return count


def _channels(t: Tensor, dim: int) -> int:
    """The number of channels along ``dim`` of ``t``, which structured pruning needs to have
    more than one dimension."""
    if t.dim() <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {t.shape} with {t.dim()} dims"
        )
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
    return t.shape[dim]


def _channel_mask(t: Tensor, dim: int, channels: Tensor, default_mask: Tensor) -> Tensor:
    """Ones in ``channels`` (indices or a bool mask) along ``dim``, zeros elsewhere, times
    ``default_mask``."""
    mask = zeros_like(t)
    mask[(slice(None),) * (dim % t.dim()) + (channels,)] = 1
    mask *= default_mask.to(dtype=mask.dtype)
    return mask
