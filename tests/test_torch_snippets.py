"""PyTorch-style snippets print the same text under chainrule as under PyTorch.

Each snippet is written for PyTorch; the chainrule run replaces the word ``torch`` with
``chainrule`` in its source, and that is the only difference. PyTorch's output, with the same
replacement, must equal chainrule's. Memory addresses are masked (``0x...``). ``error(f)`` prints
the exception type and its first line, so failures are compared too.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import re
import textwrap

import pytest
import torch

import chainrule

SNIPPETS: dict[str, str] = {
    # ------------------------------------------------------------------ devices
    "device_selection": """
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
        print(device, torch.cuda.device_count(), torch.backends.mps.is_available())
        x = torch.zeros(2, 3, device=device)
        print(x.device, repr(x.device), x.device.type, x.device.index)
    """,
    "device_objects": """
        import torch
        d = torch.device("cpu")
        print(repr(d), str(d), d == torch.device("cpu"), d == "cpu", {d: 1}[torch.device("cpu")])
        print(repr(torch.device("cuda:1")), torch.device("cuda", 0).index)
        error(lambda: torch.device("gpu"))
    """,
    "device_cuda_errors": """
        import torch
        error(lambda: torch.zeros(1, device="cuda"))
        error(lambda: torch.randn(2, device=torch.device("cuda")))
        error(lambda: torch.ones(2).to("cuda"))
        error(lambda: torch.ones(2).cuda())
        error(lambda: torch.nn.Linear(2, 2).to("cuda:0"))
        error(lambda: torch.nn.Linear(2, 2, device="cuda"))
        error(lambda: torch.cuda.current_device())
        print(torch.cuda.manual_seed_all(0), torch.cuda.is_initialized())
    """,
    "device_to_and_factories": """
        import torch
        device = torch.device("cpu")
        x = torch.arange(3, device=device).to(device, torch.float64)
        print(x, x.to(device=device).device, x.cpu().device)
        model = torch.nn.Linear(3, 1).to(device)
        print(model.weight.device, model.to(torch.float64).weight.dtype == torch.float64)
        for f in (torch.tensor, torch.as_tensor):
            print(f([1.5], device=device))
        print(torch.full((2,), 7, device="cpu"), torch.eye(2, device="cpu").shape)
        print(torch.linspace(0, 1, 3, device="cpu"), torch.zeros_like(x, device="cpu"))
        print(torch.randint(0, 5, (3,), device="cpu").shape, torch.randperm(3, device="cpu").shape)
        print(x.new_zeros(2, device="cpu"), x.new_tensor([1], device=device))
    """,
    "accelerator": """
        import torch
        print(torch.accelerator.is_available(), torch.accelerator.current_accelerator())
        print(torch.accelerator.device_count(), torch.get_default_device())
        error(lambda: torch.accelerator.current_device_index())
    """,
    "default_device": """
        import torch
        torch.set_default_device("cuda")
        error(lambda: torch.zeros(1))
        torch.set_default_device("cpu")
        print(torch.zeros(1).device, torch.get_default_device())
        torch.set_default_device(None)
        print(torch.get_default_device())
    """,
}


def error(f: object) -> None:
    """Print the exception ``f()`` raises as ``Type: first line``."""
    try:
        f()  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the point is to print whatever it is
        print(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    else:
        print("no error")


def run(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(textwrap.dedent(source), {"error": error})  # noqa: S102 - the snippets are ours
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", out.getvalue())


@pytest.fixture(autouse=True)
def _fresh_state():
    """Snippets that change global settings (default device, dtype, seeds) leave none behind."""
    yield
    for module in (torch, chainrule):
        module.set_default_device(None)


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


@pytest.mark.parametrize(
    "module",
    ["chainrule.devices", "chainrule.cuda", "chainrule.accelerator", "chainrule.backends"],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
