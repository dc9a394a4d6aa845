"""Which module of a model created each graph node, read from forward hooks.

While :func:`tag_modules` is active, every submodule's forward hook walks back from the
module's output to its inputs and tags the nodes in between with the module's dotted name. Inner
modules return first, so a node keeps the innermost module that made it; the picture draws one
cluster per module from these tags.

    >>> import chainrule as cr
    >>> class Double:                      # any object with the duck-typed module API
    ...     def named_modules(self):
    ...         return [("", self)]
    ...     def forward(self, x):
    ...         return 2 * x
    ...     def __call__(self, x):
    ...         return self.forward(x)
    >>> model = Double()
    >>> with tag_modules(model) as tags:
    ...     y = model(cr.tensor(1.0, requires_grad=True))
    >>> tags[y.grad_fn]
    ''
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chainrule import graph
from chainrule.tensor import Tensor


@contextmanager
def tag_modules(model: Any) -> Iterator[dict[Any, str]]:
    """Tag the nodes each submodule of ``model`` creates until the ``with`` block ends.

    Uses ``register_forward_hook`` where modules have it; otherwise the module's ``forward``
    is wrapped for the duration (the duck-typed ``named_modules()`` / ``__call__`` API)."""
    tags: dict[Any, str] = {}
    undo: list[Callable[[], None]] = []
    seen: set[int] = set()
    try:
        for name, module in model.named_modules():
            if id(module) in seen:  # a module shared under two names is hooked once
                continue
            seen.add(id(module))
            hook = _hook(name, tags)
            if hasattr(module, "register_forward_hook"):
                undo.append(module.register_forward_hook(hook).remove)
            else:
                undo.append(_wrap_forward(module, hook))
        yield tags
    finally:
        for remove in reversed(undo):
            remove()


def _wrap_forward(
    module: Any, hook: Callable[[Any, tuple[Any, ...], Any], None]
) -> Callable[[], None]:
    forward = module.forward

    def tagged_forward(*args: Any, **kwargs: Any) -> Any:
        output = forward(*args, **kwargs)
        hook(module, args, output)
        return output

    object.__setattr__(module, "forward", tagged_forward)
    return lambda: object.__delattr__(module, "forward")


def _hook(name: str, tags: dict[Any, str]) -> Callable[[Any, tuple[Any, ...], Any], None]:
    def hook(module: Any, args: tuple[Any, ...], output: Any) -> None:
        # The module's inputs were made before it ran: the walk stops there. It takes in the
        # steps without gradient (a dropout mask) made inside the module too.
        made = [t.grad_fn or graph.source(t) for t in _tensors(args)]
        stop = {id(node) for node in made if node is not None}
        for node in graph.steps((t.grad_fn for t in _tensors(output)), stop):
            tags.setdefault(node, name)  # an inner module's hook ran first and keeps its tag

    return hook


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)
