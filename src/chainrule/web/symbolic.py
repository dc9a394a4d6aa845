"""The Explain page's SymPy column: each final gradient's symbolic derivative, when the server
has SymPy (``pip install 'chainrule[explain]'``).

SymPy's time is not bounded by the expression's size (12 nested gelu take minutes), and work
in a thread cannot be stopped: :func:`symbolic_column` runs
:func:`chainrule.tools.symbolic.symbolic_derivatives` in a child process (forked from a
single-threaded fork server that has SymPy loaded) and kills it past ``timeout_s``.

    >>> column = symbolic_column("f = x*y; g = f + x", {"x": 2.0, "y": 3.0}, timeout_s=30)
    >>> column["available"], column["derivatives"]["x"]
    (True, {'derivative': 'y + 1', 'value': 4.0})
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
from typing import Any

from chainrule import expr

NOT_INSTALLED = "SymPy not installed: pip install 'chainrule[explain]' for this column"

if "forkserver" in multiprocessing.get_all_start_methods():
    _context = multiprocessing.get_context("forkserver")
    # Forked children start with SymPy imported (seconds), not each one importing it again.
    _context.set_forkserver_preload(["sympy", "chainrule.tools.symbolic"])
else:  # Windows: each child starts afresh
    _context = multiprocessing.get_context("spawn")


def symbolic_column(source: str, point: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """``{"available", "message", "derivatives": {name: {"derivative", "value"}}}``: SymPy's
    derivative of ``source`` by each variable at ``point`` (scalars), or why there is none.
    Raises :class:`~chainrule.expr.ExprError` for a program the language refuses."""
    program = expr.parse(source)
    try:
        import sympy  # noqa: F401 (only whether it is there: the child uses it)
    except ImportError:
        return _answer(False, NOT_INSTALLED)
    if not all(isinstance(value, float) for value in point.values()):
        return _answer(True, "SymPy's check is for scalar variables only")
    if set(program.variables) - set(point):
        return _answer(True, "SymPy's check needs a value for every variable")
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(target=_derivatives, args=(sender, source, point), daemon=True)
    child.start()
    sender.close()  # the child holds its own end: EOF here once it exits
    try:
        if not receiver.poll(timeout_s):
            return _answer(True, f"SymPy took longer than {timeout_s:g} s and was stopped")
        results = receiver.recv()
    except EOFError:  # the child died (out of memory, killed)
        return _answer(True, "SymPy stopped without an answer")
    finally:
        child.kill()
        child.join()
        receiver.close()
    if not results:
        return _answer(True, "SymPy cannot take this expression (too large, or a function "
                       "without a SymPy counterpart)")  # fmt: skip
    derivatives = {
        name: {"derivative": text, "value": value if math.isfinite(value) else None}
        for name, (text, value) in results.items()
    }
    return _answer(True, None, derivatives)


def _answer(
    available: bool, message: str | None, derivatives: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"available": available, "message": message, "derivatives": derivatives or {}}


def _derivatives(
    sender: multiprocessing.connection.Connection, source: str, point: dict[str, float]
) -> None:
    """In the child: the derivatives, sent back through the pipe."""
    from chainrule.tools.symbolic import symbolic_derivatives

    sender.send(symbolic_derivatives(expr.parse(source), point))
    sender.close()
