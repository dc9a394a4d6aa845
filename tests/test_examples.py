"""The programs in ``examples/`` print what they print under PyTorch.

Each example is a PyTorch program whose import lines name chainrule. The test runs it twice,
from the same seed: with the imports swapped back to ``torch``, and as written. The printed
text must be the same word for word, and every printed number the same to float32 rounding
accumulated over the run.

Random numbers: chainrule's generator does not yet draw PyTorch's streams, so for the
chainrule run the ``chainrule`` the program imports is a stand-in (:class:`TorchDraws`) that
is chainrule in everything except where randomness enters: the random factories
(``randn``, ``randint``, ``multinomial``, ``Generator``, ...) draw with PyTorch and hand the
values over, layers with a random initialisation (``nn.Linear``, ``nn.Embedding``) load the
weights of a PyTorch twin built with the same arguments, and ``nn.init``'s random fills copy
PyTorch's. Both runs thus consume PyTorch's generator in the same order; all arithmetic,
autograd and optimisation under test is chainrule's.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


# ----------------------------------------------------------------------------- the stand-in
def _to_torch(value: Any) -> Any:
    if isinstance(value, cr.Tensor):
        return torch.from_numpy(value.detach().numpy().copy())
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


def _torch_dtype(dtype: Any) -> Any:
    """PyTorch's dtype for a chainrule (or NumPy) one, e.g. ``chainrule.float32``."""
    return getattr(torch, str(np.dtype(str(dtype).rsplit(".", 1)[-1])))


def _drawn_by_torch(name: str) -> Any:
    """``cr.<name>`` computed by ``torch.<name>`` on the same arguments."""

    def draw(*args: Any, **kwargs: Any) -> cr.Tensor:
        requires_grad = kwargs.pop("requires_grad", False)
        kwargs.pop("device", None)
        if kwargs.get("dtype") is not None:
            kwargs["dtype"] = _torch_dtype(kwargs["dtype"])
        result = getattr(torch, name)(*_to_torch(args), **kwargs)
        return cr.tensor(result.numpy(), requires_grad=requires_grad)

    return draw


def _filled_by_torch(name: str) -> Any:
    """``nn.init.<name>`` on a chainrule tensor: fill a PyTorch twin, copy its values."""

    def fill(tensor: cr.Tensor, *args: Any, **kwargs: Any) -> cr.Tensor:
        twin = torch.empty(tuple(tensor.shape), dtype=_torch_dtype(tensor.dtype))
        getattr(torch.nn.init, name)(twin, *args, **kwargs)
        with cr.no_grad():
            tensor.copy_(cr.tensor(twin.numpy()))
        return tensor

    return fill


def _initialised_by_torch(cls: type) -> type:
    """A subclass of chainrule's layer that loads the weights of PyTorch's twin layer."""
    twin_cls = getattr(torch.nn, cls.__name__)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        cls.__init__(self, *args, **kwargs)
        kwargs.pop("device", None)
        kwargs.pop("dtype", None)
        self.load_state_dict(twin_cls(*args, **kwargs).state_dict())

    return type(cls.__name__, (cls,), {"__init__": __init__, "__module__": cls.__module__})


class TorchDraws:
    """``base`` (a chainrule module) with some attributes replaced."""

    def __init__(self, base: Any, replaced: dict[str, Any]) -> None:
        self._base = base
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        if name in self._replaced:
            return self._replaced[name]
        return getattr(self._base, name)


RANDOM_FACTORIES = ["randn", "rand", "randint", "randperm", "multinomial", "normal", "bernoulli"]
RANDOM_LAYERS = [cr.nn.Linear, cr.nn.Embedding, cr.nn.Conv1d, cr.nn.Conv2d]
RANDOM_FILLS = ["normal_", "uniform_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_"]


def _manual_seed(seed: int) -> Any:
    cr.manual_seed(seed)
    return torch.manual_seed(seed)


def chainrule_with_torch_draws() -> dict[str, Any]:
    """Module objects to install under the names the examples import."""
    init = TorchDraws(cr.nn.init, {name: _filled_by_torch(name) for name in RANDOM_FILLS})
    nn = TorchDraws(
        cr.nn, {"init": init, **{c.__name__: _initialised_by_torch(c) for c in RANDOM_LAYERS}}
    )
    top = TorchDraws(
        cr,
        {
            "nn": nn,
            "manual_seed": _manual_seed,
            "Generator": torch.Generator,
            **{name: _drawn_by_torch(name) for name in RANDOM_FACTORIES},
        },
    )
    return {
        "chainrule": top,
        "chainrule.nn": nn,
        "chainrule.nn.functional": cr.nn.functional,
    }


# ----------------------------------------------------------------------------- running
def run(example: str, lib: str) -> str:
    """The text ``example`` prints, run with ``lib`` ("torch" or "chainrule")."""
    path = EXAMPLES / example
    source = path.read_text()
    stand_ins = chainrule_with_torch_draws()
    if lib == "torch":
        source = re.sub(r"\bchainrule\b", "torch", source)
        stand_ins = {}
    else:  # the examples' import lines resolve to the stand-ins
        source = re.sub(r"\bchainrule\b", "_chainrule_with_torch_draws", source)
        stand_ins = {
            k.replace("chainrule", "_chainrule_with_torch_draws"): v for k, v in stand_ins.items()
        }
    torch.manual_seed(0)
    cr.manual_seed(0)
    saved = {name: sys.modules.get(name) for name in stand_ins}
    sys.modules.update(stand_ins)
    printed = io.StringIO()
    threads = torch.get_num_threads()
    # One thread: on a small shared machine PyTorch's thread pool makes tiny ops 10x slower.
    torch.set_num_threads(1)
    try:
        with contextlib.redirect_stdout(printed):
            exec(
                compile(source, str(path), "exec"), {"__name__": "__main__", "__file__": str(path)}
            )
    finally:
        torch.set_num_threads(threads)
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return printed.getvalue()


def assert_same_output(ours: str, theirs: str, rtol: float) -> None:
    """The same text, numbers equal up to ``rtol`` (relative, or absolute below 1); the
    library's own name (``chainrule.Size`` for ``torch.Size``) is the one difference allowed."""
    ours = ours.replace("chainrule.", "torch.")
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)
    for line, their_line in zip(ours.splitlines(), theirs.splitlines(), strict=True):
        got = [float(x) for x in NUMBER.findall(line)]
        expected = [float(x) for x in NUMBER.findall(their_line)]
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, err_msg=line)


# name: the relative tolerance for its numbers (float32 rounding grows over long runs)
EXAMPLE_FILES = {
    "polynomial_fit.py": 1e-4,
    "two_layer_custom_function.py": 1e-4,
    "makemore_mlp.py": 1e-3,
    "gpt.py": 1e-3,
}


@pytest.mark.parametrize("example", list(EXAMPLE_FILES))
def test_example_prints_what_it_prints_under_torch(example: str) -> None:
    theirs = run(example, "torch")
    ours = run(example, "chainrule")
    assert len(theirs.splitlines()) >= 3  # the program ran and reported
    assert_same_output(ours, theirs, EXAMPLE_FILES[example])


def test_every_example_is_tested_and_imports_chainrule_only() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert files == sorted(EXAMPLE_FILES)
    for name in files:
        source = (EXAMPLES / name).read_text()
        assert "import torch" not in source and "from torch" not in source, name
        assert "import chainrule" in source, name


def test_output_comparison_catches_a_different_number() -> None:
    with pytest.raises(AssertionError):
        assert_same_output("step 1: loss 2.5000", "step 1: loss 2.5100", 1e-3)
    with pytest.raises(AssertionError):
        assert_same_output("train 2.5", "val 2.5", 1e-3)
