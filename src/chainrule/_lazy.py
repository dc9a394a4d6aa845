"""Modules the core calls at run time but cannot import at the top: bound on first use.

``tensor.py`` and ``op.py`` are the small core every op module imports; they still call op
modules when they run (``x + y`` runs ``elementwise.Add``). Importing those modules at the top
would make a cycle (ops -> tensor -> ops), so the core names them with :func:`import_later`: the
name stands for its module until first used, then the module itself takes the name's place in
the core's namespace, so later calls cost nothing extra.

    >>> json = import_later(globals(), "json")
    >>> json.dumps([1]), type(globals()["json"]).__name__
    ('[1]', 'module')
"""

from __future__ import annotations

import importlib
from typing import Any


class _Later:
    """Stands for a module until an attribute is read, then puts the module in its place."""

    __slots__ = ("_namespace", "_module")

    def __init__(self, namespace: dict[str, Any], module: str) -> None:
        self._namespace = namespace
        self._module = module

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self._module)
        for name, value in list(self._namespace.items()):
            if value is self:
                self._namespace[name] = module
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._module!r}, imported on first use>"


def import_later(namespace: dict[str, Any], module: str) -> Any:
    """A stand-in for ``module`` that the module replaces in ``namespace`` (a module's
    ``globals()``) when one of its attributes is first read."""
    return _Later(namespace, module)
