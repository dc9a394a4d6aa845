"""Matrix products (``matmul``, ``einsum`` and the PyTorch names built on them) and matrix
parts (``diag``, ``trace``, ``tril``, ``triu``).

For ``C = A @ B`` the chain rule in matrix form is ``dA = dC @ B^T`` and ``dB = A^T @ dC``:
the vectorized J^T v. Batch dimensions broadcast, and the central unbroadcast sums them back.

    >>> import chainrule as cr
    >>> A = cr.ones(2, 3, requires_grad=True)
    >>> (A @ cr.ones(3, 4)).sum().backward()
    >>> A.grad
    tensor([[4., 4., 4.],
            [4., 4., 4.]])
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from chainrule import _blas, dtypes, shell_uints
from chainrule._array import xp
from chainrule.arguments import integer, mistyped
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import (
    OTHER_FACTORS,
    Bilinear,
    HookInputs,
    Op,
    Presented,
    named,
    own_constants,
    presented,
)
from chainrule.ops import combinations, dual
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.elementwise import where
from chainrule.ops.indexing import IndexAdd, getitem
from chainrule.ops.inplace import zero_derivative
from chainrule.ops.reduce import norm
from chainrule.ops.shape import cat
from chainrule.tensor import Tensor


class _MatMulHookInputs(HookInputs):
    """The inputs of PyTorch's node for a product, as ``next_functions`` shows them: the two
    operands where the node is the kernel's (dot, mv, mm); else the node is a view or copy of
    the kernel's result (``_Kernel.inner``), and its one input that result, which chainrule's
    fused node makes inside: the output gradient in that shape."""

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        kernel = _node_kernel(node)
        if kernel is None:
            return grads
        if all(x is None for x in grads):
            return (None,)
        return (g.reshape(kernel.viewed(tuple(g.shape), tuple(node.inputs[1].shape))),)

    def absorb(
        self,
        node: Op,
        given: tuple[Any, ...],
        grads: tuple[Any, ...],
        rule: Callable[[Any], tuple[Any, ...]],
    ) -> tuple[Any, ...]:
        if _node_kernel(node) is None:
            return given
        return self.rerun(node, given, grads, rule)


def _node_kernel(node: Op) -> _Kernel | None:
    """The kernel PyTorch's product runs, where its node is not the kernel's own."""
    if node.torch_name is not None:  # bmm, named so by its function: one kernel
        return None
    kernel = _kernel(*(_Operand.of(x) for x in node.inputs))
    return kernel if kernel.inner else None


class MatMul(Bilinear):
    notation = "A @ B"
    derivatives = ("g @ B^T", "A^T @ g")
    batch_rule = staticmethod(batching.matmul)
    reads = ((1,), (0,))
    vjp_broadcasts = True  # matmul broadcasts over leading dimensions

    def default_name(self) -> str:
        # PyTorch's matmul dispatches on the operands (their dimensions, layouts and whether
        # they require grad); its node is the last step's (bmm names its own).
        a, b = self.inputs
        return _kernel(_Operand.of(a), _Operand.of(b)).node

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's nodes between its product's node and the operands (shown only: one node
        runs), kept between reads (``presented``)."""
        if self.torch_name is not None:  # bmm, named so by its function: one kernel
            return Op.next_functions.fget(self)
        a, b = self.inputs
        return presented(self, lambda raw: _kernel(_Operand.of(a), _Operand.of(b)).edges(raw))

    hook_inputs = _MatMulHookInputs()  # (defined below with the kernels)

    def forward(self, a, b):
        return _blas.matmul(a, b)

    def vjp(self, g, out, a, b):
        if a.ndim == 2 and b.ndim == 1 and not self.needs[0]:
            # W @ x with only x's gradient asked: g @ W, one product (five ops below, which
            # forward over reverse pays twice), and it broadcasts over a batch of g's too.
            return (None, dual.matmul(dual.contiguous(g), a))
        # 1-D operands are matrices with a size-1 axis inserted, then removed again.
        a2 = a.reshape((1, -1)) if a.ndim == 1 else a
        b2 = b.reshape((-1, 1)) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = dual.unsqueeze_dims(g2, (g2.ndim - 1 if b.ndim > 1 else g2.ndim,))
        if b.ndim == 1:
            g2 = dual.unsqueeze_dims(g2, (g2.ndim,))
        # A broadcast gradient (from sum) is a stride-0 view; BLAS wants real memory.
        g2 = dual.contiguous(g2)
        ga = gb = None
        # (each gradient laid out as its operand where the product is an outer one: see
        # dual.matmul's like)
        if self.needs[0]:
            ga = dual.matmul(g2, dual.swap_last(b2), a2)
            ga = ga.reshape(tuple(ga.shape[:-2]) + (-1,)) if a.ndim == 1 else ga
        if self.needs[1]:
            gb = dual.matmul(dual.swap_last(a2), g2, b2)
            gb = gb.reshape(tuple(gb.shape[:-2]) + (-1,)) if b.ndim == 1 else gb
        return (ga, gb)


class Einsum(Bilinear):
    """A sum of products, linear in each operand (every operand a factor)."""

    notation = "einsum(equation, ...)"
    derivatives = ("einsum of g with the other operands",)
    batch_rule = staticmethod(batching.einsum)
    reads = OTHER_FACTORS  # one operand alone (a sum, a transpose): none
    # One operand whose subscripts the output only reorders ("ij->ji", "ij->ij", and "ii->i"
    # after its diagonal is taken): NumPy's einsum returns a view of it, as PyTorch's returns
    # a permute; an in-place change through it must reach the operand's history and version
    # counter. Each instance says (see __init__); a copy NumPy made is no view.
    is_view = True

    def __init__(self, inputs: list[str], output: str) -> None:
        self.subscripts = inputs
        self.output = output
        self.is_view = len(inputs) == 1 and sorted(inputs[0]) == sorted(output)

    def forward(self, *operands):
        if self.is_view and not operands[0].ndim:  # "->": NumPy makes a number, PyTorch a view
            return operands[0].view()
        out = dual.einsum(self._equation(self.subscripts, self.output), *operands)
        if len(operands) == 1 and not self.is_view and not out.flags.c_contiguous:
            # a sum over one operand: PyTorch's is contiguous, NumPy's keeps the operand's
            # order ("abc->ca" strides (1, 3)), and whether a reshape of it is a view (one
            # that an in-place change goes through) depends on that
            out = out.copy()
        return out

    @staticmethod
    def _equation(inputs: list[str], output: str) -> str:
        return ",".join(inputs) + "->" + output

    def vjp(self, g, out, *operands):
        grads = []
        # (a view's rule also runs unrecorded, where an in-place change through it finds the
        # view's place in its base: it has one operand then, and no needs of its own)
        for i, need in enumerate(getattr(self, "needs", (True,))):
            if not need:
                grads.append(None)
                continue
            # d/d(operand i) of a sum of products is the same sum with operand i replaced by g:
            # contract g with every other operand into operand i's subscripts.
            others = [s for j, s in enumerate(self.subscripts) if j != i]
            target = self.subscripts[i]
            missing = [
                c for c in target if c not in self.output and all(c not in s for s in others)
            ]
            grad = dual.einsum(
                self._equation(
                    [self.output] + others, "".join(c for c in target if c not in missing)
                ),
                g,
                *[op for j, op in enumerate(operands) if j != i],
            )
            if missing:  # an index summed over operand i alone: its gradient is broadcast
                grad = dual.unsqueeze_dims(grad, tuple(target.index(c) for c in missing))
            # So is an index of length 1 in every other factor but longer in operand i (an
            # ellipsis broadcast); one longer elsewhere is summed back by the central unbroadcast.
            full = broadcast_shape(tuple(grad.shape), tuple(operands[i].shape))
            if tuple(grad.shape) != full:
                grad = dual.broadcast_to(grad, full)
            grads.append(grad)
        return tuple(grads)


def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Matrix product with NumPy/PyTorch semantics (1-D, 2-D, batched, broadcast batches)."""
    a_shape = tuple(getattr(input, "shape", ()))
    b_shape = tuple(getattr(other, "shape", ()))
    if not a_shape or not b_shape:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{len(a_shape)}D and {len(b_shape)}D"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"{_matmul_mismatch(input, other)}\n"
            f"matmul: {a_shape} @ {b_shape}: inner dimensions {inner_a} and {inner_b} differ"
        )
    try:
        broadcast_shape(a_shape[:-2], b_shape[:-2])
    except RuntimeError as error:
        raise RuntimeError(
            f"{error}\nmatmul: {a_shape} @ {b_shape}: batch dimensions {a_shape[:-2]} and "
            f"{b_shape[:-2]} do not broadcast"
        ) from None
    a_type, b_type = getattr(input, "dtype", None), getattr(other, "dtype", None)
    if a_type is not None and b_type is not None and a_type != b_type:
        raise RuntimeError(_kernel(_Operand.of(input), _Operand.of(other)).dtypes(a_type, b_type))
    if a_type is dtypes.bool:
        _refuse_bool(_kernel(_Operand.of(input), _Operand.of(other)).kernel, input, other)
    return MatMul()(input, other)


# The CPU kernels PyTorch's products of bools end in, which have no bool version.
_BOOL_KERNELS = {"dot": "dot", "mv": "addmv_impl_cpu", "mm": "addmm_impl_cpu_", "bmm": "bmm"}


def _refuse_bool(kernel: str, a: Any, b: Any) -> None:
    """PyTorch's refusal of a product of two bool tensors by ``kernel`` (dot, mv, mm or bmm):
    it has no bool kernel, though mv, mm and bmm return zeros or nothing before they look for
    one where an operand is empty (dot does not)."""
    if kernel == "dot" or (math.prod(a.shape) and math.prod(b.shape)):
        raise dtypes.not_implemented_for(_BOOL_KERNELS[kernel], xp.dtype(bool))


def _matmul_mismatch(a: Any, b: Any) -> str:
    """PyTorch's words for a product whose inner dimensions differ. They name the kernel its
    matmul sends the product to (dot, mv, mm or bmm), with the shapes that kernel sees."""
    try:
        kernel = _kernel(_Operand.of(a), _Operand.of(b))
    except RuntimeError as error:  # batches that do not broadcast: PyTorch says so first
        return str(error)
    return kernel.mismatch()


class _Operand(NamedTuple):
    """What PyTorch's choice of kernel reads of an operand."""

    shape: tuple[int, ...]
    strides: tuple[int, ...]  # in elements
    requires_grad: bool

    @classmethod
    def of(cls, x: Any) -> _Operand:
        data = getattr(x, "_data", x)
        strides = tuple(s // data.itemsize for s in data.strides)
        return cls(tuple(x.shape), strides, bool(getattr(x, "requires_grad", False)))


class _Kernel(NamedTuple):
    """The kernel PyTorch's matmul runs, the shapes it gives it, and the name of the node that
    ends up as the product's ``grad_fn`` (the last step of the way there).

    The other steps, which chainrule's one node stands for, are shown in its
    ``next_functions``: ``inner``, the nodes from the product's node down to the kernel's (none
    where the product's node is the kernel's), and ``steps``, each operand's nodes on its way
    into the kernel, the first taken first; ``swapped`` where the kernel takes b first."""

    kernel: str  # dot, mv, mm, bmm
    first: tuple[int, ...]
    second: tuple[int, ...]
    node: str
    inner: tuple[str, ...] = ()
    steps: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    swapped: bool = False

    def mismatch(self) -> str:
        (n, *rest), (k, *_) = self.first, self.second
        if self.kernel == "dot":
            return (
                f"inconsistent tensor size, expected tensor [{n}] and src [{k}] to have the "
                f"same number of elements, but got {n} and {k} elements respectively"
            )
        if self.kernel == "mv":
            return f"size mismatch, got input ({n}), mat ({n}x{rest[0]}), vec ({k})"
        if self.kernel == "mm":
            p = self.second[1]
            return f"mat1 and mat2 shapes cannot be multiplied ({n}x{rest[0]} and {k}x{p})"
        return (
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{n}, {rest[0]}] but got: [{k}, {self.second[1]}]."
        )

    def dtypes(self, a: Any, b: Any) -> str:
        """PyTorch's words for operands of two dtypes (it does not promote them), as the
        kernel it runs says them."""
        name = dtypes.scalar_type_name
        if self.kernel == "dot":
            return (
                f"dot : expected both vectors to have same dtype, but found {name(a)} and {name(b)}"
            )
        if self.kernel == "mv":
            return (
                "addmv input tensors must have the same dtype, but got "
                f"{name(b)}, {name(a)}, and {name(b)}"
            )
        if self.kernel == "mm" and not self.swapped:
            return (
                "expected m1 and m2 to have the same dtype, but got: "
                f"{dtypes.C_TYPE_NAMES[a.name]} != {dtypes.C_TYPE_NAMES[b.name]}"
            )
        return f"expected scalar type {name(a)} but found {name(b)}"

    def viewed(self, out: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of what the product's node takes in (where ``inner`` is not empty), for a
        product of shape ``out`` with a second operand of shape ``b``: the kernel's result, or
        a copy of its transpose (Clone)."""
        if self.node == "CloneBackward0":
            return out
        rows = self.first[0]
        if self.kernel == "bmm":  # (batches, n, p), a vector operand as one row or column
            return (rows, -1, b[-1] if len(b) > 1 else 1)
        return (rows,) if self.kernel == "mv" else (rows, -1)

    def edges(self, raw: tuple[tuple[Any, int], ...]) -> tuple[tuple[Any, int], ...]:
        """``next_functions`` of the product's node as PyTorch's (``raw``: the edges to a and
        b): each operand through its steps into the kernel's node, under the ``inner`` ones."""
        if not self.inner:
            return raw
        operands = [_through(steps, edge) for steps, edge in zip(self.steps, raw, strict=True)]
        edge = (Presented(self.inner[-1], tuple(operands[::-1] if self.swapped else operands)), 0)
        for name in reversed(self.inner[:-1]):
            edge = (Presented(name, (edge,)), 0)
        return (edge,)


def _through(steps: tuple[str, ...], edge: tuple[Any, int]) -> tuple[Any, int]:
    """``edge`` (to an operand's node, or to None) under shown nodes named ``steps``."""
    for name in steps if edge[0] is not None else ():
        edge = (Presented(name, (edge,)), 0)
    return edge


def _kernel(a: _Operand, b: _Operand) -> _Kernel:
    """The way PyTorch's ``_matmul_impl`` goes, step by step: dot, mv or mm for vectors and
    matrices; a batched operand folded into a matrix where ``should_fold`` says so; a batch of
    one that requires grad taken as a matrix; else the batches broadcast, flattened, bmm."""
    sa, sb = a.shape, b.shape
    if len(sa) == len(sb) == 1:
        return _Kernel("dot", sa, sb, "DotBackward0")
    if len(sa) == 2 and len(sb) == 1:
        return _Kernel("mv", sa, sb, "MvBackward0")
    if len(sa) == 1 and len(sb) == 2:  # a row, squeezed back
        steps = (("UnsqueezeBackward0",), ())
        return _Kernel("mm", (1, sa[0]), sb, "SqueezeBackward4", ("MmBackward0",), steps)
    if len(sa) == len(sb) == 2:
        return _Kernel("mm", sa, sb, "MmBackward0")
    if _folds(a, b):  # the larger operand as a matrix, the smaller on the other side
        if len(sa) >= len(sb):
            folded, other, node = (math.prod(sa[:-1]), sa[-1]), sb, "UnsafeViewBackward0"
            inner, steps = (), (_reshaped(a.shape, a.strides, folded), ())
        else:  # PyTorch computes (b^T a^T)^T, and copies a transposed matrix result
            folded, other = (math.prod(sb[:-2]) * sb[-1], sb[-2]), sa[::-1]
            node = "CloneBackward0" if len(sa) == 2 else "UnsafeViewBackward0"
            inner = ("TransposeBackward0", "UnsafeViewBackward0") if len(sa) == 2 else ()
            shape, strides = _swapped(sb), _swapped(b.strides)
            steps = (("TBackward0",) if len(sa) == 2 else (), ("TransposeBackward0",))
            steps = (steps[0], steps[1] + _reshaped(shape, strides, folded))
        kernel = "mv" if len(other) == 1 else "mm"
        inner += (f"{kernel.capitalize()}Backward0",)
        return _Kernel(kernel, folded, other, node, inner, steps, len(sa) < len(sb))
    if len(sa) == len(sb) == 3 and sa[0] != sb[0]:
        if sa[0] == 1 and a.requires_grad:
            return _squeezed(_kernel(_Operand(sa[1:], a.strides[1:], True), b), 0)
        if sb[0] == 1 and b.requires_grad:
            return _squeezed(_kernel(a, _Operand(sb[1:], b.strides[1:], True)), 1)
    batch = broadcast_shape(sa[:-2], sb[:-2])
    batches = math.prod(batch)
    inner2 = sb[-2] if len(sb) > 1 else sb[0]
    steps = tuple(_expanded(x, batch, batches) for x in (a, b))
    return _Kernel(
        "bmm", (batches, sa[-1]), (batches, inner2), "UnsafeViewBackward0", ("BmmBackward0",), steps
    )


def _squeezed(kernel: _Kernel, operand: int) -> _Kernel:
    """``kernel`` of a product whose operand ``operand``, a batch of one, was taken as a
    matrix: its steps begin with the squeeze."""
    steps = list(kernel.steps)
    steps[operand] = ("SqueezeBackward1",) + steps[operand]
    return kernel._replace(steps=tuple(steps))


def _swapped(sizes: tuple[int, ...]) -> tuple[int, ...]:
    """Sizes or strides with the last two swapped (a batch of matrices transposed)."""
    return sizes[:-2] + sizes[:-3:-1]


def _expanded(x: _Operand, batch: tuple[int, ...], batches: int) -> tuple[str, ...]:
    """The nodes of PyTorch's way of an operand of a bmm: expanded to the common ``batch``,
    reshaped to ``batches`` matrices (a vector takes no grad there: no steps are shown)."""
    if len(x.shape) < 2:
        return ()
    shape = batch + x.shape[-2:]
    lead = len(shape) - len(x.shape)
    strides = tuple(
        0 if i < lead or (x.shape[i - lead] == 1 and n != 1) else x.strides[i - lead]
        for i, n in enumerate(shape)
    )
    return ("ExpandBackward0",) + _reshaped(shape, strides, (batches,) + x.shape[-2:])


def _reshaped(shape: tuple[int, ...], strides: tuple[int, ...], target: tuple[int, ...]) -> tuple:
    """The nodes of PyTorch's ``reshape`` of a tensor laid out as ``strides``: a view where it
    is contiguous, an alias with new strides where they can express it, else a copy."""
    if _contiguous(shape, strides):
        return ("ViewBackward0",)
    if _restrides(shape, strides, target):
        return ("ReshapeAliasBackward0",)
    return ("CloneBackward0", "UnsafeViewBackward0")


def _contiguous(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """PyTorch's ``is_contiguous``: row-major strides, those of size-1 dimensions aside."""
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides), strict=True):
        if n != 1:
            if s != expected:
                return math.prod(shape) == 0
            expected *= n
    return True


def _restrides(shape: tuple[int, ...], strides: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether strides can give the tensor the shape ``target`` without a copy (PyTorch's
    ``computeStride``): each run of dimensions laid out one after the other maps onto whole
    dimensions of the target."""
    if not shape or math.prod(shape) == 0:
        return True
    view_d = len(target) - 1
    base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or target[view_d] == 1):
                view_numel *= target[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def _folds(a: _Operand, b: _Operand) -> bool:
    """Whether PyTorch's matmul folds the operand of 3 or more dimensions into a matrix (its
    ``should_fold``, its conditions in its order): when the other operand requires grad, else
    not for a matrix ``a``, else when the fold needs no copy."""
    larger, smaller = (a, b) if len(a.shape) >= len(b.shape) else (b, a)
    if len(larger.shape) < 3 or len(smaller.shape) > 2:
        return False
    if smaller.requires_grad:
        return True
    if len(a.shape) == 2:  # folding b^T would give a transposed result, to be copied back
        return False
    if math.prod(larger.shape) == 0:
        return True
    shape, strides = list(larger.shape), list(larger.strides)
    if larger is b:  # PyTorch folds b^T: its last two dimensions swap
        shape[-2:], strides[-2:] = shape[:-3:-1], strides[:-3:-1]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """The product of two matrices (``matmul`` takes vectors and batches too)."""
    for name, m in (("self", input), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(
                f"{name} must be a matrix\nmm: expected two matrices, got shapes "
                f"{tuple(input.shape)} and {tuple(mat2.shape)}"
            )
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """The product of a matrix and a vector (``matmul``, checked as PyTorch's ``mv``).

    >>> import chainrule as cr
    >>> cr.mv(cr.ones(2, 3), cr.arange(3.0))
    tensor([3., 3.])
    """
    return mv_at(input, vec, 2)


def mv_at(input: Tensor, vec: Tensor, at: int) -> Tensor:  # noqa: A002
    """``mv`` with ``vec`` at argument position ``at`` (1 for ``Tensor.mv``): PyTorch's checks
    of ``addmv`` in its order (types, dimensions, sizes, dtypes) and its words."""
    for name, x, position in (("input", input, 1), ("vec", vec, at)):
        if not isinstance(x, Tensor):
            raise mistyped("mv", name, position, "Tensor", x)
    a, b = tuple(input.shape), tuple(vec.shape)
    if len(a) != 2 or len(b) != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {len(a)}, {len(b)}\n"
            f"mv: expected a matrix and a vector, got shapes {a} and {b}"
        )
    if a[1] != b[0]:
        raise RuntimeError(
            f"{_Kernel('mv', a, b, 'MvBackward0').mismatch()}\n"
            f"mv: {a} @ {b}: inner dimensions {a[1]} and {b[0]} differ"
        )
    if vec.dtype != input.dtype:  # the first is the output's, which PyTorch gives vec's dtype
        v, m = (_TORCH_DTYPE_NAMES[x.dtype.name][1] for x in (vec, input))
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {v}, {m}, and {v}"
        )
    if vec.dtype is dtypes.bool:
        _refuse_bool("mv", input, vec)
    return MatMul()(input, vec)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p) tensors, without broadcasting."""
    a, b = tuple(input.shape), tuple(mat2.shape)
    for name, shape in (("batch1", a), ("batch2", b)):
        if len(shape) != 3:
            raise RuntimeError(
                f"{name} must be a 3D tensor\nbmm: expected two 3-D tensors, got shapes {a} and {b}"
            )
    if b[:2] != (a[0], a[2]):
        raise RuntimeError(
            f"{_Kernel('bmm', (a[0], a[2]), b[:2], 'BmmBackward0').mismatch()}\n"
            f"bmm: shapes {a} and {b} do not match: expected mat2 to start with {(a[0], a[2])}"
        )
    if input.dtype != mat2.dtype:  # PyTorch's products do not promote
        raise RuntimeError(_Kernel("bmm", a, b, "BmmBackward0").dtypes(input.dtype, mat2.dtype))
    if input.dtype is dtypes.bool:
        _refuse_bool("bmm", input, mat2)
    return named(MatMul()(input, mat2), "BmmBackward0")


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors of the same size and dtype."""
    a, b = tuple(input.shape), tuple(tensor.shape)
    if len(a) != 1 or len(b) != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {len(a)}D and {len(b)}D tensors\ndot: shapes {a} and {b}"
        )
    if a != b:
        raise RuntimeError(
            f"{_Kernel('dot', a, b, 'DotBackward0').mismatch()}\n"
            f"dot: sizes differ: {a[0]} and {b[0]} elements"
        )
    if input.dtype != tensor.dtype:
        raise RuntimeError(_Kernel("dot", a, b, "DotBackward0").dtypes(input.dtype, tensor.dtype))
    if input.dtype is dtypes.bool:
        _refuse_bool("dot", input, tensor)
    return MatMul()(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """``out[i, j] = input[i] * vec2[j]``: a product that broadcasts a column against a row."""
    for name, v in (("input", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: expected 1-D argument {name}, but got {v.ndim}-D")
    return input.unsqueeze(1) * vec2


ger = outer


# ---- math: beta * input + alpha * product, for each of PyTorch's products
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` expanded to the product's shape.

    >>> import chainrule as cr
    >>> cr.addmm(cr.ones(2), cr.ones(2, 3), cr.ones(3, 2), beta=0.5, alpha=2)
    tensor([[6.5000, 6.5000],
            [6.5000, 6.5000]])
    """
    return _add_product(input, mm, mat1, mat2, beta, alpha, "addmm")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``, ``input`` expanded to the product's shape."""
    return _add_product(input, mv, mat, vec, beta, alpha, "addmv")


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``, ``input`` expanded to the product's shape.
    Unlike the matrix products, ``addr`` promotes dtypes, and refuses a float ``beta`` or
    ``alpha`` for integers rather than truncating it (PyTorch's outer product and checks)."""
    if not any(dtypes.is_floating(x.dtype) for x in (input, vec1, vec2)):
        for name, scalar in (("beta", beta), ("alpha", alpha)):
            if isinstance(scalar, float):
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point "
                    "number."
                )

    # PyTorch's kernel: beta * input + alpha * vec1 * vec2, in that order; float16 rounds
    # each step, beta and alpha too: it runs on Half scalars
    floats = {x.dtype.dtype for x in (input, vec1, vec2) if x.dtype.dtype.kind == "f"}
    if floats == {dtypes.HALF}:
        beta, alpha = (float(xp.float16(s)) if isinstance(s, float) else s for s in (beta, alpha))

    def scaled_outer(vec1: Tensor, vec2: Tensor) -> Tensor:
        return outer(vec1 if alpha == 1 else vec1 * alpha, vec2)

    return _add_product(
        input, scaled_outer, vec1, vec2, beta, 1, "addr", check_dtype=False, fuse=False
    )


def baddbmm(
    input: Tensor,  # noqa: A002
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``, ``input`` expanded to the product's
    shape."""
    return _add_product(input, bmm, batch1, batch2, beta, alpha, "baddbmm")


def addbmm(
    input: Tensor,  # noqa: A002
    batch1: Tensor,
    batch2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: the batch's products summed
    (in one reduction; PyTorch adds them on one by one, which may round differently)."""
    return _add_product(input, _summed_bmm, batch1, batch2, beta, alpha, "addbmm")


def _summed_bmm(batch1: Tensor, batch2: Tensor) -> Tensor:
    return bmm(batch1, batch2).sum(0)


# PyTorch's kernels that leave the product out when alpha is 0 (its nan and inf too); addr
# and baddbmm multiply it by 0.
_SKIPS_PRODUCT = frozenset(("addmm", "addmv", "addbmm"))


def _add_product(
    input: Tensor,  # noqa: A002
    product: Callable[[Tensor, Tensor], Tensor],
    a: Tensor,
    b: Tensor,
    beta: Any,
    alpha: Any,
    name: str,
    check_dtype: bool = True,
    fuse: bool = True,
) -> Tensor:
    """``beta * input + alpha * product(a, b)`` as PyTorch's ``add*mm`` family computes it:
    ``input`` expanded (not broadcast) to the product's shape, and of its dtype (unless not
    ``check_dtype``: then promoted); ``name`` is the function's, for its error and its
    node (PyTorch's ``AddmmBackward0``, ...); the scalars of an integer result
    truncated to integers; ``beta = 0`` ignores input's values, nan and inf too, while input
    stays in the graph with a zero gradient (PyTorch's ``grad * beta``); so does the product
    when ``alpha = 0`` for the ops PyTorch skips it in (``_SKIPS_PRODUCT``), its gradients
    those of ``product * 0``. float16 operands are computed in float32 and rounded once, as
    PyTorch's kernels add the float32 product (rounding it first moved the sum's last bit),
    unless not ``fuse`` (addr's kernel rounds each step)."""

    if not any(dtypes.is_floating(x.dtype) for x in (input, a, b)):
        beta, alpha = int(beta), int(alpha)

    def combined(input: Tensor, a: Tensor, b: Tensor) -> Tensor:  # noqa: A002
        made = product(a, b)
        if check_dtype and input.dtype != made.dtype:
            names = [_TORCH_DTYPE_NAMES[x.dtype.name][1] for x in (input, made)]
            raise RuntimeError(
                f"{name}: self and mat2 must have the same dtype, but got {names[0]} and {names[1]}"
            )
        base = input.expand(made.shape)
        if beta == 0:
            base = where(xp.zeros((), bool), base, xp.zeros((), base.dtype))
        elif beta != 1:
            base = base * beta
        if alpha == 0 and name in _SKIPS_PRODUCT:
            made = where(xp.zeros((), bool), made, xp.zeros((), made.dtype))
        elif alpha != 1:
            made = made * alpha
        return base + made

    node = f"{name.title()}Backward0"
    if not fuse:
        return named(combined(input, a, b), node)
    return combinations.fused(combined, input, a, b, name=node)


@own_constants  # the diagonal's positions, made from sizes (PyTorch's node keeps those)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """A 1-D input becomes a square matrix with it on the ``diagonal``-th diagonal; a 2-D
    input gives that diagonal as 1-D. Built from indexing, whose rules give the gradient."""
    # a bool is refused, as PyTorch's (True was read as 1)
    k = integer(diagonal, "diag", "diagonal", 2)
    if input.ndim == 1:
        n = input.shape[0] + abs(k)
        return IndexAdd(_diagonal_key(input.shape[0], k), (n, n), unique=True)(input)
    if input.ndim == 2:
        rows, cols = input.shape
        length = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
        return getitem(input, _diagonal_key(length, k))
    raise RuntimeError(f"diag: supports 1-D or 2-D tensors, got {input.ndim}-D")


def _diagonal_key(length: int, k: int) -> tuple[Any, Any]:
    """Row and column indices of the first ``length`` elements of diagonal ``k``."""
    steps = xp.arange(length)
    return steps + max(-k, 0), steps + max(k, 0)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """The sum of the main diagonal of a matrix."""
    shell_uints.check_function("trace", input.dtype)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got a tensor with {input.ndim} dims")
    return named(diag(input).sum(), "TraceBackward0")


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle (on and below the ``diagonal``-th diagonal) of the last two dims; the
    rest is zero, and so is its gradient."""
    return _triangle(input, diagonal, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle (on and above the ``diagonal``-th diagonal) of the last two dims."""
    return _triangle(input, diagonal, "triu")


@own_constants  # the mask, made from sizes (PyTorch's node keeps the diagonal's number)
def _triangle(input: Tensor, k: int, op: str) -> Tensor:  # noqa: A002
    shell_uints.check_function(op, input.dtype)
    k = integer(k, op, "diagonal", 2)  # a float diagonal would shift NumPy's mask: no number
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {input.ndim}")
    rows, cols = input.shape[-2:]
    lower = xp.tri(rows, cols, k if op == "tril" else k - 1, dtype=bool)
    # where, not a product with the mask: inf * 0 would be nan.
    zero = xp.zeros((), dtype=input.dtype)
    part = where(lower, input, zero) if op == "tril" else where(lower, zero, input)
    return named(part, f"{op.title()}Backward0")


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``, and so is PyTorch's
    sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ndims = [len(op.shape) for op in operands]
    _check_equation(equation, ndims)
    inputs, output, ellipsis = _parse_einsum(equation, ndims)
    _check_sizes(inputs, ellipsis, [tuple(op.shape) for op in operands])
    operands = _promoted(inputs, output, operands)
    for i, subscripts in enumerate(inputs):
        if len(set(subscripts)) != len(subscripts):  # "ii->i", "NMKK->NM": a diagonal
            inputs[i], operand = _diagonals(subscripts, operands[i], i)
            operands = (*operands[:i], operand, *operands[i + 1 :])
    return Einsum(inputs, output)(*operands)


def _sublist_equation(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """The equation and operands of the sublist form: each operand followed by its subscripts
    (integers in [0, 52), ``...`` for broadcast dims), then the output's if given; the
    integers as PyTorch names them (0-25 A-Z, 26-51 a-z).

    >>> _sublist_equation(("a", [0, 1], "b", [1, 2], [0, Ellipsis]))
    ('AB,BC->A...', ('a', 'b'))
    """

    def letter(n: Any) -> str:
        if n is Ellipsis:
            return "..."
        if 0 <= n < 26:
            return chr(ord("A") + n)
        if 26 <= n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError(
            "einsum(): subscript in subscript list is not within the valid range [0, 52)"
        )

    equation = ",".join("".join(map(letter, sublist)) for sublist in args[1::2])
    if len(args) % 2:  # the output's subscripts last
        return equation + "->" + "".join(map(letter, args[-1])), args[:-1:2]
    return equation, args[::2]


def _promoted(inputs: list[str], output: str, operands: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """The operands in their common dtype, as PyTorch's einsum computes: it multiplies two
    operands that share no summed index (``mul``, which promotes) and contracts the others
    with a batched product, which refuses two dtypes in these words (the first operand's
    dtype expected). Which pairs it contracts depends on its order (opt_einsum's): here any
    two operands of two dtypes that share a summed index are refused."""
    for i, j in itertools.combinations(range(len(operands)), 2):
        if (set(inputs[i]) & set(inputs[j])) - set(output):
            expect_one_dtype(operands[i], operands[j])
    dtype = dtypes.result_type_of_tiers([(op.dtype, 2 if op.ndim else 1) for op in operands])
    return tuple(op if op.dtype == dtype else op.to(dtype) for op in operands)


def expect_one_dtype(a: Tensor, b: Tensor) -> None:
    """PyTorch's error for a kernel that takes one dtype (a product, a cross product, a
    distance) given two, ``a``'s expected."""
    if a.dtype != b.dtype:
        name = dtypes.scalar_type_name
        raise RuntimeError(f"expected scalar type {name(a.dtype)} but found {name(b.dtype)}")


def _diagonals(subscripts: str, operand: Tensor, i: int) -> tuple[str, Tensor]:
    """Operand ``i`` taken along the diagonal of each index its ``subscripts`` repeat (that
    index then last, once), and the subscripts of the result: einsum sums products over the
    elements whose repeated indices are equal, which are the diagonal's."""
    from chainrule.ops.shape_more import diagonal

    for c in subscripts:
        while subscripts.count(c) > 1:
            d1 = subscripts.index(c)
            d2 = subscripts.index(c, d1 + 1)
            if operand.shape[d1] != operand.shape[d2]:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                    f"match, {operand.shape[d2]} != {operand.shape[d1]}"
                )
            operand = diagonal(operand, 0, d1, d2)
            subscripts = subscripts[:d1] + subscripts[d1 + 1 : d2] + subscripts[d2 + 1 :] + c
    return subscripts, operand


def _einsum_error(message: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {message}")


def _check_equation(equation: str, ndims: list[int]) -> None:
    """PyTorch's refusals of an equation, in the order its parser meets them: characters and
    dots of the operands' subscripts, the operand count, each operand's subscripts against its
    dimensions, then the output's subscripts. (``index`` counts in the whole string.)"""
    lhs, arrow, rhs = equation.partition("->")
    op, dots, labels = 0, 0, [0]
    ellipsis = [False]
    for index, c in enumerate(lhs):
        if c == " ":
            continue
        if c == ".":
            if ellipsis[op]:
                raise _einsum_error(
                    f"found '.' for operand {op} for which an ellipsis was already found"
                )
            dots += 1
            ellipsis[op] = dots == 3
            dots %= 3
            continue
        if dots:
            raise _einsum_error(f"found '.' for operand {op} that is not part of any ellipsis")
        if c == ",":
            op += 1
            if op >= len(ndims):
                raise _einsum_error("fewer operands were provided than specified in the equation")
            labels.append(0)
            ellipsis.append(False)
        elif c.isascii() and c.isalpha():
            labels[op] += 1
        else:
            raise _einsum_error(_invalid_subscript(index))
    if dots:
        raise _einsum_error(f"found '.' for operand {op} that is not part of any ellipsis")
    if op != len(ndims) - 1:
        raise _einsum_error("more operands were provided than specified in the equation")
    for i, (count, has, n) in enumerate(zip(labels, ellipsis, ndims, strict=True)):
        if has and count > n:
            raise _einsum_error(
                f"the number of subscripts in the equation ({count}) is more than the number "
                f"of dimensions ({n}) for operand {i}"
            )
        if not has and count != n:
            raise _einsum_error(
                f"the number of subscripts in the equation ({count}) does not match the number "
                f"of dimensions ({n}) for operand {i} and no ellipsis was given"
            )
    if arrow:
        _check_output(rhs, len(lhs) + 2, set(lhs))


def _check_output(rhs: str, start: int, seen: set[str]) -> None:
    """The output's subscripts, as :func:`_check_equation` (``start``: where ``rhs`` begins)."""
    dots, has_ellipsis, written = 0, False, set()
    for index, c in enumerate(rhs, start):
        if c == " ":
            continue
        if c == ".":
            if has_ellipsis:
                raise _einsum_error("found '.' for output but an ellipsis (...) was already found")
            dots += 1
            has_ellipsis = dots == 3
            dots %= 3
            continue
        if dots:
            raise _einsum_error("found '.' for output that is not part of any ellipsis (...)")
        if not (c.isascii() and c.isalpha()):
            raise _einsum_error(_invalid_subscript(index))
        if c in written:
            raise _einsum_error(f"output subscript {c} appears more than once in the output")
        if c not in seen:
            raise _einsum_error(
                f"output subscript {c} does not appear in the equation for any input operand"
            )
        written.add(c)
    if dots:
        raise _einsum_error("found '.' for output that is not part of any ellipsis (...)")


def _invalid_subscript(index: int) -> str:
    return (
        f"invalid subscript given at index {index} in the equation string, subscripts must be "
        "in [a-zA-Z]"
    )


def _check_sizes(inputs: list[str], ellipsis: str, shapes: list[tuple[int, ...]]) -> None:
    """Each subscript's sizes across the operands broadcast (equal, or 1), in PyTorch's words;
    a subscript of ``ellipsis`` (the letters :func:`_parse_einsum` gave the dimensions of
    '...') is named as the operand's dimension."""
    seen: dict[str, int] = {}
    for i, (subscripts, shape) in enumerate(zip(inputs, shapes, strict=True)):
        for d, (c, size) in enumerate(zip(subscripts, shape, strict=True)):
            before = seen.get(c, 1)
            if size != 1 and before != 1 and size != before and c not in subscripts[:d]:
                if c in ellipsis:
                    raise _einsum_error(
                        f"dimension {d} covered by ellipsis in operand {i}has size {size} which "
                        f"does not broadcast with previously seen ellipsis with size {before} "
                        "for the respective dimension"
                    )
                raise _einsum_error(
                    f"subscript {c} has size {size} for operand {i} which does not broadcast "
                    f"with previously seen size {before}"
                )
            seen[c] = max(before, size) if size != 1 else before


def _parse_einsum(equation: str, ndims: list[int]) -> tuple[list[str], str, str]:
    """Explicit subscripts for every operand and the output, with '...' replaced by letters
    the equation does not use, and those letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise RuntimeError(
            f"einsum: {equation!r} names {len(inputs)} operands but {len(ndims)} were given"
        )
    used = set(c for c in equation if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ellipsis = max(
        (n - len(s.replace("...", "")) for s, n in zip(inputs, ndims, strict=True) if "..." in s),
        default=0,
    )
    fill = "".join(spare[:n_ellipsis])
    expanded = []
    for s, n in zip(inputs, ndims, strict=True):
        if "..." in s:
            s = s.replace("...", fill[len(fill) - (n - len(s.replace("...", ""))) :])
        if len(s) != n:
            raise RuntimeError(
                f"einsum: subscripts {s!r} do not match an operand with {n} dimensions"
            )
        expanded.append(s)
    if arrow:
        output = rhs.replace("...", fill)
    else:  # implicit mode: broadcast letters, then the letters that appear once, sorted
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = fill + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in fill))
    return expanded, output, fill


# ---- math: more products, as compositions of matmul, mul and sum
def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors (for real ones, :func:`dot`)."""
    return named(dot(input, other), "VdotBackward0")


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Sums of products over the last dimension of each: shape
    ``input.shape[:-1] + other.shape[:-1]``; a 0-d operand multiplies.

    >>> import chainrule as cr
    >>> cr.inner(cr.ones(2, 3), cr.arange(6.0).reshape(2, 3))
    tensor([[ 3., 12.],
            [ 3., 12.]])
    """
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract ``dims`` dimensions: the last ``dims`` of ``a`` with the first of ``b`` (an
    int), or the listed ones (two sequences), as one matrix product of the reshaped
    operands."""
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))  # (PyTorch's numbering)
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    for da, db in zip(dims_a, dims_b, strict=True):
        # a contracted size 1 broadcasts, as PyTorch's: the other side is summed over it first
        if b.shape[db] == 1 and a.shape[da] != 1:
            a = a.sum(da, keepdim=True)
        elif a.shape[da] == 1 and b.shape[db] != 1:
            b = b.sum(db, keepdim=True)
        elif a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = math.prod(a.shape[d] for d in dims_a)
    rows = math.prod(a.shape[d] for d in free_a)  # spelled out: -1 is ambiguous when size is 0
    columns = math.prod(b.shape[d] for d in free_b)
    # (the orders as one tuple: a 0-d operand's is empty, which permute() takes only so)
    left = a.permute((*free_a, *dims_a)).reshape(rows, size)
    right = b.permute((*dims_b, *free_b)).reshape(size, columns)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return matmul(left, right).reshape(shape)


def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The Kronecker product: each element of ``input`` times the whole of ``other``, in
    blocks (the shorter shape padded with leading 1s)."""
    ndim = max(input.ndim, other.ndim)
    a_shape = (1,) * (ndim - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (ndim - other.ndim) + tuple(other.shape)
    # a's dims at even places, b's at odd: a[i] * b[j] lands at i * len(b) + j.
    a = input.reshape([s for n in a_shape for s in (n, 1)])
    b = other.reshape([s for n in b_shape for s in (1, n)])
    return (a * b).reshape([m * n for m, n in zip(a_shape, b_shape, strict=True)])


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (both broadcast); without ``dim``, the
    first dimension of size 3, as PyTorch (which warns that this default will change)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    expect_one_dtype(input, other)
    shape = broadcast_shape(tuple(input.shape), tuple(other.shape))
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim "
            "will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        sizes = [d for d, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    if not -len(shape) <= dim < len(shape):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-len(shape)}, "
            f"{len(shape) - 1}], but got {dim})"
        )
    if shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[dim]} and {other.shape[dim]}"
        )
    a, b = input.expand(shape), other.expand(shape)
    head = (slice(None),) * (dim % len(shape))
    part = lambda x, i: x[(*head, slice(i, i + 1))]  # noqa: E731
    pieces = [
        part(a, j) * part(b, k) - part(a, k) * part(b, j) for j, k in ((1, 2), (2, 0), (0, 1))
    ]
    return named(cat(pieces, dim), "LinalgCrossBackward0")


_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distances between the rows of ``x1`` (``... x P x M``) and of ``x2``
    (``... x R x M``): ``... x P x R``, batch dimensions broadcast. Computed directly, as
    PyTorch does for small inputs (its ``compute_mode`` may use a matrix product for large
    Euclidean ones, which rounds differently); the gradient at a zero distance is 0. float16
    is refused where PyTorch's direct kernel would run (it has none for float16)."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.is_floating_point():
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: "
                f"{dtypes.scalar_type_name(x.dtype)}"
            )
    expect_one_dtype(x1, x2)
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if not p >= 0:  # nan too: a nan p gives nan distances
        raise RuntimeError("cdist only supports non-negative p values")
    rows, others = x1.shape[-2], x2.shape[-2]
    by_product = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == _CDIST_MODES[0] and (rows > 25 or others > 25))
    )
    if not by_product and x1.numel() and x2.numel():
        dtypes.refuse_half(x1.dtype, "cdist")
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    distances = norm(differences, p, -1)
    if p == 0:  # a count of differing coordinates: PyTorch passes zeros back, not nothing
        # and counts min(ceil|d|, 1), nan for a nan coordinate (vector_norm counts it as 1)
        nan = xp.asarray(xp.nan, distances.dtype.dtype)
        distances = where(differences.isnan().any(-1), nan, distances)
        distances = zero_derivative(distances, differences.sum(-1))
    return named(distances, "CdistBackward0")
