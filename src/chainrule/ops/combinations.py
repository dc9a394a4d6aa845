"""PyTorch's one-call combinations of elementwise ops, which optimizers and tutorials use:
``lerp`` (a step towards ``end``), ``addcmul`` and ``addcdiv`` (a scaled product or quotient
added on). Each is a composition of differentiable ops, so its vjp, jvp, second derivatives and
batching come from theirs; the compositions follow PyTorch's kernels' order of operations, so
the values are PyTorch's.

    >>> import chainrule as cr
    >>> cr.lerp(cr.tensor([0.0, 10.0]), cr.tensor([10.0, 20.0]), 0.25)
    tensor([ 2.5000, 12.5000])
    >>> cr.addcdiv(cr.ones(2), cr.tensor([1.0, 2.0]), cr.tensor([4.0, 4.0]), value=2)
    tensor([1.5000, 2.0000])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import dtypes
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import named, own_constants
from chainrule.ops import elementwise
from chainrule.tensor import Tensor


def _dtype_name(x: Tensor) -> str:
    return _TORCH_DTYPE_NAMES[x.dtype.name][0]


@own_constants  # a number weight: PyTorch's lerp keeps it as a number (a tensor one is saved)
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """``input + weight * (end - input)``, a number or a tensor ``weight`` (all broadcast).

    As PyTorch's kernel: where ``|weight| >= 0.5`` it is ``end - (end - input) * (1 - weight)``,
    so that ``weight = 1`` gives ``end`` exactly. Both forms have the same derivatives
    (``1 - weight``, ``weight``, ``end - input``).
    """
    tensor_weight = isinstance(weight, Tensor)
    for name, x in (("end", end), ("weight", weight)):
        if isinstance(x, Tensor) and x.dtype != input.dtype and (name == "end" or x.ndim):
            raise RuntimeError(
                f"expected dtype {_dtype_name(input)} for `{name}` but got dtype {_dtype_name(x)}"
            )
    if not dtypes.is_floating(input.dtype):
        kernel = "lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar"
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_TORCH_DTYPE_NAMES[input.dtype.name][1]}'"
        )
    if not tensor_weight:
        dtypes.check_kernel_numbers(input.dtype.dtype, weight)
        if abs(weight) < 0.5:
            return fused(lambda a, b: a + weight * (b - a), input, end, name="LerpBackward0")
        return fused(lambda a, b: b - (b - a) * (1 - weight), input, end, name="LerpBackward0")

    def by_weight(a: Tensor, b: Tensor, w: Tensor) -> Tensor:
        difference = b - a
        near_input = a + w * difference
        near_end = b - difference * (1 - w)
        return elementwise.where(w.abs() < 0.5, near_input, near_end)

    return fused(by_weight, input, end, weight, name="LerpBackward1")


def fused(
    compute: Callable[..., Tensor], *tensors: Any, name: str | None = None, mixed: bool = False
) -> Tensor:
    """``compute(*tensors)``, its node named ``name`` where given (PyTorch's for its one
    kernel). Where every operand is a float16 tensor (or None, an absent one, passed on), it
    runs on float32 copies and is rounded to float16 once, as PyTorch's fused kernels compute
    in float32 (its "opmath" type): rounding each step to float16 differs in the last bits, a
    ``value`` below float16's range vanishes, and a square past 65504 overflows (the layer
    norm of [300, 1] was [0, 0]). With ``mixed``, the operands after a float16 first may be
    float32 too, the result float16 all the same: a normalization's float32 weight, bias or
    running statistics beside a float16 input (PyTorch's "mixed type" kernels).

    >>> import chainrule as cr
    >>> x = cr.tensor([1000.0], dtype=cr.float16)
    >>> cr.addcmul(x, x, x, value=1e-8).tolist()  # 1000 + 0.01, in float16: 1000
    [1000.0]
    """
    allowed = (dtypes.HALF, dtypes.HALF_OPMATH) if mixed else (dtypes.HALF,)
    first = tensors[0]
    if (
        isinstance(first, Tensor)
        and first.dtype.dtype is dtypes.HALF
        and all(t is None or (isinstance(t, Tensor) and t.dtype.dtype in allowed) for t in tensors)
    ):
        result = compute(*[None if t is None else t.float() for t in tensors]).half()
    else:
        result = compute(*tensors)
    return result if name is None else named(result, name)


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 * tensor2`` (broadcast), PyTorch's order of products."""
    _check_value(value, input, tensor1, tensor2)
    return fused(
        lambda a, b, c: a + _scaled(b, value, a, c) * c,
        *_in_common_dtype(input, tensor1, tensor2),
        name="AddcmulBackward0",
    )


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 / tensor2`` (broadcast); integer quotients are refused, as in
    PyTorch, which no longer truncates them."""
    if not any(isinstance(x, Tensor) and dtypes.is_floating(x.dtype) for x in (tensor1, tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    _check_value(value, input, tensor1, tensor2)
    return fused(
        lambda a, b, c: a + _scaled(b, value, a, c) / c,
        *_in_common_dtype(input, tensor1, tensor2),
        name="AddcdivBackward0",
    )


def _in_common_dtype(*operands: Any) -> list[Any]:
    """The tensors among ``operands`` cast to their common dtype, as PyTorch's addcmul and
    addcdiv kernels read them before they compute: ``value`` then scales an int8 -128 beside a
    float16 tensor as -128.0 (in int8, -1 * -128 wrapped to -128 again), and a float32 0-d
    tensor beside float16 ones is a float16 operand, so the whole runs in float32 and rounds
    once (2 * 65504 * 0 is 0, not inf * 0). Gradients come back in each input's dtype."""
    tensors = [t for t in operands if isinstance(t, Tensor)]
    common = dtypes.result_type_of_tiers([(t.dtype.dtype, 2 if t.ndim else 1) for t in tensors])
    if all(t.dtype.dtype is common for t in tensors):
        return list(operands)
    return [
        t.to(dtypes.public(common)) if isinstance(t, Tensor) and t.dtype.dtype is not common else t
        for t in operands
    ]


def _check_value(value: Any, *operands: Any) -> None:
    """addcmul's and addcdiv's ``value``, refused past float32's range beside float16 or
    float32 tensors, as PyTorch converts it (the first tensor's dtype: they promote first)."""
    tensors = [t for t in operands if isinstance(t, Tensor)]
    if tensors:
        dtypes.check_kernel_numbers(tensors[0].dtype.dtype, value)


def _scaled(x: Tensor, value: Any, *others: Any) -> Tensor:
    """``value * x``; ``value`` is truncated to an integer when no tensor of the call is a
    float, as PyTorch converts its scalar to the tensors' common type."""
    if value == 1:
        return x
    if isinstance(value, float) and not any(
        isinstance(t, Tensor) and dtypes.is_floating(t.dtype) for t in (x, *others)
    ):
        value = int(value)
    return value * x
