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


def outcome(lib: Any, code: str, prelude: str = "", **names: Any) -> str:
    env: dict[str, Any] = {"T": lib, "out": None, **names}
    try:
        exec(prelude + textwrap.dedent(code), env)  # noqa: S102 - the snippets are ours
        text = str(env["out"])
    except Exception as e:  # noqa: BLE001 - the error is the result compared
        first = str(e).splitlines()[0] if str(e) else ""
        text = f"{type(e).__name__}: {first}"
    return re.sub(r"0x[0-9a-f]+", "0x", re.sub("torch|chainrule", "T", text))
