"""The ``Op`` base class: one differentiable primitive, its rules side by side, and the registry.

An ``Op`` subclass states, in one place, what a reader needs to learn the chain rule for it:

- ``forward(*args)``: the value, computed on arrays;
- ``vjp(g, out, *args)``: the reverse-mode rule, one gradient per argument (``None`` where the
  argument needs none). Rules are written with operators and the helpers of
  :mod:`chainrule.ops.dual`, so the same code runs on arrays (plain backward, fast) and on
  Tensors (``create_graph=True``, which records the backward pass and gives higher derivatives);
- ``jvp(tangents, out, *args)``: the forward-mode rule (tangents are ``None`` for constants);
- ``notation`` and ``derivatives``: the printable formula the explainer shows.

Applying an op (``Sin()(x)``) runs ``forward`` and, when gradients are being recorded, keeps the
instance as the graph node (``grad_fn``) of the result. Broadcasting is undone centrally by the
backward pass, never by the rules.

    >>> import chainrule as cr
    >>> y = cr.sin(cr.tensor([0.0], requires_grad=True))
    >>> type(y.grad_fn).__name__, y.grad_fn.name()
    ('Sin', 'SinBackward0')
    >>> y.grad_fn  # doctest: +ELLIPSIS
    <SinBackward0 object at 0x...>
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

from chainrule import declare, dtypes, grad_mode, graph, shell_uints
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule._tensor_input import tensor_argument
from chainrule.autodiff import anomaly, batching, forward, open_transforms
from chainrule.tensor import (
    INFERENCE_VIEW,
    SAVED_INFERENCE,
    InferenceCounter,
    RemovableHandle,
    Tensor,
    View,
    _make,
    watch,
)

# Every op class that carries rules, by name: the op table tests assert each one is covered.
REGISTRY: dict[str, type[Op]] = {}

# Creation order of nodes: a node's inputs are always older, so sorting by it is a topological
# order (PyTorch's sequence numbers play the same role).
_sequence = itertools.count()
_ndarray = xp.ndarray
_new = object.__new__
# Whether some thread has a vmap watch or a forward-mode level open: one global read per op,
# and only then the calling thread's own (``_here``, see chainrule.autodiff.open_transforms).
_vmap_anywhere = open_transforms.vmap_anywhere
_dual_anywhere = open_transforms.dual_anywhere
_here = open_transforms.here
_may_share = xp.may_share_memory
# uint16, uint32, uint64: PyTorch's kernels mostly refuse them (see chainrule.shell_uints).
_SHELL_UINTS = dtypes.SHELL_UINTS
# One set lookup on an op's lone input tells both rare dtypes: a shell uint and float16.
_SHELL_UINTS_OR_HALF = frozenset((*_SHELL_UINTS, dtypes.HALF))
_F32 = dtypes.HALF_OPMATH  # what float16 computes in
# Whether a ``saved_tensors_hooks`` block is open (:mod:`chainrule.autograd.graph` sets it and
# keeps the hooks): then a recorded node hands the values its rules read to ``pack``. Tested
# once per recorded op; a bool, the cheapest value to test. Also true once ``inference_mode()``
# has been entered (``grad_mode.inference_seen``): then a recorded node's inputs are looked at
# for inference tensors on that same path (see _look_at_saved), so the usual op pays nothing
# more.
packing = False
# The calling thread's grad and inference modes (chainrule.grad_mode), read on every op.
_modes = grad_mode.modes
# The usual constants, let through at once (Python's and NumPy's real scalars).
_REAL_SCALARS = frozenset(
    (float, int, bool, xp.float16, xp.float32, xp.float64, xp.int32, xp.int64, xp.bool_)
)
# Python's alone: a two-input op reads a NumPy scalar as the Python number PyTorch reads
# (dtypes.python_number), off the path of these.
_PY_NUMBERS = frozenset((float, int, bool))


# What recording keeps on a node, in one tuple (``Op._record``), in this order: the input
# Tensors (and constants), their arrays, the output's array, which inputs need a gradient,
# whether every gradient has its input's shape, the creation order, the version guards, the
# gradient hooks, whether the class has a ``vjp_inplace`` (resolved once per class, as
# ``_saving`` is). The backward pass meets nodes of changing classes, where CPython 3.11 does not
# specialise an attribute access (each costs ~210 instructions): it reads the one tuple and
# unpacks it (~400 in all, where the fields as slots cost ~1.9k per node). Each field is also
# the node's attribute of that name, a property over the tuple (see _recorded). A backward
# without retain_graph frees the record: ``args`` and ``out`` None, or, where no Tensor is
# guarded, ``versions`` None (see ``Op.freed``).
_RECORD = ("inputs", "args", "out", "needs", "shaped", "seq", "versions", "_hooks", "in_place")
_RECORD_SEQ = _RECORD.index("seq")
_UNRECORDED = (None,) * len(_RECORD)  # the record an unrecorded op's first field write starts


def _recorded(index: int) -> property:
    """The node's attribute ``_RECORD[index]``: read from its record, written by a new one."""

    def get(self: Op) -> Any:
        return self._record[index]

    def put(self: Op, value: Any) -> None:
        record = list(getattr(self, "_record", _UNRECORDED))
        record[index] = value
        self._record = tuple(record)

    return property(get, put, doc=f"The recorded ``{_RECORD[index]}`` (see ``_RECORD``).")


# ``Op.reads`` of a product of any number of factors (einsum): each factor's gradient reads
# every other factor, its own only for its shape; one factor alone (a sum, a transpose) reads
# nothing.
OTHER_FACTORS: Any = type("OtherFactors", (), {"__repr__": lambda self: "OTHER_FACTORS"})()


class _OtherFactors(dict):  # type: ignore[type-arg]
    """``_guarded`` of an op whose ``reads`` is OTHER_FACTORS: the inputs read for each
    ``needs`` pattern, of any length, worked out when it is first met.

    >>> _OtherFactors()[(True,)], _OtherFactors()[(True, False, False)]
    ((), (1, 2))
    """

    def __missing__(self, needs: tuple[bool, ...]) -> tuple[int, ...]:
        read = tuple(j for j in range(len(needs)) if True in needs[:j] + needs[j + 1 :])
        self[needs] = read
        return read


class _NoneRead:
    """``_unsaved`` of an op whose ``reads`` is OTHER_FACTORS: whether a ``needs`` pattern's
    gradients read no input (``needs in``)."""

    def __init__(self, guarded: _OtherFactors) -> None:
        self.guarded = guarded

    def __contains__(self, needs: tuple[bool, ...]) -> bool:
        return not self.guarded[needs]


class Op:
    """A differentiable primitive; an applied instance is a node of the graph."""

    # ``needs`` is also in the record; the slot is what the rules read (``self.needs[1]``),
    # a specialised access where a property would cost a call.
    __slots__ = ("_record", "needs", "out_versions")
    inputs, args, out, _, shaped, seq, versions, _hooks, in_place = map(
        _recorded, range(len(_RECORD))
    )
    del _

    notation: ClassVar[str] = ""
    derivatives: ClassVar[tuple[str, ...]] = ()
    # Which values the vjp reads: an in-place change of them after the forward is an error.
    saves_inputs: ClassVar[bool] = True
    saves_output: ClassVar[bool] = False
    # For input i, whether its vjp reads the output (None: all do). Only then is the output
    # guarded: ``g = f / 2; g += 1`` is fine, as in PyTorch, since d/df of f / 2 reads only 2.
    output_read_by: ClassVar[tuple[bool, ...] | None] = None
    # For input i, the inputs whose values its vjp reads (None: every input; OTHER_FACTORS:
    # every other input, of a product of any number of them). With it, only values the needed
    # gradients read are guarded: in ``y * 2`` with only ``y`` requiring grad, changing ``y``
    # afterwards is fine, as in PyTorch.
    reads: ClassVar[tuple[tuple[int, ...], ...] | Any | None] = None
    # ``reads`` resolved once per class: for each ``needs`` pattern, the inputs to guard.
    _guarded: ClassVar[dict[tuple[bool, ...], tuple[int, ...]] | None] = None
    # Whether the rules read a value kept on the node itself (an index tensor, a mask), which
    # PyTorch saves as a tensor beside the inputs: a backward frees such a node like one whose
    # rules read an input. An op whose instances differ sets it per instance (advanced indexing
    # keeps its index, basic indexing nothing).
    saves_state: ClassVar[bool] = False
    # Whether the numbers and arrays among the node's inputs and its index settings are
    # constants of the function that built it, made from its parameters and its inputs' shapes
    # (add's alpha, tril's mask, diag's positions), which PyTorch's node keeps as numbers or
    # sizes, not as saved tensors: a backward frees none of them. Set on the nodes of such a
    # function by ``own_constants``; else a number the rules read is one PyTorch saves as a
    # tensor (``x * 2`` keeps the 2), an index array one it saves (``x[[0, 1]]``).
    own_constants: ClassVar[bool] = False
    # For which ``needs`` patterns the rules read no value at all (see saves_nothing): True for
    # every pattern, False for none, else the set of patterns. Resolved once per class.
    _unsaved: ClassVar[bool | frozenset[tuple[bool, ...]] | _NoneRead] = False
    # A view shares storage, and so the version counter, with its first input. An op whose
    # instances differ (basic or advanced indexing) sets it True on the class and each
    # instance says for itself; it is read from the node only where the class has it True.
    is_view: ClassVar[bool] = False
    # Whether the rules use a Python float beside a float tensor only as a NumPy operand (add,
    # mul, ...): it is then passed as a 0-d array of the tensor's dtype (see _float_operand).
    float_operands: ClassVar[bool] = False
    # Whether PyTorch's float16 kernel reads a number (or a 0-d tensor) second operand in
    # float32 and rounds the result once (multiplication, the divisions): see _half_opmath.
    # Read from the node only once a float16 operand is seen.
    half_opmath: ClassVar[bool] = False
    # Whether the op of one float16 tensor computes in float32 and rounds its result once to
    # float16, as PyTorch's kernels do (a formula of several NumPy steps would round at each:
    # the norm of [300, 1] overflowed to inf, a float16 cumsum lost its small terms), and its
    # rules read the float32 values, so a gradient rounds once too. Elementwise math,
    # reductions, scans and softmax; not views, copies and casts.
    half_in_float32: ClassVar[bool] = False
    # Whether the rules of such an op then read float32 values (the inputs, the rounded
    # output), as PyTorch's fused backward kernels do (tanh_backward, softmax's, a sum's); or
    # the float16 ones, where PyTorch's derivative is a formula of float16 ops (reciprocal's
    # -g * out * out), so that a gradient overflows or rounds where PyTorch's does.
    half_rules_in_float32: ClassVar[bool] = True
    # The name of PyTorch's CPU kernel that has no float16 version (``"bessel_j0_cpu"``): an
    # op of one float16 tensor is refused with PyTorch's error; one of several, or a Constant
    # (its own call), refuses in its forward, by ``refuse_half`` of the dtype it computes in.
    half_missing: ClassVar[str | None] = None
    # Whether two tensor operands of different dtypes are first given PyTorch's common dtype
    # (dtypes.promote_operands), where NumPy's would differ: elementwise arithmetic and
    # comparisons, for which PyTorch promotes by category and lets dimensioned tensors outrank
    # 0-d ones (an int32 tensor plus a 0-d int64 one is int32; NumPy makes it int64). "float"
    # for ops that compute integers in float32 (true division, atan2).
    promotes: ClassVar[bool | str] = False
    # Whether the op is elementwise on a single input (the family Unary): its gradient has the
    # output's shape, which is the input's, and (given a gradient of the output's dtype) the
    # input's dtype, so the backward pass need not compare them.
    one_shape: ClassVar[bool] = False
    # The guards above (saves_*, output_read_by, _guarded), is_view, float_operands, promotes,
    # one_shape and whether there is a ``vjp_inplace`` (below), resolved once per class (see
    # _saving) and handed to the class's own ``__call__`` (see _own_call).
    _saving: ClassVar[tuple[Any, ...]]
    # Set on the node of an in-place op: the node that produced the overwritten value, which
    # ops applied before the change still read from (see graph.parent).
    replaced: Op | None = None
    # The declaration (see chainrule.declare): ``public`` names ``cr.<public>`` and, with
    # ``method``, ``Tensor.<public>``; ``aliases`` more names for both; ``sympy`` the SymPy
    # counterpart (a SymPy function's name, or ``f(sp, *args)``), which also puts the op in
    # the explainer's expression language. An ``apply`` classmethod, where an op has one, is
    # the public function (for arguments that need more than the constructor).
    public: ClassVar[str] = ""
    method: ClassVar[bool] = True
    aliases: ClassVar[tuple[str, ...]] = ()
    sympy: ClassVar[Any] = None
    # PyTorch's ``out=`` on the public function (see chainrule.out): "cast", the result cast
    # into ``out`` (most ops); "exact", ``out`` of the result's dtype asked (abs, floor, neg:
    # ops whose result keeps the input's dtype); None, no ``out=`` (relu, as PyTorch's).
    out_rule: ClassVar[str | None] = "cast"
    # How a batch runs through the op under ``vmap``: one of the rule functions of
    # :mod:`chainrule.autodiff.batching` (a family sets its default, an op may set its own);
    # None runs the op once per example. ``Op.__call__`` reads it only inside ``vmap``.
    batch_rule: ClassVar[Any] = None

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            REGISTRY[cls.__name__] = cls
        if vars(cls).get("public"):
            declare.install(cls)
        if cls.reads is OTHER_FACTORS:
            cls._guarded = _OtherFactors()
        elif cls.reads is not None:
            cls._guarded = {
                needs: tuple(
                    sorted({j for i, need in enumerate(needs) if need for j in cls.reads[i]})
                )
                for n in range(1, len(cls.reads) + 1)
                for needs in itertools.product((False, True), repeat=n)
            }
        else:  # (not a parent's guards: a subclass may read every input where it does not)
            cls._guarded = None
        cls._saving = _saving(cls)
        cls._unsaved = _unsaved(cls)
        if install_saved_names is not None:  # (chainrule.autograd.saved has loaded)
            install_saved_names(cls)
        inherited = cls.__call__  # Op's, or a copy of it that a parent class got
        if getattr(inherited, "__wrapped__", inherited) is Op.__call__:
            cls.__call__ = _own_call(cls._saving)

    # --- the rules -------------------------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        raise NotImplementedError

    def vjp(self, g: Any, out: Any, *args: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> Any:
        raise NotImplementedError

    # ``vjp_inplace(g, out, *args)``, where an op has one: the same rule on arrays, allowed to
    # overwrite ``g`` instead of allocating its result. The backward pass calls it in place of
    # ``vjp`` only when it holds the sole reference to ``g`` (see autodiff/backward.py). Whether
    # a class has one is resolved when the class is made (see _saving): define it in the body.
    vjp_inplace: ClassVar[Any] = None

    def release(self) -> None:
        """Let go of the large values kept on the node itself (``saves_state``: a recurrent
        layer's activations), once a backward without ``retain_graph`` has freed the node's
        saved inputs: none by default (a row's mean and rstd weigh little)."""

    def fresh(self) -> Op:
        """An unapplied op with this one's settings (what its constructor was given)."""
        op = _new(type(self))
        state = getattr(self, "__dict__", None)
        if state:
            op.__dict__.update(state)
        return op

    def reapply(self, *args: Any) -> Any:
        """This op's forward, with the same settings, on other values (a tangent in place of
        an input): the families' derived rules are made of it. A fresh op runs it, so this
        node's saved state stays as it is."""
        return run(self.fresh(), *args)

    # --- applying -------------------------------------------------------------------------
    # ``op(*inputs)``: each class's own ``__call__``, made by ``_applying`` (below the class).
    __call__: ClassVar[Callable[..., Tensor]]

    def _refuse_lone_constant(self, constant: Any) -> None:
        """A one-input op given no tensor: a Python number refused with PyTorch's TypeError
        (``torch.sin(0.5)``), a complex array as complex tensors are."""
        if type(constant) in _REAL_SCALARS:
            tensor_argument(self.public or type(self).__name__.lower(), constant)
        self._refuse_complex(constant)

    def refuse_half(self, dtype: Any) -> None:
        """PyTorch's error where ``dtype`` is float16 and its kernel has none
        (``half_missing``)."""
        dtypes.refuse_half(dtype, self.half_missing)

    def _refuse_complex(self, constant: Any) -> None:
        """A complex number or array given as a constant: refused, as complex tensors are."""
        if isinstance(constant, complex) or xp.iscomplexobj(constant):
            dtypes.refuse_complex(xp.result_type(constant), type(self).__name__.lower())

    def _wrapping_numbers(self, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
        """``(args, forward(*args))`` again after NumPy's OverflowError for a Python int that
        an integer array's dtype cannot hold, with the int wrapped into it as PyTorch casts it
        (``uint8 + 300`` adds 44); NumPy's error again where no int needed wrapping."""
        wrapped = dtypes.wrap_integer_operands(args)
        if wrapped is None:
            raise  # noqa: PLE0704 (called in the handler of that OverflowError)
        return wrapped, self.forward(*wrapped)

    def _mismatch(self, args: tuple[Any, ...]) -> RuntimeError:
        """The error for operands that do not broadcast (NumPy's names neither op nor shape)."""
        return broadcast.mismatch(type(self).__name__.lower(), [xp.shape(a) for a in args])

    # --- introspection --------------------------------------------------------------------
    # PyTorch's name for the node where it is not the class name + "Backward0"; ops whose name
    # depends on their inputs override ``name``, and functions that build an op under another
    # PyTorch name (``x.t()`` is a Permute, named ``TBackward0``) set it on the node.
    torch_name: ClassVar[str | None] = None

    def name(self) -> str:
        """PyTorch's name for the node, e.g. ``MulBackward0``, ``AddmmBackward0``."""
        return self.torch_name or self.default_name()

    def register_prehook(self, hook: Callable[[tuple[Any, ...]], Any]) -> RemovableHandle:
        """PyTorch's ``Node.register_prehook``: ``hook(grad_outputs)`` runs before the node's
        rule, with its output gradient (a 1-tuple); a tuple it returns replaces it.

            >>> import chainrule as cr
            >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * x
            >>> _ = y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
            >>> y.sum().backward()
            >>> x.grad
            tensor([20., 40.])
        """
        return self._add_hook(_NodeHook(hook, after_rule=False))

    def register_hook(self, hook: Callable[[tuple[Any, ...], tuple[Any, ...]], Any]) -> Any:
        """PyTorch's ``Node.register_hook``: ``hook(grad_inputs, grad_outputs)`` runs after the
        node's rule, with the gradients it gives its inputs (None for an input that needs
        none) and its output gradient; a tuple it returns replaces the input gradients."""
        return self._add_hook(_NodeHook(hook, after_rule=True))

    def _add_hook(self, hook: Any) -> RemovableHandle:
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = []
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def default_name(self) -> str:
        """The name from the op and its inputs (``PowBackward1`` for tensor ** tensor)."""
        return f"{type(self).__name__}Backward0"

    def label(self) -> str:
        """The explainer's name for the node: the op class, e.g. ``PermuteBackward0``."""
        return f"{type(self).__name__}Backward0"

    @classmethod
    def formula(cls) -> str:
        """The local derivatives as text, e.g. ``d/dx sin(x) = cos(x)``."""
        params = _parameter_names(cls)
        return "; ".join(
            f"d/d{p} {cls.notation} = {d}" for p, d in zip(params, cls.derivatives, strict=False)
        )

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The nodes feeding this one, as in PyTorch: ``(node, 0)`` per input, an
        ``AccumulateGrad`` for a leaf that requires grad, ``None`` for a constant."""
        return tuple(
            (
                (x._grad_fn or AccumulateGrad.of(x))
                if isinstance(x, Tensor) and x.requires_grad
                else None,
                0,
            )
            for x in self.inputs
            if not self.tensor_inputs_only or isinstance(x, Tensor)
        )

    # Whether ``next_functions`` lists only tensor inputs (PyTorch's ``x ** 2``), not a
    # ``None`` for a number too (its ``x * 2``).
    tensor_inputs_only: ClassVar[bool] = False
    # How PyTorch's node takes its inputs where chainrule's differ (see HookInputs): declared
    # by a family beside its ``next_functions``; None: chainrule's inputs, as they are.
    hook_inputs: ClassVar[HookInputs | None] = None
    # The index tensors (of a key, a gather...) and weights whose arrays the node keeps,
    # guarded with its inputs (ops.indexing.guard_indices): set on such a node alone.
    index_tensors: tuple[Tensor, ...] = ()

    def __dir__(self) -> list[str]:
        # The ``_saved_*`` properties are Op's (chainrule.autograd.saved puts them there, not
        # a ``__getattr__``, which would end CPython's specialised attribute reads of every
        # node): list those this node has, as PyTorch's node lists its own.
        return saved_names.dir_of(self, super().__dir__())

    def __repr__(self) -> str:  # the class name: "CopySlices", not "chainrule::autograd::..."
        return f"<{self.name().rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    @property
    def freed(self) -> bool:
        """Whether a backward without ``retain_graph`` has run through this node: its saved
        values are gone (``args`` None), or it guarded none (``versions`` None), and then runs
        again where its rules read nothing (see ``saves_nothing``)."""
        return self.args is None or self.versions is None

    def check_saved(self) -> None:
        """Raise if the graph was freed or a value the vjp reads was changed in place."""
        if self.freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )
        output = self.out_versions  # also the last of ``versions``
        for guard in self.versions:
            counter, stamp = guard
            if counter[0] != stamp and guard is not output:
                # an input, or an index tensor the node keeps (ops.indexing.guard_indices)
                what, changed = next(
                    (what, x)
                    for what, held in (
                        ("an input", self.inputs),
                        ("a tensor it keeps", self.index_tensors),
                    )
                    for x in held
                    if isinstance(x, Tensor) and x._vc is counter
                )
                made_by = changed._grad_fn
                self._raise_modified(
                    what, changed._data, made_by and made_by.name(), counter[0], stamp
                )
        if output is not None:
            counter, stamp = output
            if counter[0] != stamp:
                self._raise_modified("its output", self.out, self.name(), counter[0], stamp)

    def _raise_modified(
        self, what: str, value: Any, made_by: str | None, now: int, stamp: int, output: int = 0
    ) -> None:
        """PyTorch's words (the tensor's type and shape, and the node that last made it, of
        whose outputs it is number ``output``), then which of this node's saved values it was."""
        # PyTorch names the node without its "Backward0" ("output 0 of Exp"), or without its
        # "Backward" where another number follows ("TBackward1": "output 0 of T1")
        which = (
            f", which is output {output} of {_FORWARD_NAME.sub('', made_by)}," if made_by else ""
        )
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{dtypes.checked_type_name(value.dtype)} {list(value.shape)}]"
            f"{which} is at version {now}; expected version {stamp} instead. Hint: enable "
            "anomaly detection to find the operation that failed to compute its gradient, with "
            "chainrule.autograd.set_detect_anomaly(True, check_nan=False).\n"
            f"It is {what} of {self.name()}: clone it before changing it in place, or change it "
            "after backward."
        )

    def free(self) -> None:
        """Drop the saved values (after a backward without ``retain_graph``)."""
        self.args = None
        self.out = None


# Set by chainrule.autograd.saved when it loads: gives an op class made after that its
# ``_saved_*`` properties (it gives those of the classes made before itself).
install_saved_names: Callable[[type], None] | None = None

_FORWARD_NAME = re.compile(r"Backward(?:0$|(?=[0-9]*$))")


def _saving(cls: type[Op]) -> tuple[Any, ...]:
    """What recording guards for ``cls``, whether it may make views, takes numbers as NumPy
    operands, keeps its one input's shape, has a ``vjp_inplace`` and takes every shell uint
    dtype (see chainrule.shell_uints: then no operand's dtype is read), resolved once: each class
    attribute read from a node is a generic lookup, which CPython 3.11 does not specialise (one
    costs ~200 instructions)."""
    return (
        cls.saves_inputs,
        cls._guarded,
        cls.saves_output,
        cls.output_read_by,
        cls.is_view,
        cls.float_operands,
        cls.promotes,
        cls.one_shape,
        cls.vjp_inplace is not None,
        shell_uints.takes_all(cls.__name__),
    )


def _unsaved(cls: type[Op]) -> bool | frozenset[tuple[bool, ...]] | _NoneRead:
    """The ``needs`` patterns for which ``cls``'s rules read no input, output or state (what
    PyTorch's node then saves: nothing), from the guards' declarations: True for all of them,
    False for none.

        >>> from chainrule.ops.elementwise import Add, Exp, Mul
        >>> _unsaved(Add), _unsaved(Exp), (True, False) in _unsaved(Mul)
        (True, False, False)
    """
    if cls.saves_state or (cls.saves_output and cls.output_read_by is None):
        return False
    if not cls.saves_inputs and not cls.saves_output:
        return True
    if cls.reads is OTHER_FACTORS and not cls.saves_output:
        return _NoneRead(cls._guarded)
    if cls.saves_inputs and cls.reads is None:
        return False
    read_by = cls.output_read_by or ()
    n = max(len(cls.reads or ()), len(read_by))
    return frozenset(
        needs
        for length in range(1, n + 1)
        for needs in itertools.product((False, True), repeat=length)
        if not (cls.saves_inputs and cls._guarded.get(needs, True))
        and not any(need and read for need, read in zip(needs, read_by, strict=False))
    )


def saves_nothing(node: Op, needs: tuple[bool, ...]) -> bool:
    """Whether ``node``'s rules, giving the gradients ``needs`` asks for, read no saved value
    (an input, the output, an index kept on the node). PyTorch frees a node's saved tensors
    after a backward without ``retain_graph``, not the node: one that saved none runs again.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> plus = x + 1
        >>> saves_nothing((plus * x).grad_fn, (True, True)), saves_nothing(plus.grad_fn, (True,))
        (False, True)
    """
    if node.saves_state:
        return False
    if node.own_constants:
        # (the engine asks only of a node that guarded no tensor: its rules read no input
        # tensor, nor the output, only the constants its function made)
        return True
    unsaved = type(node)._unsaved
    if unsaved is False or (unsaved is not True and needs not in unsaved):
        return False
    # An index, a mask or a target among the node's settings is a tensor PyTorch's node
    # saves: ``x[[0, 1]]`` keeps its index, ``x[0:1]`` only sizes.
    settings = getattr(node, "__dict__", None)
    return not settings or not any(map(_is_index_setting, settings.values()))


def own_constants(build: Callable[..., Any]) -> Callable[..., Any]:
    """``build``, a function composed of ops, whose nodes read numbers, arrays and index
    settings that it makes itself from its parameters and its inputs' shapes (add's alpha,
    lerp's number weight, tril's mask, diag's positions, interpolate's weights): PyTorch's
    node for that function keeps them as numbers or sizes, and a backward frees no tensor
    of it. The nodes it records are marked (``Op.own_constants``): after a backward without
    ``retain_graph``, one whose rules read only such constants runs again, reading them as
    they are (they are kept, never replaced by stand-ins, see backward._unguarded_record).
    Input tensors stay saved values, whoever built the node: pass a constant as an array or
    a number, not as a Tensor.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> y = cr.add(x, x, alpha=2.0).sum()  # x + x * 2, the 2 add's own
        >>> y.backward(); y.backward()
        >>> x.grad
        tensor([6., 6.])
    """

    @functools.wraps(build)
    def building(*args: Any, **kwargs: Any) -> Any:
        start = next(_sequence)  # the nodes it records come after this
        result = build(*args, **kwargs)
        outputs = result if isinstance(result, tuple | list) else (result,)
        stack = [y._grad_fn for y in outputs if isinstance(y, Tensor)]
        while stack:
            node = stack.pop()
            record = getattr(node, "_record", None)
            if record is None or record[_RECORD_SEQ] <= start or node.own_constants:
                continue  # none, or made before (an input's history), or marked already
            node.own_constants = True
            stack.extend([x._grad_fn for x in record[0] if isinstance(x, Tensor)])
        return result

    return building


def _is_index_setting(value: Any) -> bool:
    """Whether a node's setting is (or a key holds) a Tensor, or an integer or bool array of
    one or more dimensions: an index, a mask, a target, which PyTorch keeps as a saved tensor
    (a number, a size, a float array kept for a view's identity are not)."""
    if type(value) is tuple or type(value) is list:
        return any(map(_is_index_setting, value))
    if type(value) is _ndarray:
        return value.ndim > 0 and value.dtype.kind in "iub"
    return isinstance(value, Tensor)


def _applying(saving: tuple[Any, ...]) -> Callable[..., Tensor]:
    """``Op.__call__``: applying an op, for a class whose ``_saving`` is ``saving``, which the
    body reads from its closure (one cell read). A class attribute read from the node
    (``self._saving``) is a generic lookup that CPython 3.11 never specialises (~200
    instructions); a keyword-only default, read when the call binds its arguments, costs the
    call ~150 instructions more than the cell (the per-op chain of
    ``benchmarks/bench_instructions.py``: 29,088 -> 28,955 per op)."""

    def __call__(self: Op, *inputs: Any) -> Tensor:
        # One and two inputs are unrolled: this runs once per operation, and the per-op
        # overhead is what users of small tensors feel (see benchmarks/bench_core.py).
        # ``saving`` is the class's ``_saving``, a cell of this copy's closure (see _applying).
        (
            saves_inputs,
            guarded,
            saves_output,
            read_by,
            may_view,
            float_operands,
            promotes,
            shaped,
            in_place,
            takes_uints,
        ) = saving
        if _vmap_anywhere and _here.births:  # under vmap, or in a run of its fallback
            if _here.vmap:  # inside vmap: batched inputs run the op's batching rule
                level = batching.batched_level(inputs)
                if level is not None:
                    return batching.apply(self, inputs, level)
            births = _here.births[-1]  # what is made under it (batching.note_change)
        else:
            births = None
        # A view whose base was changed in place first takes the base's new history
        # (``_view.stamp`` lags the shared version counter); plain tensors pay one check.
        n = len(inputs)
        narrow = None  # the dtype to round the result to, where it is computed wider
        if n == 1:
            (x,) = inputs
            if type(x) is Tensor or isinstance(x, Tensor):  # an exact type: one test
                if x._view is not None and x._view.stamp != x._vc[0]:
                    views.sync(x)
                args: tuple[Any, ...] = (x._data,)
                needs: tuple[bool, ...] = (True,) if x.requires_grad else (False,)  # no new tuple
                if args[0].dtype in _SHELL_UINTS_OR_HALF:
                    if args[0].dtype is dtypes.HALF:
                        self.refuse_half(dtypes.HALF)
                        if self.half_in_float32:
                            args, narrow, shaped = (args[0].astype(_F32),), dtypes.HALF, False
                    elif not takes_uints:
                        shell_uints.check(self, args)
            else:
                self._refuse_lone_constant(x)
                args, needs = inputs, (False,)
        elif n == 2:
            a, b = inputs
            # Each is told by its type first, a Tensor for ``a`` (the dunders' ``self``), a
            # number for ``b``: ``isinstance(0.5, Tensor)`` also reads the float's
            # ``__class__`` (~400 instructions), and an exact type is one test, no set lookup.
            if (ta := type(a)) is Tensor or (ta not in _REAL_SCALARS and isinstance(a, Tensor)):
                a_is = True
                if a._view is not None and a._view.stamp != a._vc[0]:
                    views.sync(a)
            else:
                a_is = False
                if ta not in _PY_NUMBERS:
                    if (number := dtypes.python_number(a)) is None:
                        self._refuse_complex(a)  # tensors are never complex (refused when made)
                    else:  # a NumPy scalar: weak, as a Python number
                        a, ta, inputs = number, type(number), (number, b)
            if (tb := type(b)) in _PY_NUMBERS:
                b_is = False
            elif b_is := tb is Tensor or isinstance(b, Tensor):
                if b._view is not None and b._view.stamp != b._vc[0]:
                    views.sync(b)
            elif (number := dtypes.python_number(b)) is None:
                self._refuse_complex(b)
            else:  # a NumPy scalar, as above
                b, tb, inputs = number, type(number), (a, number)
            a_data = a._data if a_is else a
            b_data = b._data if b_is else b
            if tb is float and a_is and float_operands:  # ``x * 0.5``
                shaped = True  # elementwise with a number: the output has ``a``'s shape and dtype
                # The cache hit inline: a call costs as much as the lookup itself.
                entry = _float_operands.get(b)
                if entry is not None and entry[0] is b and entry[1] is a_data.dtype:
                    b_data = entry[2]
                elif a_data.dtype is dtypes.HALF and self.half_opmath:  # (never kept)
                    b_data, narrow, shaped = _half_opmath(a_data, b)
                else:
                    b_data = _float_operand(b, a_data)
                    if b_data is b and a_data.dtype.kind != "b":  # an integer tensor
                        a_data, b_data = _in_default_float(a_data, b)
            elif ta is float and b_is and float_operands:  # ``1.0 - x``
                shaped = True  # the output has ``b``'s shape and dtype
                if b_data.dtype is dtypes.HALF and self.half_opmath:  # ``1e-8 * x``
                    a_data, narrow, shaped = _half_opmath(b_data, a)
                else:
                    a_data = _float_operand(a, b_data)
                    if a_data is a and b_data.dtype.kind != "b":
                        b_data, a_data = _in_default_float(b_data, a)
            elif b_is and a_is and promotes and a_data.dtype is not b_data.dtype:
                # two tensors of two dtypes: PyTorch's common dtype (a number needs none)
                if (
                    a_data.dtype is dtypes.HALF
                    and a_data.ndim
                    and not b_data.ndim
                    and self.half_opmath
                ):
                    b_data, narrow, shaped = _half_opmath(a_data, b_data)
                else:
                    a_data, b_data = dtypes.promote_operands(a_data, b_data, promotes == "float")
            elif tb is int and a_is and a_data.dtype is dtypes.HALF and self.half_opmath:
                b_data, narrow, shaped = _half_opmath(a_data, b)  # ``x * 3000``, in float32
            args = (a_data, b_data)
            # (a Python float operand makes PyTorch compute in float: every kernel takes that)
            if (
                not takes_uints
                and tb is not float
                and ta is not float
                and (
                    (a_is and a_data.dtype in _SHELL_UINTS)
                    or (b_is and b_data.dtype in _SHELL_UINTS)
                )
            ):
                shell_uints.check(self, args)
            if b_is:
                needs = (a_is and a.requires_grad, b.requires_grad)
            else:  # a number: one of two constant tuples, not a new one per call
                needs = (True, False) if a_is and a.requires_grad else (False, False)
        else:
            for x in inputs:
                if not isinstance(x, Tensor):
                    self._refuse_complex(x)
                elif x._view is not None and x._view.stamp != x._vc[0]:
                    views.sync(x)
            args = tuple([x._data if isinstance(x, Tensor) else x for x in inputs])
            needs = tuple([isinstance(x, Tensor) and x.requires_grad for x in inputs])
            # (a float first operand makes PyTorch compute in float: no call for the usual case)
            if not takes_uints and (type(args[0]) is not _ndarray or args[0].dtype.kind != "f"):
                shell_uints.check(self, args)
        try:  # spelled out for one and two inputs: a call with *args costs more
            if n == 2:
                out = self.forward(args[0], args[1])
            elif n == 1:
                out = self.forward(args[0])
            else:
                out = self.forward(*args)
        except ValueError as error:  # NumPy's broadcast failure names neither op nor tensors
            if "broadcast" not in str(error):
                raise
            raise self._mismatch(args) from None
        except OverflowError:  # a Python int outside an integer array's dtype (uint8 + 300)
            args, out = self._wrapping_numbers(args)
        if type(out) is not _ndarray:  # NumPy reductions return scalars; keep arrays
            out = xp.asarray(out)
        # The result is built inline, not through a helper call, for the same reason.
        result = _new(Tensor)
        result._data = out
        result._grad = None
        result._hooks = None
        # A view shares memory, and so the version counter, with its input (NumPy decides
        # whether a reshape could be a view; when it copied, the result stands alone). An empty
        # result shares no memory, but PyTorch's view of it is a view all the same: writing
        # into it still rebases the base's history (``x[0:0] = v`` gives v a zero gradient).
        if may_view and self.is_view and (_may_share(out, args[0]) or not out.size):
            result._vc = inputs[0]._vc
            info = result._view = View(inputs[0], self)
            if not _modes.enabled:  # (PyTorch words it otherwise inside inference_mode)
                info.creation = INFERENCE_VIEW if _modes.inference else "no_grad"
            if not info.base.requires_grad:
                watch(result)
        else:
            result._vc = [0]
            result._view = None
            if births is not None:
                births[id(result._vc)] = result._vc
        if narrow is not None:  # computed in float32: the result rounds once
            result._data, args, out = _rounded_once(self, inputs, args, out, narrow)
        if True in needs and _modes.enabled:
            # Record: keep what the rules need and become the result's grad_fn.
            self.needs = needs
            result.requires_grad = True
            result._grad_fn = self
            # The guards are set on every node, empty where nothing is read: the backward pass
            # checks them without first asking the class (an access CPython does not specialise).
            # ``versions`` holds them all, the output's last, so the pass reads one field;
            # ``out_versions`` names the output's for check_saved's message.
            versions: Any = ()
            self.out_versions = None
            if saves_inputs:
                if guarded is None:
                    versions = [(x._vc, x._vc[0]) for x in inputs if isinstance(x, Tensor)]
                elif len(indices := guarded[needs]) == 1:  # mul, div: one guard, no loop
                    x = inputs[indices[0]]
                    if type(x) not in _REAL_SCALARS and isinstance(x, Tensor):  # as above
                        versions = ((x._vc, x._vc[0]),)
                else:  # ``inputs`` read outside the comprehension: read inside, it and ``x``
                    # would be cells of this function, made anew on every call (~250 instructions)
                    versions = [
                        (x._vc, x._vc[0])
                        for x in map(inputs.__getitem__, indices)
                        if isinstance(x, Tensor)
                    ]
            if saves_output and (
                read_by is None or True in [n and r for n, r in zip(needs, read_by, strict=True)]
            ):
                guard = self.out_versions = (result._vc, result._vc[0])
                versions = (*versions, guard) if versions else (guard,)
            # ``shaped``: whether every gradient the vjp returns has its input's shape and
            # dtype (given a gradient of the output's dtype), known from the op and its
            # operands: the backward pass then skips the comparisons (see _Pass.run). Laid out
            # as _RECORD, written inline: a helper call costs more.
            self._record = (
                inputs,
                args,
                out,
                needs,
                shaped,
                next(_sequence),
                versions,
                None,
                in_place,
            )
            if packing:  # a saved_tensors_hooks block, or inference tensors about
                look = saved_hooks._open_anywhere and saved_hooks._blocks.open
                if not look:  # a loop here, not a call: a step makes no Python call more
                    for x in inputs:
                        if isinstance(x, Tensor) and type(x._vc) is InferenceCounter:
                            look = True
                            break
                if look:
                    _look_at_saved(self, result, inputs, versions)
        else:
            result.requires_grad = False
            result._grad_fn = None
            if may_view and result._view is not None:
                # PyTorch's view taken with recording off of a tensor that requires grad
                # requires grad too: a leaf without an accumulator, whose gradients go nowhere
                # (see backward's _Pass.finish)
                result.requires_grad = inputs[0].requires_grad
            elif grad_mode.inference_seen and _modes.inference:  # made in inference_mode()
                result._vc = InferenceCounter(_ZERO)
                if births is not None:
                    births[id(result._vc)] = result._vc
        if anomaly.enabled:  # off by default: this flag check is all it costs
            anomaly.on_forward(self, result._data, args, result._grad_fn is self)
        if _dual_anywhere and _here.dual:  # forward mode: tangents ride along (autodiff/forward.py)
            forward.propagate(self, inputs, args, result)
        return result

    return __call__


Op._saving = _saving(Op)
Op.__call__ = _applying(Op._saving)  # type: ignore[misc]

_ZERO = (0,)  # an inference tensor's first version
# The ops whose Python number operand PyTorch wraps as a (normal) tensor, so that its autograd
# records them even where every tensor operand is an inference tensor (``w * 2``, not ``w ** 2``)
_WRAPS_NUMBERS = frozenset(("Add", "Sub", "Mul", "Div", "Remainder", "Fmod"))


def _look_at_saved(node: Op, result: Tensor, inputs: tuple[Any, ...], versions: Any) -> None:
    """What ``Op.__call__`` does with a node it has just recorded where ``packing`` is set
    and an input is an inference tensor or a ``saved_tensors_hooks`` block is open: PyTorch's
    rules for inference tensors, then, inside the block, the packing of the values the rules
    read.

    Where every operand is an inference tensor (one that requires grad, made so inside
    ``inference_mode()``), PyTorch's autograd does not see the op: the result records nothing.
    Else an inference tensor among the values the rules read (the guarded ones, what PyTorch
    saves) is refused: ``x * t`` saves ``t`` for ``x``'s gradient, ``x + t`` saves nothing.

        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.inference_mode():
        ...     t = cr.ones(2)
        >>> (x + t).requires_grad
        True
        >>> x * t  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Inference tensors cannot be saved for backward. Please do not use ...
    """
    if grad_mode.inference_seen:
        for x in inputs:
            if isinstance(x, Tensor):
                if type(x._vc) is not InferenceCounter:
                    break
            elif type(x) in _PY_NUMBERS and type(node).__name__ in _WRAPS_NUMBERS:
                break
        else:  # inference tensors alone: no graph (a view of one stays one)
            result.requires_grad = False
            result._grad_fn = None
            return
        for counter, _ in versions:
            if type(counter) is InferenceCounter:
                raise RuntimeError(SAVED_INFERENCE)
        for x in inputs:  # an index or a target, which the node keeps as its state
            if (
                isinstance(x, Tensor)
                and type(x._vc) is InferenceCounter
                and x._data.dtype.kind in "biu"
                and not saves_nothing(node, node.needs)
            ):
                raise RuntimeError(SAVED_INFERENCE)
    if saved_hooks._open_anywhere and saved_hooks._blocks.open:
        saved_hooks.pack(node, result)


def repack() -> None:
    """Set ``packing`` from what asks for it now: a ``saved_tensors_hooks`` block open in some
    thread, or ``inference_mode()`` entered once (``grad_mode.inference_seen``: from then on
    recorded nodes are looked at for inference tensors, see _look_at_saved). Called after
    either changes, under a lock: two threads switching at once cannot leave it False while a
    block is open (its hooks would be skipped) or after inference mode was seen."""
    global packing
    with _repacking:
        packing = bool(saved_hooks._open_anywhere) or grad_mode.inference_seen


_repacking = threading.Lock()


# Python floats met as operands of tensors: (float, the array's dtype, the operand to pass for
# it). Keyed by the float, an entry is used only for that very float object (``entry[0] is``):
# 0.0 and -0.0 are one key. A float's hash costs less than ``id()``, whose new int the lookup
# then compares with the key's (~200 instructions a lookup: two of three ops of the per-op chain).
_float_operands: dict[float, tuple[float, Any, Any]] = {}
_FLOAT_OPERANDS_KEPT = 64


def _in_default_float(array: Any, value: float) -> tuple[Any, Any]:
    """An integer ``array`` and a Python float, both in the default float dtype: PyTorch
    computes ``int_tensor * 1.1`` (or ``== 16777216.0``) in float32, not in float64 as NumPy
    would (which rounds differently past 2**24: ``16777217 % 2.5`` is 1.0 there, not 2.0).

        >>> import numpy as np
        >>> [a.dtype for a in _in_default_float(np.array([16777217]), 2.5)]
        [dtype('float32'), dtype('float32')]
    """
    want = dtypes.default_float
    return array.astype(want), xp.array(value, want)


def _float_operand(value: float, like: Any) -> Any:
    """``value`` as a 0-d array of ``like``'s dtype where that is a float dtype, made once per
    constant (``x * 0.5`` in a loop meets the same float object each time); else ``value``.

    The values and dtype are NumPy's for the float: it converts a Python float to the array's
    dtype too, but on every call, which costs as much as the arithmetic on a small array.
    PyTorch's promotion agrees: a Python float keeps a float tensor's dtype. Integer arrays keep
    the float (the caller computes both in the default float dtype, :func:`_in_default_float`);
    beside a bool array it is a 0-d array of the default float dtype.

        >>> import numpy as np
        >>> _float_operand(0.5, np.ones(2, np.float32))
        array(0.5, dtype=float32)
    """
    dtype = like.dtype
    entry = _float_operands.get(value)  # Op.__call__ tries this hit inline for ``x * c``
    if entry is not None and entry[0] is value and entry[1] is dtype:
        return entry[2]
    if dtype.kind in "iu":  # not kept: a hit would pass the float beside the integer array
        return value  # as it is, where the caller computes both in the default float dtype
    if len(_float_operands) >= _FLOAT_OPERANDS_KEPT:  # floats computed anew each time: a bound
        _float_operands.clear()
    if dtype.kind == "b":  # not kept: the default dtype may change
        # PyTorch reads the number in the default float dtype (``False * 1e40`` is nan, as
        # 0 * inf); the array stays bool, for the ops' own checks (sub refuses a bool)
        with xp.errstate(over="ignore"):  # 1e40 is float32's inf, without NumPy's warning
            return xp.array(value, dtypes.default_float)
    if dtype is dtypes.HALF:  # not kept: mul and div read it in float32 (_half_opmath)
        with xp.errstate(over="ignore"):  # 70000.0 is float16's inf, as in PyTorch
            return xp.array(value, dtype)
    operand = xp.array(value, dtype)
    operand.flags.writeable = False  # shared by every node that reads this constant
    _float_operands[value] = (value, dtype, operand)
    return operand


def _half_opmath(half: Any, other: Any) -> tuple[Any, Any, bool]:
    """For an op of ``half_opmath`` on a float16 array ``half`` and a number (or a 0-d array beside
    a dimensioned ``half``) ``other``, as ``Op.__call__`` sets them: ``other`` in float32, the
    dtype to round the float32 result to, and False for ``shaped`` (a gradient computed beside
    ``other`` is float32 too: the backward pass rounds it to its input's dtype)."""
    return dtypes.half_opmath_operand(half, other), dtypes.HALF, False


def _rounded_once(
    op: Op, inputs: tuple[Any, ...], args: tuple[Any, ...], out: Any, narrow: Any
) -> tuple[Any, tuple[Any, ...], Any]:
    """For an op computed in float32 from float16 operands (``half_in_float32``,
    ``half_opmath``): the result rounded to ``narrow``, and the arguments and output its rules
    read. Those are the float32 values and the rounded result in float32 where PyTorch's
    backward is one float32 kernel (``half_rules_in_float32``), else the float16 ones. A
    result that is not float32 (an index, a bool) is the op's own and stays as it is."""
    if out.dtype is not _F32:
        return out, args, out
    rounded = out.astype(narrow)
    if op.half_rules_in_float32:
        return rounded, args, rounded.astype(_F32)
    return rounded, tuple([x._data if isinstance(x, Tensor) else x for x in inputs]), rounded


def _own_call(saving: tuple[Any, ...]) -> Any:
    """``Op.__call__`` as a function of its own, over a copy of its code, for one op class
    whose ``_saving`` is ``saving``.

    CPython (3.11+) specialises each attribute access in a function's code for the type it
    meets there, and falls back to a generic lookup while the types vary. One shared
    ``Op.__call__`` meets every op class, so its writes to the node (``self.inputs = ...``) and
    the ``self.forward`` lookup stay generic; each class calling its own copy keeps them
    specialised (the per-op chain of ``benchmarks/bench_instructions.py``: -1.1k of 35.6k
    instructions per op). The copy is the same function: ``__wrapped__`` names it.

    The class's ``_saving`` is the copy's closure cell (see _applying).
    """
    shared = Op.__call__
    code = shared.__code__.replace()  # a new code object: its own inline caches
    cell = (types.CellType(saving),)
    call = types.FunctionType(code, shared.__globals__, shared.__name__, None, cell)
    call.__qualname__ = shared.__qualname__
    call.__doc__ = shared.__doc__
    call.__wrapped__ = shared  # type: ignore[attr-defined]
    return call


def run(op: Op, *args: Any) -> Any:
    """Run ``op`` on arrays (plain backward: an array back), or record it when given Tensors
    (rules under ``create_graph`` or nested forward mode, which differentiate it again)."""
    for a in args:
        if isinstance(a, Tensor):
            return op(*args)
    return op.forward(*args)


# ----------------------------------------------------------------------------- rule families
class Linear(Op, abstract=True):
    """An op linear in its inputs together (``f(a + b) = f(a) + f(b)``): sums, means, shape
    and indexing ops, ``neg``. Forward mode is the forward itself applied to the tangents, an
    input without a tangent contributing zeros (JAX's ``deflinear``, PyTorch's ``auto_linear``).

        >>> import chainrule as cr
        >>> _, t = cr.func.jvp(lambda x: x.sum(0), (cr.ones(2, 2),), (cr.eye(2),))
        >>> t
        tensor([1., 1.])
    """

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> Any:
        if len(args) == 1:
            return self.reapply(tangents[0])
        return self.reapply(
            *[_zero(a) if t is None else t for t, a in zip(tangents, args, strict=True)]
        )


def _zero(value: Any) -> Any:
    """The tangent of an input that has none: zeros, for a float value; an integer or bool
    input (an index, a mask) is a setting of the linear map, passed unchanged."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0 * value
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind != "f":
        return value
    from chainrule.ops import dual  # the ops build on this module, not the other way round

    return dual.zeros_like(value)


class Bilinear(Op, abstract=True):
    """An op linear in each of its first ``factors`` inputs separately, a product: ``mul``,
    ``matmul``, ``einsum`` (every input a factor), the linear layer and the convolution (with
    a bias added after). Forward mode is the product rule, the forward once per tangent with
    that tangent in its input's place, plus ``bias_tangent`` for the bias (JAX's
    ``defbilinear``).

        >>> import chainrule as cr
        >>> a, b = cr.tensor([2.0]), cr.tensor([3.0])
        >>> cr.func.jvp(lambda a, b: a * b, (a, b), (cr.ones(1), cr.ones(1)))[1]  # b + a
        tensor([5.])
    """

    factors: ClassVar[int | None] = None  # None: every input is a factor

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> Any:
        n = len(args) if self.factors is None else self.factors
        rest = (None,) * (len(args) - n)  # the bias left out of the products
        total = None
        for i in range(n):
            if tangents[i] is not None:
                term = self.reapply(*args[:i], tangents[i], *args[i + 1 : n], *rest)
                total = term if total is None else total + term
        for t in tangents[n:]:
            if t is not None:
                term = self.bias_tangent(t)
                total = term if total is None else total + term
        return total

    def bias_tangent(self, t: Any) -> Any:
        """The output's tangent from the bias's: the bias broadcast as the forward adds it."""
        return t


class Constant(Op, abstract=True):
    """An op whose result carries no gradient, though it steers what does: comparisons,
    arg-max indices. As in PyTorch, the result has ``requires_grad=False`` and ``grad_fn``
    None, so backward never reaches it, and it has no tangent; but when an input requires grad
    the node is kept as the result's source (:func:`chainrule.graph.source`), so a reader of
    the graph (:func:`chainrule.graph.steps`) sees every step.

        >>> import chainrule as cr
        >>> from chainrule import graph
        >>> x = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> mask = x > 0
        >>> mask.grad_fn is None, type(graph.source(mask)).__name__
        (True, 'Compare')
    """

    saves_inputs = False

    def vjp(self, g: Any, out: Any, *args: Any) -> tuple[None, ...]:
        return (None,) * len(args)  # never asked: nothing is recorded for backward

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> None:
        return None  # never asked: the result gets no tangent

    def __call__(self, *inputs: Any) -> Tensor:
        if _vmap_anywhere and _here.vmap:
            level = batching.batched_level(inputs)
            if level is not None:
                return batching.apply(self, inputs, level)
        args = tuple([_value(x) for x in inputs])
        for i, (x, a) in enumerate(zip(inputs, args, strict=True)):
            if x is a and type(a) not in _PY_NUMBERS:
                if (number := dtypes.python_number(a)) is None:
                    self._refuse_complex(a)  # tensors are never complex (refused when made)
                else:  # a NumPy scalar: the Python number PyTorch reads (as in Op.__call__)
                    inputs = (*inputs[:i], number, *inputs[i + 1 :])
                    args = (*args[:i], number, *args[i + 1 :])
        if self.promotes and len(args) == 2:  # as in Op.__call__: two tensors' common dtype
            a, b = args
            if a is not inputs[0] and b is not inputs[1] and a.dtype is not b.dtype:
                args = dtypes.promote_operands(a, b, self.promotes == "float")
            elif type(b) is float and type(a) is _ndarray and a.dtype.kind in "iu":
                args = _in_default_float(a, b)  # as in Op.__call__: compared in float32
            elif type(a) is float and type(b) is _ndarray and b.dtype.kind in "iu":
                args = _in_default_float(b, a)[::-1]
        for a in args:  # a shell uint: does PyTorch's kernel take it (chainrule.shell_uints)?
            if type(a) is _ndarray and a.dtype in _SHELL_UINTS:
                shell_uints.check(self, args)
                break
        try:
            result = _make(xp.asarray(self.forward(*args)))
        except ValueError as error:  # as in Op.__call__
            if "broadcast" not in str(error):
                raise
            raise self._mismatch(args) from None
        except OverflowError:  # as in Op.__call__
            result = _make(xp.asarray(self._wrapping_numbers(args)[1]))
        if _modes.enabled and True in [_steered(x) for x in inputs]:
            # A record for the graph's readers (no rule runs): laid out as _RECORD.
            self._record = (inputs, args, None, None, None, next(_sequence), (), None, False)
            graph.keep_source(result, self)
        return result


class NotImplementedDerivative(Op, abstract=True):
    """PyTorch's ``NotImplemented`` node, for an op PyTorch gives no derivative (heaviside,
    floor_divide, histogram): its float result requires grad, and backward (or forward mode)
    through it raises PyTorch's error. Applied by :func:`without_derivative` to the value,
    computed before, and the tensors that require grad (its edges). Not in the registry: there
    is no rule to check.

        >>> import chainrule as cr
        >>> y = cr.heaviside(cr.tensor([1.0], requires_grad=True), cr.tensor([0.5]))
        >>> y.requires_grad, y.grad_fn.name()
        (True, 'chainrule::autograd::NotImplemented')
        >>> y.sum().backward()
        Traceback (most recent call last):
        ...
        RuntimeError: derivative for aten::heaviside is not implemented
    """

    torch_name = "chainrule::autograd::NotImplemented"
    saves_inputs = False

    def __init__(self, aten: str) -> None:
        self.aten = aten

    def forward(self, value, *tensors):
        return value

    def vjp(self, g: Any, out: Any, *args: Any) -> tuple[Any, ...]:
        raise RuntimeError(f"derivative for aten::{self.aten} is not implemented")

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> Any:
        raise no_forward_derivative(self.aten)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return Op.next_functions.fget(self)[1:]  # the edges: not the value


class FormulaNotImplemented(NotImplementedDerivative, abstract=True):
    """PyTorch's node for an op whose derivative formula it leaves ``not_implemented``
    (geqrf): named ``<Op>Backward0``, its backward and its forward mode raise PyTorch's
    NotImplementedError, in PyTorch's words.

        >>> import chainrule as cr
        >>> a, tau = cr.geqrf(cr.eye(2, requires_grad=True) * 2)
        >>> a.grad_fn.name()
        'GeqrfBackward0'
        >>> a.sum().backward()
        Traceback (most recent call last):
        ...
        NotImplementedError: the derivative for 'geqrf' is not implemented.
    """

    def name(self) -> str:
        return f"{self.aten.capitalize()}Backward0"

    def vjp(self, g: Any, out: Any, *args: Any) -> tuple[Any, ...]:
        raise NotImplementedError(f"the derivative for '{self.aten}' is not implemented.")

    def jvp(self, tangents: tuple[Any, ...], out: Any, *args: Any) -> Any:
        raise NotImplementedError(
            f"Trying to use forward AD with {self.aten} that does not support it because it "
            "has not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so "
            "that we can prioritize its implementation."
        )


def no_forward_derivative(aten: str) -> NotImplementedError:
    """PyTorch's refusal of forward mode through ``aten``, an op with no derivative. The error
    keeps the name (its ``aten``): an in-place kernel (``heaviside_``) raises it again under
    its own name (see ops.inplace.apply)."""
    error = NotImplementedError(
        f"Trying to use forward AD with aten::{aten} that does not support it."
    )
    error.aten = aten  # type: ignore[attr-defined]
    return error


def without_derivative(
    aten: str, compute: Callable[..., Any], *inputs: Any, formula: bool = False
) -> Any:
    """``compute(*inputs)`` (a Tensor, or a tuple of them) for an op PyTorch has no derivative
    for, its name there ``aten``: each float result gets a NotImplementedDerivative node where
    an input requires grad or carries a tangent, and is computed without recording. With
    ``formula``, a FormulaNotImplemented node (an op whose formula PyTorch leaves out).

        >>> import chainrule as cr
        >>> x = cr.tensor([3.0], requires_grad=True)
        >>> without_derivative("floor_divide", lambda a: a // 2, x).grad_fn.name()
        'chainrule::autograd::NotImplemented'
    """
    dual = bool(_dual_anywhere and _here.dual)
    edges = [
        x
        for x in inputs
        if isinstance(x, Tensor)
        and (x.requires_grad or (dual and x.is_floating_point()))  # (vmap's too)
    ]
    if not edges or not (_modes.enabled or dual):
        return compute(*inputs)
    with grad_mode.no_grad():
        value = compute(*inputs)
    node = FormulaNotImplemented if formula else NotImplementedDerivative
    if isinstance(value, Tensor):
        return _no_derivative(node(aten), value, edges)
    return type(value)(*[_no_derivative(node(aten), v, edges) for v in value])


def _no_derivative(node: NotImplementedDerivative, value: Tensor, edges: list[Tensor]) -> Tensor:
    if not value.is_floating_point():  # an integer result never requires grad
        return value
    return node(value, *edges)


def _value(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _steered(x: Any) -> bool:
    """Whether ``x`` requires grad or was computed from values that do (``~(x > 0)``)."""
    return isinstance(x, Tensor) and (x.requires_grad or graph.source(x) is not None)


def named(result: Tensor, name: str) -> Tensor:
    """Give ``result``'s node PyTorch's name for the function that made it (if recorded)."""
    if result._grad_fn is not None:
        result._grad_fn.torch_name = name
    return result


class _NodeHook:
    """A hook of a node (``Op.register_prehook``/``register_hook``) in the node's list of
    gradient hooks, beside the output tensor's: a pre-hook is called there like a tensor hook
    (with the gradient, which it may replace), a post-hook (``after_rule``) after the rule,
    by the backward pass (see ``backward._run_post_hooks``)."""

    def __init__(self, hook: Callable[..., Any], after_rule: bool) -> None:
        self.hook = hook
        self.after_rule = after_rule
        self.__name__ = getattr(hook, "__name__", type(hook).__name__)

    def __call__(self, g: Tensor) -> Tensor | None:
        result = self.hook((g,))
        return None if result is None else result[0]


class HookInputs:
    """How PyTorch's node for an op takes its inputs, where chainrule's node takes others (a
    number, a mask or indices that PyTorch keeps as no input, another order, a transposed
    weight, a fused reshape around a kernel): a post-hook (``Op.register_hook``) is given one
    gradient per PyTorch input, in ``next_functions``' order, and the tuple it returns is
    mapped back onto chainrule's inputs, so that it changes the gradients it changes in
    PyTorch. An op family declares one as ``Op.hook_inputs``, beside its ``next_functions``;
    only the backward pass's ``_run_post_hooks`` reads it, so nodes without hooks pay nothing.

    >>> import chainrule as cr
    >>> x = cr.ones(2, requires_grad=True)
    >>> y, seen = x ** 2, []
    >>> _ = y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
    >>> y.sum().backward()
    >>> seen  # PyTorch's PowBackward0 takes x alone, not the exponent
    [1]
    """

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        """PyTorch's ``grad_inputs`` from chainrule's (``grads``: one per input, in its
        shape, None where none) and the output gradient ``g``."""
        raise NotImplementedError

    def absorb(
        self,
        node: Op,
        given: tuple[Any, ...],
        grads: tuple[Any, ...],
        rule: Callable[[Any], tuple[Any, ...]],
    ) -> tuple[Any, ...]:
        """chainrule's gradients where a hook returned ``given`` in place of the presented
        ones (``grads``: the rule's; ``rule(g)``: the rule run again on another output
        gradient, its gradients as ``grads``)."""
        raise NotImplementedError

    @staticmethod
    def rerun(
        node: Op,
        given: tuple[Any, ...],
        grads: tuple[Any, ...],
        rule: Callable[[Any], tuple[Any, ...]],
    ) -> tuple[Any, ...]:
        """:meth:`absorb` where PyTorch's node takes one gradient, that of the whole product
        (a view of chainrule's output: a matmul's, a batched linear's): the rule run again on
        the one the hook returned, the rule's own gradients where it returned None."""
        (product,) = given
        return grads if product is None else rule(product.reshape(node.out.shape))


class Picked(HookInputs):
    """PyTorch's inputs are some of chainrule's: ``order(node)`` gives their indices, in
    PyTorch's order; the others (numbers, masks, indices) are no input of PyTorch's node."""

    def __init__(self, order: Callable[[Op], tuple[int, ...]]) -> None:
        self.order = order

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        return tuple(grads[i] for i in self.order(node))

    def absorb(
        self,
        node: Op,
        given: tuple[Any, ...],
        grads: tuple[Any, ...],
        rule: Callable[[Any], tuple[Any, ...]],
    ) -> tuple[Any, ...]:
        merged = list(grads)
        for i, new in zip(self.order(node), given, strict=False):
            merged[i] = new
        return tuple(merged)


def inputs(*indices: int) -> Picked:
    """PyTorch's node takes chainrule's inputs ``indices``, in that order."""
    return Picked(lambda node: indices)


def tensor_inputs(node: Op, among: Any = None) -> tuple[int, ...]:
    """The indices of ``node``'s tensor inputs (of those ``among``, where given)."""
    given = node.inputs
    return tuple(
        i
        for i in range(len(given))
        if isinstance(given[i], Tensor) and (among is None or i in among)
    )


def numbers_last(node: Op) -> tuple[int, ...]:
    """The tensor inputs, then the numbers: PyTorch's ``2 * x`` is ``x.mul(2)``."""
    tensors = tensor_inputs(node)
    return tensors + tuple(i for i in range(len(node.inputs)) if i not in tensors)


# PyTorch's node takes the tensor inputs alone (``x ** 2``'s takes x; ``2 - x``'s, x).
TENSOR_INPUTS = Picked(tensor_inputs)


class AccumulateGrad:
    """The node that stores a leaf's gradient in ``.grad``, as PyTorch shows it in
    ``next_functions``; one per leaf while in use (``variable`` is the leaf).

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0], requires_grad=True)
    >>> (node, index), = (x * x).grad_fn.next_functions[:1]
    >>> node.name(), node.variable is x, node.next_functions
    ('chainrule::autograd::AccumulateGrad', True, ())
    """

    _live: weakref.WeakValueDictionary[int, AccumulateGrad] = weakref.WeakValueDictionary()
    next_functions: tuple[()] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @classmethod
    def of(cls, leaf: Tensor) -> AccumulateGrad:
        # Keyed by id: a live node keeps its leaf alive, so the id is not reused meanwhile.
        node = cls._live.get(id(leaf))
        if node is None:
            node = cls._live[id(leaf)] = cls(leaf)
        return node

    def name(self) -> str:
        return "chainrule::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Presented:
    """A node of PyTorch's graph that a fused chainrule op stands for without running it (the
    ``TBackward0`` over a Linear layer's weight), shown in ``next_functions`` so that printed
    walks match PyTorch's; the engine never sees it.

    >>> import chainrule as cr
    >>> w = cr.ones(2, 3, requires_grad=True)
    >>> out = cr.nn.functional.linear(cr.ones(1, 3), w)
    >>> [node and node.name() for node, _ in out.grad_fn.next_functions]
    [None, 'TBackward0']
    >>> out.grad_fn.next_functions[1][0].next_functions[0][0].variable is w
    True
    """

    def __init__(self, name: str, next_functions: tuple[tuple[Any, int], ...]) -> None:
        self._name = name
        self.next_functions = next_functions

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"


def presented(op: Op, build: Callable[[tuple], tuple]) -> tuple[tuple[Any, int], ...]:
    """``op``'s ``next_functions`` as PyTorch's graph has them, ``build`` making them (its
    ``Presented`` nodes) from the edges to the inputs' nodes. Built on a read and kept while
    those edges stay the same, so that the nodes keep their identity between reads."""
    raw = Op.next_functions.fget(op)
    cached = op.__dict__.get("_presented")
    if cached is None or cached[0] != raw:
        op._presented = cached = (raw, build(raw))
    return cached[1]


def _parameter_names(cls: type[Op]) -> tuple[str, ...]:
    code = cls.forward.__code__
    return code.co_varnames[1 : code.co_argcount]


# The view rules are Ops themselves (so they import this module); a stale view is rare.
views = import_later(globals(), "chainrule.ops.views")
broadcast = import_later(globals(), "chainrule.ops.broadcast")
saved_hooks = import_later(globals(), "chainrule.autograd.graph")
saved_names = import_later(globals(), "chainrule.autograd.saved")
