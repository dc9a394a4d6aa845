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
import pickle
import re
import textwrap

import numpy as np
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
    # ------------------------------------------------------------------ dtypes
    "dtype_objects": """
        import torch
        x = torch.tensor([1.0, 2.0])
        print(torch.float32, repr(torch.float64), x.dtype, torch.tensor([1]).dtype, [torch.bool])
        print(torch.float == torch.float32, torch.double is torch.float64, x.dtype == torch.float32)
        print(torch.float32.is_floating_point, torch.int64.is_floating_point, torch.int64.itemsize)
        print(torch.int8.is_signed, torch.uint8.is_signed, torch.complex64.is_complex)
        print({torch.float32: "f"}[x.dtype], x.double().dtype, x.to(torch.int32).dtype)
        print(x.dtype.is_floating_point, x.is_floating_point(), torch.zeros(2, dtype=torch.long))
    """,
    "legacy_Tensor_constructor": """
        import torch
        print(torch.Tensor([1, 2]), torch.Tensor([[1.5, 2]]).dtype, torch.Tensor(2, 3).shape)
        print(torch.Tensor(), torch.Tensor(torch.Size([2])).shape)
        t = torch.tensor([1.0, 2.0])
        print(torch.Tensor(t) is t, torch.Tensor(t).data_ptr() == t.data_ptr())
        error(lambda: torch.Tensor(2.5))
    """,
    "default_dtype": """
        import torch
        print(torch.get_default_dtype())
        torch.set_default_dtype(torch.float64)
        print(torch.get_default_dtype(), torch.tensor([1.5]), torch.zeros(2).dtype)
        print(torch.tensor([1.5], dtype=torch.float32), torch.arange(0.0, 1.0, 0.5).dtype)
        print(torch.tensor([], dtype=torch.float32), torch.tensor([]))
        error(lambda: torch.set_default_dtype(torch.int64))
        torch.set_default_dtype(torch.float32)
        print(torch.tensor([1.5]), torch.tensor([1.5], dtype=torch.float64))
    """,
    "printoptions": """
        import torch
        x = torch.tensor([1.23456, 20.5, 0.001])
        torch.set_printoptions(precision=2)
        print(x)
        torch.set_printoptions(sci_mode=False)
        print(x * 1e-6)
        torch.set_printoptions(precision=6, sci_mode=True)
        print(x)
        torch.set_printoptions(profile="default")
        print(x, torch.arange(2000.0))
        torch.set_printoptions(threshold=5, edgeitems=1)
        print(torch.arange(10).reshape(2, 5))
        torch.set_printoptions(linewidth=30)
        print(torch.arange(12.0))
        torch.set_printoptions(profile="short")
        print(torch.arange(2000) / 3)
        torch.set_printoptions(profile="full")
        print(torch.arange(1001)[-3:])
        torch.set_printoptions(profile="default")
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
        module.set_default_dtype(module.float32)
        module.set_printoptions(profile="default")


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


def test_dtypes_equal_their_numpy_counterparts_and_numpy_takes_them() -> None:
    # Where users mix NumPy and chainrule, the dtypes agree (PyTorch's do not interoperate).
    assert chainrule.float32 == np.float32 and np.dtype("float32") == chainrule.float32
    assert chainrule.int64 != np.float32 and chainrule.float32 != "float32"
    assert {np.dtype("float64"): 1}[chainrule.float64] == 1
    assert np.zeros(2, dtype=chainrule.float16).dtype == np.float16
    assert chainrule.tensor([1.0]).numpy().dtype == chainrule.tensor([1.0]).dtype
    assert pickle.loads(pickle.dumps(chainrule.float64)) is chainrule.float64


@pytest.mark.parametrize(
    "module",
    [
        *("chainrule.devices", "chainrule.cuda", "chainrule.accelerator", "chainrule.backends"),
        *("chainrule.dtypes", "chainrule.printing"),
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
