"""Training in chainrule and in PyTorch gives the same losses, step by step.

The same network starts from the same weights (moved between the libraries through a
safetensors file, in both directions), sees the same digits batches from chainrule's
DataLoader, and takes the same optimizer steps; the cross-entropy loss must agree to 1e-5
relative at every step, in float32.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from threadpoolctl import threadpool_limits

import chainrule as cr

STEPS = 20
RTOL = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_thread_each() -> Iterator[None]:
    """Run PyTorch and NumPy's BLAS on one thread here: their thread pools spin against each
    other when used alternately, which made these small steps 10-50x slower on 2 cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        yield
    torch.set_num_threads(threads)


def _mlp(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
    )


def _cnn(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


@functools.cache
def _batches(images: bool, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``steps`` shuffled training batches of 32 digits, as NumPy arrays for both libraries."""
    x, y, _, _ = cr.datasets.digits(images=images)
    loader = cr.utils.data.DataLoader(
        cr.utils.data.TensorDataset(x, y),
        batch_size=32,
        shuffle=True,
        drop_last=True,
        generator=cr.Generator(0),
    )
    return [(xb.numpy(), yb.numpy()) for (xb, yb), _ in zip(loader, range(steps), strict=False)]


def _chainrule_to_torch(tmp_path: Path, make: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Weights initialised by chainrule, saved with cr.save, read by safetensors.torch."""
    cr.manual_seed(0)
    ours = make(cr)
    cr.save(ours.state_dict(), tmp_path / "chainrule.safetensors")
    theirs = make(torch)
    theirs.load_state_dict(load_file(tmp_path / "chainrule.safetensors"))
    return ours, theirs


def _torch_to_chainrule(tmp_path: Path, make: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Weights initialised by PyTorch, saved with safetensors.torch, read by cr.load."""
    torch.manual_seed(0)
    theirs = make(torch)
    save_file(theirs.state_dict(), tmp_path / "torch.safetensors")
    ours = make(cr)
    ours.load_state_dict(cr.load(tmp_path / "torch.safetensors"))
    return ours, theirs


def _assert_same_weights(ours: Any, theirs: Any, **tolerance: float) -> None:
    reference = theirs.state_dict()
    mine = ours.state_dict()
    assert list(mine) == list(reference)
    for key, value in mine.items():
        assert value.dtype == np.float32
        np.testing.assert_allclose(value.numpy(), reference[key].numpy(), err_msg=key, **tolerance)


OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 1e-3}),
]
DIRECTIONS = [_chainrule_to_torch, _torch_to_chainrule]


def _train(
    ours: Any, theirs: Any, optimizer: tuple[str, dict[str, Any]], images: bool, steps: int
) -> list[float]:
    name, kwargs = optimizer
    opt = getattr(cr.optim, name)(ours.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    loss_fn, tloss_fn = cr.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    losses = []
    for step, (xb, yb) in enumerate(_batches(images, steps)):
        opt.zero_grad()
        loss = loss_fn(ours(cr.from_numpy(xb)), cr.from_numpy(yb))
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = tloss_fn(theirs(torch.from_numpy(xb)), torch.from_numpy(yb))
        tloss.backward()
        topt.step()
        assert loss.dtype == np.float32
        assert loss.item() == pytest.approx(tloss.item(), rel=RTOL), f"{name} step {step}"
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("direction", DIRECTIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o[0])
def test_mlp_training_losses_match_torch(
    tmp_path: Path, direction: Callable[..., Any], optimizer: tuple[str, dict[str, Any]]
) -> None:
    ours, theirs = direction(tmp_path, _mlp)
    _assert_same_weights(ours, theirs, rtol=0, atol=0)  # the file moves bits, not values
    losses = _train(ours, theirs, optimizer, images=False, steps=STEPS)
    assert losses[-1] < losses[0]  # it learned: equal losses that never move prove little
    _assert_same_weights(ours, theirs, rtol=1e-4, atol=1e-5)


# Five steps of Adam at 1e-3 barely move the CNN; a larger rate shows learning sooner.
CNN_OPTIMIZERS = [OPTIMIZERS[0], ("Adam", {"lr": 1e-2})]


@pytest.mark.parametrize("direction", DIRECTIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("optimizer", CNN_OPTIMIZERS, ids=lambda o: o[0])
def test_cnn_training_losses_match_torch(
    tmp_path: Path, direction: Callable[..., Any], optimizer: tuple[str, dict[str, Any]]
) -> None:
    ours, theirs = direction(tmp_path, _cnn)
    _assert_same_weights(ours, theirs, rtol=0, atol=0)
    losses = _train(ours, theirs, optimizer, images=True, steps=5)
    assert losses[-1] < losses[0]
    _assert_same_weights(ours, theirs, rtol=1e-4, atol=1e-5)


def test_checkpoint_of_model_and_optimizer_resumes_training(tmp_path: Path) -> None:
    """Model, optimizer and epoch in one cr.save file; training resumes bit for bit."""
    cr.manual_seed(0)
    model = _mlp(cr)
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = cr.nn.CrossEntropyLoss()
    batches = _batches(False, 6)

    def step(net: Any, optimizer: Any, xb: np.ndarray, yb: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = loss_fn(net(cr.from_numpy(xb)), cr.from_numpy(yb))
        loss.backward()
        optimizer.step()
        return loss.item()

    for xb, yb in batches[:3]:
        step(model, opt, xb, yb)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    cr.save(checkpoint, tmp_path / "checkpoint.safetensors")
    loaded = cr.load(tmp_path / "checkpoint.safetensors")
    assert loaded["epoch"] == 3
    resumed = _mlp(cr)
    resumed.load_state_dict(loaded["model"])
    resumed_opt = cr.optim.Adam(resumed.parameters(), lr=1e-3)
    resumed_opt.load_state_dict(loaded["optimizer"])
    for xb, yb in batches[3:]:
        assert step(resumed, resumed_opt, xb, yb) == step(model, opt, xb, yb)
    _assert_same_weights(resumed, model, rtol=0, atol=0)
