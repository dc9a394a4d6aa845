"""PyTorch's import paths and nn class hierarchy, row by row against torch: every name of
``torch.nn.modules.<sub>`` (its ``__all__`` and the private bases code imports, such as
``_BatchNorm`` or ``_Loss``) and of ``torch.utils.data.<sub>`` imports from chainrule's path of
the same name; each class there has PyTorch's chain of base classes; and code that relies on
them (``isinstance`` against a private base, a ``_Loss`` subclass, ``_pair``, the samplers and
collate of the data submodules) gives PyTorch's results."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
import torch
import torch.nn.modules
from snippet_outcome import outcome

import chainrule as cr

# Names PyTorch's users import from a submodule beyond its __all__: private bases and helpers.
PRIVATE = {
    "batchnorm": ["_NormBase", "_BatchNorm", "_LazyNormBase"],
    "conv": ["_ConvNd", "_ConvTransposeNd", "_LazyConvXdMixin"],
    "dropout": ["_DropoutNd"],
    "instancenorm": ["_InstanceNorm"],
    "loss": ["_Loss", "_WeightedLoss"],
    "padding": ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"],
    "pooling": [
        "_MaxPoolNd",
        "_AvgPoolNd",
        "_AdaptiveAvgPoolNd",
        "_AdaptiveMaxPoolNd",
        "_MaxUnpoolNd",
        "_LPPoolNd",
    ],
    "utils": ["_single", "_pair", "_triple", "_quadruple", "_ntuple"],
}
DATA = ["dataset", "dataloader", "sampler", "distributed"]

# What chainrule does not have at all, so not at PyTorch's path either: a name that goes
# missing, or one that chainrule gains, changes this list.
LACKING = [
    "torch.nn.modules.linear_cross_entropy_options.LinearCrossEntropyOptions",
    "torch.nn.modules.utils.consume_prefix_in_state_dict_if_present",
]

NN_SUBMODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(torch.nn.modules.__path__)
    if not info.name.startswith("_")
)
SUBMODULES = [f"torch.nn.modules.{sub}" for sub in NN_SUBMODULES] + [
    f"torch.utils.data.{sub}" for sub in DATA
]
PATHS = [
    (path, name)
    for path in SUBMODULES
    for name in [*importlib.import_module(path).__all__, *PRIVATE.get(path.split(".")[-1], [])]
]


def _mirror(path: str) -> Any:
    """chainrule's module at PyTorch's ``path``, or None where it has none."""
    try:
        return importlib.import_module(path.replace("torch", "chainrule", 1))
    except ModuleNotFoundError:
        return None


def _chainrule_object(path: str, name: str) -> Any:
    return getattr(_mirror(path), name, None)


# The classes PyTorch defines in those submodules, by name.
TORCH_CLASS_NAMES = {
    name
    for path in SUBMODULES
    for name, value in vars(importlib.import_module(path)).items()
    if inspect.isclass(value) and value.__module__ == path
}


def _base_chain(cls: type, prefixes: tuple[str, ...]) -> list[str]:
    """The names in ``cls``'s MRO of the classes PyTorch also has: chainrule's private helper
    bases (``_Inplace``, ``_PadNd``...) have no PyTorch counterpart and are left out."""
    return [
        k.__name__
        for k in cls.__mro__
        if k.__module__.startswith(prefixes) and k.__name__ in TORCH_CLASS_NAMES
    ]


def test_what_chainrule_lacks_at_pytorchs_paths_is_the_expected_list() -> None:
    assert [f"{p}.{n}" for p, n in PATHS if _chainrule_object(p, n) is None] == LACKING


@pytest.mark.parametrize(("path", "name"), [r for r in PATHS if f"{r[0]}.{r[1]}" not in LACKING])
def test_a_name_imports_from_pytorchs_path(path: str, name: str) -> None:
    ours = getattr(importlib.import_module(path.replace("torch", "chainrule", 1)), name)
    theirs = getattr(importlib.import_module(path), name)
    assert (ours.__name__, inspect.isclass(ours)) == (theirs.__name__, inspect.isclass(theirs))
    # re-exported from where chainrule defines it, not copied
    if inspect.isclass(ours) and not path.endswith(".utils"):
        assert not ours.__module__.startswith(("chainrule.nn.modules", "chainrule.utils.data"))
        public = getattr(cr.nn, name, None) or getattr(cr.utils.data, name, None)
        assert public in (None, ours)


@pytest.mark.parametrize("path", sorted({p for p, n in PATHS if f"{p}.{n}" not in LACKING}))
def test_a_submodules_all_is_pytorchs_less_what_chainrule_lacks(path: str) -> None:
    expected = [n for n in importlib.import_module(path).__all__ if f"{path}.{n}" not in LACKING]
    assert _mirror(path).__all__ == expected


def test_nn_modules_all_is_pytorchs_less_what_chainrule_lacks() -> None:
    lacking = {entry.rsplit(".", 1)[1] for entry in LACKING}
    assert set(cr.nn.modules.__all__) == set(torch.nn.modules.__all__) - lacking


def test_utils_data_all_is_its_submodules_names_as_in_pytorchs() -> None:
    expected = {n for p, n in PATHS if p.startswith("torch.utils.data.")}
    # PyTorch's lists its datapipes too, which chainrule lacks
    assert expected <= set(torch.utils.data.__all__)
    assert set(cr.utils.data.__all__) == expected


CLASSES = [
    (path, name)
    for path, name in PATHS
    if inspect.isclass(getattr(importlib.import_module(path), name))
    and f"{path}.{name}" not in LACKING
]


@pytest.mark.parametrize(("path", "name"), CLASSES)
def test_a_class_has_pytorchs_chain_of_bases(path: str, name: str) -> None:
    root = ".".join(path.split(".")[:3])  # torch.nn.modules or torch.utils.data
    theirs = _base_chain(getattr(importlib.import_module(path), name), (root,))
    ours = _base_chain(_chainrule_object(path, name), ("chainrule.nn", "chainrule.data"))
    assert ours == theirs


# (a layer, a class it is or is not an instance of): PyTorch's answer is the one expected.
ISINSTANCE = [
    ("nn.InstanceNorm2d(3)", "nn.modules.batchnorm._BatchNorm"),
    ("nn.InstanceNorm2d(3)", "nn.modules.batchnorm._NormBase"),
    ("nn.BatchNorm2d(3)", "nn.modules.batchnorm._BatchNorm"),
    ("nn.LazyBatchNorm1d()", "nn.BatchNorm1d"),
    ("nn.LazyInstanceNorm2d()", "nn.modules.instancenorm._InstanceNorm"),
    ("nn.ConvTranspose2d(2, 2, 3)", "nn.modules.conv._ConvNd"),
    ("nn.LazyConv2d(2, 3)", "nn.modules.conv._ConvNd"),
    ("nn.CELU()", "nn.ELU"),
    ("nn.Softshrink()", "nn.Hardshrink"),
    ("nn.Hardsigmoid()", "nn.Hardswish"),
    ("nn.MaxPool1d(2)", "nn.MaxPool2d"),
    ("nn.AvgPool1d(2)", "nn.modules.pooling._AvgPoolNd"),
    ("nn.AdaptiveAvgPool3d(2)", "nn.AdaptiveAvgPool2d"),
    ("nn.MaxUnpool1d(2)", "nn.modules.pooling._MaxUnpoolNd"),
    ("nn.Dropout2d()", "nn.Dropout"),
    ("nn.Dropout2d()", "nn.modules.dropout._DropoutNd"),
    ("nn.ReflectionPad2d(1)", "nn.modules.padding._ReflectionPadNd"),
    ("nn.ZeroPad2d(1)", "nn.modules.padding._ConstantPadNd"),
    ("nn.BCEWithLogitsLoss()", "nn.modules.loss._WeightedLoss"),
    ("nn.CrossEntropyLoss()", "nn.modules.loss._WeightedLoss"),
]


@pytest.mark.parametrize(("layer", "base"), ISINSTANCE)
def test_isinstance_of_a_base_is_pytorchs(layer: str, base: str) -> None:
    code = f"out = isinstance(T.{layer}, T.{base})"
    assert outcome(cr, code) == outcome(torch, code)


SNIPPETS = [
    # freezing the batch norms of a model by PyTorch's test: instance norms are not among them
    """
    m = T.nn.Sequential(T.nn.Conv2d(1, 2, 3), T.nn.BatchNorm2d(2), T.nn.InstanceNorm2d(2),
                        T.nn.SyncBatchNorm(2), T.nn.LazyBatchNorm1d())
    out = [type(x).__name__ for x in m.modules()
           if isinstance(x, T.nn.modules.batchnorm._BatchNorm)]
    """,
    # a custom loss on PyTorch's base: its reduction, the deprecated flags turned into one
    """
    class AbsLoss(T.nn.modules.loss._Loss):
        def forward(self, input, target):
            d = (input - target).abs()
            return d.sum() if self.reduction == 'sum' else d.mean()
    x, y = T.tensor([1.0, -2.0, 4.0]), T.zeros(3)
    out = [AbsLoss(reduction='sum')(x, y).item(), AbsLoss()(x, y).item(),
           AbsLoss(size_average=False).reduction, AbsLoss(reduce=False).reduction]
    """,
    """
    class Weighted(T.nn.modules.loss._WeightedLoss):
        pass
    out = [(k, v.tolist()) for k, v in Weighted(T.tensor([1.0, 2.0])).state_dict().items()]
    """,
    """
    loss = T.nn.BCEWithLogitsLoss(weight=T.ones(2), pos_weight=T.full((2,), 3.0))
    out = [list(loss.state_dict()), loss(T.zeros(2), T.ones(2)).item()]
    """,
    """
    u = T.nn.modules.utils
    out = [u._pair(3), u._single([4]), u._triple((1, 2, 3)), u._quadruple(0),
           u._ntuple(5, 'five')(1), u._pair.__name__, u._ntuple(2).__name__]
    """,
    """
    g = T.Generator().manual_seed(0)
    out = list(T.utils.data.sampler.SubsetRandomSampler([10, 11, 12, 13, 14, 15], generator=g))
    """,
    """
    out = T.utils.data.dataloader.default_collate(
        [(T.tensor([1.0, 2.0]), 0), (T.tensor([3.0, 4.0]), 1)])
    """,
    """
    g = T.Generator().manual_seed(1)
    out = [list(s) for s in T.utils.data.dataset.random_split(range(8), [5, 3], generator=g)]
    """,
    """
    sampler = T.utils.data.distributed.DistributedSampler(range(10), num_replicas=3, rank=1,
                                                          shuffle=False)
    out = list(sampler)
    """,
    """
    ds = T.utils.data.dataset.TensorDataset(T.arange(6.0), T.arange(6))
    out = list(T.utils.data.dataloader.DataLoader(ds, batch_size=4))
    """,
]


@pytest.mark.parametrize("code", SNIPPETS)
def test_code_on_pytorchs_paths_matches_pytorch(code: str) -> None:
    assert outcome(cr, code) == outcome(torch, code)
