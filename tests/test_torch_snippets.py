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
import subprocess
import sys
import textwrap
import warnings

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
    "backends_cuda_flags": """
        import torch  # the switches training scripts set on any machine
        torch.backends.cuda.matmul.allow_tf32 = True
        print(torch.backends.cuda.matmul.allow_tf32, torch.backends.cuda.is_built())
        print(torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)
        torch.backends.cuda.matmul.allow_tf32 = False
        error(lambda: torch.backends.cuda.matmul.no_such_flag)
        error(lambda: setattr(torch.backends.cuda.matmul, "no_such_flag", 1))
        error(lambda: torch.backends.cuda.enable_math_sdp("yes"))
        print(torch.backends.cuda.math_sdp_enabled(), torch.backends.cuda.flash_sdp_enabled())
        flags = torch.backends.cuda
        print(flags.mem_efficient_sdp_enabled(), flags.cudnn_sdp_enabled())
    """,
    "sdpa_kernel_choices": """
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel
        q = torch.arange(24.0).reshape(1, 2, 3, 4) / 10
        print(SDPBackend.MATH, repr(SDPBackend.FLASH_ATTENTION), int(SDPBackend.ERROR))
        print(SDPBackend.MATH == 0, SDPBackend(2), SDPBackend.CUDNN_ATTENTION.name)
        attend = torch.nn.functional.scaled_dot_product_attention
        for choice in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, [SDPBackend.CUDNN_ATTENTION,
                SDPBackend.MATH], SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, []):
            with sdpa_kernel(choice, set_priority=True):
                flags = torch.backends.cuda
                print(flags.math_sdp_enabled(), flags.flash_sdp_enabled(),
                      flags.mem_efficient_sdp_enabled(), flags.cudnn_sdp_enabled())
                error(lambda: print(round(attend(q, q, q).sum().item(), 3)))
        print(torch.backends.cuda.math_sdp_enabled(), torch.backends.cuda.cudnn_sdp_enabled())
        torch.backends.cuda.enable_math_sdp(False)
        print(round(attend(q, q, q).sum().item(), 3))  # the flash kernel (a CPU has it) is on
        torch.backends.cuda.enable_flash_sdp(False)
        error(lambda: attend(q, q, q))
        torch.backends.cuda.enable_math_sdp(True)
        torch.backends.cuda.enable_flash_sdp(True)
        error(lambda: sdpa_kernel("math").__enter__())
        error(lambda: sdpa_kernel((SDPBackend.MATH,)).__enter__())
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
    # ------------------------------------------------------------------ graph nodes
    "grad_fn_printing": """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        w = torch.tensor(3.0, requires_grad=True)
        y = (x * w + 1).sum()
        print(y, y.grad_fn, y.grad_fn.name())
        print(y.grad_fn.next_functions)
        add = y.grad_fn.next_functions[0][0]
        print(add.next_functions)
        mul = add.next_functions[0][0]
        print(mul.next_functions, mul.next_functions[0][0].variable is x)
        print(mul.next_functions[0][0].next_functions, mul.next_functions[1][0].name())
        print(mul.next_functions[0][0] is mul.next_functions[0][0], x.grad_fn)
    """,
    "grad_fn_names": """
        import torch
        import torch.nn.functional as F
        x = (torch.arange(12.0) / 7 - 0.8).reshape(3, 4).requires_grad_()
        v = torch.linspace(-1, 1, 4).requires_grad_()
        W = (torch.arange(20.0) / 9 - 1).reshape(5, 4).requires_grad_()
        b = torch.linspace(0, 1, 5).requires_grad_()
        y = torch.tensor([0, 1, 2])
        results = [
            x[0, 1], v @ W.T, x[None] @ W.T, F.linear(v, W, b), F.linear(x[None], W, b),
            torch.stack([x, x]), x.split(2)[1], x.split([1, 3], 1)[0], x.chunk(2)[1],
            x.unbind()[1], 1 - x, F.linear(x, W, b), F.linear(x, W),
        ]
        for r in results:  # nodes named as PyTorch names them, though built differently
            print(r.grad_fn)
        results = [
            x * 3, x + x, x - 1, x / 2, x**2, x**x, 2**x, x.sum(), x.sum(0), x.mean(),
            x.mean(1), x[0], x[1:], x[:, 0], x[[0, 1]], x[range(3), y], x[x > 0], x[None],
            x[..., 1:2], x.max(), x.max(1)[0], x.min(), x.min(0).values, x.amax(1),
            x @ W.T, v @ v, x @ v, x.T, x.t(), x.transpose(0, 1),
            x.view(12), x.reshape(12), x.unsqueeze(0), x.flatten(), x[None].squeeze(0),
            F.mse_loss(x, x.detach() / 2),
            F.binary_cross_entropy(torch.sigmoid(x), (x.detach() > 0).float()),
            F.binary_cross_entropy_with_logits(x, torch.full((3, 4), 0.25)),
            F.nll_loss(F.log_softmax(x, 1), y), F.cross_entropy(x, y), x.clamp(0, 1),
            x.clamp(min=0), x.relu(), x.double(), x.softmax(1), x.log_softmax(1),
            x.logsumexp(1), x.cumsum(0), x.norm(), torch.cat([x, x]),
            v.expand(3, 4), x.permute(1, 0), x.abs(), x.clone(), F.pad(x, (1, 1)), x.prod(),
            x.repeat(2, 1), x.flip(0), x.roll(1, 0), x.gather(1, y[:, None]),
            torch.maximum(x, x), F.gelu(x), F.silu(x), F.softplus(x), x.sign(), -x, x.exp2(),
            torch.atan2(x, x), torch.hypot(x, x), x % 2.0, torch.fmod(x, 2.0), x.amin(1),
        ]
        for r in results:  # and their inputs' nodes
            print(r.grad_fn.name(), [n and n.name() for n, _ in r.grad_fn.next_functions])
        loss = F.cross_entropy(F.linear(x, W, b), y)
        print(loss, F.mse_loss(x, x.detach() / 2))
    """,
    "matmul_nodes_after_backward": """
        import torch
        def names(node):
            return [n and n.name() for n, _ in node.next_functions]
        pairs = [
            ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
            ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
            ((2, 5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)),
        ]
        for x, y in pairs:  # the node is named after the kernel PyTorch's matmul picks
            for needs in [(True, True), (True, False), (False, True)]:
                for retain in (False, True):
                    a = torch.ones(x, requires_grad=needs[0])
                    out = a @ torch.ones(y, requires_grad=needs[1])
                    node = out.grad_fn
                    out.sum().backward(retain_graph=retain)
                    print(x, y, needs, retain, node.name(), node.name())
        laid_out = [torch.ones(5, 3, 2).mT, torch.ones(2, 5, 3).transpose(0, 1)]
        for a in laid_out:
            print((a.requires_grad_() @ torch.ones(3, 4)).grad_fn.name())
            print((torch.ones(4, 2) @ a).grad_fn.name(), (torch.ones(2) @ a).grad_fn.name())
        x = torch.ones(2, 3, requires_grad=True)
        single = [  # one kernel: the node's inputs are the leaves, as in PyTorch
            x @ torch.ones(3, 4), x @ torch.ones(3), x[0] @ x[1], torch.mm(x, x.t()),
            torch.bmm(x[None], x.t()[None]), torch.dot(x[0], x[1]), x.mm(x.t()),
        ]
        for out in single:
            node = out.grad_fn
            print(node.name(), names(node))
            out.sum().backward()
            print(node.name(), names(node), node.next_functions[0][0].name())
            error(lambda: out.sum().backward())
    """,
    "mv_as_pytorch_checks_it": """
        import torch  # matmul of a matrix and a vector, with mv's own checks and words
        m = torch.arange(6.0).reshape(2, 3).requires_grad_()
        v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        r = torch.mv(m, v)
        r.sum().backward()
        print(r, m.grad, v.grad, r.grad_fn.name(), [n.name() for n, _ in r.grad_fn.next_functions])
        print(m.mv(v * 2), m.detach().mv(v).grad_fn, m.mv(v.detach()).grad_fn)
        i, empty = torch.arange(6).reshape(2, 3), torch.ones(0)
        print(torch.mv(i, torch.tensor([1, 0, 2])), torch.mv(m.detach(), v.detach()))
        print(torch.mv(torch.ones(0, 3), v), torch.mv(torch.ones(2, 0), empty))
        a, b = torch.ones(2, 0, 3, requires_grad=True), torch.ones(0, 3, 4, requires_grad=True)
        t = torch.tensordot(a, b, 2)  # contracting empty dims: zeros
        t.sum().backward()
        print(t, a.grad.shape, b.grad.shape, torch.tensordot(empty, empty, dims=1))
        print(torch.mv(m.t(), torch.ones(2)), torch.mv(input=m, vec=v), m.mv(vec=v))
        error(lambda: torch.mv(m, m))
        error(lambda: torch.mv(v, v))
        error(lambda: torch.mv(m, torch.ones(4)))
        error(lambda: torch.mv(m[None], v))
        error(lambda: torch.mv(m, torch.ones(())))
        error(lambda: torch.mv(m, 3))
        error(lambda: torch.mv([[1.0]], v))
        error(lambda: m.mv([1.0, 2.0, 3.0]))
        error(lambda: m.mv(v.numpy(force=True)))
        error(lambda: torch.mv(m, torch.ones(3, dtype=torch.float64)))
        error(lambda: torch.mv(m, torch.ones(4, dtype=torch.float64)))
        error(lambda: torch.mv(i, torch.ones(3)))
        error(lambda: torch.mv(i.bool(), torch.ones(3).bool()))
        x = torch.arange(8.0).reshape(2, 4)
        print(torch.func.vmap(lambda r: r.mv(r[0]), in_dims=1)(x.reshape(2, 2, 2)))
        print(torch.func.vmap(torch.mv, in_dims=(None, 0))(x, torch.ones(3, 4)))
    """,
    "view_as_another_dtype": """
        import torch  # the same bytes as another dtype: a non-differentiable alias
        ones, f64, i8, i16 = torch.ones, torch.float64, torch.int8, torch.int16
        x = torch.tensor([1.0, -2.0, 0.5])
        for dtype in (torch.int32, torch.float32, torch.float16, i8, torch.uint8, i16):
            print(x.view(dtype))
        print(ones(2, 4).view(f64), ones(2, 4)[:, :2].view(f64), ones(2, 3).view(i16).shape)
        print(ones(3, dtype=f64).view(torch.int64), ones(()).view(torch.int32))
        print(torch.tensor([0, 1, 2], dtype=torch.uint8).view(torch.bool))
        print(ones(2, 3, 4)[:, 1].view(f64), ones(2, 3, 4)[:, 1].view(i16).shape)
        print(ones(4).expand(3, 4).view(f64), ones(6)[2:].view(f64), ones(3, 4)[:, :2].view(f64))
        print(ones(0, 4).view(f64).shape, torch.arange(6, dtype=i16)[1:].view(i8))
        bad = [
            ones(3), ones(4, 2).t(), ones(2, 4)[:, 1:3], ones(()), ones(1, 4).t(),
            ones(4, 4)[:, ::2], ones(3, 3)[:, :2], ones(1).expand(3), ones(6)[1:],
        ]
        for t in bad:  # PyTorch's checks where the element sizes differ, in its order
            error(lambda: t.view(f64))
            error(lambda: t.view(i8))
        error(lambda: ones(1).expand(4).view(i16))
        error(lambda: ones(3).view("float32"))
        error(lambda: ones(3).view(torch.int32, 3))
        error(lambda: ones(2).view(torch.Size([2]), 1))
        error(lambda: ones(2).view(torch.float32, torch.device("cpu")))
        error(lambda: torch.zeros(torch.device("cpu")))
        xr = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
        for dtype in (torch.float32, torch.int32, torch.float16):
            r = xr.view(dtype)
            print(r.dtype, r.requires_grad, r.grad_fn, r.is_leaf, r is xr)
            print(r.data_ptr() == xr.data_ptr())
        error(lambda: xr.view(torch.float32).sum().backward())
        z = xr.exp()
        w = z.view(torch.int32)
        w.add_(1)  # one version counter: the change is seen by the backward pass through z
        print(z._version, w._version)
        short(lambda: z.sum().backward(), 60)  # the rest of the message is our own
        y = ones(3)
        y.view(torch.int32)[0] = 0
        print(y)
        x = torch.arange(8.0).reshape(2, 4)
        short(lambda: torch.func.vmap(lambda r: r.view(torch.int32))(x).tolist())
        short(lambda: torch.func.vmap(lambda r: r.view(f64))(x).tolist())
        short(lambda: torch.func.vmap(lambda r: r.view(i16), in_dims=1)(x).tolist())
    """,
    "view_as_another_dtype_when_empty": """
        import torch  # PyTorch's checks on tensors of no elements: sizes, strides as a new one's
        ones, f64, i8, i16, i32 = torch.ones, torch.float64, torch.int8, torch.int16, torch.int32
        empties = [
            ones(0), ones(0, 3), ones(3, 0), ones(2, 0, 3), ones(5, 0, 2), ones(0, 4), ones(0, 2),
            ones(2, 4)[:0], ones(3, 4)[:, 4:], ones(3, 4)[:, 2:2], ones(3, 4)[3:, ::2], ones(4)[4:],
            ones(3, 4)[:0, 1:], torch.arange(12.0).reshape(3, 4)[:0], ones(0, 4).unsqueeze(0),
            ones(0, 4)[:, None], ones(0, 4).reshape(4, 0), ones(3, 0).t(), ones(4, 6)[1:1, 2:4],
        ]
        for t in empties:
            for dtype in (f64, i8, i16, i32):
                short(lambda: t.view(dtype).shape)
    """,
    "matmul_nodes_walked_as_pytorch_builds_them": """
        import torch
        def walk(fn):
            kids = [walk(n) for n, _ in (fn.next_functions if fn is not None else ())]
            return (fn.name() if fn is not None else "None") + (f"{kids}" if kids else "")
        pairs = [
            ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
            ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
            ((2, 5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)),
            ((5, 2, 3), (2, 1, 3, 4)), ((2, 5, 2, 3), (3,)), ((3,), (2, 5, 3, 4)),
            ((1, 2, 3), (3, 4)), ((3, 4), (1, 4, 2)), ((2, 5, 2, 3), (3, 4)),
        ]
        for x, y in pairs:  # the steps PyTorch's matmul takes, shown under its one node
            for needs in [(True, True), (True, False), (False, True)]:
                a = torch.ones(x, requires_grad=needs[0])
                print(x, y, needs, walk((a @ torch.ones(y, requires_grad=needs[1])).grad_fn))
        for a in [torch.ones(5, 3, 2).mT, torch.ones(2, 5, 3).transpose(0, 1)]:
            a.requires_grad_()  # laid out otherwise: reshapes become aliases or copies
            print(walk((a @ torch.ones(3, 4)).grad_fn), walk((torch.ones(4, 2) @ a).grad_fn))
            print(walk((torch.ones(4, 2, requires_grad=True) @ a).grad_fn))
            print(walk((torch.ones(2, requires_grad=True) @ a).grad_fn))
        v, W = torch.ones(3, requires_grad=True), torch.ones(3, 4, requires_grad=True)
        out = v @ (W * 2)
        node = out.grad_fn
        print(node.next_functions[0][0] is node.next_functions[0][0], walk(node))
        out.sum().backward()
        print(walk(node), v.grad, W.grad)
        print(walk(torch.bmm(W[None].mT, W[None]).grad_fn), walk(torch.mm(W.T, W).grad_fn))
    """,
    "graph_walks_through_layers": """
        import torch
        import torch.nn.functional as F
        def walk(fn, depth=0):  # as tutorials print a graph
            print("  " * depth + (fn.name() if fn is not None else "None"), fn)
            for node, index in fn.next_functions if fn is not None else ():
                walk(node, depth + 1)
        torch.manual_seed(0)
        lin, no_bias = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3, bias=False)
        x = torch.rand(2, 4, requires_grad=True)
        for inp in (x, x.detach(), torch.rand(5, 2, 4, requires_grad=True), torch.rand(4)):
            walk(lin(inp).grad_fn)
            walk(no_bias(inp).grad_fn)
        node = lin(x).grad_fn
        print(node.next_functions[2][0] is node.next_functions[2][0], node.next_functions[2][1])
        print(node.next_functions[2][0].next_functions[0][0].variable is lin.weight)
        lin.weight.requires_grad_(False)
        walk(lin(x.detach()).grad_fn)
        lin.weight.requires_grad_(True)
        y = torch.tensor([0, 2])
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3))
        walk(F.cross_entropy(model(x), y).grad_fn)
        walk(torch.nn.MSELoss()(lin(x), torch.zeros(2, 3)).grad_fn)
        walk(torch.nn.BCEWithLogitsLoss()(lin(x), torch.ones(2, 3)).grad_fn)
        walk(torch.nn.Embedding(5, 3)(torch.tensor([1, 2])).grad_fn)
        walk((x @ lin.weight.T + lin.bias).grad_fn)
    """,
    "cross_entropy_gradients_and_nodes": """
        import torch
        import torch.nn.functional as F
        torch.manual_seed(0)
        x = torch.randn(5, 4, requires_grad=True)
        y, w = torch.tensor([0, 3, -100, 3, 1]), torch.tensor([0.5, 2.0, 1.0, 1.5])
        for kwargs in ({}, {"weight": w}, {"reduction": "sum"}, {"reduction": "none"}):
            for target in (torch.tensor([0, 3, 2, 3, 1]), y):
                x.grad = None
                loss = F.cross_entropy(x * 2, target, **kwargs)
                loss.sum().backward()
                print(kwargs, loss, x.grad)
        loss = F.cross_entropy(x, y)
        shown = loss.grad_fn.next_functions[0][0]
        print(shown is loss.grad_fn.next_functions[0][0], shown.next_functions)
        # (an ignored sample's row of h prints -0. here, which PyTorch prints 0.: left out)
        t = torch.tensor([0, 3, 2, 3, 1])
        (g,) = torch.autograd.grad(F.cross_entropy(x, t, weight=w), x, create_graph=True)
        (h,) = torch.autograd.grad((g * g).sum(), x)
        print(g.detach(), h)  # (g's own node is named apart: SubBackward0 here)
        z = x * 1
        loss = F.cross_entropy(z, y)
        z.add_(1)  # the logits changed after the loss: its gradient is still the old one
        loss.backward()
        print(x.grad)
        print(F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)))
        for bad in (torch.tensor([0, 4]), torch.tensor([-1, 0])):
            try:
                F.cross_entropy(torch.zeros(2, 4, requires_grad=True), bad)
            except IndexError as e:
                print("IndexError", type(e).__name__)
    """,
    # ------------------------------------------------------------------ missing API
    "range_and_list_indexing": """
        import torch
        n = 3
        logits = torch.arange(12.0).reshape(n, 4)
        y = torch.tensor([3, 0, 1])
        print(logits[range(n), y], logits[range(1, 3)], logits[[True, False, True]])
        logits[range(n), y] -= 1
        print(logits)
        logits[[0, 2]] = 0.5
        print(logits, logits[[0, 1], [1, 2]], logits[[]].shape)
        x = torch.arange(6.0, requires_grad=True)
        x[[0, 0, 2]].sum().backward()
        print(x.grad, x.nelement(), torch.zeros(2, 3).nelement())
    """,
    "bool_masks_checked_against_the_shape": """
        import torch  # a bool mask's shape is checked against the tensor's, as PyTorch checks it
        x = torch.arange(12.0).reshape(3, 4)
        m = torch.tensor([True, False, True])
        keys = [
            m, [True, False, True], torch.tensor([True, False]), [True, False],
            torch.tensor([[True, False]]),
            torch.tensor([True, False, True, True]), (slice(None), torch.tensor([True, False])),
            (slice(None), torch.tensor([True, False, False, True])), x > 4, (x > 4)[:2],
            (Ellipsis, torch.tensor([True, False, True, True])), (Ellipsis, m), (m, Ellipsis),
            (None, m), (m, None, 1), torch.tensor([[True] * 4] * 2), (0, torch.tensor([True] * 4)),
            (0, torch.tensor([True] * 3)), (m, torch.tensor([0, 1])),
            torch.zeros(3, 4, 1, dtype=torch.bool),
        ]
        for key in keys:
            error(lambda: print(x[key].tolist(), end=" "))
        y = torch.arange(12.0).reshape(3, 4).requires_grad_()
        y[m].sum().backward()
        print(y.grad)
        z = torch.zeros(3, 4)
        z[m] = 1.0
        z[:, torch.tensor([False, True, False, True])] += 2
        print(z)
        error(lambda: z.__setitem__(torch.tensor([True, False]), 5.0))
        print(torch.func.vmap(lambda r: r[torch.tensor([True, False, True, False])])(x))
    """,
    "integers_select_before_index_arrays": """
        import torch  # PyTorch applies ints (and 0-d int tensors) as selects before the arrays
        x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
        keys = [
            (0, slice(None), [1, 2]), (torch.tensor(0), slice(None), torch.tensor([1, 2])),
            (-1, Ellipsis, [3, 0]), ([0, 1], 1, [0, 1]), ([0, 1], slice(None), 1),
            (1, None, [True, False, True]), (slice(None), [0, 1], Ellipsis, [1]),
            ([1, 0], Ellipsis, 1, [2]), (0, [[0], [1]], slice(1, 3)), True, (False, 0),
            torch.tensor(True), (Ellipsis, torch.tensor([True, False, True, True])),
            (slice(None), Ellipsis, [2]), ([[1]], Ellipsis, [0, 2], 1),
        ]
        weights = torch.arange(1.0, 25.0)
        for key in keys:
            y = x[key]
            (y * weights[: y.numel()].reshape(y.shape)).sum().backward()
            print(tuple(y.shape), y.flatten().tolist(), x.grad.flatten().tolist())
            x.grad = None
            z = x.detach().clone()
            z[key] = -torch.arange(1.0, y.numel() + 1).reshape(y.shape)
            print(z.flatten().tolist())
        p = torch.ones(2, 3, requires_grad=True)
        q, v = p * 1, torch.ones(3, requires_grad=True)
        q[0:0] = v  # an empty view is still a view: v gets a zero gradient
        q.sum().backward()
        print(p.grad, v.grad, q.grad_fn.name(), repr(q.grad_fn).split(" at ")[0])
        print(repr(torch.ones(2).clone().copy_(v[:2]).grad_fn).split(" at ")[0])
    """,
    "views_know_their_base": """
        import torch  # _base: the root tensor a view was taken from; None for a copy
        x = torch.arange(6.0).reshape(2, 3)
        for name, y in [
            ("row slice", x[0][1:]), ("reshape", x.reshape(3, 2)), ("t", x.t()),
            ("t contiguous", x.t().contiguous()), ("clone", x.clone()), ("detach", x.detach()),
            ("view", x.view(-1)), ("index list", x[[0]]), ("select int tensor", x[torch.tensor(1)]),
            ("empty slice", x[1:1]), ("diagonal", x.diagonal()), ("unbind", x.unbind()[1]),
        ]:
            print(name, y._base is x, y._base is None, y._is_view())
        print(x._base, x._is_view())
    """,
    "autograd_function_with_several_outputs": """
        import torch  # several outputs, non-differentiable ones, and the node's name
        class SortWithIndex(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                values, index = x.sort()
                ctx.mark_non_differentiable(index)
                ctx.save_for_backward(index)
                return values, index
            @staticmethod
            def backward(ctx, g, g_index):
                (index,) = ctx.saved_tensors
                print("backward got", g, g_index)
                return torch.zeros_like(g).scatter(0, index, g)
        x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
        values, index = SortWithIndex.apply(x)
        print(values, index, index.requires_grad, values.grad_fn.name())
        (values * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
        print(x.grad)
        class PowerPair(torch.autograd.Function):
            @staticmethod
            def forward(x, n):
                return x ** n, x ** (n + 1), n
            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])
                ctx.n = inputs[1]
            @staticmethod
            def backward(ctx, g1, g2, g3):
                (x,) = ctx.saved_tensors
                n = ctx.n
                return g1 * n * x ** (n - 1) + g2 * (n + 1) * x ** n, None
            @staticmethod
            def jvp(ctx, t, _):
                return t * 2 * ctx.n, t * 3 * ctx.n, None
        x = torch.tensor([1.5, 2.0], requires_grad=True)
        a, b, n = PowerPair.apply(x, 2)
        print(a, b, n, a.grad_fn.name())
        (g,) = torch.autograd.grad(a.sum() + b.sum(), x, create_graph=True)
        print(g, torch.autograd.grad(g.sum(), x))
        b.sum().backward()
        print(x.grad)
        x2 = torch.tensor([1.5, 2.0], dtype=torch.float64, requires_grad=True)
        print(torch.autograd.gradcheck(lambda t: PowerPair.apply(t, 3)[:2], (x2,)))
        with torch.no_grad():
            outs = PowerPair.apply(x, 2)
            print([o.requires_grad if isinstance(o, torch.Tensor) else o for o in outs])
    """,
    "autograd_grad_options": """
        import warnings
        import torch  # materialize_grads, dict inputs, is_grads_batched, only_inputs
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = torch.tensor([3.0], requires_grad=True)
        print(torch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True))
        print(torch.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True))
        grad = torch.autograd.grad
        error(lambda: grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True))
        error(lambda: torch.autograd.grad((x * 2).sum(), [x, y]))
        print(torch.autograd.grad((x * y).sum(), {"x": x, "y": y}))
        z = x * x * y
        print(torch.autograd.grad(z, x, torch.eye(2), is_grads_batched=True, retain_graph=True))
        rows = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
        print(torch.autograd.grad(z, [x, y], rows, is_grads_batched=True))
        print(grad(x.sum(), [x, y], torch.ones(2), is_grads_batched=True, materialize_grads=True))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(torch.autograd.grad(x.sum(), x, None, None, False, False))
        print([str(w.message)[:40] for w in caught])
        error(lambda: (x * 2).sum().backward(inputs=[]))
        error(lambda: torch.autograd.backward((x * 2).sum(), inputs=[]))
        # an input that does not require grad is refused before any gradient is computed
        plain = torch.ones(2)
        x.grad = None
        error(lambda: (x * 2).sum().backward(inputs=[x, plain]))
        error(lambda: (x * 2).sum().backward(inputs=plain))
        error(lambda: torch.autograd.backward([(x * 2).sum()], inputs=(plain,)))
        print(x.grad)
        error(lambda: torch.tensor([1, 2]).requires_grad_())
        error(lambda: (x * 2).backward(torch.ones(3)))
    """,
    "data_samplers_and_collate": """
        import numpy as np
        import torch  # samplers draw as PyTorch's; collate and convert give its containers
        from torch.utils.data import (
            BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler,
            SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
        )
        ds = TensorDataset(torch.arange(8))
        torch.manual_seed(0)
        print([b[0].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True)])
        g = torch.Generator().manual_seed(3)
        print(list(RandomSampler(ds, generator=g)), list(RandomSampler(ds, generator=g)))
        print(list(BatchSampler(SequentialSampler(ds), 3, False)))
        print(list(BatchSampler(range(7), 3, True)))
        g = torch.Generator().manual_seed(3)
        print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.2], 6, generator=g)))
        print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.2], 3, replacement=False, generator=g)))
        g = torch.Generator().manual_seed(3)
        print(list(SubsetRandomSampler([5, 6, 7], generator=g)))
        g = torch.Generator().manual_seed(3)
        print(list(RandomSampler(ds, replacement=True, num_samples=40, generator=g)))
        print(list(RandomSampler(ds, num_samples=11, generator=g)))
        torch.manual_seed(5)
        loader = DataLoader(ds, sampler=RandomSampler(ds, num_samples=5), batch_size=2)
        print([b[0].tolist() for b in loader], len(loader), torch.rand(1))
        loader = DataLoader(ds, batch_sampler=BatchSampler(range(8), 3, drop_last=True))
        print([b[0].tolist() for b in loader], len(loader))
        error(lambda: DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(range(8), 3, False)))
        error(lambda: RandomSampler(ds, num_samples=0))
        class D(Dataset):
            def __len__(self):
                return 3
            def __getitem__(self, i):
                return {"a": i, "b": [float(i), i * 2.0], "c": ("x%d" % i, torch.tensor([i, i]))}
        for b in DataLoader(D(), batch_size=2):
            print(b)
        class A(Dataset):
            def __len__(self):
                return 2
            def __getitem__(self, i):
                return np.ones(2, dtype=np.float32) * i, np.int64(i)
        for b in DataLoader(A(), batch_size=2):
            print(b, [x.dtype for x in b])
        print(list(DataLoader(A(), batch_size=None)), next(iter(DataLoader(ds, batch_size=None))))
    """,
    "optimizer_step_in_backward_by_post_accumulate_hooks": """
        import torch  # PyTorch's tutorial: each parameter steps as soon as its .grad is in
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        optimizers = {p: torch.optim.Adam([p], lr=0.1, foreach=False) for p in model.parameters()}
        order = []
        def step(parameter):
            order.append(tuple(parameter.shape))
            optimizers[parameter].step()
            optimizers[parameter].zero_grad()
        handles = [p.register_post_accumulate_grad_hook(step) for p in model.parameters()]
        x = torch.randn(5, 3)
        for _ in range(3):
            model(x).pow(2).mean().backward()
        print(model(x).sum(), sorted(order), [p.grad for p in model.parameters()][0])
        torch.autograd.grad(model(x).sum(), list(model.parameters()))
        print(len(order))
        handles[0].remove()
        model(x).sum().backward()
        print(len(order), model[0].weight.grad is not None)
        error(lambda: (x * 2).requires_grad_().mul(2).register_post_accumulate_grad_hook(step))
        error(lambda: x.register_post_accumulate_grad_hook(step))
        w = torch.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda t: t.grad)
        error(lambda: (w * 3).sum().backward())
    """,
    "lazy_modules_take_their_sizes_from_the_first_input": """
        import torch  # LazyLinear / LazyConvNd: shapes from the first call, then plain layers
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.LazyConv2d(4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.LazyLinear(3),
        )
        print(model, model[3].has_uninitialized_params())
        print([type(p).__name__ for p in model.parameters()], model[3].weight)
        y = model(torch.ones(2, 2, 5, 5))
        print(model, y, [tuple(p.shape) for p in model.parameters()])
        print([type(p).__name__ for p in model.parameters()], list(model.state_dict()))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(2, 2, 5, 5)).sum().backward()
        optimizer.step()
        print(model[3].bias)
        single = torch.nn.LazyLinear(2, bias=False)
        print(single(torch.ones(3)).shape, type(single).__name__, single.weight.shape)
        print(torch.nn.LazyConv1d(2, 3)(torch.ones(4, 6)).shape)
        error(lambda: torch.nn.LazyConv1d(2, 3, groups=2)(torch.ones(1, 3, 5)))
    """,
    "module_lookup_and_legacy_type_names": """
        import torch  # get_parameter/get_buffer/get_submodule, load results, Tensor.type()
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.ones(2))
                self.register_buffer("b", torch.zeros(2))
                self.sub = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
        m = M()
        print(m.get_submodule("sub.0"), m.get_parameter("sub.0.bias").shape, m.get_buffer("b"))
        print(m.get_buffer("sub.1.running_var"), m.get_parameter("a") is m.a)
        for target in ["nope", "sub.7", "a.x", "sub.0.weight.t"]:
            error(lambda: m.get_submodule(target))
        for target in ["b", "x", "sub.1.running_mean", "sub"]:
            error(lambda: m.get_parameter(target))
        for target in ["a", "sub.0.weight", "sub.q"]:
            error(lambda: m.get_buffer(target))
        error(lambda: m.register_parameter("x", torch.zeros(1)))
        sd = m.state_dict()
        sd.pop("sub.0.bias")
        sd["extra"] = torch.zeros(1)
        print(m.load_state_dict(sd, strict=False), m.load_state_dict(m.state_dict()))
        for dtype in (torch.float32, torch.float64, torch.float16, torch.int64, torch.int32,
                      torch.int16, torch.int8, torch.uint8, torch.bool):
            print(torch.ones(1, dtype=dtype).type(), end=" ")
        print(torch.ones(2).type("torch.DoubleTensor").dtype, torch.ones(2).type(torch.int64))
        error(lambda: torch.ones(2).type("torch.Foo"))
    """,
    "index_types_as_pytorch_takes_them": """
        import warnings
        import torch  # indices PyTorch takes: long, int, byte (a mask, deprecated) and bool tensors
        x = torch.arange(12.0).reshape(3, 4)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(x[torch.tensor([1, 0, 1], dtype=torch.uint8)])
            print(x[:, torch.tensor([0, 1, 1, 0], dtype=torch.uint8)])
        print([str(w.message).split(" (Triggered")[0] for w in caught])
        for dtype in (torch.int16, torch.int32, torch.int64, torch.int8, torch.bool, torch.float32):
            error(lambda: print(x[torch.tensor([1, 0, 1], dtype=dtype)].tolist(), end=" "))
        for key in [1.5, (0, 1.5), (slice(None), 2.0), object]:
            error(lambda: x[key])
    """,
    "list_keys_read_as_tuples": """
        import torch  # a list holding a sequence, tensor, slice, ... or None is a tuple of indices
        x = torch.arange(12.0).reshape(3, 4)
        keys = [[[0, 1], [1, 2]], [[0, 1]], [[0, 1], 1], [[True, False, True]], [0, [1, 2]],
                [slice(0, 2), [1, 2]], [[[0, 1]]], [torch.tensor([0, 1]), [1, 2]], [0, None],
                [Ellipsis, 1], [1, 2], [[0, 1]] * 33, [[0, 1], [1, 2], [0, 0]]]
        keys += [(slice(None, None, -1),), (0, slice(3, None, -2)), (slice(None, None, 0),)]
        for key in keys:
            error(lambda: print(x[key].shape, x[key].flatten()[:6].tolist()))
            error(lambda: x.clone().__setitem__(key, 0.0))
        y = x.clone().requires_grad_()
        z = y * 1
        z[[[0, 1], [1, 2]]] = torch.tensor([-1.0, -2.0])
        z.sum().backward()
        print(z, y.grad)
    """,
    "comparisons_in_place_against_a_tensor_that_requires_grad": """
        import torch  # the values and versions (PyTorch also marks x as requiring grad after
        b = torch.tensor([1.0, 3.0], requires_grad=True)  # eq_/lt_/ne_: not compared here)
        for name in ("eq_", "lt_", "ne_", "logical_and_", "logical_or_"):
            x = torch.tensor([1.0, 2.0])
            r = getattr(x, name)(b)
            print(name, r is x, r.tolist(), r.dtype, x._version)
    """,
    "sizes_given_as_0d_tensors": """
        import torch  # a 0-d tensor where an int size goes
        x = torch.arange(5.0)
        print(torch.split(x, torch.tensor(2)), x.split(torch.tensor(2)), x.chunk(torch.tensor(2)))
        print(torch.split(x, [torch.tensor(2), 3]), torch.tensor_split(x, torch.tensor(2)))
        print(x.narrow(0, torch.tensor(1), 2), x.topk(torch.tensor(2)).values)
        print(x.roll(torch.tensor(1)))
    """,
    "numpy_arrays_pytorch_cannot_hold": """
        import numpy as np
        import torch
        arrays = [np.array(["a"]), np.array([b"a"]), np.array([object()]),
                  np.array(["2020-01-01"], dtype="datetime64[D]"), np.zeros(2, dtype=[("a", "f4")]),
                  np.arange(6.0).reshape(2, 3)[:, ::2], np.float64(2.5), [1.0]]
        for a in arrays:
            for make in (torch.from_numpy, torch.as_tensor, torch.tensor):
                error(lambda: print(make(a).tolist()))
    """,
    "gather_and_scatter_add_index_range": """
        import torch  # gather and scatter_add take indices in [0, size) only, as PyTorch's
        x = torch.arange(12.0).reshape(3, 4)
        for index in [[[4]], [[-1]], [[0, -1, 5]], [[5, -1]], [[3, 0], [1, 2]], [[0], [-4]]]:
            i = torch.tensor(index)
            error(lambda: print(torch.gather(x, 1, i).tolist(), end=" "))
            error(lambda: print(x.gather(0, i.clamp(max=2)).tolist(), end=" "))
            error(lambda: print(x.scatter_add(1, i, torch.ones(i.shape)).tolist(), end=" "))
            error(lambda: print(torch.scatter_add(x, 0, i, torch.ones(i.shape)).tolist(), end=" "))
        w = torch.arange(12.0).reshape(3, 4).requires_grad_()
        w.gather(1, torch.tensor([[3], [0], [1]])).sum().backward()
        print(w.grad)
    """,
    "index_select_takes_a_vector_in_range": """
        import torch  # index_select: a vector of indices (or one) in [0, size), as PyTorch's
        x = torch.arange(12.0).reshape(3, 4).requires_grad_()
        for dim, index in [(0, [2, 0]), (1, [3, 3, 0]), (-1, []), (0, 1), (0, [[0]]), (0, [-1])]:
            i = torch.tensor(index, dtype=torch.long)
            error(lambda: print(x.index_select(dim, i), end=" "))
            error(lambda: print(torch.index_select(x.detach(), dim, i).shape, end=" "))
        error(lambda: torch.index_select(x.detach(), 0, torch.tensor([3])))
        x.index_select(1, torch.tensor([0, 2, 2])).sum().backward()
        print(x.grad)
        print(torch.func.vmap(lambda r: r.index_select(0, torch.tensor([1, 0])))(x.detach()))
    """,
    "dim_arguments_read_as_pytorch_reads_them": """
        import numpy as np
        import torch
        x, s = torch.ones(2, 3), torch.ones(())
        given = [5, -4, 2, -3, 1.0, None, True, "a", (0,), [0, 1], torch.tensor(1.0)]
        for d in given:  # an int, a NumPy integer or a 0-d integer tensor: else a TypeError
            error(lambda: x.flatten(d))
            error(lambda: x.flatten(0, d))
            error(lambda: torch.flatten(x, d))
            error(lambda: x.unsqueeze(d))
            error(lambda: torch.unsqueeze(x, d))
            error(lambda: x.transpose(d, 0))
            error(lambda: torch.transpose(x, 0, d))
            error(lambda: x.swapaxes(0, d))
            error(lambda: torch.swapaxes(x, d, 1))
            error(lambda: s.unsqueeze(d))
            error(lambda: s.flatten(d))
            error(lambda: s.transpose(d, 0))
        for d in given[:5] + given[6:]:  # squeeze(None): its default here, refused by PyTorch
            error(lambda: x.squeeze(d))
            error(lambda: torch.squeeze(x, d))
            error(lambda: s.squeeze(d))
        for d in (np.int64(1), np.int8(-1), torch.tensor(1), torch.tensor(-1, dtype=torch.uint8)):
            short(lambda: (x.flatten(d).shape, x.unsqueeze(d).shape, x.transpose(0, d).shape))
            short(lambda: (x[:1].squeeze(d).shape, s.unsqueeze(d).shape))
        error(lambda: x.flatten(1.0, None))  # both types are read before either range
        error(lambda: x.flatten(5, None))
        error(lambda: x.transpose(5, 7))
        error(lambda: x.flatten(1, 0))
        error(lambda: torch.ones(2, 3, 4).flatten(-1, 1))
        y = torch.ones(1, 3, 1, requires_grad=True)
        for dims in [(0,), [0, 2], (), (1,), (0, -1), (0, 0), (0, -3), (0, 7), (7, 7), (0, 1.5)]:
            short(lambda: (y.squeeze(dims).shape, y.squeeze(dims).grad_fn.name()))
        error(lambda: torch.squeeze(y, (1.5,)))
        v, z = torch.ones(3, requires_grad=True), torch.ones((), requires_grad=True)
        for r in [y.flatten(1, 1), v.flatten(), z.flatten(), y.flatten(-2, 1), y.squeeze(0)]:
            print(r.shape, r.grad_fn, r is y or r is v)
        for r in [y.transpose(1, 1), v.transpose(0, -1), z.transpose(0, -1), v.t(), z.t()]:
            print(r.shape, r.grad_fn, r is v or r is z)
        (v.t() * 2).sum().backward()
        print(v.grad, z.unsqueeze(-1).grad_fn, z.squeeze(0).grad_fn, z.squeeze((-1,)).grad_fn)
        error(lambda: z.squeeze((0, -1)))
    """,
    "squeeze_refuses_none_and_takes_a_one_integer_tensor": """
        import torch  # no signature of squeeze takes None: squeezing all is giving no dim at all
        x, one = torch.ones(2, 3), torch.tensor([1])
        error(lambda: torch.squeeze(x, None))
        error(lambda: x.squeeze(None))
        print(torch.squeeze(torch.ones(1, 2, 1)).shape, torch.ones(1, 2, 1).squeeze().shape)
        print(torch.squeeze(torch.ones(1, 2, 1)).shape, torch.squeeze(one), torch.squeeze(one, 0))
        y = torch.ones(1, 3, 1, requires_grad=True)
        for d in [torch.tensor([0]), torch.tensor([-1]), torch.tensor([0], dtype=torch.uint8)]:
            # Tensor.squeeze's dimensions may come one by one: this one is a list of one
            short(lambda: (y.squeeze(d).shape, y.squeeze(d).grad_fn.name(), one.squeeze(d)))
            error(lambda: torch.squeeze(y, d))
        error(lambda: y.squeeze(torch.tensor([5])))
        error(lambda: y.squeeze(torch.tensor([0.0])))
    """,
    "reduction_dims_read_as_pytorch_reads_them": """
        import torch  # a dimension out of range or given twice: PyTorch's errors (then our line)
        x, s = torch.arange(24.0).reshape(2, 3, 4), torch.tensor(2.0)
        shapes = lambda r: [tuple(t.shape) for t in (r if isinstance(r, tuple) else (r,))]
        for name in ["sum", "mean", "amax", "amin", "all", "any"]:
            f = getattr(torch, name)
            for dim in [5, -4, (0, 5), (0, 0), (0, -3), (2, 2), (), [], [1, -1], torch.tensor(2)]:
                error(lambda: print(shapes(f(x, dim)), end=" "))
                error(lambda: print(shapes(f(s, dim)), end=" "))
            error(lambda: print(getattr(x, name)(dim=(1, -2), keepdim=True).shape, end=" "))
            error(lambda: print(getattr(s, name)(dim=(0, -1)), end=" "))
        for dim in [5, (0, 0), (1, -2)]:
            error(lambda: print(torch.logsumexp(x, dim).shape, end=" "))
        print(torch.norm(x, dim=(0, 1)).shape, x.sum(dim=[-1, 0], keepdim=True).shape, s.any(0))
        error(lambda: torch.norm(x, dim=(1, 1)))
        error(lambda: torch.softmax(x, 3))
        error(lambda: x.log_softmax(-4))
        error(lambda: x.cumsum(3))
    """,
    "joining_and_splitting_arguments": """
        import torch  # cat, stack, split, chunk, unbind and flip: their dimensions and sizes
        x = torch.ones(2, 3)
        s = torch.ones(())
        for d in [5, -3, 2, 1.0, None, True, (0,), torch.tensor(1)]:
            print(repr(d))
            error(lambda: torch.cat([x, x], d))
            error(lambda: torch.stack([x, x], d))
            error(lambda: x.split(1, d))
            error(lambda: torch.split(x, 1, d))
            error(lambda: x.split([1, 2], d))
            error(lambda: x.chunk(2, d))
            error(lambda: torch.chunk(x, 2, d))
            error(lambda: x.unbind(d))
            error(lambda: torch.unbind(x, d))
            error(lambda: x.flip(d))
            error(lambda: torch.flip(x, (d,)))
            error(lambda: torch.cat([s, s], d))
            error(lambda: torch.stack([s, s], d))
            error(lambda: s.unbind(d))
        error(lambda: x.flip(0, 0))
        error(lambda: x.flip(0, -2))
        error(lambda: x.flip((0, 5)))
        print(torch.stack([x, x], -1).shape, torch.stack([s, s], -1).shape)
        print(torch.cat([x, x], -1).shape)
        error(lambda: torch.flip(x, 0, 1))
        error(lambda: torch.flip(x, 0))
        error(lambda: torch.flip(x, (0, 1.5)))
        error(lambda: torch.flip(x, (0, 0)))
        print(x.flip(0, 1).shape, x.flip([1]).shape, torch.flip(x, [0, -1]).shape)
        error(lambda: torch.stack([torch.ones(2), torch.ones(3)], 5))
        error(lambda: torch.stack([torch.ones(2), torch.ones(2), torch.ones(2, 1)]))
        error(lambda: torch.cat([torch.ones(2, 3), torch.ones(2)]))
        error(lambda: torch.cat([torch.ones(2, 3), torch.ones(3, 3)], 1))
        error(lambda: torch.cat([torch.ones(2, 3), torch.ones(())], 5))
        error(lambda: torch.stack([]))
        error(lambda: torch.cat([]))
        error(lambda: x.split(1.0))
        error(lambda: x.split([1, 1], 1))
        error(lambda: x.split(0, 1))
        error(lambda: x.split(-1, 1))
        error(lambda: x.chunk(0))
        error(lambda: x.chunk(2.0))
        error(lambda: torch.chunk(x, 2.0))
        error(lambda: s.chunk(2))
        error(lambda: s.split(1))
        error(lambda: s.unbind())
        print([t.shape for t in torch.ones(0, 2).split(0)], [t.shape for t in x.chunk(5, 1)])
    """,
    "cat_skips_legacy_empty_tensors": """
        import torch  # a 1-d tensor of no elements joins any tensor: PyTorch's legacy "empty"
        x, e = torch.ones(2, 3), torch.zeros(0)
        print(torch.cat([e, x]).shape, torch.cat([x, e], 1).shape, torch.cat([e, x, e], -1).shape)
        print(torch.cat([e, e]), torch.cat([e], 3), torch.cat([e, torch.zeros(1, 0)]).shape)
        print(torch.cat([e.long(), x]).dtype, torch.cat([e.double(), x]).dtype)
        print(torch.cat([e, e.int()]), torch.cat([e.int(), e.bool()]))
        print(torch.cat([x.long(), x]).dtype, torch.cat([x.int(), x.long()]).dtype)
        print(torch.cat([x.half(), x.long()]).dtype, torch.cat([x.bool(), x.to(torch.uint8)]).dtype)
        print(torch.cat([x.double(), x.int()]).dtype, torch.cat([x.bool(), x.to(torch.int8)]).dtype)
        error(lambda: torch.cat([e, x], 2))
        error(lambda: torch.cat([e, x], -3))
        error(lambda: torch.cat([e, torch.ones(())]))
        error(lambda: torch.cat([torch.zeros(0, 0), x]))
        error(lambda: torch.cat([e, x, torch.ones(2, 4)]))
        error(lambda: torch.cat([e, torch.zeros(0, 2)], 3))
        a = torch.ones(2, 3, requires_grad=True)
        b = torch.zeros(0, requires_grad=True)
        out = torch.cat([b, a, b], 1)
        print(out, [n.name() for n, _ in out.grad_fn.next_functions])
        (out * torch.arange(6.0).reshape(2, 3)).sum().backward()
        print(a.grad, b.grad)
        c = torch.ones(3, dtype=torch.float64, requires_grad=True)
        mixed = torch.cat([a.flatten(), c, b])
        print(mixed.dtype, mixed.grad_fn)
        mixed.sum().backward()
        print(a.grad, c.grad, b.grad)
        g, = torch.autograd.grad(torch.cat([b, a]).pow(2).sum(), a, create_graph=True)
        print(g, torch.autograd.grad(g.sum(), a)[0])
        x = torch.arange(6.0).reshape(2, 3)
        short(lambda: torch.func.vmap(lambda r: torch.cat([e, r]))(x))
        short(lambda: torch.func.vmap(lambda r: torch.cat([r, e]), in_dims=1)(x))
        short(lambda: torch.func.jvp(lambda r: torch.cat([e, r, e]), (x,), (torch.ones(2, 3),)))
        short(lambda: torch.func.grad(lambda r: torch.cat([e, r]).sum())(x))
        squares = torch.func.grad(lambda r: torch.cat([e, r, e]).pow(2).sum())
        short(lambda: torch.func.vmap(squares)(x))
        short(lambda: torch.func.jacrev(lambda r: torch.cat([r, e]))(x[0]))
        short(lambda: torch.func.jacfwd(lambda r: torch.cat([r, e.double()]))(x[0]))
    """,
    "roll_shifts_and_dims": """
        import torch  # roll's shifts and dims: an int or a list, checked as PyTorch checks them
        x, s = torch.arange(12.0).reshape(3, 4), torch.tensor(1.0)
        good = [(1, None), (1, 0), (-1, 1), ((1, 2), (0, 1)), ([1, 2], [0, 0]), ((1,), None)]
        good += [(1, ()), (5, -1), ((1, -1), (-1, -2)), (torch.tensor(1), 0), (1, torch.tensor(0))]
        for shifts, dims in good:
            short(lambda: x.roll(shifts, dims).tolist())
            short(lambda: torch.roll(x, shifts, dims).tolist())
        bad = [(1, 2), ((1, 1), 0), (1, (0, 1)), ((1, 2), None), ((), 0), ([], None), (1, -3)]
        for shifts, dims in bad:
            error(lambda: x.roll(shifts, dims))
        error(lambda: torch.roll(x, 1.5))
        error(lambda: torch.roll(x, 1, 1.5))
        error(lambda: torch.roll(x, (1, 1.5), (0, 1)))
        print(s.roll(1), s.roll((1,)), s.roll(1, ()))
        error(lambda: s.roll(1, 0))
        error(lambda: s.roll(1, -1))
        y = torch.arange(6.0, requires_grad=True)
        (y.reshape(2, 3).roll((1, -1), (0, 1)) * torch.arange(6.0).reshape(2, 3)).sum().backward()
        print(y.grad)
        print(torch.func.vmap(lambda r: r.roll(1, 0))(x))
        print(torch.func.vmap(lambda r: r.roll((1,)))(x))
    """,
    "legacy_variable_and_loss_arguments": """
        import warnings
        import torch
        from torch.autograd import Variable
        t = torch.tensor([1.0, 2.0])
        v = Variable(t, requires_grad=True)
        print(v, v is t, isinstance(t, Variable), v.is_leaf, Variable(t).requires_grad)
        (v * 2).sum().backward()
        print(v.grad, t.grad)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(torch.nn.functional.mse_loss(t, t * 0, size_average=False))
            print(torch.nn.MSELoss(reduce=False)(t, t * 0), torch.nn.L1Loss(False).reduction)
            logits, target = torch.zeros(2, 3), torch.tensor([0, 1])
            print(torch.nn.CrossEntropyLoss(size_average=False)(logits, target))
            print(torch.nn.functional.nll_loss(logits, target, reduce=False))
            print(torch.nn.functional.binary_cross_entropy(t / 4, t / 2, size_average=True))
            print(torch.nn.BCEWithLogitsLoss(reduce=True, size_average=False)(t, t / 2))
            print(torch.nn.MSELoss(reduction="sum").reduction)
        for w in caught:
            print(w.category.__name__, w.message)
    """,
    "inplace_on_outputs": """
        import torch
        f = torch.tensor([1.0, 2.0], requires_grad=True)
        g = f / 2.0
        g += 1
        g.sum().backward()
        print(f.grad)
        f.grad = None
        g = f**2
        g += 1
        g.sum().backward()
        print(f.grad)
        g = f / torch.tensor([2.0, 4.0], requires_grad=True)  # d/d(divisor) reads the output
        g += 1
        try:
            g.sum().backward()
        except RuntimeError:
            print("RuntimeError")
    """,
    # ------------------------------------------------------------------ tutorial basics
    "print_dtypes": """
        import torch
        print(torch.tensor([1, 2, 3]), torch.tensor([True, False]))
        print(torch.tensor([1.5, 2.0], dtype=torch.float64))
        print(torch.tensor(3.5), torch.tensor(7), torch.tensor([]), torch.zeros(0, 3))
        print(torch.tensor([[1, -2], [30, 4]]))
        print(torch.tensor([1e10, 1.0]), torch.tensor([1e-5, 1.0]))
        print(torch.tensor([float('nan'), float('inf'), -float('inf')]))
        print(torch.arange(24).reshape(2, 3, 4), torch.ones(2, 2, dtype=torch.int32))
        print(torch.tensor([0.1, 0.25], dtype=torch.float16))
        print(torch.tensor([1.0, 2.0], requires_grad=True))
        print(torch.tensor([[1.0]], requires_grad=True) * 2)
        print(torch.tensor([123456789.0]), torch.tensor([-0.0, 0.5]))
        print(torch.tensor([1, 2], dtype=torch.uint8), torch.tensor([1, 2], dtype=torch.int8))
        print(repr(torch.tensor(2.0)), str(torch.tensor([1.0, 2.0])))
        print(torch.tensor([[1.0, 2.0]]).shape, torch.tensor(1.0).shape)
        print(torch.tensor([1.23456789], dtype=torch.float64))
        print(torch.rand(2, 3, dtype=torch.float64).dtype)
        print(torch.tensor([100, 2000, 3]), torch.tensor([1.0, 2.5, 100.0]))
        print(torch.tensor([[0.001, 1000.0]]))
    """,
    "item_tolist": """
        import torch
        x = torch.tensor([[1.5, 2.0], [3.0, 4.0]])
        print(x.sum().item(), type(x.sum().item()), x.tolist(), x[0].tolist())
        print(torch.tensor(3).item(), type(torch.tensor(3).item()))
        print(torch.tensor(True).item(), torch.tensor([1, 2]).tolist(), x.numpy().dtype)
        print(x.mean().item())
        print(torch.tensor(0.1).item(), torch.tensor(0.1, dtype=torch.float64).item())
        print(float(x[0, 0]), int(x[1, 1]), bool(x[0, 0] > 1))
        error(lambda: x.item())
        print(x.size(), x.size(1), x.dim(), x.numel(), len(x), x.ndim, list(x.shape))
    """,
    "format_prints_a_0d_tensor_as_its_number": """
        import torch
        from torch.func import grad, vmap
        t = torch.tensor(1.23456)
        print(f"{t}", "{}".format(t), format(t, ""), f"{t:.2f}|{t:>20}|{t:e}")
        i, b = torch.tensor(3), torch.tensor(True)
        print(f"{i} {i:05d} {b} {b:>6}")
        print(f"{torch.tensor(1.1, dtype=torch.float16)} {torch.tensor(1.5, dtype=torch.float64)}")
        x = torch.tensor(2.5, requires_grad=True)
        print(f"{x} {x * 2:.3f} {x.detach()}")
        print(f"{torch.tensor([1.0, 2.0])}|{torch.tensor([3])}|{torch.ones(2, 2)}")
        error(lambda: f"{torch.tensor([1.0, 2.0]):>5}")
        p = torch.nn.Parameter(torch.tensor(1.5))
        print(f"{p}")
        error(lambda: f"{p:.2f}")
        def show(x):
            print(f"{x * 3}")
            return x * 2
        grad(show)(torch.tensor(1.5))
        error(lambda: vmap(lambda x: f"{x}")(torch.ones(2)))
        error(lambda: vmap(lambda x: f"{x:.1f}")(torch.ones(2)))
    """,
    "expand_errors": """
        import torch
        x, m = torch.ones(3), torch.ones(2, 3)
        error(lambda: x.expand(2, 4))
        error(lambda: torch.ones(2, 3, requires_grad=True).expand(4, 3))
        error(lambda: m.expand(-1, 4))
        error(lambda: torch.ones(0, 1).expand(2, 3))
        error(lambda: x.expand(-1, 3))
        error(lambda: x.expand(2, -1, 3))
        error(lambda: torch.ones(2, 1).expand(-1, 2, 3))
        for dtype in (torch.float16, torch.float64, torch.int8, torch.int64, torch.uint8):
            error(lambda: torch.ones(2, 3, dtype=dtype).expand(3))
        for dtype in (torch.int16, torch.int32, torch.bool):
            error(lambda: torch.ones(2, 3, dtype=dtype).expand(3))
        error(lambda: m.expand(-1))
        error(lambda: m.t().expand(3))
        error(lambda: m.expand(2, -2))
        error(lambda: torch.ones(2, 1).expand(2, -2))
        error(lambda: torch.ones(2, 1).expand(-2, 2, 1))
        error(lambda: torch.tensor(1.0).expand(2, -1))
        print(m.expand(-1, -1).shape, torch.ones(2, 1).expand(0, 2, 3).shape)
        print(torch.tensor(1).expand(()).shape, torch.tensor(1).expand(2, 3).shape)
        error(lambda: x.expand_as(m.t()))
        error(lambda: m.expand_as(x))
        error(lambda: torch.broadcast_to(x, (2, 4)))
        error(lambda: x.broadcast_to([2, 4]))
        error(lambda: torch.broadcast_to(m, torch.Size([3])))
        error(lambda: torch.broadcast_to(x, (-1, 3)))
    """,
    "broadcast_tensors": """
        import numpy
        import torch
        a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = torch.tensor([[1.0], [2.0]], requires_grad=True)
        x, y = torch.broadcast_tensors(a, b)
        print(x, y, x.grad_fn.name(), x.grad_fn.next_functions[0][0].variable is a)
        (x * y**2).sum().backward()
        print(a.grad, b.grad, type(torch.broadcast_tensors(a, b)))
        for tensors in [(a,), (a, a), (a, torch.ones(1)), (torch.tensor(1.0), torch.ones(2).int())]:
            results = torch.broadcast_tensors(*tensors)
            print([(t is a, t.grad_fn, t.shape, t.dtype) for t in results])
        print(torch.broadcast_tensors(), torch.ones(3, requires_grad=True).broadcast_to(2, 3))
        three = torch.ones(2, 1, 3), torch.ones(4, 1), torch.ones(())
        print([t.shape for t in torch.broadcast_tensors(*three)])
        error(lambda: torch.broadcast_tensors(torch.ones(2), torch.ones(3)))
        error(lambda: torch.broadcast_tensors(torch.ones(2, 3), torch.ones(4, 3)))
        error(lambda: torch.broadcast_tensors(torch.ones(2, 3, 1), torch.ones(4, 5)))
        error(lambda: torch.broadcast_tensors(torch.ones(4), torch.ones(1), torch.ones(3)))
        for bad in ([1, 2], 3, 1.5, None, True, numpy.ones(2), (torch.ones(2),)):
            error(lambda: torch.broadcast_tensors(torch.ones(2), bad))
        error(lambda: torch.broadcast_tensors([torch.ones(2), torch.ones(1)]))
    """,
    "broadcast_shapes": """
        import torch
        print(torch.broadcast_shapes((2, 1), (3,)), torch.broadcast_shapes((2,), (3, 1), (1, 1, 1)))
        print(torch.broadcast_shapes(), torch.broadcast_shapes(3), torch.broadcast_shapes((3,), 1))
        print(torch.broadcast_shapes([2, 3], torch.Size([1])), torch.broadcast_shapes(None))
        print(torch.broadcast_shapes((1,), None, (2,)), torch.broadcast_shapes((0,), (1,)))
        print(torch.broadcast_shapes((True,), (3,)), torch.broadcast_shapes(True))
        print(type(torch.broadcast_shapes((2,))) is torch.Size)
        error(lambda: torch.broadcast_shapes((2,), (3,)))
        error(lambda: torch.broadcast_shapes((2, 3), (4, 3)))
        error(lambda: torch.broadcast_shapes([2, 3], [4, 3]))
        error(lambda: torch.broadcast_shapes((2, 3), (3, 3), (4, 3)))
        error(lambda: torch.broadcast_shapes((0,), (3,)))
        error(lambda: torch.broadcast_shapes((2.0,), (3,)))
        error(lambda: torch.broadcast_shapes((3,), (-1,)))
        error(lambda: torch.broadcast_shapes((-1,), (3,)))
        error(lambda: torch.broadcast_shapes(-1))
        error(lambda: torch.broadcast_shapes("a"))
        error(lambda: torch.broadcast_shapes(2.0))
        error(lambda: torch.broadcast_shapes((2,), 3.5))
    """,
    "size_arguments": """
        import numpy
        import torch
        x, m = torch.ones(1), torch.ones(2, 1)
        calls = [
            x.expand, m.view, m.reshape, m.repeat, m.permute, x.broadcast_to, m.new_zeros,
            m.new_ones, m.new_empty, torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn,
        ]
        arguments = [
            (2, 4.0), (2.0, 1), ((2, 4.0),), ([2, 1.0],), (True, 1), (2, True), ([2, True],),
            ((True, 2),), (True,), (2.0,), (None,), ("ab",), ((2, 1, 1.5),), ((2, 1), 1),
            (2, (1,)), (2, "a"), (2, None), (numpy.int64(2), 1), ([numpy.int64(2), 1],),
            (numpy.float64(2.0),), (2, numpy.float64(1.0)), (torch.tensor(2), 1),
            (2, torch.tensor(1.0)), ((torch.tensor(2), 1),), ((torch.tensor(2.0), 1),),
            (torch.tensor([2, 1]),), (torch.Size([2, 1]),), ({2: 1},), (range(2),), (),
        ]
        for call in calls:
            for args in arguments[:-1] if call in (torch.rand, torch.randn) else arguments:
                error(lambda: print(tuple(call(*args).shape), end=" "))
        functions = [
            lambda *a: torch.reshape(m, *a), lambda *a: torch.permute(m, *a),
            lambda *a: torch.broadcast_to(x, *a), lambda *a: torch.full(*a, 1.0),
        ]
        for call in functions:  # (no call without the sizes: Python's words for that differ)
            for args in arguments[:-1]:
                error(lambda: print(tuple(call(*args).shape), end=" "))
    """,
    "size_values": """
        import torch
        m = torch.ones(2, 3)
        for shape in [(-2, 3), (-1, -2), (-1, -1), (2, -1, -1), (7,), (-1, 4), (-1, 0), (0, -1)]:
            error(lambda: m.view(*shape))
            error(lambda: m.reshape(shape))
        error(lambda: torch.ones(0).view(-1, 0))
        error(lambda: torch.reshape(torch.ones(0, 2), (0, -1)))
        print(m.reshape(-1, 2).shape, m.view(3, -1).shape, torch.ones(0, 2).view(-1).shape)
        for repeats in [(-1, 2), (2, 0, -1), (0, 1), (2,), ()]:
            error(lambda: print(m.repeat(*repeats).shape))
        for dims in [(0, 2, 1), (0, 0, 1), (2, 2), (-3, 0), (-1, 1), (0,), (1, -2)]:
            error(lambda: print(m.permute(*dims).shape))
        error(lambda: torch.tensor(1.0).permute(0))
        print(torch.tensor(1.0).permute(()).shape)
        for make in (torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn, m.new_zeros):
            error(lambda: make(2, -1))
        error(lambda: torch.full((2, -1), 1.0))
        error(lambda: m.new_full((-1,), 1.0))
        error(lambda: torch.randint(3, (-1,)))
        error(lambda: torch.tensor([1.0]).expand(-2))
        error(lambda: torch.tensor([1.0]).expand(2, -2))
    """,
    "shape_mismatch_errors": """
        import torch
        a, b = torch.ones(3), torch.ones(4)
        ops = [
            torch.add, torch.mul, torch.sub, torch.div, torch.pow, torch.maximum, torch.minimum,
            torch.eq, torch.lt, torch.ge, torch.ne, torch.atan2, torch.fmod, torch.remainder,
            torch.floor_divide, torch.logical_and, torch.logical_xor, torch.hypot,
        ]
        for op in ops:
            error(lambda: op(a, b))
            error(lambda: op(torch.ones(2, 3, 1, requires_grad=True), torch.ones(4, 5)))
        for f in (lambda: a + b, lambda: a < b, lambda: a == b, lambda: b ** a, lambda: a / b):
            error(f)
        for shapes in [(3, 3, 4), (4, 3, 3), (2, 4, 3), (4, 1, 3), (1, 3, 4), (3, 3, 1)]:
            cond, x, y = (torch.ones(n) for n in shapes)
            error(lambda: print(torch.where(cond > 0, x, y).shape))
        pairs = [((2, 3), (4, 3)), ((2, 3), (2, 4)), ((5, 2, 3), (4, 2, 3)), ((2, 1), (5, 4, 9))]
        for x, y in pairs:
            error(lambda: torch.ones(x) * torch.ones(y))
        def update(x, y, how):
            how(torch.ones(x), torch.ones(y))
        def iadd(x, y):
            x += y
        for how in (iadd, torch.Tensor.mul_, torch.Tensor.sub_, torch.Tensor.div_):
            for x, y in [((3,), (2, 3)), ((3,), (4,)), ((1,), (4,)), ((2, 1), (2, 3))]:
                error(lambda: update(x, y, how))
    """,
    "matmul_mismatch_errors": """
        import torch
        g = dict(requires_grad=True)
        pairs = [
            ((2, 3), (4, 5)), ((3,), (4,)), ((3,), (4, 5)), ((2, 3), (4,)), ((6, 2, 3), (4, 5)),
            ((2, 3), (6, 4, 5)), ((6, 2, 3), (6, 4, 5)), ((6, 2, 3), (7, 3, 5)), ((6, 2, 3), (4,)),
            ((4,), (6, 2, 3)), ((6, 1, 2, 3), (5, 7, 3, 5)), ((0, 2, 3), (4, 5)), ((), (3,)),
            ((3,), ()), ((1, 2, 3), (1, 4, 5)), ((2, 2, 3), (1, 4, 5)), ((2, 1, 2, 3), (3, 4, 5)),
            ((2, 3, 2, 3), (4, 4, 5)), ((3,), (2, 4, 5)),
        ]
        for x, y in pairs:
            error(lambda: torch.ones(x) @ torch.ones(y))
            error(lambda: torch.ones(x, **g).matmul(torch.ones(y)))
            error(lambda: torch.matmul(torch.ones(x), torch.ones(y, **g)))
        laid_out = [  # transposed batches: PyTorch folds only what needs no copy
            (torch.ones(2, 6, 3).transpose(0, 1), torch.ones(4, 5)),
            (torch.ones(6, 3, 2).mT, torch.ones(4, 5)), (torch.ones(6, 3, 2).mT, torch.ones(4)),
            (torch.ones(2, 3), torch.ones(6, 5, 4).mT), (torch.ones(3), torch.ones(2, 5, 4).mT),
            (torch.ones(5, 3).t(), torch.ones(4, 5)),
        ]
        for x, y in laid_out:
            error(lambda: x @ y)
        for x, y in [((2, 3), (4, 5)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3, 4), (4, 2))]:
            error(lambda: print(torch.mm(torch.ones(x), torch.ones(y)).shape))
            error(lambda: print(torch.ones(x).mm(torch.ones(y)).shape))
        batched = [((6, 2, 3), (6, 4, 5)), ((6, 2, 3), (7, 3, 5)), ((2, 3), (3, 2))]
        batched.append(((2, 2, 3), (3,)))
        for x, y in batched:
            error(lambda: torch.bmm(torch.ones(x), torch.ones(y)))
        for x, y in [((3,), (4,)), ((2, 3), (3,)), ((3,), (3, 1))]:
            error(lambda: torch.dot(torch.ones(x), torch.ones(y)))
    """,
    "requires_grad_and_leaves": """
        import torch
        a = torch.tensor([1.0, 2.0])
        print(a.requires_grad, a.is_leaf, a.grad_fn, a.grad)
        a.requires_grad_()
        b = a * 2
        print(a.requires_grad, b.requires_grad, b.is_leaf, b.grad_fn)
        error(lambda: b.requires_grad_(False))
        print(b.requires_grad_() is b, b.requires_grad_(True).is_leaf)  # already requires grad
        c = b.detach()
        print(c.requires_grad, c.is_leaf, a.requires_grad_(False) is a, a.requires_grad)
        x = torch.ones(2, requires_grad=True)
        y = (x * 3).sum()
        y.backward()
        print(x.grad)
        (x * 3).sum().backward()
        print(x.grad)
        x.grad.zero_()
        print(x.grad)
        error(lambda: torch.tensor([1, 2], requires_grad=True))
        error(lambda: (torch.ones(2) * 2).sum().backward())
        error(lambda: (x * 2).backward())
    """,
    "module_forward_hooks_with_kwargs_prepend_and_always_call": """
        import torch
        m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
        for p in m.parameters():
            torch.nn.init.constant_(p, 0.3)
        m[1].register_forward_pre_hook(lambda mod, inp: (inp[0] * 2,))
        m[1].register_forward_pre_hook(lambda mod, inp: print("first"), prepend=True)
        m[2].register_forward_hook(lambda mod, inp, out: out + 1)
        m[0].register_forward_hook(
            lambda mod, args, kwargs, out: print("kw", sorted(kwargs), out.shape), with_kwargs=True
        )
        m[0].register_forward_pre_hook(
            lambda mod, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True
        )
        print(m(torch.ones(2, 3)))
        bad = torch.nn.Linear(3, 1)
        bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
        error(lambda: bad(torch.ones(1, 3)))
        failing = torch.nn.Linear(3, 1)
        failing.register_forward_hook(lambda mod, i, o: print("always", o), always_call=True)
        failing.register_forward_hook(lambda mod, i, o: print("not always"))
        error(lambda: failing(torch.ones(1, 2)))
    """,
    "module_backward_pre_hooks": """
        import torch
        m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
        for p in m.parameters():
            torch.nn.init.constant_(p, 0.3)
        seen = []
        m[1].register_full_backward_hook(lambda mod, gi, go: seen.append(("full", gi[0], go[0])))
        m[1].register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", go[0])))
        m[1].register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,), prepend=True)
        x = torch.ones(2, 3, requires_grad=True)
        m(x).sum().backward()
        print(seen, x.grad, m[0].weight.grad)
        wrong = torch.nn.Tanh()
        wrong.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        error(lambda: wrong(torch.ones(2, requires_grad=True)).sum().backward())
    """,
    "load_state_dict_assign": """
        import torch
        m = torch.nn.Linear(2, 1)
        m.weight.requires_grad_(False)
        m.register_buffer("running", torch.zeros(1))
        new = {"weight": torch.ones(1, 2), "bias": torch.nn.Parameter(torch.full((1,), 3.0)),
               "running": torch.ones(1)}
        print(m.load_state_dict(new, assign=True))
        print(m.weight is new["weight"], type(m.weight).__name__, m.weight.requires_grad)
        print(m.bias is new["bias"], m.bias.requires_grad, m.running is new["running"])
        print(m(torch.ones(1, 2)))
        error(lambda: m.load_state_dict({"weight": torch.ones(2, 2)}, strict=False, assign=True))
    """,
    "to_copy_and_comparisons_with_other_objects": """
        import torch
        x = torch.tensor([[1.5, -2.0], [0.0, 3.25]])
        y = x.to(torch.float32, copy=True)
        y[0, 0] = 9.0
        print(y is x, x[0, 0], x.to(torch.float32) is x)
        print(x.to("cpu", torch.float32, False, True) is x)
        print(x.to(x, copy=True) is x, x.double().to(torch.float64) is x)
        print(x == None, x != None, x == "a", x != [1, 2], x == (1.5, -2.0), x == {1: 2})
        print(x == 1.5, x != torch.tensor(0.0))
        error(lambda: x < None)
        error(lambda: bool(x))
        error(lambda: bool(torch.tensor([])))
        print(bool(torch.tensor([0.0])), bool(torch.tensor([[2]])))
    """,
    "in_place_change_of_a_saved_tensor_names_it_as_pytorch": """
        import torch
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        y.add_(1)
        error(lambda: y.sum().backward())
        a = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
        b = a.clone()
        c = b * b
        b.add_(1)
        error(lambda: c.sum().backward())
        w = torch.ones(3, requires_grad=True)
        v = torch.ones(3)
        d = (v * w).sum()
        v.mul_(2)
        error(lambda: d.backward())
    """,
    "overwritten_elements_pass_no_gradient_even_an_infinite_one": """
        import torch
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y[0] = 5.0
        (y * torch.tensor([float("inf"), 1.0, 1.0])).sum().backward()
        print(x.grad)
        x.grad = None
        y = x * 1
        y[torch.tensor([False, True, False])] = torch.tensor(float("nan"))
        (y * torch.tensor([1.0, float("nan"), 2.0])).sum().backward()
        print(x.grad)
        t = torch.tensor(3.0)
        print(t[torch.tensor(True)], t[torch.tensor(False)].shape)
        print(torch.Size([2]) + (3,), (1,) + torch.Size([2]), torch.Size([2]) * 2)
        print(type(torch.Size([2]) + (3,)).__name__, type(3 * torch.Size([1])).__name__)
    """,
    "activations_in_place_change_their_input": """
        import torch
        F = torch.nn.functional
        for name, act in [
            ("relu", lambda x: F.relu(x, inplace=True)),
            ("leaky_relu", lambda x: F.leaky_relu(x, 0.1, inplace=True)),
            ("elu", lambda x: F.elu(x, 0.5, inplace=True)),
            ("silu", lambda x: F.silu(x, inplace=True)),
            ("ReLU", torch.nn.ReLU(inplace=True)),
            ("LeakyReLU", torch.nn.LeakyReLU(0.2, inplace=True)),
            ("ELU", torch.nn.ELU(inplace=True)),
            ("SiLU", torch.nn.SiLU(inplace=True)),
        ]:
            w = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
            x = w * 1
            y = act(x)
            print(name, y is x, x, x._version, y.grad_fn.name())
            (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
            print(w.grad)
            error(lambda: act(torch.ones(2, requires_grad=True)))
        a = torch.tensor([-1.0, 2.0], requires_grad=True)
        b = a.exp()
        F.relu(b, inplace=True)
        error(lambda: b.sum().backward())
    """,
    "dropouts_in_place_change_their_input": """
        import torch
        F = torch.nn.functional
        for name, drop in [
            ("dropout", lambda x: F.dropout(x, 0.5, inplace=True)),
            ("dropout_all", lambda x: F.dropout(x, 1.0, inplace=True)),
            ("dropout1d", lambda x: F.dropout1d(x, 0.5, inplace=True)),
            ("dropout3d", lambda x: F.dropout3d(x, 0.5, inplace=True)),
            ("alpha_dropout", lambda x: F.alpha_dropout(x, 0.5, True, inplace=True)),
            ("feature_alpha", lambda x: F.feature_alpha_dropout(x, 0.5, True, inplace=True)),
            ("Dropout", torch.nn.Dropout(0.3, inplace=True)),
            ("AlphaDropout", torch.nn.AlphaDropout(0.3, inplace=True)),
            ("eval", lambda x: F.dropout(x, 0.5, training=False, inplace=True)),
        ]:
            torch.manual_seed(0)
            w = torch.arange(1.0, 25.0).reshape(4, 2, 3).requires_grad_()
            x = w * 1
            y = drop(x)
            # (dropout3d's version moves 3 times in PyTorch, which unsqueezes in place first)
            print(name, y.data_ptr() == x.data_ptr(), x._version > 0, torch.equal(x, y))
            y.sum().backward()
            print(w.grad.sum())
    """,
    "attention_rows_masked_throughout_and_the_causal_hint": """
        import torch
        F = torch.nn.functional
        torch.manual_seed(0)
        q, k, v = torch.randn(1, 4, 3, 2), torch.randn(1, 2, 5, 2), torch.randn(1, 2, 5, 3)
        q.requires_grad_()
        none_seen = torch.ones(3, 5, dtype=torch.bool)
        none_seen[0] = False
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=none_seen, enable_gqa=True)
        out.sum().backward()
        print(out[0, :, 0], q.grad[0, :, 0])
        error(lambda: F.scaled_dot_product_attention(q, k[:, :1].expand(1, 3, 5, 2), v,
                                                      enable_gqa=True))
        m = torch.nn.MultiheadAttention(4, 2)
        x = torch.randn(3, 2, 4)
        blocked = torch.zeros(3, 3, dtype=torch.bool)
        blocked[0] = True
        for need in (False, True):
            o, w = m(x, x, x, attn_mask=blocked, need_weights=need)
            print(need, o[0, 0], None if w is None else w[0, 0])
        arbitrary = torch.tensor([[False, True, False], [True, False, False], [False] * 3])
        causal = torch.nn.Transformer.generate_square_subsequent_mask(3)
        hinted = m(x, x, x, attn_mask=arbitrary, need_weights=False, is_causal=True)[0]
        print(torch.allclose(hinted, m(x, x, x, attn_mask=causal)[0]))
    """,
    "normalization_refusals": """
        import torch
        F = torch.nn.functional
        error(lambda: F.batch_norm(torch.ones(1, 3), None, None, training=True))
        error(lambda: F.batch_norm(torch.ones(2, 3), None, torch.ones(3)))
        error(lambda: F.batch_norm(torch.ones(2, 3), torch.zeros(3), None))
        error(lambda: F.group_norm(torch.ones(1, 2, 1), 2))
        error(lambda: F.group_norm(torch.ones(1, 3), 2))
        error(lambda: F.group_norm(torch.ones(3), 1))
        error(lambda: F.group_norm(torch.ones(2, 3), 2))
        print(F.batch_norm(torch.zeros(0, 2), None, None, training=True).shape)
    """,
    "zero_norm_distances_pass_zeros_back": """
        import torch
        a = torch.tensor([[1.0, 0.0, 2.0], [1.0, 5.0, float("inf")]], requires_grad=True)
        b = torch.tensor([[1.0, 0.0, 3.0]], requires_grad=True)
        d = torch.cdist(a, b, p=0)
        d.sum().backward()
        print(d, a.grad, b.grad)
        a.grad = None
        e = torch.nn.functional.pdist(a, 0)
        e.sum().backward()
        print(e, a.grad)
    """,
    "grad_scaler_steps_as_pytorch": """
        import torch
        import warnings
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)
        x = torch.randn(4, 3)
        for step in range(5):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            if step == 2:
                loss = loss * float("inf")
            scaler.scale(loss).backward()
            if step == 3:
                scaler.unscale_(opt)
                print(model.weight.grad)
                error(lambda: scaler.unscale_(opt))
            scaler.step(opt)
            scaler.update()
            print(step, scaler.get_scale(), model.weight.data)
        print(scaler.state_dict())
        error(lambda: scaler.step(opt, closure=lambda: loss))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            off = torch.amp.GradScaler()
        print(off.is_enabled(), off.get_scale(), off.scale(loss) is loss, off.state_dict())
    """,
    "function_transforms_return_aux_outside_their_graph": """
        import torch
        x = torch.tensor([0.5, 1.0])
        f = lambda x: (x.sin().sum(), x.cos())
        for aux in (
            torch.func.grad(f, has_aux=True)(x)[1],
            torch.func.jacrev(f, has_aux=True)(x)[1],
            torch.func.vjp(f, x, has_aux=True)[2],
            torch.func.grad_and_value(f, has_aux=True)(x)[1][1],
        ):
            print(aux, aux.requires_grad, aux.grad_fn, aux.numpy().shape)
        w = torch.tensor([2.0], requires_grad=True)
        aux = torch.func.grad(lambda x: ((x * w).sum(), x * w), has_aux=True)(x)[1]
        print(aux.grad_fn.name())
        aux.sum().backward()
        print(w.grad)
    """,
    "alpha_of_integer_additions": """
        import torch
        a, b = torch.tensor([1, 2]), torch.tensor([1, 1])
        error(lambda: a.add(b, alpha=0.5))
        error(lambda: torch.sub(a, b, alpha=0.5))
        error(lambda: torch.add(a, 1, alpha=0.5))
        error(lambda: a.add_(b, alpha=0.5))
        error(lambda: a.sub_(b, alpha=1.5))
        error(lambda: a.add(b, alpha=True))
        print(a.add(b, alpha=2), a.add(1.5, alpha=2), a.add(b.float(), alpha=0.5), a)
        t = torch.tensor([True])
        print(t.add(t, alpha=True), a.float().add_(b, alpha=0.5))
    """,
    "reductions_asked_for_integers_and_all_any_of_bytes": """
        import torch
        x = torch.ones(3, requires_grad=True)
        error(lambda: x.sum(dtype=torch.int64))
        error(lambda: x.cumsum(0, dtype=torch.int32))
        error(lambda: x.prod(dtype=torch.bool))
        error(lambda: torch.nansum(x, dtype=torch.int64))
        print(x.sum(dtype=torch.float64), x.detach().sum(dtype=torch.int64))
        with torch.no_grad():
            print(x.sum(dtype=torch.int64))
        b = torch.tensor([[1, 0], [2, 3]], dtype=torch.uint8)
        print(b.all(), b.any(0), torch.all(b, 1, keepdim=True), b.bool().all())
    """,
    "products_of_two_dtypes_are_refused": """
        import torch
        F = torch.nn.functional
        i = lambda *s: torch.ones(*s, dtype=torch.int64)
        f = lambda *s: torch.ones(*s)
        d = lambda *s: torch.ones(*s, dtype=torch.float64)
        for a, b in [(i(2), f(2)), (i(2, 2), f(2)), (i(2), f(2, 2)), (f(2, 2), i(2, 2)),
                     (i(3, 2, 2), f(3, 2, 2)), (i(3, 2, 2), f(2, 2)), (f(2, 2), i(3, 2, 2)),
                     (f(2), i(3, 2, 2)), (f(2, 2), d(2, 2))]:
            error(lambda: a @ b)
        error(lambda: torch.bmm(i(1, 2, 2), f(1, 2, 2)))
        error(lambda: torch.dot(i(2), f(2)))
        error(lambda: torch.einsum("ij,jk", i(2, 2), f(2, 2)))
        error(lambda: F.linear(d(2, 2), f(3, 2)))
        error(lambda: F.linear(d(4, 2, 2), f(3, 2), f(3)))
        error(lambda: F.linear(f(2, 2), f(3, 2), d(3)))
        error(lambda: torch.nn.Linear(2, 3)(d(4, 2)))
        print((f(2, 2) @ f(2)).dtype, torch.outer(i(2), f(2)).dtype)
        error(lambda: i(2) // 0)
        error(lambda: torch.remainder(i(2), 0))
    """,
    "no_grad_modes": """
        import torch
        x = torch.ones(2, requires_grad=True)
        with torch.no_grad():
            y = x * 2
            print(y.requires_grad, torch.is_grad_enabled())
            with torch.enable_grad():
                print((x * 2).requires_grad)
        print(y.requires_grad, y.grad_fn, torch.is_grad_enabled())
        @torch.no_grad()
        def f(t):
            return t * 2
        print(f(x).requires_grad)
        with torch.set_grad_enabled(False):
            print((x * 2).requires_grad)
        torch.set_grad_enabled(True)
        print((x * 2).requires_grad)
        with torch.inference_mode():
            print((x * 2).requires_grad)
        with torch.no_grad(), torch.inference_mode(False):
            print((x * 2).requires_grad)
        @torch.inference_mode
        def bare(t):
            return t * 2
        @torch.inference_mode(mode=False)
        def off(t):
            return t * 2
        print(bare(x).requires_grad, off(x).requires_grad, torch.is_grad_enabled())
        with torch.no_grad():
            x.add_(1)
        print(x, x.grad)
    """,
    "retain_grad_and_hooks": """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        z = (y ** 2).sum()
        h = y.register_hook(lambda g: print("hook", g))
        x.register_hook(lambda g: g * 2)
        z.backward()
        print(x.grad, y.grad, y.retains_grad, x.retains_grad)
        h.remove()
        x.grad = None
        w = x * 3
        print(w.grad)
        (w ** 2).sum().backward()
        print(x.grad)
    """,
    "hook_changing_size": """
        import torch
        def widen(g):
            return torch.ones(3, 2)
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(widen)
        error(lambda: y.tanh().sum().backward())
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        w.register_hook(lambda g: g.sum())
        error(lambda: (w * 3).sum().backward())
        v = x * 3
        v.register_hook(lambda g: g * 10)  # same size: taken
        v.sum().backward()
        print(x.grad)
    """,
    "sgd_state_only_with_momentum": """
        import torch
        model = torch.nn.Linear(3, 2)
        for momentum in (0.0, 0.9):
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
            model(torch.ones(1, 3)).sum().backward()
            opt.step()
            print(momentum, len(opt.state), [sorted(s) for s in opt.state.values()])
            print(opt.state_dict()["state"].keys())
    """,
    "zero_grad": """
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(1, 3)).sum().backward()
        print(model.weight.grad, model.bias.grad)
        opt.zero_grad(set_to_none=False)
        print(model.weight.grad, model.bias.grad)
        model(torch.ones(1, 3)).sum().backward()
        opt.zero_grad()
        print(model.weight.grad, model.bias.grad)
        model(torch.ones(1, 3)).sum().backward()
        model.zero_grad()
        print(model.weight.grad)
        print(model)
        print(list(model.parameters()))
        for name, p in model.named_parameters():
            print(name, p.shape, p.requires_grad)
        print(model.state_dict())
        print(sum(p.numel() for p in model.parameters() if p.requires_grad))
    """,
    "layer_reads_weight_set_as_plain_tensor": """
        import torch
        from torch import nn
        torch.manual_seed(0)
        for layer, x in ((nn.Linear(3, 2), torch.ones(4, 3)),
                         (nn.Linear(3, 2, bias=False), torch.ones(4, 3)),
                         (nn.Conv2d(1, 2, 3), torch.ones(1, 1, 4, 4))):
            del layer.weight  # no longer a parameter: the layer reads the plain attribute
            layer.weight = torch.ones(layer.out_channels if hasattr(layer, "out_channels")
                                      else 2, *x.shape[1:2], *([3, 3] if x.ndim == 4 else []))
            y = layer(x)
            print(type(layer).__name__, [n for n, _ in layer.named_parameters()], y.shape)
            print((y - (0 if layer.bias is None else layer.bias.view(-1, *[1] * (y.ndim - 2)))
                   ).detach())
            del layer.bias
            layer.bias = None
            print(layer(x).detach().flatten()[:4])
    """,
    "module_printing": """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.stack = nn.Sequential(
                    nn.Linear(28 * 28, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10)
                )
                self.conv = nn.Conv2d(1, 6, 5, padding=2)
                self.bn = nn.BatchNorm2d(6)
                self.pool = nn.MaxPool2d(2, 2)
                self.emb = nn.Embedding(10, 4)
                self.ln = nn.LayerNorm(4)
            def forward(self, x):
                return self.stack(self.flatten(x))
        print(Net())
        print(nn.CrossEntropyLoss(), nn.MSELoss(), nn.Softmax(dim=1), nn.Tanh(), nn.LeakyReLU(0.1))
        print(nn.GELU())
        print(nn.Sequential(nn.Linear(2, 2)))
        print(nn.ModuleList([nn.Linear(1, 1), nn.ReLU()]))
    """,
    "data_and_grads": """
        import torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        loss = (w ** 2).sum()
        loss.backward()
        print(loss, loss.item(), w.grad, w.grad.data, w.data)
        with torch.no_grad():
            w -= 0.1 * w.grad
        print(w, w.grad_fn, w.is_leaf)
        w.data -= 0.1 * w.grad
        w.grad.zero_()
        print(w, w.grad)
        print(w.detach().numpy(), w.clone(), w.clone().grad_fn, w.detach().clone())
        error(lambda: w.numpy())
    """,
    "tensor_ops_printing": """
        import torch
        torch.manual_seed(0)
        x = torch.randn(2, 3)
        print(x, x.shape, x.size(), x.T, x.view(-1), x.view(3, -1).shape)
        print(x.max(dim=1), x.min(0), x.argmax(), x.argmax(dim=1), x.topk(2), x.sort(dim=1))
        print(torch.cat([x, x], dim=0).shape, torch.stack([x, x]).shape, x.unsqueeze(1).shape)
        print(torch.where(x > 0, x, torch.zeros_like(x)), (x > 0).sum(), (x > 0).float().mean())
        print(torch.matmul(x, x.T), x @ x.T, torch.einsum("ij,kj->ik", x, x))
        print(x.to(torch.float16), x.long(), x.int(), x.bool(), x.half().dtype)
        print(torch.softmax(x, dim=1), torch.nn.functional.softmax(x, dim=-1).sum(1))
        print(x.mean(), x.std(), x.var(dim=0), x.sum(dim=1, keepdim=True), x.norm(dim=1))
        print(x.abs().sqrt(), x.exp().log(), x.clamp(-0.5, 0.5), x.round(), x.floor(), x.ceil())
        print(torch.zeros(2, 2), torch.ones(3), torch.full((2,), 3.14), torch.eye(3))
        print(torch.arange(0, 1, 0.25))
        print(torch.linspace(0, 1, 5), torch.arange(5), torch.empty(0), torch.zeros(2, 0, 3))
        print(torch.tensor([3, 1, 2]).sort())
        print(x.numpy().shape, torch.from_numpy(x.numpy()).dtype, x.chunk(3, dim=1)[0].shape)
        print(torch.Size([2, 3]), torch.Size([2, 3]).numel(), list(torch.Size([2, 3])), x.shape[0])
        print(x.mean(dim=0).shape, x.argmax(dim=1).dtype, torch.max(x, 1).values)
        print(torch.max(x, 1)[1])
    """,
    "float_constants": """
        import torch
        c = 0.1  # one float object, met by several dtypes and again in later steps
        for dtype in (torch.float32, torch.float64):
            x = torch.tensor([0.3, -1.7, 2.5], dtype=dtype)
            y = (x * c + c - 1e39 * c) / c
            print(y.dtype, y.tolist(), (c - x).tolist(), (x / c).tolist(), (x - c).dtype)
        print((torch.tensor([3, -1]) * c).dtype, (torch.tensor([True]) / c).dtype)
        x = torch.tensor([0.3, -1.7, 2.5], requires_grad=True)
        for _ in range(2):
            y = ((x * c) * x - 2.5) / 3.0
            (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
            (gg,) = torch.autograd.grad((g * c).sum(), x)
            print(y.tolist(), g.tolist(), gg.tolist())
        print((x * float("nan")).tolist(), (x * -0.0).tolist(), (x * 1e39).tolist())
    """,
    "number_over_tensor": """
        import torch
        # PyTorch's c / x is reciprocal(x) * c: its rounding, not true division's
        for dtype in (torch.float32, torch.float64):
            x = torch.tensor([0.3, -1.7, 2.5, 3.0, 0.0, -0.0, float("inf")], dtype=dtype)
            print((0.1 / x).tolist(), (7 / x).tolist(), (0.0 / x).tolist())
        print((2 / torch.tensor([4, 3])).tolist(), (1 / torch.tensor([True])).dtype)
        x = torch.tensor([0.3, -1.7, 2.5], requires_grad=True)
        y = 0.1 / x
        print(y.grad_fn.name())
        (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad(g.sum(), x)
        print(g.tolist(), gg.tolist())
    """,
    "backward_errors": """
        import torch
        x = torch.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        error(lambda: y.backward())
        z = x * 2
        error(lambda: z.backward())
        z.backward(torch.ones(2))
        print(x.grad)
        w = (x ** 2).sum()
        g, = torch.autograd.grad(w, x, create_graph=True)
        print(g, g.requires_grad)
        h, = torch.autograd.grad(g.sum(), x)
        print(h)
        print(torch.autograd.grad((x * 3).sum(), [x]))
    """,
    "training_loop": """
        import torch
        from torch import nn
        torch.manual_seed(0)
        X = torch.randn(64, 4)
        y = (X[:, 0] > 0).long()
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(5):
            opt.zero_grad()
            out = model(X)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            acc = (out.argmax(1) == y).float().mean()
            print(f"epoch {epoch}: loss {loss.item():.4f} acc {acc:.3f}", loss)
        model.eval()
        with torch.no_grad():
            print(model(X[:3]), model(X[:3]).argmax(dim=1))
        print(model.training, model[0].training)
    """,
    "non_leaf_grad_warning": """
        import warnings
        import torch
        x = torch.ones(2, requires_grad=True)
        w = x * 3
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(w.grad, x.grad)
            w.retain_grad()
            print(w.grad)
        for c in caught:
            print(c.category.__name__, str(c.message).split(". ")[0])
    """,
    "optimizer_printing_and_state": """
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
        print(opt)
        print("Optimizer's state_dict:")
        for var_name in opt.state_dict():
            print(var_name, "\t", opt.state_dict()[var_name])
        for cls in (torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop, torch.optim.Adagrad):
            print(cls(model.parameters(), foreach=False))
        w = [torch.nn.Parameter(torch.ones(3)) for _ in range(2)]
        adam = torch.optim.Adam([w[0]], weight_decay=0.1, decoupled_weight_decay=True)
        adamw = torch.optim.AdamW([w[1]], weight_decay=0.1)
        for p, o in zip(w, (adam, adamw)):
            (p * p).sum().backward()
            o.step()
        print(w[0], torch.equal(w[0], w[1]))
    """,
    # ------------------------------------------------------------------ official tutorials
    "tutorial_tensors": r"""
        import numpy as np
        import torch
        data = [[1, 2], [3, 4]]
        x_data = torch.tensor(data)
        np_array = np.array(data)
        x_np = torch.from_numpy(np_array)
        x_ones = torch.ones_like(x_data)
        print(f"Ones Tensor: \n {x_ones} \n")
        torch.manual_seed(0)
        x_rand = torch.rand_like(x_data, dtype=torch.float)
        print(f"Random Tensor: \n {x_rand} \n")
        shape = (2, 3,)
        print(torch.rand(shape), torch.ones(shape), torch.zeros(shape))
        tensor = torch.rand(3, 4)
        print(f"Shape of tensor: {tensor.shape}")
        print(f"Datatype of tensor: {tensor.dtype}")
        print(f"Device tensor is stored on: {tensor.device}")
        tensor = torch.ones(4, 4)
        print(f"First row: {tensor[0]}")
        print(f"First column: {tensor[:, 0]}")
        print(f"Last column: {tensor[..., -1]}")
        tensor[:, 1] = 0
        print(tensor)
        t1 = torch.cat([tensor, tensor, tensor], dim=1)
        print(t1)
        y1 = tensor @ tensor.T
        y2 = tensor.matmul(tensor.T)
        y3 = torch.matmul(tensor, tensor.T)  # the tutorial writes into y3 with out=
        z1 = tensor * tensor
        z2 = tensor.mul(tensor)
        z3 = torch.mul(tensor, tensor)  # likewise
        print(y1, y3, z3)
        agg = tensor.sum()
        agg_item = agg.item()
        print(agg_item, type(agg_item))
        print(f"{tensor} \n")
        tensor.add_(5)
        print(tensor)
        t = torch.ones(5)
        print(f"t: {t}")
        n = t.numpy()
        print(f"n: {n}")
        t.add_(1)
        print(f"t: {t}")
        print(f"n: {n}")
        n = np.ones(5)
        t = torch.from_numpy(n)
        np.add(n, 1, out=n)
        print(f"t: {t}")
        print(f"n: {n}")
    """,
    "tutorial_autograd": r"""
        import torch
        x = torch.ones(5)  # input tensor
        y = torch.zeros(3)  # expected output
        torch.manual_seed(0)
        w = torch.randn(5, 3, requires_grad=True)
        b = torch.randn(3, requires_grad=True)
        z = torch.matmul(x, w)+b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        print(f"Gradient function for z = {z.grad_fn}")
        print(f"Gradient function for loss = {loss.grad_fn}")
        loss.backward()
        print(w.grad)
        print(b.grad)
        z = torch.matmul(x, w)+b
        print(z.requires_grad)
        with torch.no_grad():
            z = torch.matmul(x, w)+b
        print(z.requires_grad)
        z = torch.matmul(x, w)+b
        z_det = z.detach()
        print(z_det.requires_grad)
        inp = torch.eye(4, 5, requires_grad=True)
        out = (inp+1).pow(2).t()
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"First call\n{inp.grad}")
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"\nSecond call\n{inp.grad}")
        inp.grad.zero_()
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"\nCall after zeroing gradients\n{inp.grad}")
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3*a**3 - b**2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        print(9*a**2 == a.grad)
        print(-2*b == b.grad)
    """,
    "tutorial_build_model": r"""
        import torch
        from torch import nn
        accelerated = torch.accelerator.is_available()
        device = torch.accelerator.current_accelerator().type if accelerated else "cpu"
        print(f"Using {device} device")
        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28*28, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 10),
                )
            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits
        torch.manual_seed(0)
        model = NeuralNetwork().to(device)
        print(model)
        X = torch.rand(1, 28, 28, device=device)
        logits = model(X)
        pred_probab = nn.Softmax(dim=1)(logits)
        y_pred = pred_probab.argmax(1)
        print(f"Predicted class: {y_pred}")
        input_image = torch.rand(3,28,28)
        print(input_image.size())
        flatten = nn.Flatten()
        flat_image = flatten(input_image)
        print(flat_image.size())
        layer1 = nn.Linear(in_features=28*28, out_features=20)
        hidden1 = layer1(flat_image)
        print(hidden1.size())
        print(f"Before ReLU: {hidden1}\n\n")
        hidden1 = nn.ReLU()(hidden1)
        print(f"After ReLU: {hidden1}")
        seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
        logits = seq_modules(input_image)
        softmax = nn.Softmax(dim=1)
        pred_probab = softmax(logits)
        print(pred_probab)
        print(f"Model structure: {model}\n\n")
        for name, param in model.named_parameters():
            print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
    """,
    "tutorial_optimization": r"""
        import os
        import tempfile
        import torch
        from torch import nn
        torch.manual_seed(0)
        X = torch.rand(64, 1, 28, 28)
        y = torch.randint(0, 10, (64,))
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        data = torch.utils.data.TensorDataset(X, y)
        dataloader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=True)
        size = len(dataloader.dataset)
        model.train()
        for batch, (Xb, yb) in enumerate(dataloader):
            pred = model(Xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss, current = loss.item(), batch * 16 + len(Xb)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for Xb, yb in dataloader:
                pred = model(Xb)
                test_loss += loss_fn(pred, yb).item()
                correct += (pred.argmax(1) == yb).type(torch.float).sum().item()
        accuracy, average = 100 * correct / size, test_loss / len(dataloader)
        print(f"Test Error: \n Accuracy: {accuracy:>0.1f}%, Avg loss: {average:>8f} \n")
        path = os.path.join(tempfile.mkdtemp(), "model_weights.pth")
        torch.save(model.state_dict(), path)
        model2 = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
        print(model2.load_state_dict(torch.load(path, weights_only=True)))
        print(model2.eval())
    """,
    # ------------------------------------------------------------------ random numbers
    "seeded_tutorial": """
        import torch
        torch.manual_seed(42)
        x = torch.rand(3, 4)
        print(x, torch.randint(0, 10, (5,)), torch.randperm(6), torch.randn(5))
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
        print(model[0].weight, model[2].bias)
        print(model(x))
        g = torch.Generator().manual_seed(0)
        print(torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 5, True, generator=g))
        print(torch.nn.functional.dropout(torch.ones(2, 6), 0.5), torch.initial_seed())
    """,
    "random_fills": """
        import torch
        torch.manual_seed(0)
        print(torch.empty(4).random_(), torch.empty(4, dtype=torch.int8).random_())
        print(torch.empty(5).random_(10), torch.empty(5, dtype=torch.int64).random_(-3, to=3))
        print(torch.empty(3, dtype=torch.bool).random_(), torch.empty(2).random_(7, None))
        print(torch.empty(5).geometric_(0.3), torch.empty(3, dtype=torch.int64).geometric_(p=0.1))
        print(torch.empty(4).log_normal_(), torch.empty(3, dtype=torch.float64).log_normal_(0, 0.5))
        print(torch.empty(4).cauchy_(), torch.empty(2, dtype=torch.float16).cauchy_(1.0, 2.0))
        g = torch.Generator().manual_seed(5)
        print(torch.empty(3).cauchy_(generator=g), torch.empty(3).random_(4, 9, generator=g))
        print(torch.poisson(torch.tensor([[0.0, 2.5], [12.0, 1e3]])))
        print(torch.rand(2))  # the global stream moved as PyTorch's did
        x = torch.ones(3, requires_grad=True)
        y = x * 2
        print(y.log_normal_().requires_grad, torch.empty(0).random_(5).shape)
        y.sum().backward()
        print(x.grad)  # the fill overwrote y: no gradient reaches x
    """,
    "random_fill_errors": """
        import torch
        x = torch.zeros(3)
        error(lambda: x.random_(5, 3))
        error(lambda: x.random_(0))
        error(lambda: x.random_(1.5))
        error(lambda: x.random_(True))
        error(lambda: x.random_(2**30, None))
        error(lambda: torch.zeros(2, dtype=torch.uint8).random_(-1, 3))
        error(lambda: torch.zeros(2, dtype=torch.int16).random_(0, 2**20))
        error(lambda: torch.zeros(2, dtype=torch.bool).random_(0, 3))
        error(lambda: torch.zeros(2, dtype=torch.int32).random_(-2**63, None))
        error(lambda: torch.zeros(2, dtype=torch.float16).random_(0, 2**20))
        for p in (0, 1, -0.5, float("nan")):
            error(lambda: x.geometric_(p))
        error(lambda: torch.zeros(2, dtype=torch.bool).geometric_(0.5))
        error(lambda: x.log_normal_(0, 0))
        error(lambda: x.log_normal_(0, -1))
        error(lambda: torch.zeros(2, dtype=torch.int64).log_normal_())
        error(lambda: x.cauchy_(0, 0))
        error(lambda: torch.zeros(2, dtype=torch.int64).cauchy_())
        error(lambda: torch.zeros(2, dtype=torch.int16).cauchy_(0, -1))
        error(lambda: torch.zeros(2, dtype=torch.int64).normal_())
        error(lambda: torch.zeros(2, dtype=torch.int64).uniform_())
        error(lambda: torch.zeros(2, dtype=torch.int8).exponential_())
        error(lambda: x.exponential_(0))
        error(lambda: x.normal_(0, -1))
        error(lambda: x.uniform_(2, 1))
        for low, high, dtype in ((-3e38, 3e38, torch.float32), (0, float("inf"), torch.float32),
                                 (float("nan"), 1, torch.float64), (-6e4, 6e4, torch.float16),
                                 (0, 7e4, torch.float16), (-1e308, 1e308, torch.float64)):
            error(lambda: torch.empty(2, dtype=dtype).uniform_(low, high))
        error(lambda: torch.poisson(torch.tensor([1.0, -1.0])))
        error(lambda: torch.poisson(torch.tensor([1, 2])))
        pairs = ((torch.zeros(3), torch.ones(2)), (torch.zeros(2, 3), torch.ones(4, 1, 2)))
        for mean, std in pairs:
            error(lambda: torch.normal(mean, std))
        error(lambda: torch.normal(torch.zeros(2, 1), -1.0))
        error(lambda: torch.normal(torch.zeros(2), torch.tensor([1.0, -1.0])))
        error(lambda: torch.zeros(3, requires_grad=True).cauchy_())
    """,
    "draws_from_tensors_are_graph_nodes": """
        import torch
        torch.manual_seed(0)
        mean = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
        std = torch.tensor([[0.5], [2.0]], requires_grad=True)
        p = torch.tensor([0.2, 0.9, 0.5], requires_grad=True)
        draws = [
            torch.normal(mean, std), torch.normal(mean, 0.5), torch.normal(1.0, std),
            torch.normal(mean, std.detach()), torch.normal(mean.detach(), std),
            torch.poisson(std * 3), torch.bernoulli(p), p.bernoulli(), torch.bernoulli(p, 0.3),
            p.bernoulli(0.3), torch.normal(mean[:, None], std.T),
        ]
        for y in draws:
            print(y, y.grad_fn.name(), [n and n.name() for n, _ in y.grad_fn.next_functions])
        for y in draws[:8] + draws[10:]:
            mean.grad = std.grad = p.grad = None
            (y * torch.arange(1.0, 1.0 + y.numel()).reshape(y.shape)).sum().backward()
            print(mean.grad, std.grad, p.grad)
        error(lambda: torch.bernoulli(p, 0.3).sum().backward())
        print(torch.normal(mean.detach(), std.detach()).requires_grad, draws[-2].grad_fn)
        with torch.no_grad():
            print(torch.normal(mean, std).requires_grad, torch.poisson(std).grad_fn)
        p.grad = None
        torch.zeros(2, 3).bernoulli_(p).sum().backward()  # in place, from probabilities
        print(p.grad)
        draw = torch.normal(mean, 1.0)
        g, = torch.autograd.grad((draw * mean).sum(), mean)  # zeros through the draw
        print(torch.equal(g, draw.detach()), g)
    """,
    "in_place_fills_are_named_after_the_fill": """
        import torch
        import torch.autograd.forward_ad as fwAD
        torch.manual_seed(0)
        x = torch.ones(3, requires_grad=True)
        p = torch.full((3,), 0.5, requires_grad=True)
        v = torch.tensor(2.0, requires_grad=True)
        fills = [
            lambda t: t.normal_(), lambda t: t.uniform_(), lambda t: t.exponential_(),
            lambda t: t.bernoulli_(0.5), lambda t: t.bernoulli_(torch.tensor(0.3)),
            lambda t: t.bernoulli_(p), lambda t: t.random_(), lambda t: t.random_(10),
            lambda t: t.random_(2, 5), lambda t: t.random_(7, None), lambda t: t.random_(to=5),
            lambda t: t.geometric_(0.3), lambda t: t.log_normal_(), lambda t: t.cauchy_(),
            lambda t: t.fill_(2.0), lambda t: t.fill_(True), lambda t: t.fill_(v),
            lambda t: t.fill_(torch.tensor(1)), lambda t: t.zero_(),
            lambda t: t.copy_(torch.tensor([1, 2, 3])),
        ]
        for fill in fills:
            x.grad = p.grad = v.grad = None
            y = fill(x * 2)
            print(y, y.grad_fn.name(), [n and n.name() for n, _ in y.grad_fn.next_functions])
            (y * torch.arange(1.0, 4.0)).sum().backward()
            print(x.grad, p.grad, v.grad)
        y = x * 2
        y[1:].normal_()  # through a view: the base's history is rewritten
        y.sum().backward()
        print(x.grad)
        print(torch.zeros(3).bernoulli_(p).grad_fn.name(), torch.zeros(3).fill_(v).grad_fn.name())
        print(torch.zeros(3).normal_().grad_fn, x.detach().zero_().grad_fn)
        error(lambda: torch.ones(2, requires_grad=True).normal_())
        with fwAD.dual_level():
            for fill in fills[:4] + fills[6:9] + fills[11:16] + fills[17:]:
                dual = fwAD.make_dual(torch.ones(3), torch.full((3,), 7.0))
                print(fwAD.unpack_dual(fill(dual * 1)).tangent)
            dual = fwAD.make_dual(torch.tensor(2.0), torch.tensor(5.0))
            print(fwAD.unpack_dual(torch.zeros(3).fill_(dual)).tangent)
    """,
    "in_place_fill_tangents_come_from_the_filled_tensor": """
        import torch
        import torch.autograd.forward_ad as fwAD
        from torch.func import jacfwd, jvp
        def dual(shape=(3,), dtype=torch.float32, requires_grad=False):
            p = torch.full(shape, 0.5, dtype=dtype, requires_grad=requires_grad)
            return fwAD.make_dual(p, torch.ones(shape, dtype=dtype))
        def tangent(t):
            return fwAD.unpack_dual(t).tangent
        with fwAD.dual_level():
            p, t = dual(), torch.zeros(3)
            print(t.bernoulli_(p) is t, tangent(t), tangent(torch.zeros(3).uniform_()))
            print(tangent(fwAD.make_dual(torch.zeros(3), torch.ones(3)).bernoulli_(p)))
            print(tangent(fwAD.make_dual(torch.zeros(3), torch.ones(3)).bernoulli_(0.5)))
            print(tangent(fwAD.make_dual(torch.zeros(3), torch.ones(3)).uniform_()))
            print(tangent(p.clone().bernoulli_(p)), tangent(torch.bernoulli(p)))
            print(tangent(torch.zeros(3).bernoulli_(dual(dtype=torch.float64))))
            print(tangent(torch.zeros(3, dtype=torch.int64).bernoulli_(p)))
            print(tangent(torch.zeros(3).bernoulli_(dual(()))))
            t = torch.zeros(3)
            print(tangent(t[:2].bernoulli_(p[:2])), tangent(t))
            out = torch.zeros(3, requires_grad=True).clone().bernoulli_(p)
            print(out.grad_fn.name(), tangent(out))
            out = torch.zeros(3).bernoulli_(dual(requires_grad=True))
            print(out.grad_fn.name(), out.requires_grad, tangent(out))
        half = torch.full((3,), 0.5)
        print(jacfwd(lambda q: torch.zeros(3).bernoulli_(q), randomness="same")(half))
        print(jacfwd(lambda q: (q * 1).bernoulli_(q), randomness="same")(half))
        print(jvp(lambda q: torch.zeros(3).bernoulli_(q) + q, (half,), (torch.ones(3),))[1])
    """,
    "draws_under_function_transforms": """
        import torch
        from torch.func import grad, hessian, jacfwd, jacrev, jvp, vmap
        x = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
        draws = {
            "normal": lambda m: torch.normal(m, m * 0 + 1),
            "normal_mean": lambda m: torch.normal(m, 0.5),
            "normal_std": lambda s: torch.normal(0.0, s),
            "poisson": lambda r: torch.poisson(r),
            "bernoulli": lambda q: torch.bernoulli(q / 3),
            "bernoulli_p": lambda q: torch.bernoulli(q, 0.5),
        }
        for name, f in draws.items():
            print(name)
            short(lambda: jvp(f, (x,), (torch.ones(3, dtype=torch.float64),))[1])
            short(lambda: jacrev(f)(x))
            short(lambda: grad(lambda v: f(v).sum())(x))
            for mode in ("error", "same", "different"):
                short(lambda: jacfwd(f, randomness=mode)(x))
            short(lambda: hessian(lambda v: f(v).sum())(x))
            short(lambda: vmap(f, randomness="same")(x[:, None]))
            for mode in ("same", "different"):
                short(lambda: vmap(grad(lambda v: f(v).sum()), randomness=mode)(x[:, None]))
            short(lambda: vmap(jacrev(f), randomness="different")(x[:, None]))
    """,
    "matrix_vector_products_under_function_transforms": """
        import torch
        from torch.func import jacfwd, jacrev, vmap
        torch.manual_seed(0)
        w = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        v = torch.randn(2, 4, dtype=torch.float64)
        y = vmap(lambda u: w @ u)(v)  # (3, 4) @ (4,) per example
        print(y.shape, y.requires_grad)
        y.pow(2).sum().backward()
        print(w.grad.is_contiguous(), w.grad.t().is_contiguous())
        w.grad = None
        jac = jacfwd(lambda u: torch.tanh(w @ u))(v[0])
        print(jac.shape, jac.is_contiguous(), jac.requires_grad)
        jac.sum().backward()
        print(w.grad.is_contiguous(), w.grad.t().is_contiguous())
        c = w.detach()
        for j in (jacfwd, jacrev):
            jac = j(lambda u: torch.tanh(c @ u) * u[:3])(v[0])
            print(jac.shape, jac.is_contiguous(), jac.requires_grad, jac.grad_fn)
    """,
    "per_example_linear_and_cross_entropy_under_vmap": """
        import torch
        from torch.func import grad, vmap
        def show(*ts):  # rounded: float64 sums in another order differ in the last bits
            for t in ts:  # (+ 0.0: torch.func's nll_loss gives an ignored row -0.0, eager +0.0)
                print(tuple(t.shape), [round(v, 9) + 0.0 for v in t.flatten().tolist()])
        torch.manual_seed(0)
        x = torch.randn(3, 2, 4, dtype=torch.float64)
        w = torch.randn(3, 5, 4, dtype=torch.float64)
        b = torch.randn(3, dtype=torch.float64)  # a 0-d bias per example
        show(vmap(torch.nn.functional.linear)(x, w, b))
        show(vmap(torch.nn.functional.linear)(x, w, b[:, None].repeat(1, 5)))
        logits = torch.randn(2, 3, 4, 5, dtype=torch.float64)
        target = torch.arange(24).reshape(2, 3, 4) % 5  # class 2 is ignored below
        weight = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25], dtype=torch.float64)
        for reduction in ("mean", "sum", "none"):
            for classes in (None, weight):
                def loss(z, t):
                    return torch.nn.functional.cross_entropy(
                        z, t, weight=classes, ignore_index=2, reduction=reduction
                    ).sum()
                print(reduction, classes is None)
                show(vmap(vmap(loss))(logits, target), vmap(vmap(grad(loss)))(logits, target)[1])
                show(vmap(vmap(loss, in_dims=(0, None)))(logits, target[:, 0]))
    """,
    "scalar_reads_under_function_transforms": """
        import torch
        from torch.func import grad, jacfwd, jacrev, jvp, vmap
        x = torch.tensor([0.5, 1.5], dtype=torch.float64)
        reads = [
            lambda v: v * v[0].item(), lambda v: v * float(v[0]), lambda v: v * int(v[1]),
            lambda v: v * 2 if bool(v[0] > 0) else v, lambda v: v * 2 if v.sum() > 0 else v,
            lambda v: v * (v * 3)[0].item(), lambda v: v if bool((v * 3)[0] > 0) else -v,
            lambda v: v * [1.0, 2.0, 3.0][v[1].long()], lambda v: v * torch.tensor(2.0).item(),
            lambda v: v * (v + torch.rand(2, dtype=torch.float64))[0].item(),
            lambda v: (v * 2).normal_() + v, lambda v: torch.zeros(2).normal_() + v,
        ]
        for f in reads:
            for mode in ("error", "same", "different"):
                torch.manual_seed(0)
                short(lambda: jacfwd(f, randomness=mode)(x).tolist())
                short(lambda: vmap(f, randomness=mode)(x[None].repeat(2, 1)).tolist())
            short(lambda: jacrev(f)(x).tolist())
            short(lambda: grad(lambda v: f(v).sum())(x).tolist())
        short(lambda: vmap(jacfwd(reads[0], randomness="different"))(x[None]).tolist())
        for f in reads[:5]:  # a value with a tangent: PyTorch's refusal names both reads
            short(lambda: vmap(lambda v: jvp(f, (v,), (v,))[1])(x[None]).tolist())
            # vmap inside: its refusal
            short(lambda: jvp(vmap(f), (x[None],), (x[None],))[1].tolist())
    """,
    "in_place_changes_under_vmap": """
        import torch
        from torch.func import grad, vmap
        x = torch.arange(8.0).reshape(2, 2, 2)
        def set_row(v):
            y = v * 1
            y[0] = v[1] * 2
            return y
        def view_of_view(v):
            y = v * 1
            y[:, 0][1:].mul_(3)
            return y
        changes = [
            set_row, view_of_view, lambda v: (v * 1).mul_(v), lambda v: v.clone().div_(2),
            lambda v: v.clone().add_(torch.ones(2, 2), alpha=3), lambda v: (v * 1).clamp_(2, 7),
            lambda v: (v * 1)[1].fill_(v[0, 0]), lambda v: (v * 1)[:, 1].zero_(),
            lambda v: (v * 1).copy_(v[0]), lambda v: torch.zeros(2, 2).add_(1.5) + v,
            lambda v: torch.zeros(2, 2).add_(v), lambda v: torch.zeros(2, 2).copy_(v),
            lambda v: torch.zeros(2, 2).fill_(v[0, 0]), lambda v: torch.zeros(2).mul_(v[0]),
        ]
        for change in changes:
            short(lambda: vmap(change)(x).tolist(), 110)
            short(lambda: vmap(change, in_dims=1)(x).tolist(), 110)
        for change in changes[:2]:
            short(lambda: vmap(grad(lambda v: (change(v) ** 2).sum()))(x).tolist(), 110)
    """,
    "random_fills_under_vmap": """
        import torch
        from torch.func import vmap
        torch.manual_seed(0)
        x = torch.zeros(4, 16)  # 16 values an example: two examples' draws never coincide
        for mode in ("different", "same", "error"):
            for fill in (
                lambda r: r.clone().random_(100),
                lambda r: r.clone().geometric_(0.5),
                lambda r: r.double().log_normal_(),
                lambda r: r.clone().cauchy_(),
                lambda r: r + torch.zeros(16).cauchy_(),
                lambda r: r.clone().bernoulli_(r + 0.5),
                lambda r: torch.zeros(16).bernoulli_(r + 0.5),
                lambda r: torch.normal(r, 1.0),
                lambda r: r + torch.normal(torch.zeros(16), torch.ones(16)),
                lambda r: torch.poisson(r + 3),
            ):
                try:
                    out = vmap(fill, randomness=mode)(x)
                    print(mode, out.shape, out.dtype, len({tuple(row.tolist()) for row in out}))
                except RuntimeError as e:
                    print(mode, "RuntimeError:", str(e)[:70])  # (its end names functorch)
    """,
}


# PyTorch warns once per process when float() reads a tensor that requires grad: each run
# of this snippet gets a fresh process, so that the once is the snippet's.
SCALAR_CONVERSIONS = """
import math, warnings
import torch
def show(label, f):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = f()
    # PyTorch's message ends with the C++ line that raised it: the first line and a half.
    print(label, value, [str(w.message).split(" (Triggered")[0] for w in caught])
x = torch.tensor(1.5, requires_grad=True)
with torch.no_grad():
    show("float under no_grad", lambda: float(x))
show("int", lambda: int(x))
show("item", lambda: x.item())
show("bool", lambda: bool(x))
show("tolist", lambda: x.tolist())
show("formatted", lambda: f"{x} {x:.2f} {x * 2}")
show("float of a detached tensor", lambda: float(x.detach()))
show("float", lambda: float(x))
show("float again", lambda: float(x * 2))
show("math.sqrt", lambda: math.sqrt(torch.ones(1, requires_grad=True)))
"""


def _fresh_process(source: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout


def test_scalar_conversions_warn_as_pytorch_once_per_process() -> None:
    expected = _fresh_process(SCALAR_CONVERSIONS).replace("torch", "chainrule")
    ours = _fresh_process(SCALAR_CONVERSIONS.replace("torch", "chainrule"))
    assert ours == expected
    assert ours.count("Converting a tensor with requires_grad=True") == 1


def error(f: object) -> None:
    """Print the exception ``f()`` raises as ``Type: first line``."""
    try:
        f()  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the point is to print whatever it is
        print(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    else:
        print("no error")


def short(f: object, width: int = 70) -> None:
    """Print what ``f()`` returns, or the exception it raises as ``Type message`` cut at
    ``width`` characters: the ends of vmap's messages name functorch."""
    try:
        print(f())  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the point is to print whatever it is
        print(type(e).__name__, str(e)[:width])


def run(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        printers = {"error": error, "short": short}
        exec(textwrap.dedent(source), printers)  # noqa: S102 - the snippets are ours
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", out.getvalue())


@pytest.fixture(autouse=True)
def _fresh_state():
    """Snippets that change global settings (default device, dtype, seeds) leave none behind."""
    yield
    for module in (torch, chainrule):
        module.set_default_device(None)
        module.set_default_dtype(module.float32)
        module.set_printoptions(profile="default")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
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
        *("chainrule.dtypes", "chainrule.printing", "chainrule.op", "chainrule.ops.losses"),
        *("chainrule.autograd", "chainrule.rng", "chainrule.factories", "chainrule._normal_avx2"),
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_printing_magnitudes_far_apart_is_silent_and_matches_pytorch() -> None:
    # The ratio of the largest to the smallest magnitude overflowed float64 (and NumPy warned)
    values = [1e300, -1e-300, 2.5]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = repr(chainrule.tensor(values, dtype=chainrule.float64))
    assert ours == repr(torch.tensor(values, dtype=torch.float64)).replace("torch", "chainrule")
