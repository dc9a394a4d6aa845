"""The rest of ``torch.func`` under ``cr.func``: stack_module_state,
replace_all_batch_norm_modules_, functionalize, debug_unwrap, rearrange and jvp's ``strict``,
each against PyTorch's (values, errors), and every name with its parameters; and what the
tutorials (``test_func_tutorials.py``) needed beside them: Jacobians with
respect to pytrees, einsum's repeated indices, ``cr.vmap``, ``cr.backends.cudnn.flags`` and the
meta device (``module.to("meta")``).

Each check is written once as a function of the library module (``torch`` or ``chainrule``)
and run with both.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = (torch, cr)


def outcome(f: Callable[[], Any]) -> Any:
    """What ``f()`` returns, its tensors as :class:`Values` (pytrees kept), or its exception's
    type and the first line of its message."""
    try:
        return _values(f())
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever it is
        return (type(e).__name__, str(e).split("\n")[0])


class Values:
    """A tensor's dtype, shape, values and requires_grad, equal to another's where they are
    close."""

    def __init__(self, x: Any) -> None:
        self.array = x.detach().numpy()
        self.dtype = str(x.dtype).split(".")[-1]
        self.requires_grad = x.requires_grad

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Values)
            and (self.dtype, self.array.shape, self.requires_grad)
            == (other.dtype, other.array.shape, other.requires_grad)
            and np.allclose(self.array, other.array, rtol=1e-5, atol=1e-6)
        )

    def __repr__(self) -> str:
        return f"Values({self.dtype}, {self.array.tolist()}, requires_grad={self.requires_grad})"


def _values(x: Any) -> Any:
    if isinstance(x, torch.Tensor | cr.Tensor):
        return Values(x)
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_values(v) for v in x)
    return x


def assert_same(check: Callable[[Any], Any]) -> Any:
    """``check(torch)`` and ``check(chainrule)`` have the same outcome; chainrule's returned."""
    theirs, ours = (outcome(lambda lib=lib: check(lib)) for lib in LIBS)
    assert ours == theirs
    return ours


# ----------------------------------------------------------------------------- stack_module_state
def _linears(lib: Any, n: int = 3, **kwargs: Any) -> list[Any]:
    lib.manual_seed(0)
    return [lib.nn.Linear(3, 2, **kwargs) for _ in range(n)]


def test_stack_module_state_stacks_parameters_as_new_leaves_and_buffers_by_name() -> None:
    def check(lib: Any) -> Any:
        params, buffers = lib.func.stack_module_state(_linears(lib))
        leaves = [(p.is_leaf, p.grad_fn) for p in params.values()]
        lib.manual_seed(0)
        norms = [lib.nn.BatchNorm1d(2) for _ in range(2)]
        norms[1](lib.randn(4, 2))  # different running statistics
        return params, buffers, leaves, lib.func.stack_module_state(norms)

    params, *_ = assert_same(check)
    assert list(params) == ["weight", "bias"]


@pytest.mark.parametrize(
    "case",
    ["module_list", "frozen", "no_grad", "shared", "submodules", "empty", "one_model"],
)
def test_stack_module_state_takes_what_pytorch_takes(case: str) -> None:
    def check(lib: Any) -> Any:
        stack = lib.func.stack_module_state
        if case == "module_list":
            return stack(lib.nn.ModuleList(_linears(lib)))
        if case == "frozen":  # parameters that require no grad stay so
            return stack([m.requires_grad_(False) for m in _linears(lib)])
        if case == "no_grad":  # the stacked leaves require grad where the models' do
            with lib.no_grad():
                return stack(_linears(lib))
        if case == "shared":  # a parameter under two names is stacked once, as a state dict
            lib.manual_seed(0)
            nets = [lib.nn.Sequential(lib.nn.Linear(2, 2)) for _ in range(2)]
            for net in nets:
                net.append(net[0])
            return stack(nets)
        if case == "submodules":
            lib.manual_seed(0)
            return stack([lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU()) for _ in "ab"])
        if case == "empty":
            return stack([lib.nn.ReLU(), lib.nn.ReLU()])
        return stack(_linears(lib, 1))

    assert_same(check)


@pytest.mark.parametrize(
    "case", ["none", "modes", "classes", "shapes", "requires_grad", "missing", "one_module"]
)
def test_stack_module_state_refuses_as_pytorch(case: str) -> None:
    def check(lib: Any) -> Any:
        models = _linears(lib, 2)
        if case == "none":
            models = []
        elif case == "modes":
            models[1].eval()
        elif case == "classes":
            models[1] = lib.nn.ReLU()
        elif case == "shapes":
            models[1] = lib.nn.Linear(2, 2)
        elif case == "requires_grad":
            models[1].bias.requires_grad_(False)
        elif case == "missing":
            models[1] = lib.nn.Linear(3, 2, bias=False)
        elif case == "one_module":
            models = models[0]
        return lib.func.stack_module_state(models)

    assert isinstance(assert_same(check), tuple)


# ----------------------------------------------------------------------------- batch norm
def _net(lib: Any) -> Any:
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(3, 4),
        lib.nn.BatchNorm1d(4),
        lib.nn.Sequential(lib.nn.BatchNorm1d(4, affine=False)),
        lib.nn.BatchNorm1d(4, track_running_stats=False),
    )


def test_replace_all_batch_norm_modules_drops_running_statistics_in_place() -> None:
    def check(lib: Any) -> Any:
        net = _net(lib)
        found = lib.func.replace_all_batch_norm_modules_(net)
        norms = [m for m in net.modules() if isinstance(m, lib.nn.BatchNorm1d)]
        state = [
            (m.running_mean, m.running_var, m.num_batches_tracked, m.track_running_stats)
            for m in norms
        ]
        return found is net, state, list(net.state_dict()), repr(net).replace("chainrule", "")

    assert_same(check)


def test_after_replace_all_batch_norm_modules_vmap_normalizes_each_example_by_its_batch() -> None:
    def check(lib: Any, replace: bool, train: bool) -> Any:
        net = _net(lib).train(train)
        if replace:
            lib.func.replace_all_batch_norm_modules_(net)
        return lib.func.vmap(net)(lib.randn(3, 5, 3))

    for train in (True, False):
        assert_same(lambda lib, train=train: check(lib, True, train))
    refused = assert_same(lambda lib: check(lib, False, True))  # the running stats' refusal
    assert refused[0] == "RuntimeError" and "running_mean" in refused[1]


def test_replace_all_batch_norm_modules_leaves_instance_norms_and_takes_a_bare_norm() -> None:
    def check(lib: Any) -> Any:
        instance = lib.nn.InstanceNorm1d(3, track_running_stats=True)
        bare = lib.nn.BatchNorm1d(3)
        done = [lib.func.replace_all_batch_norm_modules_(m) for m in (instance, bare)]
        return [m.track_running_stats for m in done], list(instance.state_dict())

    assert_same(check)
    assert_same(lambda lib: lib.func.replace_all_batch_norm_modules_(3))


# ----------------------------------------------------------------------------- functionalize
def _mutates_its_input(a: Any) -> Any:
    b = a.view(-1)
    b.add_(1)
    return a, a[0] * 2


def _mutates_an_intermediate(a: Any) -> Any:
    b = a.sin()
    b[0] = 7.0
    b.mul_(a)
    return b.sum()


def _functionalized_or_func(lib: Any) -> Callable[..., Any]:
    """chainrule's functionalize; for PyTorch, func itself, which its functionalize promises to
    equal: run eagerly, it cannot differentiate the ``copy_`` that ``b[0] = 7.0`` becomes
    ("derivative for aten::copy is not implemented")."""
    if lib is cr:
        return cr.func.functionalize
    return lambda func, remove="mutations": func


@pytest.mark.parametrize("remove", ["mutations", "mutations_and_views"])
def test_functionalize_returns_what_func_returns_and_mutates_inputs_as_func(remove: str) -> None:
    def check(lib: Any) -> Any:
        x = lib.arange(4.0).reshape(2, 2)
        out = lib.func.functionalize(_mutates_its_input, remove=remove)(x)
        y = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        value = _functionalized_or_func(lib)(_mutates_an_intermediate, remove=remove)(y)
        (g,) = lib.autograd.grad(value, y)
        return out, x, value, g

    assert_same(check)


def test_functionalize_composes_with_the_other_transforms() -> None:
    def check(lib: Any) -> Any:
        f = _functionalized_or_func(lib)
        x = lib.tensor([[0.5, 1.0, 2.0], [1.5, -1.0, 0.0]])
        return (
            lib.func.grad(f(_mutates_an_intermediate))(x[0]),
            f(lib.func.grad(_mutates_an_intermediate))(x[0]),
            lib.func.vmap(f(_mutates_an_intermediate))(x),
            lib.func.jacrev(f(lambda a: a.clone().mul_(a)))(x[0]),
            f(lambda a, *, k: {"out": [a * k, 3]})(x, k=2.0),
        )

    assert_same(check)


def test_functionalize_mutations_and_views_gives_outputs_that_alias_no_input() -> None:
    def check(lib: Any, remove: str) -> Any:
        x = lib.zeros(2, 2)
        row = lib.func.functionalize(lambda a: a[0], remove=remove)(x)
        same = lib.func.functionalize(lambda a: a, remove=remove)(x)
        row.add_(5.0)
        return x, same is x

    for remove in ("mutations", "mutations_and_views"):
        assert_same(lambda lib, remove=remove: check(lib, remove))


@pytest.mark.parametrize("remove", ["views", None, "Mutations"])
def test_functionalize_refuses_what_pytorch_refuses(remove: Any) -> None:
    assert_same(lambda lib: lib.func.functionalize(_mutates_its_input, remove=remove))


def test_functionalize_keeps_the_name_of_func() -> None:
    wrapped = cr.func.functionalize(_mutates_its_input)
    assert wrapped.__name__ == "_mutates_its_input" and wrapped.__wrapped__ is _mutates_its_input


# ----------------------------------------------------------------------------- debug_unwrap
def test_debug_unwrap_gives_the_physical_value_under_each_vmap() -> None:
    def check(lib: Any) -> Any:
        seen = []
        unwrap = lib.func.debug_unwrap

        def look(x: Any) -> Any:
            one = unwrap(x, recurse=False)
            seen.append((unwrap(x) * 1, tuple(one.shape), tuple(unwrap(one, recurse=False).shape)))
            return x

        x = lib.arange(24.0).reshape(2, 3, 4)
        lib.func.vmap(lib.func.vmap(look))(x)
        plain = lib.ones(2)
        return seen, unwrap(plain) is plain, unwrap(plain, recurse=False) is plain

    assert_same(check)


def test_debug_unwrap_refuses_what_is_not_a_tensor() -> None:
    with pytest.raises(TypeError):
        torch.func.debug_unwrap(3)
    with pytest.raises(TypeError, match="expected a Tensor"):
        cr.func.debug_unwrap(3)


def test_debug_unwrap_returns_the_tensors_of_grad_and_jvp_themselves() -> None:
    """No wrapper there: grad's new leaf, jvp's dual view, each with the values given."""
    seen = []

    def look(x: Any) -> Any:
        seen.append(cr.func.debug_unwrap(x) is x)
        return (x * x).sum()

    cr.func.grad(look)(cr.ones(2))
    cr.func.jvp(look, (cr.ones(2),), (cr.ones(2),))
    assert seen == [True, True]


# ----------------------------------------------------------------------------- for the tutorials
def _params_and_input(lib: Any) -> tuple[dict[str, Any], Any]:
    lib.manual_seed(0)
    return {"w": lib.randn(2, 3), "b": lib.randn(2)}, lib.randn(3)


def _net_of_params(params: dict[str, Any], x: Any) -> Any:
    return (params["w"] @ x + params["b"]).tanh()


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1), (1, 0)])
def test_jacobians_with_respect_to_pytrees_are_shaped_as_the_inputs(jac: str, argnums: Any) -> None:
    """As the NTK tutorial's ``jacrev(fnet_single)(params, x)``, a dict of parameters."""

    def check(lib: Any) -> Any:
        params, x = _params_and_input(lib)
        jacobian = getattr(lib.func, jac)
        pair = jacobian(lambda p, v: {"y": _net_of_params(p, v), "s": v.sum()}, argnums=argnums)
        return (
            jacobian(_net_of_params, argnums=argnums)(params, x),
            pair(params, x),
            jacobian(lambda p: _net_of_params(p, x).sum())(params),  # one output element
            lib.func.vmap(jacobian(_net_of_params), (None, 0))(params, lib.stack([x, 2 * x])),
        )

    assert_same(check)


def test_hessian_with_respect_to_a_dict() -> None:
    assert_same(
        lambda lib: lib.func.hessian(lambda p, v: _net_of_params(p, v).sum())(
            *_params_and_input(lib)
        )
    )


@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("iij->j", [(2, 2, 3)]),
        ("iii->i", [(2, 2, 2)]),
        ("NMKK->NM", [(2, 3, 4, 4)]),
        ("NMKK->NMK", [(2, 3, 4, 4)]),
        ("ij,jj->i", [(2, 3), (3, 3)]),
        ("iijj->ij", [(2, 2, 3, 3)]),
        ("...ii->...i", [(2, 3, 3)]),
        ("ii->i", [(2, 3)]),  # refused: the sizes differ
    ],
)
def test_einsum_repeated_index_takes_the_diagonal(
    equation: str, shapes: list[tuple[int, ...]]
) -> None:
    """The NTK tutorial's ``einsum('NMKK->NM', result)``: values and gradients."""

    def check(lib: Any) -> Any:
        lib.manual_seed(0)
        operands = [lib.randn(*s, dtype=lib.float64, requires_grad=True) for s in shapes]
        out = lib.einsum(equation, *operands)
        return out, lib.autograd.grad((out * out).sum(), operands)

    assert_same(check)


def test_einsum_repeated_index_under_vmap_and_forward_mode() -> None:
    def check(lib: Any) -> Any:
        x = lib.arange(18.0).reshape(2, 3, 3)
        trace = lambda a: lib.einsum("ii", a)  # noqa: E731
        return lib.func.vmap(trace)(x), lib.func.jvp(trace, (x[0],), (x[1],))

    assert_same(check)


def test_vmap_is_a_top_level_name_as_torch_vmap() -> None:
    assert cr.vmap is cr.func.vmap and torch.vmap is torch.func.vmap


def test_cudnn_flags_are_set_inside_the_block_and_restored_after() -> None:
    """The NTK tutorial's ``with torch.backends.cudnn.flags(allow_tf32=False):``."""

    def check(lib: Any) -> Any:
        cudnn = lib.backends.cudnn

        def flags() -> tuple[bool, ...]:
            return cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32

        before = flags()
        with cudnn.flags(enabled=False, deterministic=True, allow_tf32=False):
            inside = flags()
        with cudnn.flags():
            defaults = flags()
        return before, inside, defaults, flags()

    assert_same(check)


# ----------------------------------------------------------------------------- the meta device
def test_module_to_meta_keeps_shapes_dtypes_and_parameters_without_values() -> None:
    """The ensembling tutorial's ``base_model = copy.deepcopy(models[0]).to('meta')``."""

    def check(lib: Any) -> Any:
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3)).eval()
        net[0].bias.requires_grad_(False)
        x = lib.arange(8.0).reshape(4, 2)
        moved = copy.deepcopy(net).to("meta")
        state = {k: (repr(v), v.device.type) for k, v in moved.state_dict().items()}
        kinds = [isinstance(p, lib.nn.Parameter) for p in moved.parameters()]
        again = copy.deepcopy(moved[0].weight)
        given = {k: v.detach() for k, v in net.state_dict().items()}
        ran = lib.func.functional_call(moved, given, (x,))
        wide = lib.nn.Linear(2, 3).to(device="meta", dtype=lib.float64)
        wide = _named(repr(wide.weight))
        return _named(state), kinds, repr(again), again.is_leaf, ran, net(x), wide

    assert_same(check)


def test_tensor_to_meta_and_what_a_meta_tensor_refuses() -> None:
    def check(lib: Any) -> Any:
        x = lib.ones(2, 3).to("meta")
        facts = (x.device.type, tuple(x.shape), x.ndim, x.numel(), x.size(1), x.dim())
        reprs = [repr(t) for t in (x, x.to(lib.float64), lib.ones((), dtype=lib.int64).to("meta"))]
        refusals = [
            outcome(f)
            for f in (
                lambda: x.to("cpu"),
                lambda: x.numpy(),
                lambda: x.tolist(),
                lambda: lib.nn.Linear(3, 1).to("meta")(lib.ones(3)),
            )
        ]
        return facts, _named(reprs), x.to(lib.float32) is x, refusals

    assert_same(check)


def _named(x: Any) -> Any:
    """Reprs with the library's name as PyTorch's."""
    return eval(repr(x).replace("chainrule", "torch"))  # noqa: S307 - strings of ours


# ----------------------------------------------------------------------------- jvp's strict
@pytest.mark.parametrize("strict", [False, True])
def test_jvp_strict_refuses_an_output_independent_of_the_primals(strict: bool) -> None:
    def check(lib: Any) -> Any:
        x, t = lib.tensor([1.0, 2.0]), lib.tensor([0.5, 1.0])
        both = lib.func.jvp(lambda a: (a * 2, lib.ones(3)), (x,), (t,), strict=strict)
        return lib.func.jvp(lambda a: a.sin(), (x,), (t,), strict=strict), both

    assert_same(check)


# ----------------------------------------------------------------------------- rearrange
@pytest.mark.parametrize(
    "shape, pattern, lengths",
    [
        ((4, 6, 8, 3), "b h w c -> b h w c", {}),
        ((4, 6, 8, 3), "b h w c -> (b h) w c", {}),
        ((4, 6, 8, 3), "b h w c -> h (b w) c", {}),
        ((4, 6, 8, 3), "b h w c -> b c h w", {}),
        ((4, 6, 8, 3), "b h w c -> b (c h w)", {}),
        ((4, 6, 8, 3), "b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
        ((4, 6, 8, 3), "b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2}),
        ((2, 3, 4, 5), "a ... b -> b ... a", {}),
        ((2, 3, 4, 5), "a ... b -> b (...) a", {}),
        ((2, 3), "a b ... -> ... b a", {}),
        ((6, 1), "a 1 -> a", {}),
        ((6, 1), "a () -> 1 a (b 1)", {"b": 1}),
        ((6, 4), "(a b) c -> a (b c)", {"a": 2}),
        ((6, 4), "a ... -> (a ...)", {}),
        ((6, 4), "... -> ...", {}),
        ((6, 4), "a b -> a b c", {}),  # refused from here on
        ((6, 4), "a b -> b a", {"c": 2}),
        ((6, 4), "a b c -> a b c", {}),
        ((6, 4), "a b c ... -> b a c ...", {}),
        ((6, 4), "a b -> (a 2) b", {}),
        ((6, 4), "a a -> a", {}),
        ((6, 4), "a b", {}),
        ((6, 4), "a b -> b a -> a", {}),
        ((6, 4), "a b -> (a b", {}),
        ((6, 4), "(a ...) -> (a ...)", {}),
        ((6, 4), "a b -> a b ...", {}),
        ((6, 4), "a b -> a b", {"a": 2.0}),
        ((6, 4), "a b -> a b -", {}),
        ((6, 4), "a . -> a", {}),
        ((6, 4), "_a b -> b _a", {}),
        ((6, 4), "((a) b) -> a b", {}),
        ((6, 4), "a) b -> a b", {}),
    ],
)
def test_rearrange_as_pytorch(shape: tuple[int, ...], pattern: str, lengths: dict) -> None:
    def check(lib: Any) -> Any:
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        return lib.func.rearrange(x, pattern, **lengths)

    assert_same(check)


def test_rearrange_stacks_a_sequence_and_composes_with_the_transforms() -> None:
    def check(lib: Any) -> Any:
        x = lib.arange(12.0).reshape(2, 3, 2)
        r = lib.func.rearrange
        return (
            r([x[0], x[1]], "n a b -> a (b n)"),
            lib.func.vmap(lambda t: r(t, "a b -> (b a)"))(x),
            lib.func.jacrev(lambda t: r(t, "a b -> b a").sin())(x[0]),
        )

    assert_same(check)


@pytest.mark.parametrize(
    "pattern, lengths, message",
    [
        ("(a b) c -> a b c", {"a": 4}, "inferred dimension does not evenly fit"),
        ("(a b) c -> a b c", {"a": 2, "b": 2}, r"Dimension sizes to do not match \(6 != 4\)"),
        ("(a b) c -> a b c", {}, "cannot infer the sizes of two dimensions at once a and b"),
        ("a b -> a b", {"a": 5}, r"Dimension sizes to do not match \(6 != 5\)"),
        ("a () -> a", {}, r"Dimension sizes to do not match \(4 != 1\)"),
    ],
)
def test_rearrange_refuses_sizes_that_do_not_fit(pattern: str, lengths: dict, message: str) -> None:
    """PyTorch's DimensionBindError (of its first-class dimensions, named d0, d1, ...) is a
    ValueError naming the pattern's axes here; where ``()`` meets a dimension larger than 1,
    PyTorch sums over it (einops refuses)."""
    with pytest.raises(ValueError, match=message):
        cr.func.rearrange(cr.zeros(6, 4), pattern, **lengths)
    if "()" not in pattern:
        with pytest.raises(Exception, match=message.split(" \\(")[0].split(" a and")[0]):
            torch.func.rearrange(torch.zeros(6, 4), pattern, **lengths)


# ----------------------------------------------------------------------------- names
def test_cr_func_has_every_name_of_torch_func_with_its_arguments() -> None:
    """Issue 9: torch.func's names, each with PyTorch's parameters (names, kinds, defaults;
    PyTorch's private ones, named with an underscore, left out)."""
    import inspect

    names = [n for n in dir(torch.func) if not n.startswith("_")]
    assert [n for n in names if not hasattr(cr.func, n)] == []
    for name in names:
        try:
            theirs = inspect.signature(getattr(torch.func, name))
        except (TypeError, ValueError):  # not a function
            continue
        ours = inspect.signature(getattr(cr.func, name))
        public = [
            (p.name, p.kind, p.default)
            for p in theirs.parameters.values()
            if not p.name.startswith("_")
        ]
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == public, name


# ----------------------------------------------------------------------------- arguments refused
def _square(lib: Any) -> Any:
    return lib.tensor([1.0, 2.0], dtype=lib.float64)


REFUSED: dict[str, Callable[[Any], Any]] = {
    "argnums given twice": lambda lib: lib.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 0))(
        _square(lib), _square(lib)
    ),
    "argnums empty": lambda lib: lib.func.grad(lambda x: x.sum(), argnums=())(_square(lib)),
    "grad of an integer input": lambda lib: lib.func.grad(lambda x: x.sum())(lib.tensor([1, 2])),
    "vjp of an integer input": lambda lib: lib.func.vjp(lambda x: x * 2, lib.tensor([1, 2])),
    "an aux that is a number": lambda lib: lib.func.grad(lambda x: (x.sum(), 1), has_aux=True)(
        _square(lib)
    ),
    "an aux holding None": lambda lib: lib.func.vjp(
        lambda x: (x * 2, (x, None)), _square(lib), has_aux=True
    ),
    "an aux of tensors in a dict": lambda lib: lib.func.grad(
        lambda x: (x.sum(), {"x": x, "l": [x * 2]}), has_aux=True
    )(_square(lib)),
    "in_dims a tuple for a list": lambda lib: lib.func.vmap(lambda d: d[0] * 2, in_dims=((0,),))(
        [_square(lib)]
    ),
    "in_dims a list for a list": lambda lib: lib.func.vmap(
        lambda d: d[0] * d[1], in_dims=([0, None],)
    )([_square(lib), _square(lib)]),
    "in_dims of other keys": lambda lib: lib.func.vmap(lambda d: d["a"], in_dims=({"b": 0},))(
        {"a": _square(lib)}
    ),
    "grad of a float": lambda lib: lib.func.grad(lambda x: 1.5)(_square(lib)),
    "vjp of a float": lambda lib: lib.func.vjp(lambda x: 1.5, _square(lib)),
    "a cotangent that is a float": lambda lib: lib.func.vjp(lambda x: x * 2, _square(lib))[1](1.0),
    "jvp of a float primal": lambda lib: lib.func.jvp(lambda x: x, (1.0,), (_square(lib),)),
    "jvp of a float tangent": lambda lib: lib.func.jvp(lambda x: x, (_square(lib),), (1.0,)),
    "jvp of a float": lambda lib: lib.func.jvp(lambda x: 1.5, (_square(lib),), (_square(lib),)),
    "jacfwd of a float": lambda lib: lib.func.jacfwd(lambda x: 1.5)(_square(lib)),
    "vmap of a float": lambda lib: lib.func.vmap(lambda x: 1.5)(_square(lib)),
    "vmap out_dims past the rank": lambda lib: lib.func.vmap(lambda x: x * 2, out_dims=2)(
        _square(lib)
    ),
}


# PyTorch's words there print its pytree specs (TreeSpec(tuple, None, ...)): the type is compared
TYPE_ONLY = {"in_dims a tuple for a list", "in_dims of other keys"}


@pytest.mark.parametrize("case", list(REFUSED))
def test_transforms_refuse_what_pytorch_refuses_in_its_words(case: str) -> None:
    if case not in TYPE_ONLY:
        assert_same(REFUSED[case])
        return
    theirs, ours = (outcome(lambda lib=lib: REFUSED[case](lib)) for lib in LIBS)
    assert ours[0] == theirs[0] == "ValueError"
