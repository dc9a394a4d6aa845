"""Containers: ``Sequential`` (a pipeline), ``ModuleList`` and ``ModuleDict`` (registered
collections of modules), ``ParameterList`` and ``ParameterDict`` (of parameters).

    >>> import chainrule as cr
    >>> net = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.ReLU())
    >>> len(net), type(net[0]).__name__, net[1:]
    (2, 'Linear', Sequential(
      (1): ReLU()
    ))
"""

from __future__ import annotations

import itertools
import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self

from chainrule import dtypes
from chainrule.nn.module import Module, _indent
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


def _index(index: Any, size: int) -> int:
    i = operator.index(index)
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of range")
    return i % size


class _Numbered(Module):
    """Modules kept in order under the names "0", "1", ... (what Sequential and ModuleList
    share)."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Self:
        self.add_module(str(len(self)), module)
        return self

    def _renumber(self, modules: list[Module]) -> None:
        """Hold exactly ``modules``, named 0..n-1 again, as PyTorch does after a change."""
        self._modules.clear()
        for module in modules:
            self.append(module)

    def extend(self, modules: Iterable[Module]) -> Self:
        for module in modules:
            self.append(module)
        return self

    def pop(self, key: int | slice) -> Any:
        """The module (or container of modules) at ``key``, taken out."""
        taken = self[key]  # type: ignore[index]
        del self[key]  # type: ignore[attr-defined]
        return taken


class Sequential(_Numbered):
    """Runs its modules in order, each on the previous one's output.

    Built from modules (named "0", "1", ...) or from an ordered dict of named modules.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:  # noqa: A002
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self))]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self))]
        self.add_module(key, module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        doomed = keys[index] if isinstance(index, slice) else [keys[_index(index, len(keys))]]
        for key in doomed:
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def insert(self, index: int, module: Module) -> Self:
        """``module`` placed at ``index`` (from the end if negative), the rest renumbered."""
        size = len(self)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index}")
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)
        return self

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Self:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        return self.extend(list(other))


class ModuleList(_Numbered):
    """A list of modules whose parameters the parent module sees."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self)))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_index(index, len(self))), module)

    def __delitem__(self, index: int | slice) -> None:
        remaining = list(self._modules.values())
        del remaining[index]
        self._renumber(remaining)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def __repr__(self) -> str:
        # Runs of identical modules print once, as "(0-2): 3 x Linear(...)", as in PyTorch.
        if not self._modules:
            return f"{self._get_name()}()"
        lines, start = [], 0
        for text, run in itertools.groupby(repr(m) for m in self._modules.values()):
            count = len(list(run))
            prefix = f"({start}): " if count == 1 else f"({start}-{start + count - 1}): {count} x "
            lines.append(_indent(prefix + text, 2))
            start += count
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)


class ModuleDict(Module):
    """A dict of modules, in insertion order, whose parameters the parent module sees."""

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module


def _describe(value: Any, type_name: str) -> str:
    """A ParameterList's or ParameterDict's line for one entry, as PyTorch prints it."""
    if not isinstance(value, Tensor):
        return f"Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(n) for n in value.shape)
    return f"{kind} containing: [{type_name} of size {size}]"


def _as_parameter(value: Any) -> Any:
    """A plain Tensor put in a ParameterList or ParameterDict becomes a Parameter (sharing its
    memory), as in PyTorch; a Parameter or another object is kept as it is."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of parameters that the parent module sees, named "0", "1", ...

    >>> import chainrule as cr
    >>> params = cr.nn.ParameterList([cr.nn.Parameter(cr.ones(2, 3)), cr.zeros(3)])
    >>> params
    ParameterList(
        (0): Parameter containing: [chainrule.float32 of size 2x3]
        (1): Parameter containing: [chainrule.float32 of size 3]
    )
    >>> [name for name, _ in params.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ParameterList(self[i] for i in range(*index.indices(len(self))))
        return getattr(self, str(_index(index, len(self))))

    def __setitem__(self, index: int, value: Any) -> None:
        setattr(self, str(_index(index, len(self))), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> Self:
        return self.extend(values)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")

    def append(self, value: Any) -> Self:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> Self:
        # A Tensor is iterable, but is one value, never unpacked.
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                + type(values).__name__
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        # PyTorch names the dtype here (its ParameterDict prints the legacy type name).
        lines = (
            f"  ({i}): {_describe(p, str(getattr(p, 'dtype', '')))}" for i, p in enumerate(self)
        )
        return "\n".join(lines)


def _type_name(value: Any) -> str:
    """PyTorch's ``torch.typename`` of a tensor: its legacy type name, "chainrule.FloatTensor"."""
    return dtypes.legacy_type_name(value.dtype)


class ParameterDict(Module):
    """A dict of parameters, in insertion order, that the parent module sees under their keys.

    A plain dict given to the constructor or to ``update`` is read in sorted key order, as
    PyTorch reads it; an OrderedDict, a ParameterDict or a sequence of pairs in its own order.

    >>> import chainrule as cr
    >>> params = cr.nn.ParameterDict({"scale": cr.ones(3), "shift": cr.zeros(3)})
    >>> params
    ParameterDict(
        (scale): Parameter containing: [chainrule.FloatTensor of size 3]
        (shift): Parameter containing: [chainrule.FloatTensor of size 3]
    )
    >>> sorted(name for name, _ in params.named_parameters())
    ['scale', 'shift']
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _checked(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}'). Open an issue on github if you need "
                "non-string keys."
            )
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._checked(key))

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = None
        setattr(self, self._checked(key), _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._checked(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")

    def copy(self) -> ParameterDict:
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - this is get

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Iterable[str]:
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "ParametersDict.update should be called with an iterable of key/value pairs, "
                "but got " + type(parameters).__name__
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs: Iterable[Any] = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for j, pair in enumerate(pairs):
            if not isinstance(pair, Iterable):
                raise TypeError(
                    f"ParameterDict update sequence element #{j} should be Iterable; is"
                    + type(pair).__name__
                )
            if len(pair) != 2:
                raise ValueError(
                    f"ParameterDict update sequence element #{j} has length {len(pair)}; "
                    "2 is required"
                )
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        lines = (
            f"  ({k}): {_describe(p, _type_name(p) if isinstance(p, Tensor) else '')}"
            for k, p in self.items()
        )
        return "\n".join(lines)
