"""``cr.backends.cuda``: the CUDA switches that training scripts set or read on any machine.

``matmul.allow_tf32`` and its kin are kept and change nothing: NumPy computes float32 in
float32. The attention switches are the ones :func:`chainrule.nn.attention.sdpa_kernel` sets;
as on PyTorch's CPU, ``scaled_dot_product_attention`` runs while the math or the flash kernel
is enabled (chainrule has one computation for both) and is refused with both off.

>>> import chainrule as cr
>>> cr.backends.cuda.matmul.allow_tf32 = True
>>> cr.backends.cuda.matmul.allow_tf32, cr.backends.cuda.math_sdp_enabled()
(True, True)
>>> cr.backends.cuda.matmul.allow_tf32 = False
"""

from __future__ import annotations

from typing import Any


class _MatmulFlags:
    """``cr.backends.cuda.matmul``: PyTorch's flags and defaults; another name is refused."""

    _defaults: dict[str, Any] = {
        "allow_tf32": False,
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "allow_fp16_accumulation": False,
        "fp32_precision": "none",
    }

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(self._defaults))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute {name}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"Unknown attribute {name}")
        self._values[name] = value


matmul = _MatmulFlags()

# Which attention kernels may run, as PyTorch's global switches (all on at start).
_sdp = {"math": True, "flash": True, "mem_efficient": True, "cudnn": True}


def is_built() -> bool:
    """Whether this build has CUDA: never (chainrule runs on NumPy)."""
    return False


def _setter(kernel: str) -> Any:
    def enable(enabled: bool) -> None:
        if not isinstance(enabled, bool):
            raise RuntimeError(
                f"set_sdp_use_{kernel} expects a bool, but got {type(enabled).__name__}"
            )
        _sdp[kernel] = enabled

    enable.__name__ = f"enable_{kernel}_sdp"
    enable.__doc__ = f"Allow (or forbid) the {kernel} attention kernel."
    return enable


def _getter(kernel: str) -> Any:
    def enabled() -> bool:
        return _sdp[kernel]

    enabled.__name__ = f"{kernel}_sdp_enabled"
    enabled.__doc__ = f"Whether the {kernel} attention kernel may run."
    return enabled


enable_math_sdp, math_sdp_enabled = _setter("math"), _getter("math")
enable_flash_sdp, flash_sdp_enabled = _setter("flash"), _getter("flash")
enable_mem_efficient_sdp = _setter("mem_efficient")
mem_efficient_sdp_enabled = _getter("mem_efficient")
enable_cudnn_sdp, cudnn_sdp_enabled = _setter("cudnn"), _getter("cudnn")


def check_attention_allowed() -> None:
    """Refuse attention, in PyTorch's words, when neither kernel a CPU has may run."""
    if not (_sdp["math"] or _sdp["flash"]):
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely due "
            "to turning off both the math kernel and the fused kernels."
        )
