"""``cr.accelerator``: PyTorch's device-agnostic queries; on the CPU there is none.

>>> import chainrule as cr
>>> cr.accelerator.is_available(), cr.accelerator.current_accelerator()
(False, None)
"""

from __future__ import annotations

from typing import Any

from chainrule.devices import device


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    return None


def device_count() -> int:
    return 0


def _none(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_index = current_device_idx = synchronize = set_device_index = _none
