"""``cr.nn.parallel``: PyTorch's data-parallel wrappers as they behave without accelerators.

chainrule runs on the CPU: ``DataParallel`` finds no devices and calls its module (PyTorch's
own behaviour on a CPU-only machine), ``DistributedDataParallel`` needs a process group, which
chainrule has none of.

    >>> import chainrule as cr
    >>> model = cr.nn.DataParallel(cr.nn.Linear(2, 3))
    >>> list(model.state_dict()), model.device_ids, model(cr.ones(1, 2)).shape
    (['module.weight', 'module.bias'], [], chainrule.Size([1, 3]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule.autograd.profiler import record_function
from chainrule.nn.module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


class DataParallel(Module):
    """``module`` wrapped as ``self.module`` (its state dict keys get the ``module.`` prefix);
    with no accelerator, ``device_ids`` is empty and ``forward`` is the module's."""

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list[int] = []  # PyTorch's when no device type is available

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        with record_function("DataParallel.forward"):
            return self.module(*inputs, **kwargs)


def data_parallel(
    module: Module,
    inputs: Any,
    device_ids: Sequence[Any] | None = None,
    output_device: Any = None,
    dim: int = 0,
    module_kwargs: Any = None,
) -> Any:
    """PyTorch's functional ``data_parallel``: refused without an accelerator, as there."""
    raise RuntimeError("device type could not be determined")


class DistributedDataParallel(Module):
    """Refused: it needs ``torch.distributed``'s default process group (PyTorch's error when
    none was initialized), and chainrule has no process groups."""

    def __init__(self, module: Module, *args: Any, **kwargs: Any) -> None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
