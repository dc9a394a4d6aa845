"""What a node saved, under PyTorch's names: ``grad_fn._saved_self``, ``_saved_result``,
``_saved_dim``, ... and ``_raw_saved_self.register_hooks(pack, unpack)``.

PyTorch's node of an op (``MulBackward0``) has one attribute per value its derivative formula
saves, named as in its ``derivatives.yaml`` (``self``, ``other``, ``result``, ``mat2``,
``exponent``, ...). chainrule's node keeps its inputs, their arrays and its output anyway; this
module only presents them, on a read (``Op.__getattr__``), so recording pays nothing.

Which values exist is one table, keyed by chainrule's op class and PyTorch's node name (one class
presents several of PyTorch's nodes: ``x ** 2`` is ``PowBackward0``, ``x ** y``
``PowBackward1``): a node of a listed pair has exactly PyTorch's names. A pair not listed (an op
not covered yet, or the last step of chainrule's own composite that PyTorch's node would not
match, such as ``addmm``'s add) has none. Whether a tensor was saved follows the guards that
catch a change in place (``Op.reads``, ``saves_output``): ``(x * 2).grad_fn._saved_self`` is
None, as in PyTorch, since ``x``'s gradient reads only the 2.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.pow(2)
    >>> y.grad_fn._saved_self is x, y.grad_fn._saved_exponent
    (True, 2)
    >>> z = x.exp()
    >>> z.grad_fn._saved_result.equal(z), z.grad_fn._saved_result is z
    (True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import op as op_module
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule.op import Op
from chainrule.tensor import Tensor, _make

# The saved hooks' module imports this one (so that every node has its attributes).
graph = import_later(globals(), "chainrule.autograd.graph")

FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
HOOKS_ON_FREED = (
    "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate "
    "values of the graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or if you need "
    "to access saved variables after calling backward."
)


class _Saved:
    """One saved tensor of a node: ``kept(node)``, whether the gradients asked read it (else
    PyTorch's attribute is None), and ``get(node)``, the tensor with the array chainrule's
    rules read for it (what a pair of hooks packed it by). A list of tensors (an index's
    ``indices``) names its ``parts``: ``_raw_saved_indices`` is one SavedTensor each."""

    def __init__(
        self,
        kept: Callable[[Op], bool],
        get: Callable[[Op], tuple[Any, Any]],
        parts: Callable[[Op], tuple[_Saved, ...]] | None = None,
    ) -> None:
        self.kept = kept
        self.get = get
        self.parts = parts


def _input(i: int) -> _Saved:
    """Input ``i``, itself (a number operand as PyTorch wraps it: a 0-d tensor), where the
    gradients asked read it (``Op.reads``)."""

    def kept(node: Op) -> bool:
        guarded = type(node)._guarded
        return guarded is None or i in guarded[node.needs]

    def get(node: Op) -> tuple[Tensor, Any]:
        x = node.inputs[i]
        return (x if isinstance(x, Tensor) else _make(xp.asarray(x))), node.args[i]

    return _Saved(kept, get)


def _result(node: Op) -> tuple[Tensor, Any]:
    """A new tensor of the output's memory and version counter (where the node guards the
    output; else its own), with the node as its ``grad_fn``."""
    result = _make(node.out, True, node)
    if node.out_versions is not None:
        result._vc = node.out_versions[0]
    return result, node.out


# Kept where the gradients asked read the output (``Op.saves_output``, ``output_read_by``).
_RESULT = _Saved(lambda node: node.out_versions is not None, _result)
# Kept always: PyTorch's pow of two tensors saves its result even where only the base's
# gradient is asked, which reads it not; and PyTorch's ``exp2``, ``tan``, ``amax``, ... save
# it where chainrule's rule reads their input instead.
_POW_RESULT = _Saved(lambda node: True, _result)


def _bound(i: int) -> _Saved:
    """Input ``i``, a bound of ``clamp`` by tensors: None where the call gave none."""
    plain = _input(i)
    return _Saved(lambda node: node.inputs[i] is not None, plain.get)


def _transposed(i: int) -> _Saved:
    """Input ``i`` transposed: PyTorch's linear saves ``weight.t()``, its ``mat2``."""
    plain = _input(i)
    return _Saved(plain.kept, lambda node: (node.inputs[i].t(), node.args[i]))


# Gather's index, an int64 array kept on the node.
_INDEX = _Saved(lambda node: True, lambda node: (_make(node.index), node.index))


def _sizes(node: Op) -> tuple[int, ...]:
    return tuple(node.inputs[0].shape)


def _strides(i: int) -> Callable[[Op], tuple[int, ...]]:
    """Input ``i``'s strides, which PyTorch saves only where that input's gradient is asked
    (else an empty tuple)."""
    return lambda node: tuple(node.inputs[i].stride()) if node.needs[i] else ()


def _numel(node: Op) -> int:
    return node.inputs[0].numel()


def _the_int(node: Op) -> tuple[int, int]:
    """``(dim, index)`` of a basic index that is one int among full slices (``x[:, 1]``)."""
    return next((d, k) for d, k in enumerate(node.key) if isinstance(k, int))


def _unsigned(n: int) -> int:
    """An int64 as PyTorch shows it in some nodes: a negative one wrapped to unsigned 64-bit."""
    return n % 2**64


def _the_slice(node: Op) -> tuple[int, slice]:
    """``(dim, slice)`` of a basic index that is one slice among full ones (``x[:, 1:]``,
    ``narrow``), the dimension counted past an ``...``."""
    key = node.key
    d, k = next((d, k) for d, k in enumerate(key) if isinstance(k, slice) and k != slice(None))
    if Ellipsis in key[:d]:
        d += node.inputs[0].ndim - len(key)
    return d, k


def _index(j: int) -> _Saved:
    """Entry ``j`` of an advanced index's key: a tensor of the array, None for a full slice."""
    return _Saved(
        lambda node: True,
        lambda node: (None if isinstance(k := node.key[j], slice) else _make(k), k),
    )


def _indices_parts(node: Op) -> tuple[_Saved, ...]:
    return tuple(map(_index, range(len(node.key))))


# PyTorch's ``indices`` of an advanced index: one saved tensor per entry of the key.
_INDICES = _Saved(
    lambda node: True,
    lambda node: (tuple(_unpacked(node, part) for part in _indices_parts(node)), None),
    _indices_parts,
)


_ONE = lambda node: 1  # noqa: E731 - addmm's alpha and beta
_ALPHA = lambda node: getattr(node, "alpha", 1)  # noqa: E731 - add's and sub's (set where not 1)
_SELF_SIZES = ("self_sym_sizes", _sizes)
_MM = (
    ("self", _input(0)),
    ("mat2", _input(1)),
    _SELF_SIZES,
    ("self_sym_strides", _strides(0)),
    ("mat2_sym_sizes", lambda node: tuple(node.inputs[1].shape)),
    ("mat2_sym_strides", _strides(1)),
)
_REDUCED = (
    ("dim", lambda node: node.dims),
    ("keepdim", lambda node: node.keepdim),
)
_NORMALIZED = (("dim", lambda node: node.dim), ("result", _RESULT))
_INT64_MAX = 2**63 - 1  # a slice's end where none was given
_SLICE = (
    ("dim", lambda node: _the_slice(node)[0]),
    ("end", lambda node: _INT64_MAX if (e := _the_slice(node)[1].stop) is None else _unsigned(e)),
    _SELF_SIZES,
    ("start", lambda node: _unsigned(_the_slice(node)[1].start or 0)),
    ("step", lambda node: _the_slice(node)[1].step or 1),
)
_SELF = (("self", _input(0)),)
_SELF_RESULT = (("self", _input(0)), ("result", _POW_RESULT))
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}  # PyTorch's enum, which its loss nodes save
_LOSS = (
    ("reduction", lambda node: _REDUCTIONS[node.reduction]),
    ("self", _input(0)),
    ("target", _input(1)),
)
_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


# var's and std's: correction and dim None where the call gave neither (chainrule's node tells
# no ``x.var()`` from ``x.var(correction=1)``, whose correction PyTorch shows as 1).
_VAR = (
    ("correction", lambda node: None if node.whole and node.correction == 1 else node.correction),
    ("dim", lambda node: None if node.whole else node.dims),
    ("keepdim", lambda node: node.keepdim),
    ("self", _input(0)),
)

# (chainrule's op class, PyTorch's node name) -> PyTorch's saved names, each with a _Saved (a
# tensor: ``_saved_<name>`` and ``_raw_saved_<name>``) or a function of the node (a number,
# a size: readable after backward too). Names as in PyTorch's derivatives.yaml.
SAVED: dict[tuple[str, str], tuple[tuple[str, Any], ...]] = {
    **{(op, f"{op}Backward0"): (("self", _input(0)),) for op in ("Sin", "Cos", "Log")},
    **{
        (op, f"{op}Backward0"): (("result", _RESULT),)
        for op in ("Exp", "Tanh", "Sigmoid", "Relu", "Sqrt")
    },
    ("Pow", "PowBackward0"): (("self", _input(0)), ("exponent", lambda node: node.inputs[1])),
    ("Pow", "PowBackward1"): (
        ("self", _input(0)),
        ("exponent", _input(1)),
        ("result", _POW_RESULT),
    ),
    ("Pow", "PowBackward2"): (
        ("self", lambda node: node.inputs[0]),
        ("exponent", _input(1)),
        ("result", _POW_RESULT),
    ),
    ("Mul", "MulBackward0"): (("self", _input(0)), ("other", _input(1))),
    ("Div", "DivBackward0"): (("self", _input(0)), ("other", _input(1))),
    ("Add", "AddBackward0"): (("alpha", _ALPHA),),
    ("Sub", "SubBackward0"): (("alpha", _ALPHA),),
    ("Sub", "RsubBackward1"): (("alpha", _ALPHA),),
    ("MatMul", "MmBackward0"): _MM,
    ("Linear", "MmBackward0"): (("self", _input(0)), ("mat2", _transposed(1)), *_MM[2:4])
    + (
        ("mat2_sym_sizes", lambda node: tuple(node.inputs[1].shape)[::-1]),
        ("mat2_sym_strides", lambda node: _strides(1)(node)[::-1]),
    ),
    ("Linear", "AddmmBackward0"): (
        ("alpha", _ONE),
        ("beta", _ONE),
        ("mat1", _input(0)),
        ("mat1_sym_sizes", _sizes),
        ("mat1_sym_strides", _strides(0)),
        ("mat2", _transposed(1)),
        ("mat2_sym_sizes", lambda node: tuple(node.inputs[1].shape)[::-1]),
        ("mat2_sym_strides", lambda node: _strides(1)(node)[::-1]),
    ),
    ("Sum", "SumBackward0"): (_SELF_SIZES,),
    ("Sum", "SumBackward1"): (*_REDUCED, _SELF_SIZES),
    ("Mean", "MeanBackward0"): (("self_sym_numel", _numel), _SELF_SIZES),
    ("Mean", "MeanBackward1"): (*_REDUCED, ("self_sym_numel", _numel), _SELF_SIZES),
    ("Softmax", "SoftmaxBackward0"): _NORMALIZED,
    ("LogSoftmax", "LogSoftmaxBackward0"): _NORMALIZED,
    ("Reshape", "ViewBackward0"): (_SELF_SIZES,),
    ("GetItem", "SelectBackward0"): (
        ("dim", lambda node: _the_int(node)[0]),
        ("index", lambda node: _the_int(node)[1]),
        _SELF_SIZES,
    ),
    ("GetItem", "IndexBackward0"): (("indices", _INDICES), _SELF_SIZES),
    ("Gather", "GatherBackward0"): (
        ("dim", lambda node: node.dim),
        ("index", _INDEX),
        ("self", _input(0)),
        ("sparse_grad", lambda node: False),
    ),
    ("Cat", "CatBackward0"): (("dim", lambda node: node.dim),),
    ("GetItem", "IndexSelectBackward0"): (
        ("dim", lambda node: len(node.key) - 1),
        ("index", _Saved(lambda node: True, lambda node: (node.index_tensors[0], node.key[-1]))),
        _SELF_SIZES,
    ),
    ("GetItem", "SliceBackward0"): _SLICE,
    ("Reshape", "SqueezeBackward0"): (_SELF_SIZES,),
    ("Permute", "PermuteBackward0"): (("dims", lambda node: node.dims),),
    **{
        (op, f"{name}Backward0"): (
            ("dim", lambda node: node.dim),
            ("indices", _input(1)),
            ("keepdim", lambda node: node.keepdim),
            _SELF_SIZES,
        )
        for op, name in (("MaxAlong", "Max"), ("MaxAlong", "Min"))
    },
    **{(op, f"{name}Backward1"): _SELF_RESULT for op, name in (("Amax", "Max"), ("Amin", "Min"))},
    **{(op, f"{op}Backward0"): (*_REDUCED, *_SELF_RESULT) for op in ("Amax", "Amin")},
    ("Clamp", "ClampBackward1"): (
        ("max", lambda node: node.hi),
        ("min", lambda node: node.lo),
        *_SELF,
    ),
    ("Clamp", "ClampMinBackward0"): (("min", lambda node: node.lo), *_SELF),
    ("Clamp", "ClampMaxBackward0"): (("max", lambda node: node.hi), *_SELF),
    ("ClampTensor", "ClampBackward0"): (("max", _bound(2)), ("min", _bound(1)), *_SELF),
    ("Where", "WhereBackward0"): (("condition", _input(0)),),
    **{
        (op, f"{op}Backward0"): _SELF
        for op in ("Abs", "Log2", "Log10", "Atan", "Asin", "Acos", "Sinh", "Cosh", "Erf", "Silu")
    },
    ("Log1p", "Log1PBackward0"): _SELF,
    **{
        (op, f"{op}Backward0"): (("result", _POW_RESULT),)
        for op in ("Exp2", "Expm1", "Rsqrt", "Reciprocal", "Tan")
    },
    ("LeakyRelu", "LeakyReluBackward0"): (
        ("negative_slope", lambda node: node.negative_slope),
        *_SELF,
    ),
    ("Gelu", "GeluBackward0"): (("approximate", lambda node: node.approximate), *_SELF),
    ("Elu", "EluBackward0"): (
        ("alpha", lambda node: node.alpha),
        ("input_scale", _ONE),
        ("scale", _ONE),
        *_SELF,
    ),
    ("Selu", "EluBackward0"): (
        ("alpha", lambda node: _SELU[0]),
        ("input_scale", _ONE),
        ("scale", lambda node: _SELU[1]),
        *_SELF,
    ),
    ("Celu", "CeluBackward0"): (("alpha", lambda node: node.negative), *_SELF),
    ("Softplus", "SoftplusBackward0"): (
        ("beta", lambda node: node.beta),
        *_SELF,
        ("threshold", lambda node: node.threshold),
    ),
    ("Hardtanh", "HardtanhBackward0"): (
        ("max_val", lambda node: node.max_val),
        ("min_val", lambda node: node.min_val),
        *_SELF,
    ),
    ("Var", "VarBackward0"): _VAR,
    ("Std", "StdBackward0"): (*_VAR, ("result", _POW_RESULT)),
    ("Prod", "ProdBackward0"): _SELF_RESULT,
    ("Prod", "ProdBackward1"): (
        ("dim", lambda node: node.dims[0]),
        ("keepdim", lambda node: node.keepdim),
        *_SELF_RESULT,
    ),
    ("CumSum", "CumsumBackward0"): (("dim", lambda node: node.dim),),
    ("MatMul", "BmmBackward0"): (("mat2", _input(1)), *_SELF),
    ("Expand", "ExpandBackward0"): (_SELF_SIZES,),
    ("Flip", "FlipBackward0"): (("dims", lambda node: node.dims),),
    ("Roll", "RollBackward0"): (("dims", lambda node: node.dims), ("shifts", lambda n: n.shifts)),
    ("Repeat", "RepeatBackward0"): (("repeats", lambda node: node.repeats), _SELF_SIZES),
    ("MseLoss", "MseLossBackward0"): _LOSS,
    ("SmoothL1Loss", "SmoothL1LossBackward0"): (("beta", lambda node: node.beta), *_LOSS),
    ("HuberLoss", "HuberLossBackward0"): (("delta", lambda node: node.beta), *_LOSS),
}


def _entries(node: Op) -> tuple[tuple[str, Any], ...]:
    return SAVED.get((type(node).__name__, node.name()), ())


def _names(node: Op) -> list[str]:
    """The ``_saved_*`` and ``_raw_saved_*`` attributes ``node`` has."""
    entries = _entries(node)
    return [f"_saved_{name}" for name, _ in entries] + [
        f"_raw_saved_{name}" for name, how in entries if isinstance(how, _Saved)
    ]


def dir_of(node: Op, names: list[str]) -> list[str]:
    """``dir(node)`` from the usual ``names``: the table's attributes that ``node`` has,
    without those of other nodes (a class has those of all its nodes, see ``_install``)."""
    return [n for n in names if not n.startswith(("_saved_", "_raw_saved_"))] + _names(node)


def attribute(node: Op, attr: str) -> Any:
    """``node.<attr>`` for a name ``_saved_<name>`` or ``_raw_saved_<name>`` of the table;
    AttributeError, as PyTorch's, where ``node``'s entry has no such name."""
    raw = attr.startswith("_raw_saved_")
    wanted = attr[len("_raw_saved_" if raw else "_saved_") :]
    for name, how in _entries(node):
        if name == wanted and (not raw or isinstance(how, _Saved)):
            if raw:
                if how.parts is not None:
                    return tuple(SavedTensor(node, part) for part in how.parts(node))
                return SavedTensor(node, how)
            return _unpacked(node, how) if isinstance(how, _Saved) else how(node)
    raise AttributeError(f"'{node.name()}' object has no attribute '{attr}'")


def _unpacked(node: Op, saved: _Saved) -> Tensor | None:
    """The saved tensor, as the backward pass would read it: through its unpack hook where a
    pair of hooks packed it. None where it was not saved; PyTorch's error once freed."""
    if not saved.kept(node):
        return None
    if node.freed:
        raise RuntimeError(FREED)
    value, array = saved.get(node)
    unpack = graph.unpacking(node, array)
    return value if unpack is None else unpack()


class SavedTensor:
    """PyTorch's ``torch._C._autograd.SavedTensor``, what ``grad_fn._raw_saved_<name>`` gives:
    ``register_hooks(pack_hook, unpack_hook)`` packs that one tensor now and unpacks it when
    the backward pass reads it (or ``_saved_<name>`` is read), as
    ``saved_tensors_hooks`` does for every tensor of a block (and with its limit: the
    unpacked values must be the saved ones).

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.pow(2)
    >>> seen = []
    >>> y.grad_fn._raw_saved_self.register_hooks(lambda t: seen.append("pack") or t,
    ...                                          lambda t: seen.append("unpack") or t)
    >>> y.sum().backward()
    >>> seen, x.grad
    (['pack', 'unpack'], tensor([2., 4.]))
    """

    def __init__(self, node: Op, saved: _Saved) -> None:
        self._node = node
        self._saved = saved

    def register_hooks(
        self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]
    ) -> None:
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError(
                "register_hooks(): incompatible function arguments. The following argument "
                "types are supported:\n    1. (self: torch._C._autograd.SavedTensor, "
                "pack_hook: Callable, unpack_hook: Callable) -> None"
            )
        node = self._node
        if node.freed:
            raise RuntimeError(HOOKS_ON_FREED)
        if not self._saved.kept(node):
            raise RuntimeError(
                "Calling register_hooks on a saved tensor with value None is forbidden"
            )
        value, array = self._saved.get(node)
        if graph.unpacking(node, array) is not None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        graph.pack_one(node, pack_hook, unpack_hook, value, array)


def _attributes_by_class() -> dict[str, list[str]]:
    """``{op class name: its _saved_* and _raw_saved_* attributes}``, from the table."""
    by_class: dict[str, list[str]] = {}
    for (class_name, _), entries in SAVED.items():
        names = by_class.setdefault(class_name, [])
        for name, how in entries:
            for prefix in ("_saved_", "_raw_saved_")[: 1 + isinstance(how, _Saved)]:
                if prefix + name not in names:
                    names.append(prefix + name)
    return by_class


_ATTRIBUTES = _attributes_by_class()


def _install_on(cls: type) -> None:
    """The table's names for op class ``cls``, properties reading them (``attribute``)."""
    for attr in _ATTRIBUTES.get(cls.__name__, ()):
        setattr(cls, attr, property(lambda node, attr=attr: attribute(node, attr)))


def _install() -> None:
    """Each name of the table, a property of the op classes whose entries have it: a
    property costs the other attribute reads nothing, where a ``__getattr__`` on the node
    class would cost each one (CPython specialises no attribute read of such a class). Not
    on ``Op`` itself: its ~120 names grown by ~90 slowed every op (per-op +0.46% in
    instructions). The classes made so far get theirs now, those made later at their
    creation (``op.install_saved_names``)."""
    below = [Op]
    while below:
        cls = below.pop()
        _install_on(cls)
        below.extend(cls.__subclasses__())
    op_module.install_saved_names = _install_on


_install()
