"""What a snippet written for ``T`` (torch or chainrule) leaves in its ``out`` variable, or the
error it raises (type and first line), as text with the library's name and object addresses
written out of it: the table tests of hooks, autograd.Function and nn.Module compare it.

>>> import chainrule
>>> outcome(chainrule, "out = T.tensor([1.0]).dtype")
'T.float32'
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

# A prelude for snippets that compare gradients: ``grads(y, x)`` gives y's dtype and values,
# then x's gradient of a weighted sum of y (weights 1, 2, 3, ... so that a gradient sent to
# the wrong element shows); ``leaf(*values)`` a float64 leaf that requires grad.
GRADIENTS = """
nan, inf = float("nan"), float("inf")
def grads(y, *xs):
    w = T.arange(1.0, y.numel() + 1, dtype=y.dtype).reshape(y.shape)
    (y * w).sum().backward()
    return (str(y.dtype), y.tolist(), [x.grad.tolist() for x in xs])
def leaf(*values):
    return T.tensor(values, dtype=T.float64, requires_grad=True)
"""


def outcome(lib: Any, code: str, prelude: str = "", **names: Any) -> str:
    env: dict[str, Any] = {"T": lib, "out": None, **names}
    try:
        exec(prelude + textwrap.dedent(code), env)  # noqa: S102 - the snippets are ours
        text = str(env["out"])
    except Exception as e:  # noqa: BLE001 - the error is the result compared
        first = str(e).splitlines()[0] if str(e) else ""
        text = f"{type(e).__name__}: {first}"
    return re.sub(r"0x[0-9a-f]+", "0x", re.sub("torch|chainrule", "T", text))
