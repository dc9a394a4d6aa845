"""``cr.nn`` modules behave as ``torch.nn``'s: the same code runs on both and answers the same.

Most tests build one model with ``lib.nn`` for ``lib`` in (chainrule, torch) and compare what
they report: names and order of parameters and modules, reprs, state-dict errors, hooks,
containers, running statistics, and the outputs and gradients of layers and losses with the
same weights (PyTorch's, loaded through ``load_state_dict``). Default initialisations are
checked statistically against the distribution PyTorch documents, on both libraries, with
tolerances of six standard errors of each statistic: a wrong bound, fan or distribution fails.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = [pytest.param(cr, id="chainrule"), pytest.param(torch, id="torch")]


def both(build: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``build(lib)`` for chainrule and for PyTorch."""
    return build(cr), build(torch)


def numpy(x: Any) -> np.ndarray:
    return np.asarray(x.detach().numpy(), dtype=np.float64)


def load_torch_weights(model: Any, reference: Any) -> Any:
    """``model`` with ``reference``'s parameters and buffers (PyTorch tensors load directly)."""
    model.load_state_dict(reference.state_dict())
    return model


# ----------------------------------------------------------------------------- structure
class Block:
    """A custom module, defined once for both libraries, with every kind of child."""

    @staticmethod
    def build(lib: Any) -> Any:
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2)
                )
                shared = nn.Linear(3, 3)
                self.heads = nn.ModuleList([shared, nn.Linear(3, 2, bias=False), shared])
                self.by_name = nn.ModuleDict({"z": nn.LayerNorm(3), "a": nn.Embedding(5, 3)})
                self.scale = nn.Parameter(lib.ones(3))
                self.register_buffer("offset", lib.zeros(3))
                self.register_buffer("scratch", lib.zeros(1), persistent=False)

            def forward(self, x: Any) -> Any:
                return self.features(x)

        return Net()


def _names(pairs: Any) -> list[str]:
    return [name for name, _ in pairs]


def _apply_order(model: Any) -> list[str]:
    """The modules ``apply`` visits, in order (children before their parent)."""
    seen: list[str] = []
    model.apply(lambda module: seen.append(type(module).__name__))
    return seen


STRUCTURE = {
    "named_parameters": lambda m: _names(m.named_parameters()),
    "parameter_shapes": lambda m: [tuple(p.shape) for p in m.parameters()],
    "named_buffers": lambda m: _names(m.named_buffers()),
    "named_children": lambda m: _names(m.named_children()),
    "children_types": lambda m: [type(c).__name__ for c in m.children()],
    "named_modules": lambda m: _names(m.named_modules()),
    "modules_types": lambda m: [type(c).__name__ for c in m.modules()],
    "state_dict_keys": lambda m: list(m.state_dict()),
    "state_dict_shapes": lambda m: [tuple(v.shape) for v in m.state_dict().values()],
    "non_recursive_parameters": lambda m: _names(m.named_parameters(recurse=False)),
    "submodule": lambda m: type(m.get_submodule("features.1")).__name__,
    "prefixed_parameters": lambda m: _names(m.named_parameters(prefix="net")),
    "prefixed_state_dict": lambda m: list(m.state_dict(prefix="net.")),
    "state_dict_keep_vars": lambda m: [
        (type(v).__name__, v.requires_grad) for v in m.state_dict(keep_vars=True).values()
    ],
    "state_dict_detached": lambda m: [v.requires_grad for v in m.state_dict().values()],
    "apply_order": _apply_order,
    "repr": repr,
}


@pytest.mark.parametrize("query", list(STRUCTURE), ids=list(STRUCTURE))
def test_module_tree_is_reported_as_pytorch_reports_it(query: str) -> None:
    ours, theirs = both(Block.build)
    assert STRUCTURE[query](ours) == STRUCTURE[query](theirs)


def test_shared_module_counts_once_in_parameters_and_under_each_name_in_state_dict() -> None:
    model = Block.build(cr)
    assert sum(1 for name in dict(model.named_parameters()) if name.startswith("heads.")) == 3
    assert [k for k in model.state_dict() if k.startswith("heads.")] == [
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.2.weight",
        "heads.2.bias",
    ]


# ----------------------------------------------------------------------------- repr
REPR_MODELS = {
    "cnn": lambda nn: nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 4, (3, 2), stride=(2, 1), bias=False),
        nn.Conv2d(4, 4, 3, padding="same"),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(16, 10),
    ),
    "activations": lambda nn: nn.Sequential(
        nn.LeakyReLU(0.2),
        nn.LeakyReLU(),
        nn.ReLU(inplace=True),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.GELU(),
        nn.GELU("tanh"),
        nn.SiLU(),
        nn.Softmax(dim=1),
        nn.LogSoftmax(dim=-1),
        nn.Softmax(),
        nn.Identity(),
    ),
    "norms_and_tables": lambda nn: nn.Sequential(
        nn.BatchNorm1d(10, momentum=None, affine=False),
        nn.BatchNorm1d(3, track_running_stats=False, eps=1e-3),
        nn.BatchNorm1d(3, bias=False),
        nn.LayerNorm(10),
        nn.LayerNorm((2, 5), elementwise_affine=False),
        nn.LayerNorm(4, bias=False),
        nn.Embedding(10, 3),
        nn.Embedding(10, 3, padding_idx=-1),
        nn.Dropout(),
        nn.MaxPool2d(3, stride=1, padding=1),
        nn.AvgPool2d((2, 3), stride=1),
    ),
    "containers": lambda nn: nn.Sequential(
        OrderedDict(
            [
                ("body", nn.ModuleList([nn.ReLU(), nn.Linear(2, 3, bias=False)])),
                ("heads", nn.ModuleDict({"b": nn.Tanh(), "a": nn.Sequential()})),
                ("empty", nn.ModuleList()),
            ]
        )
    ),
    "losses": lambda nn: nn.ModuleList(
        [
            nn.CrossEntropyLoss(),
            nn.CrossEntropyLoss(label_smoothing=0.1),
            nn.NLLLoss(),
            nn.MSELoss(reduction="sum"),
            nn.L1Loss(),
            nn.BCELoss(),
            nn.BCEWithLogitsLoss(),
        ]
    ),
    "repeated_in_modulelist": lambda nn: nn.ModuleList(
        [
            nn.Linear(2, 2),
            nn.Linear(2, 2),
            nn.ReLU(),
            nn.Sequential(nn.Tanh()),
            nn.Sequential(nn.Tanh()),
        ]
    ),
    "single_layer": lambda nn: nn.Linear(3, 2),
}


@pytest.mark.parametrize("build", REPR_MODELS.values(), ids=list(REPR_MODELS))
def test_repr_is_pytorch_repr(build: Callable[[Any], Any]) -> None:
    assert repr(build(cr.nn)) == repr(build(torch.nn))


def test_parameter_repr_and_flags_are_pytorch_ones() -> None:
    for requires_grad in (True, False):
        ours = cr.nn.Parameter(cr.tensor([1.0, 2.5]), requires_grad=requires_grad)
        theirs = torch.nn.Parameter(torch.tensor([1.0, 2.5]), requires_grad=requires_grad)
        assert repr(ours) == repr(theirs)
        assert ours.requires_grad is requires_grad and ours.is_leaf
        assert isinstance(ours, cr.Tensor)


def test_parameter_of_a_computed_tensor_is_a_new_leaf() -> None:
    x = cr.ones(2, requires_grad=True)
    p = cr.nn.Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None and p.tolist() == [2.0, 2.0]


# ----------------------------------------------------------------------------- registration
@pytest.mark.parametrize("lib", LIBS)
def test_assigning_parameters_modules_and_tensors_registers_only_the_first_two(lib: Any) -> None:
    m = lib.nn.Module()
    m.w = lib.nn.Parameter(lib.ones(2))
    m.child = lib.nn.Linear(2, 1)
    m.plain = lib.ones(3)  # a plain tensor attribute: neither parameter nor buffer
    assert _names(m.named_parameters()) == ["w", "child.weight", "child.bias"]
    assert list(m.state_dict()) == ["w", "child.weight", "child.bias"]
    m.child = None
    assert _names(m.named_parameters()) == ["w"]


@pytest.mark.parametrize("lib", LIBS)
def test_assigning_a_plain_tensor_to_a_parameter_name_is_a_type_error(lib: Any) -> None:
    layer = lib.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        layer.weight = lib.ones(2, 2)
    layer.bias = None  # None is allowed: the parameter is declared but absent
    assert _names(layer.named_parameters()) == ["weight"]


# ----------------------------------------------------------------------------- modes and grads
@pytest.mark.parametrize("lib", LIBS)
def test_train_and_eval_reach_every_submodule_and_return_the_module(lib: Any) -> None:
    model = Block.build(lib)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.features.train()
    assert [m.training for m in model.modules()] == [
        name == "features" or name.startswith("features.") for name, _ in model.named_modules()
    ]
    assert model.train(True) is model and all(m.training for m in model.modules())


@pytest.mark.parametrize("lib", LIBS)
def test_train_mode_must_be_a_bool(lib: Any) -> None:
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        lib.nn.Linear(1, 1).train("no")


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_clears_or_zeroes_every_gradient_as_pytorch(set_to_none: bool) -> None:
    def grads_after_zero_grad(lib: Any) -> list[Any]:
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 1))
        model(lib.randn(5, 3)).sum().backward()
        assert all(p.grad is not None for p in model.parameters())
        model.zero_grad(set_to_none=set_to_none)
        return [None if p.grad is None else numpy(p.grad).tolist() for p in model.parameters()]

    ours, theirs = both(grads_after_zero_grad)
    assert ours == theirs


def test_requires_grad_false_freezes_every_parameter() -> None:
    model = Block.build(cr).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("cast", ["to_float64", "double", "to_float64_then_float"])
def test_to_dtype_casts_floating_state_and_keeps_the_parameter_objects(cast: str) -> None:
    def cast_model(lib: Any) -> tuple[Any, list[str]]:
        model = Block.build(lib)
        before = list(model.parameters())
        if cast == "to_float64":
            assert model.to(lib.float64) is model
        elif cast == "double":
            assert model.double() is model
        else:
            model.to(dtype=lib.float64).float()
        assert all(a is b for a, b in zip(before, model.parameters(), strict=True))
        return [str(v.dtype).split(".")[-1] for v in model.state_dict().values()]

    ours, theirs = both(cast_model)
    assert [str(d) for d in ours] == theirs
    assert "int64" in theirs  # num_batches_tracked stays an integer


@pytest.mark.parametrize("lib", LIBS)
def test_to_integer_dtype_is_refused(lib: Any) -> None:
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        lib.nn.Linear(2, 2).to(lib.int64)


def test_model_cast_to_float64_computes_in_float64() -> None:
    model = cr.nn.Sequential(cr.nn.Linear(3, 2), cr.nn.BatchNorm1d(2)).to(cr.float64)
    out = model(cr.randn(4, 3, dtype=cr.float64))
    out.sum().backward()
    assert out.dtype == cr.float64
    assert all(p.grad.dtype == cr.float64 for p in model.parameters())


# ----------------------------------------------------------------------------- state dicts
def _small(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2, bias=False))


def _target(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


# Each case turns the target model's own state dict (a plain dict) into a faulty one.
def _drop_and_add(lib: Any, state: dict[str, Any]) -> dict[str, Any]:
    del state["1.running_mean"], state["2.bias"]
    state["extra.weight"] = lib.ones(2)
    return state


def _wrong_shapes(lib: Any, state: dict[str, Any]) -> dict[str, Any]:
    small = dict(_small(lib.nn).state_dict())
    return {**state, "0.weight": small["0.weight"], "2.weight": small["2.weight"]}


def _everything_wrong(lib: Any, state: dict[str, Any]) -> dict[str, Any]:
    return _wrong_shapes(lib, _drop_and_add(lib, state))


def _no_batch_count(lib: Any, state: dict[str, Any]) -> dict[str, Any]:
    del state["1.num_batches_tracked"]  # older checkpoints lack it: not an error
    return state


STATE_CASES = {
    "missing_and_unexpected": _drop_and_add,
    "shape_mismatch": _wrong_shapes,
    "everything_wrong": _everything_wrong,
    "no_batch_count": _no_batch_count,
}


def _normalize_shapes(message: str) -> str:
    """PyTorch prints torch.Size([5, 3]) where chainrule prints chainrule.Size([5, 3])."""
    return message.replace("torch.Size", "chainrule.Size")


def _load_outcome(lib: Any, case: str, strict: bool) -> tuple[str, Any, bool]:
    """What loading the faulty state dict does: the error text or the incompatible keys, and
    whether the model's values are unchanged."""
    model = _target(lib.nn)
    before = {k: numpy(v).copy() for k, v in model.state_dict().items()}
    fresh = dict(_target(lib.nn).state_dict())
    try:
        result = model.load_state_dict(STATE_CASES[case](lib, fresh), strict=strict)
        outcome: tuple[str, Any] = ("ok", (list(result.missing_keys), list(result.unexpected_keys)))
    except RuntimeError as error:
        outcome = ("error", _normalize_shapes(str(error)))
    unchanged = all(np.array_equal(before[k], numpy(v)) for k, v in model.state_dict().items())
    return (*outcome, unchanged)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "not_strict"])
@pytest.mark.parametrize("case", list(STATE_CASES))
def test_load_state_dict_reports_and_refuses_like_pytorch(case: str, strict: bool) -> None:
    # As in PyTorch, the entries before an error are loaded: a failed load changes the model.
    assert _load_outcome(cr, case, strict) == _load_outcome(torch, case, strict)


def test_shape_mismatch_error_names_the_key_and_both_shapes() -> None:
    model = _target(cr.nn)
    state = dict(model.state_dict())
    state["0.weight"] = cr.zeros(5, 3)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state, strict=False)
    assert "size mismatch for 0.weight" in str(error.value)
    assert "chainrule.Size([5, 3]) from checkpoint" in str(error.value)
    assert "shape in current model is chainrule.Size([4, 3])" in str(error.value)


def test_state_dict_round_trip_restores_outputs_and_shares_memory() -> None:
    source, target = _target(cr.nn), _target(cr.nn)
    source(cr.randn(6, 3))  # moves the running statistics away from their initial values
    source.eval(), target.eval()
    x = cr.randn(4, 3)
    assert not np.allclose(numpy(source(x)), numpy(target(x)))
    assert repr(target.load_state_dict(source.state_dict())) == "<All keys matched successfully>"
    np.testing.assert_array_equal(numpy(source(x)), numpy(target(x)))
    state = source.state_dict()
    with cr.no_grad():
        source[0].bias.add_(1.0)
    assert numpy(state["0.bias"]).tolist() == numpy(source[0].bias).tolist()


def test_load_state_dict_accepts_pytorch_and_numpy_values() -> None:
    reference = _target(torch.nn)
    reference(torch.randn(6, 3))
    model = load_torch_weights(_target(cr.nn), reference)
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    for (key, ours), theirs in zip(
        model.state_dict().items(), reference.state_dict().values(), strict=True
    ):
        np.testing.assert_array_equal(numpy(ours), numpy(theirs), err_msg=key)


def test_state_dict_excludes_non_persistent_buffers() -> None:
    assert "scratch" not in Block.build(cr).state_dict()
    assert "scratch" in dict(Block.build(cr).named_buffers())


# ----------------------------------------------------------------------------- hooks
W = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]])
B = np.array([0.1, -0.2, 0.3])
X = np.array([[1.0, 2.0], [-1.0, 0.5]])
G = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def _linear(lib: Any) -> Any:
    layer = lib.nn.Linear(2, 3).double()
    layer.load_state_dict({"weight": lib.tensor(W), "bias": lib.tensor(B)})
    return layer


def _run_hooks(lib: Any) -> dict[str, Any]:
    """Every kind of hook on one Linear layer, recorded as plain lists."""
    layer = _linear(lib)
    seen: dict[str, Any] = {"backward": []}

    def pre(module: Any, args: tuple[Any, ...]) -> Any:
        seen["pre_args"] = numpy(args[0]).tolist()
        return (args[0] * 2,)

    def post(module: Any, args: tuple[Any, ...], out: Any) -> Any:
        seen["post_args"] = numpy(args[0]).tolist()
        return out + 1

    def backward(module: Any, grad_input: Any, grad_output: Any) -> None:
        seen["backward"].append(
            (
                [None if g is None else numpy(g).tolist() for g in grad_input],
                [numpy(g).tolist() for g in grad_output],
            )
        )

    handles = [
        layer.register_forward_pre_hook(pre),
        layer.register_forward_hook(post),
        layer.register_full_backward_hook(backward),
    ]
    x = lib.tensor(X, requires_grad=True)
    y = layer(x)
    (y * lib.tensor(G)).sum().backward()
    seen["output"] = numpy(y).tolist()
    seen["x_grad"] = numpy(x.grad).tolist()
    # A backward hook that returns a gradient replaces grad_input.
    handles.append(layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,)))
    x.grad = None
    layer(x).sum().backward()
    seen["replaced_x_grad"] = numpy(x.grad).tolist()
    for handle in handles:
        handle.remove()
    seen["after_remove"] = numpy(layer(x)).tolist()
    seen["calls"] = len(seen["backward"])
    return seen


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "key",
    [
        "pre_args",
        "post_args",
        "output",
        "backward",
        "x_grad",
        "replaced_x_grad",
        "after_remove",
        "calls",
    ],
)
def test_forward_and_backward_hooks_see_and_change_what_pytorch_hooks_do(key: str) -> None:
    ours, theirs = both(_run_hooks)
    _assert_nested_close(ours[key], theirs[key])


def _assert_nested_close(ours: Any, theirs: Any) -> None:
    if ours is None or theirs is None:
        assert ours is theirs
    elif isinstance(ours, list | tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_nested_close(a, b)
    else:
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch warns that no input needs grad
def test_backward_hook_of_a_module_whose_input_needs_no_grad_gets_none_for_it() -> None:
    def run(lib: Any) -> Any:
        layer, calls = _linear(lib), []
        layer.register_full_backward_hook(
            lambda m, gi, go: calls.append((gi, [numpy(g).tolist() for g in go]))
        )
        layer(lib.tensor(X)).sum().backward()
        return calls

    ours, theirs = both(run)
    assert ours == theirs == [((None,), [[[1.0] * 3] * 2])]


# ----------------------------------------------------------------------------- containers
def _container_story(lib: Any) -> list[Any]:
    """A sequence of container operations; each step records what it sees."""
    nn, log = lib.nn, []

    def kinds(modules: Any) -> list[str]:
        return [type(m).__name__ for m in modules]

    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    log += [len(seq), kinds(seq), type(seq[0]).__name__, type(seq[-1]).__name__]
    log += [type(seq[1:]).__name__, _names(seq[1:].named_children()), kinds(seq[::2])]
    del seq[0]
    log.append(_names(seq.named_children()))
    seq.append(nn.Tanh())
    seq[0] = nn.Sigmoid()
    log += [_names(seq.named_children()), kinds(seq)]
    named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 1, 1)), ("act", nn.ReLU())]))
    log += [_names(named.named_children()), type(named.conv).__name__, kinds(named[1:])]

    mlist = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    mlist.insert(1, nn.Sigmoid())
    mlist.extend([nn.GELU()])
    mlist.append(nn.SiLU())
    log += [len(mlist), kinds(mlist), type(mlist[-1]).__name__, kinds(mlist[1:3])]
    del mlist[0]
    mlist[0] = nn.Identity()
    log += [_names(mlist.named_children()), kinds(mlist)]

    mdict = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    mdict["c"] = nn.GELU()
    mdict.update({"d": nn.SiLU()})
    log += [list(mdict), list(mdict.keys()), kinds(mdict.values()), len(mdict), "a" in mdict]
    log += [[(k, type(v).__name__) for k, v in mdict.items()], type(mdict["c"]).__name__]
    log += [type(mdict.pop("b")).__name__, list(mdict)]
    del mdict["a"]
    log.append(list(mdict))
    return log


def test_sequential_modulelist_and_moduledict_operations_match_pytorch() -> None:
    ours, theirs = both(_container_story)
    assert ours == theirs


CONTAINER_ERRORS = {
    "sequential_index": (
        lambda nn: nn.Sequential(nn.ReLU())[1],
        IndexError,
        "index 1 is out of range",
    ),
    "sequential_negative_index": (
        lambda nn: nn.Sequential(nn.ReLU())[-2],
        IndexError,
        "index -2 is out of range",
    ),
    "modulelist_index": (
        lambda nn: nn.ModuleList([nn.ReLU()])[3],
        IndexError,
        "index 3 is out of range",
    ),
    "moduledict_key": (lambda nn: nn.ModuleDict({"a": nn.ReLU()})["b"], KeyError, "'b'"),
    "sequential_non_module": (
        lambda nn: nn.Sequential(nn.ReLU(), 3),
        TypeError,
        "int is not a Module subclass",
    ),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", list(CONTAINER_ERRORS))
def test_container_misuse_raises_pytorch_exception_type(case: str, lib: Any) -> None:
    action, error, message = CONTAINER_ERRORS[case]
    with pytest.raises(error, match=message if lib is cr else None):  # chainrule's own words
        action(lib.nn)


def test_sequential_runs_its_modules_in_order() -> None:
    seq = cr.nn.Sequential(cr.nn.Identity(), cr.nn.ReLU(), cr.nn.Sigmoid())
    x = cr.tensor([-1.0, 2.0])
    np.testing.assert_array_equal(numpy(seq(x)), numpy(cr.sigmoid(cr.relu(x))))


# ----------------------------------------------------------------------------- initialisation
def uniform(lo: float, hi: float) -> tuple[str, float, float]:
    return ("uniform", lo, hi)


def symmetric(bound: float) -> tuple[str, float, float]:
    return uniform(-bound, bound)


def normal(mean: float, std: float) -> tuple[str, float, float]:
    return ("normal", mean, std)


def constant(value: float) -> tuple[str, float, float]:
    return ("constant", value, value)


def _empty(lib: Any, *shape: int) -> Any:
    return lib.empty(*shape)


# name: (the tensor, built by lib; the distribution PyTorch documents for it)
INITS = {
    "linear_weight": (lambda lib: lib.nn.Linear(400, 300).weight, symmetric(1 / 20)),
    "linear_bias": (lambda lib: lib.nn.Linear(16, 40000).bias, symmetric(1 / 4)),
    "conv2d_weight": (lambda lib: lib.nn.Conv2d(10, 400, (5, 3)).weight, symmetric(150**-0.5)),
    "conv2d_bias": (lambda lib: lib.nn.Conv2d(2, 30000, 3).bias, symmetric(18**-0.5)),
    "embedding_weight": (lambda lib: lib.nn.Embedding(1000, 64).weight, normal(0.0, 1.0)),
    "batchnorm_weight": (lambda lib: lib.nn.BatchNorm2d(7).weight, constant(1.0)),
    "batchnorm_bias": (lambda lib: lib.nn.BatchNorm1d(7).bias, constant(0.0)),
    "batchnorm_running_mean": (lambda lib: lib.nn.BatchNorm1d(7).running_mean, constant(0.0)),
    "batchnorm_running_var": (lambda lib: lib.nn.BatchNorm2d(7).running_var, constant(1.0)),
    "batchnorm_batch_count": (lambda lib: lib.nn.BatchNorm2d(7).num_batches_tracked, constant(0)),
    "layernorm_weight": (lambda lib: lib.nn.LayerNorm((3, 4)).weight, constant(1.0)),
    "layernorm_bias": (lambda lib: lib.nn.LayerNorm(5).bias, constant(0.0)),
    "xavier_uniform": (
        lambda lib: lib.nn.init.xavier_uniform_(_empty(lib, 300, 500), gain=2.0),
        symmetric(2.0 * math.sqrt(6 / 800)),
    ),
    "xavier_normal": (
        lambda lib: lib.nn.init.xavier_normal_(_empty(lib, 300, 500)),
        normal(0.0, math.sqrt(2 / 800)),
    ),
    "kaiming_uniform_default": (
        lambda lib: lib.nn.init.kaiming_uniform_(_empty(lib, 64, 8, 3, 3)),  # fan_in 72
        symmetric(math.sqrt(2 / 1.0) * math.sqrt(3 / 72)),  # leaky_relu with slope 0: relu gain
    ),
    "kaiming_normal_fan_out_relu": (
        lambda lib: lib.nn.init.kaiming_normal_(
            _empty(lib, 64, 80, 3, 3), mode="fan_out", nonlinearity="relu"
        ),
        normal(0.0, math.sqrt(2 / 576)),
    ),
    "uniform_range": (
        lambda lib: lib.nn.init.uniform_(_empty(lib, 200, 300), -1, 3),
        uniform(-1, 3),
    ),
    "normal_mean_std": (
        lambda lib: lib.nn.init.normal_(_empty(lib, 200, 300), mean=0.5, std=2.0),
        normal(0.5, 2.0),
    ),
}

# Kurtosis E[z^4] of the standardised variable, and the sampling spread of the estimates:
# sd(s^2) / sigma^2 = sqrt((kurtosis - 1) / n), sd(kurtosis) ~ sqrt(c / n).
KURTOSIS = {"uniform": 1.8, "normal": 3.0}
KURTOSIS_SPREAD = {"uniform": 1.1, "normal": 24.0}


def assert_drawn_from(values: np.ndarray, distribution: tuple[str, float, float]) -> None:
    """Mean, standard deviation, range and shape of the sample fit the distribution, each to
    six standard errors: a bound off by a fan (or a factor sqrt(3)) is far outside."""
    kind, a, b = distribution
    x = values.astype(np.float64).ravel()
    n = x.size
    if kind == "constant":
        assert np.all(x == a), f"expected every value to be {a}"
        return
    if kind == "uniform":
        mean, std = (a + b) / 2, (b - a) / math.sqrt(12)
        assert x.min() >= a - 1e-6 * abs(a) and x.max() <= b + 1e-6 * abs(b), "outside the range"
        # Within 20/n of the range's ends: missed by chance with probability e^-20.
        assert x.min() < a + 20 * (b - a) / n and x.max() > b - 20 * (b - a) / n, "range too narrow"
    else:
        mean, std = a, b
    assert abs(x.mean() - mean) < 6 * std / math.sqrt(n), f"mean {x.mean()} vs {mean}"
    rel = 6 * math.sqrt((KURTOSIS[kind] - 1) / n) / 2  # sd(s) / sigma = sd(s^2) / (2 sigma^2)
    assert abs(x.std() / std - 1) < rel, f"std {x.std()} vs {std} (relative tolerance {rel:.3g})"
    kurtosis = float(np.mean(((x - x.mean()) / x.std()) ** 4))
    spread = 6 * math.sqrt(KURTOSIS_SPREAD[kind] / n)
    assert abs(kurtosis - KURTOSIS[kind]) < spread, f"kurtosis {kurtosis}: not {kind}"


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", list(INITS))
def test_default_and_nn_init_distributions_match_pytorch_documented_ones(
    name: str, lib: Any
) -> None:
    build, distribution = INITS[name]
    lib.manual_seed(0)
    assert_drawn_from(numpy(build(lib)), distribution)


_N = 120_000
_SAMPLES = np.random.default_rng(0)
# Mistakes the statistics must catch: (sample, the distribution it was meant to come from).
WRONG_INITS = {
    "fan_out_for_fan_in": (_SAMPLES.uniform(-(300**-0.5), 300**-0.5, _N), symmetric(400**-0.5)),
    "normal_for_uniform": (_SAMPLES.normal(0, 0.05 / math.sqrt(3), _N), symmetric(0.05)),
    "uniform_for_normal": (_SAMPLES.uniform(-math.sqrt(3), math.sqrt(3), _N), normal(0.0, 1.0)),
    "std_two_percent_off": (_SAMPLES.normal(0.0, 1.02, _N), normal(0.0, 1.0)),
    "range_shifted": (_SAMPLES.uniform(-0.9, 3.0, _N), uniform(-1, 3)),
}


@pytest.mark.parametrize("name", list(WRONG_INITS))
def test_init_statistics_reject_a_wrong_distribution(name: str) -> None:
    values, meant = WRONG_INITS[name]
    with pytest.raises(AssertionError):
        assert_drawn_from(values, meant)


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient() -> None:
    reference = torch.nn.Embedding(6, 3, padding_idx=2).double()
    assert not reference.weight[2].any()
    ours = cr.nn.Embedding(6, 3, padding_idx=2).double()
    assert not numpy(ours.weight[2]).any()
    load_torch_weights(ours, reference)
    index = [[2, 0, 2], [5, 2, 0]]
    cotangent = np.arange(18.0).reshape(2, 3, 3)
    (ours(cr.tensor(index)) * cr.tensor(cotangent)).sum().backward()
    (reference(torch.tensor(index)) * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_array_equal(numpy(ours.weight.grad), numpy(reference.weight.grad))
    assert not numpy(ours.weight.grad)[2].any()


# ----------------------------------------------------------------------------- batch norm
BATCH_NORMS = {
    "1d": (lambda nn: nn.BatchNorm1d(3), (8, 3)),
    "1d_sequence": (lambda nn: nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    "2d": (lambda nn: nn.BatchNorm2d(3, eps=1e-3), (4, 3, 2, 3)),
    "cumulative_average": (lambda nn: nn.BatchNorm2d(2, momentum=None), (3, 2, 2, 2)),
    "no_affine": (lambda nn: nn.BatchNorm1d(3, affine=False), (6, 3)),
    "no_bias": (lambda nn: nn.BatchNorm1d(3, bias=False), (6, 3)),
    "no_running_stats": (lambda nn: nn.BatchNorm1d(3, track_running_stats=False), (6, 3)),
}


def _batch_norm_run(lib: Any, case: str, batches: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs and state after three training steps, then the output in eval mode."""
    build, _ = BATCH_NORMS[case]
    layer = build(lib.nn).double()
    if layer.affine:  # away from the identity initialisation, the same in both
        with lib.no_grad():
            layer.weight.copy_(lib.tensor([1.5, 0.5, 2.0][: layer.num_features]))
    seen = []
    for batch in batches[:3]:
        x = lib.tensor(batch, requires_grad=True)
        y = layer(x)
        (y * lib.tensor(np.cos(batch))).sum().backward()
        seen += [numpy(y), numpy(x.grad)]
        seen += [numpy(p.grad) for p in layer.parameters()]
        seen += [numpy(b).astype(np.float64) for b in layer.buffers()]
    layer.eval()
    seen.append(numpy(layer(lib.tensor(batches[3]))))
    return seen


@pytest.mark.parametrize("case", list(BATCH_NORMS))
def test_batch_norm_training_steps_running_stats_and_eval_output_match_pytorch(
    case: str, rng: np.random.Generator
) -> None:
    shape = BATCH_NORMS[case][1]
    batches = [rng.normal(1.5, 2.0, shape) for _ in range(4)]
    ours, theirs = _batch_norm_run(cr, case, batches), _batch_norm_run(torch, case, batches)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"value {i}")


# ----------------------------------------------------------------------------- layers
# name: (builder, input shape), run in float64 with PyTorch's weights.
LAYERS = {
    "linear": (lambda nn: nn.Linear(4, 3), (5, 4)),
    "linear_batched_no_bias": (lambda nn: nn.Linear(4, 3, bias=False), (2, 5, 4)),
    "conv2d": (lambda nn: nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "conv2d_stride_padding": (
        lambda nn: nn.Conv2d(2, 3, (3, 2), stride=2, padding=1),
        (2, 2, 6, 5),
    ),
    "conv2d_same_no_bias": (
        lambda nn: nn.Conv2d(2, 2, 4, padding="same", bias=False),
        (1, 2, 5, 5),
    ),
    "max_pool2d": (lambda nn: nn.MaxPool2d(2), (2, 3, 4, 5)),
    "max_pool2d_stride_padding": (lambda nn: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 5, 5)),
    "avg_pool2d": (lambda nn: nn.AvgPool2d(2, stride=1), (2, 3, 4, 4)),
    "avg_pool2d_exclude_pad": (
        lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        (1, 2, 5, 5),
    ),
    "layer_norm": (lambda nn: nn.LayerNorm((3, 4)), (2, 3, 4)),
    "flatten": (lambda nn: nn.Flatten(), (2, 3, 2, 2)),
    "flatten_dims": (lambda nn: nn.Flatten(0, 1), (2, 3, 2)),
    "dropout_eval": (lambda nn: nn.Dropout(0.5).eval(), (3, 4)),
    "relu": (lambda nn: nn.ReLU(), (3, 4)),
    "leaky_relu": (lambda nn: nn.LeakyReLU(0.2), (3, 4)),
    "sigmoid": (lambda nn: nn.Sigmoid(), (3, 4)),
    "tanh": (lambda nn: nn.Tanh(), (3, 4)),
    "gelu": (lambda nn: nn.GELU(), (3, 4)),
    "gelu_tanh": (lambda nn: nn.GELU(approximate="tanh"), (3, 4)),
    "silu": (lambda nn: nn.SiLU(), (3, 4)),
    "softmax": (lambda nn: nn.Softmax(dim=1), (3, 4, 2)),
    "log_softmax": (lambda nn: nn.LogSoftmax(dim=-1), (3, 4)),
    "identity": (lambda nn: nn.Identity(7, key="ignored"), (3, 4)),
    "cnn": (
        lambda nn: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16, 3),
            nn.LogSoftmax(dim=1),
        ),
        (3, 1, 4, 4),
    ),
}


def _layer_run(lib: Any, build: Any, x: np.ndarray, reference: Any) -> list[np.ndarray]:
    layer = build(lib.nn).double()
    if reference is not None:
        load_torch_weights(layer, reference)
    inp = lib.tensor(x, requires_grad=True)
    out = layer(inp)
    (out * lib.tensor(np.sin(np.arange(out.numel())).reshape(tuple(out.shape)))).sum().backward()
    return [numpy(out), numpy(inp.grad)] + [numpy(p.grad) for p in layer.parameters()]


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # PyTorch's, harmless
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_module_with_pytorch_weights_gives_pytorch_outputs_and_gradients(
    name: str, rng: np.random.Generator
) -> None:
    build, shape = LAYERS[name]
    # Values on a shuffled grid: no ties in a pooling window, no input at a kink.
    x = (rng.permutation(math.prod(shape)) - math.prod(shape) / 2 + 0.3).reshape(shape) / 7
    reference = build(torch.nn).double()
    theirs = _layer_run(torch, lambda nn: reference, x, None)
    ours = _layer_run(cr, build, x, reference)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: value {i}")


@pytest.mark.parametrize(
    "name", ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Softmax", "LogSoftmax"]
)
def test_every_activation_of_the_issue_has_a_module_class(name: str) -> None:
    cls = getattr(cr.nn, name)
    assert issubclass(cls, cr.nn.Module)
    assert repr(cls()) == repr(getattr(torch.nn, name)())


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest_and_its_gradient(p: float) -> None:
    cr.manual_seed(7)
    n = 200_000
    x = cr.rand(n, dtype=cr.float64) + 0.5  # nonzero everywhere
    x.requires_grad_()
    y = cr.nn.functional.dropout(x, p)
    y.backward(cr.ones(n, dtype=cr.float64))
    kept = numpy(y) != 0
    assert abs(1 - kept.mean() - p) < 6 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(numpy(y)[kept], numpy(x)[kept] / (1 - p), rtol=1e-15)
    np.testing.assert_array_equal(numpy(x.grad), kept / (1 - p))  # the mask, scaled


def test_dropout_mask_is_reproducible_from_the_seed_and_fresh_on_every_call() -> None:
    x = cr.ones(1000)
    cr.manual_seed(3)
    first, second = cr.nn.functional.dropout(x), cr.nn.functional.dropout(x)
    cr.manual_seed(3)
    again = cr.nn.functional.dropout(x)
    np.testing.assert_array_equal(numpy(first), numpy(again))
    assert not np.array_equal(numpy(first), numpy(second))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda x: cr.nn.Dropout(0.5).eval()(x), "identity"),
        (lambda x: cr.nn.functional.dropout(x, 0.5, training=False), "identity"),
        (lambda x: cr.nn.functional.dropout(x, 0.0), "identity"),
        (lambda x: cr.nn.functional.dropout(x, 1.0), "zeros"),
    ],
    ids=["module_eval", "functional_eval", "p_zero", "p_one"],
)
def test_dropout_in_eval_mode_and_at_the_extremes(make: Any, expected: str) -> None:
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = make(x)
    y.sum().backward()
    want = numpy(x) if expected == "identity" else np.zeros(3)
    np.testing.assert_array_equal(numpy(y), want)
    np.testing.assert_array_equal(numpy(x.grad), np.ones(3) if expected == "identity" else 0)


def test_dropout_probability_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        cr.nn.Dropout(1.5)


# ----------------------------------------------------------------------------- loss modules
# name: (module name, kwargs (lib -> dict), functional name, input shape, target (lib -> tensor))
CLASSES = [2, 0, 3, 3]
LOSSES = {
    "mse": ("MSELoss", lambda lib: {}, "mse_loss", (4, 3), lambda lib: lib.tensor(np.ones((4, 3)))),
    "mse_sum": (
        "MSELoss",
        lambda lib: {"reduction": "sum"},
        "mse_loss",
        (4, 3),
        lambda lib: lib.tensor(np.ones((4, 3))),
    ),
    "l1_none": (
        "L1Loss",
        lambda lib: {"reduction": "none"},
        "l1_loss",
        (4, 3),
        lambda lib: lib.tensor(np.full((4, 3), 0.05)),
    ),
    "cross_entropy": ("CrossEntropyLoss", lambda lib: {}, "cross_entropy", (4, 5), None),
    "cross_entropy_all_options": (
        "CrossEntropyLoss",
        lambda lib: {
            "weight": lib.tensor([0.5, 2.0, 1.0, 1.5, 0.25], dtype=lib.float64),
            "ignore_index": 0,
            "reduction": "sum",
            "label_smoothing": 0.15,
        },
        "cross_entropy",
        (4, 5),
        None,
    ),
    "nll": ("NLLLoss", lambda lib: {"reduction": "none"}, "nll_loss", (4, 5), None),
    "nll_weight": (
        "NLLLoss",
        lambda lib: {"weight": lib.tensor([1.0, 2.0, 3.0, 0.5, 1.0], dtype=lib.float64)},
        "nll_loss",
        (4, 5),
        None,
    ),
    "bce": (
        "BCELoss",
        lambda lib: {"weight": lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64)},
        "binary_cross_entropy",
        (4, 3),
        lambda lib: lib.tensor(np.linspace(0, 1, 12).reshape(4, 3)),
    ),
    "bce_with_logits": (
        "BCEWithLogitsLoss",
        lambda lib: {"pos_weight": lib.tensor([3.0, 1.0, 0.5], dtype=lib.float64)},
        "binary_cross_entropy_with_logits",
        (4, 3),
        lambda lib: lib.tensor(np.linspace(0, 1, 12).reshape(4, 3)),
    ),
}


def _loss_inputs(lib: Any, name: str, values: np.ndarray) -> tuple[Any, Any]:
    _, _, functional, _, target = LOSSES[name]
    if functional == "binary_cross_entropy":  # probabilities
        values = 1 / (1 + np.exp(-values))
    x = lib.tensor(values, requires_grad=True)
    return x, lib.tensor(CLASSES) if target is None else target(lib)


def _loss_run(lib: Any, name: str, values: np.ndarray, use_module: bool) -> list[np.ndarray]:
    module, kwargs, functional, _, _ = LOSSES[name]
    x, target = _loss_inputs(lib, name, values)
    if use_module:
        loss = getattr(lib.nn, module)(**kwargs(lib))(x, target)
    else:
        loss = getattr(lib.nn.functional, functional)(x, target, **kwargs(lib))
    (loss * lib.tensor(np.cos(np.arange(loss.numel())).reshape(tuple(loss.shape)))).sum().backward()
    return [numpy(loss), numpy(x.grad)]


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_module_equals_its_functional_form_and_pytorch_module(
    name: str, rng: np.random.Generator
) -> None:
    values = rng.normal(0, 1.5, LOSSES[name][3])
    module = _loss_run(cr, name, values, use_module=True)
    functional = _loss_run(cr, name, values, use_module=False)
    theirs = _loss_run(torch, name, values, use_module=True)
    for a, b, c in zip(module, functional, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


def test_loss_module_keeps_class_weights_as_a_buffer_like_pytorch() -> None:
    ours, theirs = both(lambda lib: lib.nn.CrossEntropyLoss(weight=lib.ones(3)))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    ours, theirs = both(lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.ones(3)))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["pos_weight"]


@pytest.mark.parametrize(
    "call",
    [
        lambda F, w: F.nll_loss(cr.zeros(2, 3), cr.tensor([0, 1]), w),
        lambda F, w: F.cross_entropy(cr.zeros(2, 3), cr.tensor([0, 1]), w),
        lambda F, w: F.binary_cross_entropy(cr.full((2, 3), 0.5), cr.ones(2, 3), w),
    ],
    ids=["nll_loss", "cross_entropy", "binary_cross_entropy"],
)
def test_class_weight_that_requires_grad_is_an_error_not_a_silent_zero(call: Any) -> None:
    weight = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to weight"):
        call(cr.nn.functional, weight)
    with cr.no_grad():  # nothing is recorded, so nothing is wrong
        call(cr.nn.functional, weight)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_mean_loss_with_every_target_ignored_is_nan_with_zero_gradient_like_pytorch(
    label_smoothing: float, weighted: bool
) -> None:
    def run(lib: Any) -> tuple[float, np.ndarray]:
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        weight = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64) if weighted else None
        target = lib.tensor([-100, -100])
        loss = lib.nn.functional.cross_entropy(x, target, weight, label_smoothing=label_smoothing)
        loss.backward()
        return loss.item(), numpy(x.grad)

    (ours, our_grad), (theirs, their_grad) = both(run)
    assert math.isnan(ours) and math.isnan(theirs)
    np.testing.assert_array_equal(our_grad, their_grad)
    assert not their_grad.any()


# ----------------------------------------------------------------------------- misuse
# name: (a call that must fail, the exception type PyTorch raises for it, chainrule's message)
MISUSE = {
    "linear_in_features": (
        lambda lib: lib.nn.Linear(3, 2)(lib.ones(4, 5)),
        RuntimeError,
        r"linear: input of shape \(4, 5\) does not fit weight of shape \(2, 3\)",
    ),
    "conv_channels": (
        lambda lib: lib.nn.Conv2d(3, 2, 3)(lib.ones(1, 2, 5, 5)),
        RuntimeError,
        r"Given groups=1, weight of size \[2, 3, 3, 3\], expected input\[1, 2, 5, 5\] to have 3 "
        "channels, but got 2 channels instead",
    ),
    "conv_two_dim_input": (
        lambda lib: lib.nn.Conv2d(2, 3, 3)(lib.ones(5, 5)),
        RuntimeError,
        r"conv2d: expected a 3-D .* got shape \(5, 5\)",
    ),
    "conv_kernel_too_big": (
        lambda lib: lib.nn.Conv2d(1, 1, 5)(lib.ones(1, 1, 3, 3)),
        RuntimeError,
        r"conv2d: kernel \(5, 5\) does not fit the input of size \(3, 3\)",
    ),
    "conv_same_with_stride": (
        lambda lib: lib.nn.Conv2d(1, 1, 3, 2, padding="same"),
        ValueError,
        "padding='same' is not supported for strided convolutions",
    ),
    "conv_unknown_padding": (
        lambda lib: lib.nn.Conv2d(1, 1, 3, padding="full"),
        ValueError,
        "Invalid padding string 'full'",
    ),
    "pool_padding_over_half": (
        lambda lib: lib.nn.MaxPool2d(2, padding=2)(lib.ones(1, 1, 4, 4)),
        RuntimeError,
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2",
    ),
    "avg_pool_padding_over_half": (
        lambda lib: lib.nn.AvgPool2d(3, padding=2)(lib.ones(1, 1, 4, 4)),
        RuntimeError,
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3",
    ),
    "batch_norm_one_value_per_channel": (
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)),
        ValueError,
        "Expected more than 1 value per channel when training",
    ),
    "batch_norm_channels": (
        lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(4, 2)),
        RuntimeError,
        r"BatchNorm1d\(3\) got input with 2 channels",
    ),
    "batch_norm2d_dims": (
        lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(4, 3, 2)),
        ValueError,
        "BatchNorm2d: expected 4D input",
    ),
    "layer_norm_shape": (
        lambda lib: lib.nn.LayerNorm(4)(lib.ones(2, 3)),
        RuntimeError,
        r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]",
    ),
    "cross_entropy_class_out_of_range": (
        lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.tensor([0, 3])),
        IndexError,
        "Target 3 is out of bounds.",
    ),
    "cross_entropy_negative_class": (
        lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.tensor([0, -1])),
        IndexError,
        "Target -1 is out of bounds.",
    ),
    "nll_loss_batch_sizes": (
        lambda lib: lib.nn.functional.nll_loss(lib.ones(2, 3), lib.tensor([0, 1, 2])),
        ValueError,
        r"Expected input batch_size \(2\) to match target batch_size \(3\).",
    ),
    "embedding_index_out_of_range": (
        lambda lib: lib.nn.Embedding(3, 2)(lib.tensor([0, 3])),
        IndexError,
        "index out of range in self",
    ),
    "bce_input_outside_zero_one": (
        lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
        RuntimeError,
        "all elements of input should be between 0 and 1",
    ),
    "dropout_probability": (
        lambda lib: lib.nn.functional.dropout(lib.ones(2), -0.1),
        ValueError,
        "dropout probability has to be between 0 and 1, but got -0.1",
    ),
    "softmax_dim": (
        lambda lib: lib.nn.Softmax(dim=3)(lib.ones(2, 3)),
        IndexError,
        "softmax: dimension 3 is out of range",
    ),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", list(MISUSE))
def test_misuse_raises_the_exception_type_pytorch_raises(case: str, lib: Any) -> None:
    call, error, message = MISUSE[case]
    with pytest.raises(error, match=message if lib is cr else None):  # chainrule's own words
        call(lib)


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.Conv2d(2, 3, 3, padding=1),
        lambda nn: nn.MaxPool2d(2),
        lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    ],
    ids=["conv2d", "max_pool2d", "avg_pool2d"],
)
def test_unbatched_image_gives_the_batched_result_without_the_batch_dim(build: Any) -> None:
    reference = build(torch.nn).double()
    layer = build(cr.nn).double()
    if list(reference.parameters()):
        load_torch_weights(layer, reference)
    x = np.random.default_rng(0).permutation(2 * 5 * 6).reshape(2, 5, 6) / 7.0
    ours, theirs = layer(cr.tensor(x)), reference(torch.tensor(x))
    assert tuple(ours.shape) == tuple(theirs.shape) == tuple(layer(cr.tensor(x[None])).shape[1:])
    np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- edge cases
_TIES = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0], [0.0, 1.0, 1.0, 0.0]]]])
# name: (call on (lib, functional, *inputs), the differentiable inputs)
EDGE_CASES = {
    "max_pool2d_ties_go_to_the_first_maximum": (
        lambda lib, F, x: F.max_pool2d(x, 2, stride=1),
        [_TIES],
    ),
    "max_pool2d_constant_input_overlapping_padded_windows": (
        lambda lib, F, x: F.max_pool2d(x, 3, stride=1, padding=1),
        [np.ones((1, 2, 4, 4))],
    ),
    "cross_entropy_huge_logits": (
        lambda lib, F, x: F.cross_entropy(x, lib.tensor([0, 1, 2]), reduction="none"),
        [np.array([[1e4, -1e4, 0.0], [0.0, 1e4, -1e4], [3e4, 0.0, 1.0]])],
    ),
    "log_softmax_huge_logits": (
        lambda lib, F, x: F.log_softmax(x, dim=1),
        [np.array([[1e4, -1e4, 0.0], [-3e4, 1e4, 1e4]])],
    ),
    "bce_with_logits_huge_logits": (
        lambda lib, F, x: F.binary_cross_entropy_with_logits(
            x, lib.tensor([1.0, 0.3, 0.0, 0.0, 1.0], dtype=lib.float64), reduction="none"
        ),
        [np.array([-1e3, -30.0, 25.0, 1e3, 1e3])],
    ),
    "bce_probabilities_at_zero_and_one_are_clamped": (
        lambda lib, F, p: F.binary_cross_entropy(
            p, lib.tensor([0.0, 1.0, 1.0, 0.0, 0.3], dtype=lib.float64), reduction="none"
        ),
        [np.array([0.0, 1.0, 0.0, 1.0, 0.5])],
    ),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) before the clamp
@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_case_values_and_gradients_match_pytorch(name: str) -> None:
    call, arrays = EDGE_CASES[name]

    def run(lib: Any) -> list[np.ndarray]:
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = call(lib, lib.nn.functional, *inputs)
        weights = np.cos(np.arange(out.numel())).reshape(tuple(out.shape)) + 2
        (out * lib.tensor(weights)).sum().backward()
        return [numpy(out)] + [numpy(x.grad) for x in inputs]

    ours, theirs = both(run)
    for a, b in zip(ours, theirs, strict=True):
        assert np.all(np.isfinite(a)), "inf or nan"
        # rtol: PyTorch's clamp of BCE's denominator, 1e-12, is a float32 constant (4e-9 off).
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_rule_on_arrays_gives_the_numbers_of_its_rule_on_tensors(x_shape, bias) -> None:
    # Linear's vjp is written twice (straight NumPy for the plain backward, dual's recorded
    # ops under create_graph): below 64 rows both sum the bias gradient the same way, so the
    # two must agree bit for bit.
    rng = np.random.default_rng(7)
    grads = []
    for create_graph in (False, True):
        x = cr.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=True)
        layer = cr.nn.Linear(3, 4, bias=bias)
        with cr.no_grad():
            layer.weight.copy_(cr.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) / 7))
            if bias:
                layer.bias.copy_(cr.tensor(np.ones(4, dtype=np.float32)))
        out = layer(x)
        (out * out).sum().backward(create_graph=create_graph)
        grads.append([p.grad.detach().numpy() for p in (x, *layer.parameters())])
        rng = np.random.default_rng(7)  # the same input for the second pass
    for on_arrays, on_tensors in zip(*grads, strict=True):
        assert on_arrays.tobytes() == on_tensors.tobytes()


def test_a_plain_sgd_step_of_the_digits_mlp_runs_few_python_calls(monkeypatch) -> None:
    # The eager step's cost is mostly Python calls (perf: libpython ~55% of its time): at
    # 3406f1f it ran 235 per step, 189 since Linear's rule, the BLAS thread switch, the fused
    # cross-entropy and SGD call fewer layers; 205 since each of its 5 products that OpenBLAS
    # threads asks whether other processes keep the cores busy (chainrule._busy); 214 since a
    # freed node's edges keep a stand-in of each large input's shape (backward._edges), which
    # its name and next_functions read after the backward. Counted with the profiler, warm, C
    # calls aside, on idle cores (on busy ones a product also asks whether one thread keeps
    # its bits, and switches: chainrule._blas._same_bits_on_one_thread).
    import gc
    import sys

    from chainrule import _blas
    from chainrule.training import build_model

    monkeypatch.setattr(_blas, "others_busy", lambda: False)  # (pytest-xdist's other worker)

    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((64, 64)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 10, 64))
    model = build_model("mlp", nn=cr.nn)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)

    def step() -> None:
        cr.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad()

    step()
    calls = []
    gc.disable()  # a collection would count the calls of other libraries' gc callbacks
    sys.setprofile(lambda frame, event, arg: calls.append(1) if event == "call" else None)
    try:
        step()
    finally:
        sys.setprofile(None)
        gc.enable()
    assert len(calls) <= 214, len(calls)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_passes_the_gradient_at_nan_and_blocks_it_at_zero_as_pytorch(dtype: str) -> None:
    # PyTorch's threshold_backward: the gradient passes where the output is not <= 0, so at
    # nan too; at 0 and -0.0 it stops, with +0.0 whatever the gradient holds (a nan, an inf or
    # a negative gradient of a dead unit gives +0.0, not g * 0). Every rule of chainrule's ReLU
    # is checked bit for bit against PyTorch: the vjp (the gradient is the caller's, shared),
    # vjp_inplace (the engine owns it: the product below makes a fresh one), the vjp on
    # Tensors (create_graph) and the jvp.
    values = [-2.0, -0.0, 0.0, 1e-30, 3.0, np.nan, np.inf, -np.inf, -1.0, 0.0]
    scales = [0.5, 4.0, 1.0, 2.0, 0.25, 3.0, 1.5, 8.0, np.nan, np.inf]
    for sign in (1.0, -1.0):
        g = np.array(scales, dtype=dtype) * sign
        results = []
        for lib in (cr, torch):
            shared = lib.tensor(np.array(values, dtype=dtype), requires_grad=True)
            lib.nn.ReLU()(shared).backward(lib.tensor(g))
            owned = lib.tensor(np.array(values, dtype=dtype), requires_grad=True)
            with np.errstate(invalid="ignore"):  # the product's inf * 0 at a dead unit
                (lib.nn.ReLU()(owned) * lib.tensor(g)).sum().backward()
            graphed = lib.tensor(np.array(values, dtype=dtype), requires_grad=True)
            cotangent = lib.tensor(g, requires_grad=True)
            (twice,) = lib.autograd.grad(lib.relu(graphed), graphed, cotangent, create_graph=True)
            tangent = lib.func.jvp(
                lib.relu, (lib.tensor(np.array(values, dtype=dtype)),), (lib.tensor(g),)
            )[1]
            results.append([t.detach().numpy() for t in (shared.grad, owned.grad, twice, tangent)])
        (cr_shared, cr_owned, cr_twice, cr_tangent), (torch_shared, torch_owned, *_) = results
        expected = np.where(np.array(values) > 0, g, 0)
        expected[5] = g[5]  # the gradient passes at nan (where nan > 0 is False)
        assert np.array_equal(torch_shared, expected.astype(dtype))
        for ours in (cr_shared, cr_twice, cr_tangent):
            assert ours.tobytes() == torch_shared.tobytes()
        assert cr_owned.tobytes() == torch_owned.tobytes()


def test_nll_loss_takes_int64_and_uint8_class_indices_and_refuses_others() -> None:
    # The check reads the NumPy dtype inside chainrule's (whose ``kind`` is a failed lookup
    # first): the same answers for both kinds of target PyTorch takes, its refusal for others.
    F = cr.nn.functional
    logits = cr.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    logp = cr.log_softmax(logits, 1)
    nll = F.nll_loss(logp, cr.tensor([1, 2])).item()
    entropy = F.cross_entropy(logits, cr.tensor([1, 2])).item()
    target = cr.tensor(np.array([1, 2], dtype="uint8"))
    assert F.nll_loss(logp, target).item() == nll
    assert F.cross_entropy(logits, target).item() == entropy
    for target, name in (
        (cr.tensor([1.0, 2.0]), "Float"),
        (cr.tensor([True, False]), "Bool"),
        (cr.tensor(np.array([1, 2], dtype="int32")), "Int"),
    ):
        expected = f"expected target dtype to be Long or Byte, but got {name}"
        for loss, inputs in ((F.nll_loss, logp), (F.cross_entropy, logits)):
            with pytest.raises(RuntimeError, match=expected):
                loss(inputs, target)
