"""``cr.cuda`` as on a CPU-only PyTorch build: nothing is available, seeding is a no-op.

>>> import chainrule as cr
>>> cr.cuda.is_available(), cr.cuda.device_count()
(False, 0)
"""

from __future__ import annotations

from typing import Any

from chainrule import devices as _device
from chainrule.amp import cuda_amp as amp  # noqa: F401 - torch.cuda.amp's names


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Accepted and ignored, as PyTorch does when no GPU is present."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored, as PyTorch does when no GPU is present."""


def empty_cache() -> None:
    """Nothing is cached: there is no GPU memory."""


def memory_allocated(device: Any = None) -> int:
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def _unavailable(*args: Any, **kwargs: Any) -> Any:
    """What asks a GPU something fails with PyTorch's CPU-build error."""
    _device.check("cuda")


current_device = get_device_name = get_device_properties = synchronize = set_device = _unavailable
