"""``chainrule.testing`` (assert_close, make_tensor, assert_allclose), ``finfo``/``iinfo``,
``chainrule.random`` and ``chainrule.utils.hooks`` print what PyTorch prints: the runner of
``tests/test_torch_snippets.py`` (the chainrule run replaces the word ``torch`` in the source,
and nothing else), with ``fails(f)`` printing an exception's whole message, so that
assert_close's multi-line reports are compared line for line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from test_torch_snippets import run

import chainrule

FAILS = """
def fails(f):
    try:
        f()
    except Exception as e:
        print(type(e).__name__ + ":", e)
    else:
        print("no error")
"""

SNIPPETS: dict[str, str] = {
    # ------------------------------------------------------------------ finfo, iinfo
    "finfo_attributes_and_repr": """
        import torch
        for dtype in (torch.float16, torch.float32, torch.float64, torch.bfloat16):
            f = torch.finfo(dtype)
            print(repr(f), str(f) == repr(f))
            print(f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution)
            print(repr(f.dtype), type(f.eps).__name__, type(f.bits).__name__)
        print(torch.finfo(torch.complex64), torch.finfo(torch.complex128).dtype)
        print(torch.finfo(), torch.finfo(float).dtype, torch.finfo(complex).dtype)
        print(torch.finfo(type=torch.float16).eps)
        print(torch.finfo(torch.float32) == torch.finfo(torch.float32))
        print(torch.finfo(torch.float32) != torch.finfo(torch.float64))
        print(isinstance(torch.finfo(), torch.finfo), type(torch.finfo()).__name__)
    """,
    "finfo_of_the_default_dtype": """
        import torch
        torch.set_default_dtype(torch.float64)
        print(torch.finfo(), torch.finfo().eps)
    """,
    "iinfo_attributes_and_repr": """
        import torch
        for dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, int):
            i = torch.iinfo(dtype)
            print(repr(i), str(i), i.bits, i.min, i.max, repr(i.dtype), type(i.max).__name__)
        print(torch.iinfo(torch.int32) == torch.iinfo(torch.int32))
    """,
    "finfo_iinfo_errors": """
        import torch
        fails(lambda: torch.finfo(torch.int32))
        fails(lambda: torch.finfo(torch.bool))
        fails(lambda: torch.finfo(bool))
        fails(lambda: torch.iinfo(torch.float32))
        fails(lambda: torch.iinfo(torch.complex64))
        fails(lambda: torch.iinfo(torch.bool))
        fails(lambda: torch.iinfo(bool))
        fails(lambda: torch.iinfo(complex))
        fails(lambda: torch.iinfo())
        fails(lambda: torch.finfo("float32"))
        fails(lambda: torch.finfo(None))
        fails(lambda: torch.finfo(1))
        fails(lambda: torch.iinfo(None))
        fails(lambda: setattr(torch.finfo(), "eps", 1.0))
    """,
    # ------------------------------------------------------------------ assert_close
    "assert_close_tensor_mismatches": """
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 3.0])))
        fails(lambda: assert_close(torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                   torch.tensor([[1.0, 2.0], [3.1, 5.0]])))
        fails(lambda: assert_close(torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                   torch.tensor([[4.0, 3.0], [2.0, 1.0]])))
        fails(lambda: assert_close(torch.arange(6.0).reshape(1, 2, 3),
                                   torch.arange(6.0).reshape(1, 2, 3) * 1.1))
        fails(lambda: assert_close(torch.tensor([-1.0, -2.0]), torch.tensor([-1.0, -3.0])))
        fails(lambda: assert_close(torch.tensor([1 / 3], dtype=torch.float64),
                                   torch.tensor([0.34], dtype=torch.float64)))
        fails(lambda: assert_close(torch.tensor([1.0, 2.0]).half(),
                                   torch.tensor([1.0, 2.01]).half()))
        fails(lambda: assert_close(torch.ones(10000),
                                   torch.ones(10000).index_fill(0, torch.tensor([5]), 2.0)))
        fails(lambda: assert_close(torch.tensor([0.0, 0.0]), torch.tensor([0.0, -1e-4])))
        fails(lambda: assert_close(torch.tensor([1e6, 0.0]), torch.tensor([1e6 + 1, 1e-4])))
        fails(lambda: assert_close(torch.tensor([1.2345678e-5, 1.0]), torch.tensor([0, 1.0])))
        fails(lambda: assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0000001])))
        fails(lambda: assert_close(torch.zeros(0), torch.zeros(0)))
    """,
    "assert_close_infinities_and_nan": """
        import torch
        from torch.testing import assert_close
        inf, nan = float("inf"), float("nan")
        fails(lambda: assert_close(torch.tensor([1.0, nan]), torch.tensor([1.0, nan])))
        fails(lambda: assert_close(torch.tensor([1.0, nan]), torch.tensor([1.0, nan]),
                                   equal_nan=True))
        fails(lambda: assert_close(torch.tensor([nan, 1.0]), torch.tensor([nan, 2.0]),
                                   equal_nan=True))
        fails(lambda: assert_close(torch.tensor([1.0, 1.0]), torch.tensor([nan, 2.0])))
        fails(lambda: assert_close(torch.tensor([1.0, inf]), torch.tensor([1.0, -inf])))
        fails(lambda: assert_close(torch.tensor([inf, 1.0]), torch.tensor([inf, 2.0])))
        fails(lambda: assert_close(torch.tensor([inf]), torch.tensor([3.4e38])))
        fails(lambda: assert_close(torch.tensor(nan), torch.tensor(0.0)))
    """,
    "assert_close_integers_and_bools": """
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4])))
        fails(lambda: assert_close(torch.tensor([5, 1]), torch.tensor([4, 3])))
        fails(lambda: assert_close(torch.tensor([0, 0, 3]), torch.tensor([1, 1, 3])))
        fails(lambda: assert_close(torch.tensor([1, 2], dtype=torch.uint8),
                                   torch.tensor([3, 0], dtype=torch.uint8)))
        fails(lambda: assert_close(torch.tensor([True, False]), torch.tensor([True, True])))
        fails(lambda: assert_close(torch.tensor([[True, False]]), torch.tensor([[True, True]])))
        fails(lambda: assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]), rtol=0.5, atol=0))
        fails(lambda: assert_close(torch.tensor([1, 2]), torch.tensor([1, 5]), rtol=0.5, atol=0))
    """,
    "assert_close_zero_dim_tensors": """
        import numpy as np
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(torch.tensor(1.0), torch.tensor(2.0)))
        fails(lambda: assert_close(torch.tensor(1 / 3), torch.tensor(0.34)))
        fails(lambda: assert_close(torch.tensor(1 / 3, dtype=torch.float16),
                                   torch.tensor(0.34, dtype=torch.float16)))
        fails(lambda: assert_close(torch.tensor(5, dtype=torch.uint8),
                                   torch.tensor(7, dtype=torch.uint8)))
        fails(lambda: assert_close(torch.tensor(1), torch.tensor(3)))
        fails(lambda: assert_close(torch.tensor(True), torch.tensor(False)))
        fails(lambda: assert_close(torch.tensor(2.0), torch.tensor(float("nan"))))
        fails(lambda: assert_close(np.array(1.0), np.array(2.0)))
    """,
    "assert_close_attributes_and_dtypes": """
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0, 3.0])))
        fails(lambda: assert_close(torch.zeros(2, 0), torch.zeros(0, 2)))
        fails(lambda: assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64)))
        fails(lambda: assert_close(torch.tensor([True]), torch.tensor([1])))
        fails(lambda: assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]).double(),
                                   check_dtype=False))
        fails(lambda: assert_close(torch.tensor([1, 3], dtype=torch.int32),
                                   torch.tensor([1, 4.0]), check_dtype=False))
        fails(lambda: assert_close(torch.tensor([1, 3.0], dtype=torch.float16),
                                   torch.tensor([1, 4.0]), check_dtype=False))
        fails(lambda: assert_close(torch.tensor([1, 3.0], dtype=torch.float16),
                                   torch.tensor([1, 3.001]), check_dtype=False))
        fails(lambda: assert_close(torch.tensor([1.5], dtype=torch.float64), torch.tensor([1]),
                                   check_dtype=False))
        fails(lambda: assert_close(torch.tensor([1.0, 2.0]).double(),
                                   torch.tensor([1.0, 2.5]).half(), check_dtype=False))
        fails(lambda: assert_close(torch.ones(2, 2), torch.ones(2, 2).t()))
        fails(lambda: assert_close(torch.ones(2, 3), torch.ones(3, 2).t(), check_stride=True))
        fails(lambda: assert_close(torch.zeros(2, 3).t(), torch.zeros(3, 2, dtype=torch.int64),
                                   check_stride=True))
        fails(lambda: assert_close(torch.ones(2, requires_grad=True), torch.ones(2)))
        fails(lambda: assert_close(torch.ones(2), torch.ones(2), check_device=False,
                                   check_layout=False))
    """,
    "assert_close_tolerances": """
        import torch
        from torch.testing import assert_close
        x, y = torch.tensor([1.0, 3.0]), torch.tensor([1.0, 4.0])
        fails(lambda: assert_close(x, y, rtol=0, atol=0))
        fails(lambda: assert_close(x, y, rtol=0.0, atol=0.0))
        fails(lambda: assert_close(x, y, rtol=1e-3, atol=0.5))
        fails(lambda: assert_close(x, y, rtol=0, atol=1e-9))
        fails(lambda: assert_close(x, y, rtol=0.3, atol=0))
        fails(lambda: assert_close(x, y, atol=0.5))
        fails(lambda: assert_close(x, x, rtol=0.1))
        fails(lambda: assert_close(x, x, rtol=1e-3, atol=None))
    """,
    "assert_close_python_numbers": """
        import numpy as np
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(1.0, 1.1))
        fails(lambda: assert_close(1.0, 1.0 + 1e-8))
        fails(lambda: assert_close(1, 2))
        fails(lambda: assert_close(1, 1.0))
        fails(lambda: assert_close(1.0, 1))
        fails(lambda: assert_close(1.0, 1, check_dtype=False))
        fails(lambda: assert_close(1, 2.0, check_dtype=False))
        fails(lambda: assert_close(3, 4, rtol=0.5, atol=0))
        fails(lambda: assert_close(1, 2, rtol=0.1, atol=0))
        fails(lambda: assert_close(1, 3, rtol=0.1, atol=1))
        fails(lambda: assert_close(1.0, 2.0, rtol=0, atol=0))
        fails(lambda: assert_close(1.0, 0.0))
        fails(lambda: assert_close(0.0, 1e-300))
        fails(lambda: assert_close(1.0, float("nan")))
        fails(lambda: assert_close(float("nan"), float("nan"), equal_nan=True))
        fails(lambda: assert_close(float("inf"), float("inf")))
        fails(lambda: assert_close(float("inf"), float("-inf")))
        fails(lambda: assert_close(float("inf"), 1e308))
        fails(lambda: assert_close(complex(1, 2), complex(1, 3)))
        fails(lambda: assert_close(np.float64(1.0), 1.0))
        fails(lambda: assert_close(np.float32(1.0), np.float32(1.5)))
        fails(lambda: assert_close(np.float32(1.0), 1))
        fails(lambda: assert_close(np.int64(1), 2))
        fails(lambda: assert_close(True, False))
        fails(lambda: assert_close(np.bool_(True), True))
        fails(lambda: assert_close(None, None))
        fails(lambda: assert_close(None, 1))
        fails(lambda: assert_close(1.0, None))
    """,
    "assert_close_sequences_and_mappings": """
        import collections
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close([1.0, 2.0], [1.0, 2.1]))
        fails(lambda: assert_close([1.0, 2.0], (1.0, 2.0)))
        fails(lambda: assert_close([1.0, 2.0], [1.0, 2.0, 3.0]))
        fails(lambda: assert_close([[1.0], [1.0, 2.0]], [[1.0], [1.0]]))
        fails(lambda: assert_close([[1, 2]], [[1, 3]]))
        fails(lambda: assert_close((torch.tensor(1.0), [torch.tensor(2.0)]),
                                   (torch.tensor(1.0), [torch.tensor(3.0)])))
        fails(lambda: assert_close([torch.tensor([1.0, 2.0])], [torch.tensor([1.0, 3.0])]))
        fails(lambda: assert_close([torch.ones(2)], [torch.ones(3)]))
        fails(lambda: assert_close([torch.ones(2), 1.0], [torch.ones(3), 2.0]))
        fails(lambda: assert_close([1.0, torch.ones(2)], [2.0, torch.ones(3)]))
        fails(lambda: assert_close({"a": 1.0}, {"a": 1.5}))
        fails(lambda: assert_close({"a": 1.0}, {"b": 1.0}))
        fails(lambda: assert_close({"b": 1, "a": 2}, {"a": 3, "b": 4}))
        fails(lambda: assert_close({"b": 1, "a": 2}, {"b": 1}))
        fails(lambda: assert_close({"z": 1, "b": 1}, {"y": 1, "a": 2}))
        fails(lambda: assert_close({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 2.5}]}))
        fails(lambda: assert_close({"a": {"x": 1}}, {"a": {"y": 1}}))
        fails(lambda: assert_close({1: 1.0}, {1: 2.0}))
        fails(lambda: assert_close(collections.OrderedDict(a=1), {"a": 2}))
        fails(lambda: assert_close(torch.Size([1, 2]), torch.Size([1, 3])))
        fails(lambda: assert_close(torch.Size([1, 2]), (1, 2)))
        fails(lambda: assert_close(b"ab", b"ab"))
    """,
    "assert_close_type_errors": """
        import numpy as np
        import torch
        from torch.testing import assert_close
        fails(lambda: assert_close(torch.tensor([1.0]), np.array([1.0], dtype=np.float32)))
        fails(lambda: assert_close(torch.tensor([1.0]), 1.0))
        fails(lambda: assert_close(torch.tensor([1.0]), [1.0]))
        fails(lambda: assert_close([torch.tensor([1.0])], torch.tensor([1.0])))
        fails(lambda: assert_close("a", "b"))
        fails(lambda: assert_close([1, "x"], [1, "y"]))
        fails(lambda: assert_close([1, [torch.ones(1)]], [1, [2.0]]))
        fails(lambda: assert_close([1.0], {"a": 1.0}))
        fails(lambda: assert_close([1.0, "x"], [2.0, "y"]))
        fails(lambda: assert_close([1.0], [1.0], rtol=1))
        fails(lambda: assert_close(torch.tensor([1.0]), torch.tensor([1.0]), foo=1))
        weight = torch.nn.Parameter(torch.ones(1))
        fails(lambda: assert_close(weight, torch.ones(1)))
        fails(lambda: assert_close(weight, torch.ones(1), allow_subclasses=False))
        fails(lambda: assert_close(torch.ones(1), weight, allow_subclasses=False))
    """,
    "assert_close_numpy_arrays": """
        import numpy as np
        from torch.testing import assert_close
        fails(lambda: assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.5])))
        fails(lambda: assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)))
        fails(lambda: assert_close(np.array([1, 2]), np.array([1.5, 2.0])))
        fails(lambda: assert_close(np.array([1, 2]), np.array([1.5, 2.0]), check_dtype=False))
        fails(lambda: assert_close(np.array([1, 2], dtype=np.int32),
                                   np.array([1, 3], dtype=np.int32)))
        fails(lambda: assert_close(np.array([1.0, 2.0]), [1.0, 2.0]))
    """,
    "assert_close_custom_messages": """
        import torch
        from torch.testing import assert_close
        x, y = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5])
        fails(lambda: assert_close(x, y, msg="custom"))
        fails(lambda: assert_close(x, y, msg=lambda m: "<" + m + ">"))
        fails(lambda: assert_close(1.0, 2.0, msg=""))
        fails(lambda: assert_close([1.0, 2.0], [1.0, 3.0], msg=lambda m: "<" + m + ">"))
        fails(lambda: assert_close([1.0, 2.0], [1.0, 3.0], msg="plain"))
        fails(lambda: assert_close(torch.ones(2), torch.ones(3), msg="plain"))
        fails(lambda: assert_close(torch.ones(2), torch.ones(3), msg=lambda m: "<" + m + ">"))
        fails(lambda: assert_close([None], [1.0], msg=lambda m: "<" + m + ">"))
        fails(lambda: assert_close([1.0, 2.0], [1.0] * 3, msg="plain"))
        fails(lambda: assert_close({"a": 1.0}, {"b": 1.0}, msg=lambda m: "<" + m + ">"))
        fails(lambda: assert_close(["x"], ["y"], msg="custom"))
        fails(lambda: assert_close([1.0], [1.0], rtol=1, msg="custom"))
    """,
    "assert_allclose_deprecated": """
        import warnings
        import torch
        from torch.testing import assert_allclose
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fails(lambda: assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 2.5]))
            fails(lambda: assert_allclose(torch.tensor([1.0, float("nan")]), [1.0, float("nan")]))
            x = torch.tensor([1.0, 2.0])
            fails(lambda: assert_allclose(x, torch.tensor([1.0, 2.0]).double()))
            fails(lambda: assert_allclose(x, torch.tensor([1.0, 2.5]).double()))
            fails(lambda: assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 2.5], msg="hi"))
            fails(lambda: assert_allclose([1.0, 2.0], [1.0, 2.5]))
            fails(lambda: assert_allclose(1.0, 1.5))
            fails(lambda: assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 2.5], rtol=0.1))
            fails(lambda: assert_allclose(torch.tensor([1, 2]), [1.0, 2.5]))
            fails(lambda: assert_allclose(torch.tensor([1.0, 2.0]), torch.tensor([[1.0, 3.0]])))
            for dtype in (torch.float16, torch.float64, torch.int64):
                fails(lambda: assert_allclose(torch.tensor([1.0, 2.0], dtype=dtype),
                                              torch.tensor([1.0, 3.0], dtype=dtype)))
        print(len(caught), {w.category.__name__ for w in caught})
        print({str(w.message).split(" Please")[0] for w in caught})
    """,
    # ------------------------------------------------------------------ make_tensor
    "make_tensor_float_values_shapes_and_strides": """
        import warnings
        import torch
        from torch.testing import make_tensor
        def show(**kwargs):
            torch.manual_seed(0)
            shape = kwargs.pop("shape", (3,))
            x = make_tensor(*shape, device="cpu", **kwargs)
            print(x, x.shape, x.stride(), x.is_contiguous(), x.requires_grad, x.is_leaf)
        show(dtype=torch.float32)
        show(dtype=torch.float64, shape=((2, 3),))
        show(dtype=torch.float16, shape=([5],))
        show(dtype=torch.float64, shape=(2, 3), noncontiguous=True)
        show(dtype=torch.float32, shape=(5,), low=-2, high=3, noncontiguous=True)
        show(dtype=torch.float64, shape=(1,), noncontiguous=True)
        show(dtype=torch.float64, shape=(4,), requires_grad=True)
        show(dtype=torch.float32, shape=(4,), low=-2, high=3)
        show(dtype=torch.float32, shape=(4,), low=5.5)
        show(dtype=torch.float32, shape=(4,), low=0, high=1, exclude_zero=True)
        show(dtype=torch.float32, shape=())
        show(dtype=torch.float32, shape=(0, 3))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            show(dtype=torch.float32, shape=(4,), low=1, high=1)
            show(dtype=torch.float32, shape=(2,), low=float("inf"), high=float("inf"))
        print([w.category.__name__ for w in caught])
        torch.manual_seed(0)
        x = make_tensor(10000, dtype=torch.float32, device="cpu", low=-1e39, high=3)
        print(bool(x.isfinite().all()), bool((x < 3).all()), x.dtype)
        for dtype in (torch.float16, torch.float64):
            x = make_tensor(1000, dtype=dtype, device="cpu", low=-float("inf"), high=float("inf"))
            print(bool(x.isfinite().all()), x.dtype)
        x = make_tensor(100, dtype=torch.float16, device="cpu", low=0, high=1e-7,
                        exclude_zero=True)
        print(bool((x > 0).all()), float(x.max()))
    """,
    "make_tensor_integer_and_bool_ranges": """
        import torch
        from torch.testing import make_tensor
        def values(n, dtype, **kwargs):
            x = make_tensor(n, dtype=dtype, device="cpu", **kwargs)
            print(x.dtype, x.shape, x.requires_grad, sorted(set(x.tolist())))
        values(2000, torch.bool)
        values(2000, torch.uint8)
        values(2000, torch.int8)
        values(2000, torch.int16)
        values(2000, torch.int32)
        values(2000, torch.int64)
        values(10000, torch.int8, low=0.5, high=3.0)
        values(10000, torch.int8, low=0.5, high=3.2)
        values(10000, torch.int8, low=-0.5, high=1.0)
        values(100000, torch.uint8, low=250, high=1000)
        values(100000, torch.int8, low=-1000, high=-126)
        values(10000, torch.int8, low=-1000.5, high=-127.5)
        values(10000, torch.int8, low=126.5, high=300.5)
        values(100000, torch.int64, low=-2**70, high=-2**63 + 3)
        values(1000, torch.bool, low=0.5, high=2)
        values(1000, torch.bool, low=-1, high=2)
        values(1000, torch.int64, low=0, high=1, exclude_zero=True)
        values(1000, torch.bool, low=0, high=1, exclude_zero=True)
        x = make_tensor(2, 3, dtype=torch.int64, device="cpu", noncontiguous=True)
        print(x.shape, x.stride(), x.is_contiguous())
    """,
    "make_tensor_errors": """
        import torch
        from torch.testing import make_tensor
        fails(lambda: make_tensor(4, dtype=torch.int64, device="cpu", requires_grad=True))
        fails(lambda: make_tensor(4, dtype=torch.bool, device="cpu", requires_grad=True))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", low=2, high=1))
        fails(lambda: make_tensor(4, dtype=torch.int32, device="cpu", low=1, high=1))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", low=float("nan")))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", low=5, high=float("nan")))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", high=-10))
        fails(lambda: make_tensor(4, dtype=torch.float32))
        fails(lambda: make_tensor(4, device="cpu"))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cuda"))
        fails(lambda: make_tensor(4, dtype=torch.int8, device="cpu", low=-1000, high=-500))
        fails(lambda: make_tensor(4, dtype=torch.uint8, device="cpu", low=300, high=400))
        fails(lambda: make_tensor(4, dtype=torch.bool, device="cpu", low=1, high=1))
        fails(lambda: make_tensor(4, dtype=torch.bool, device="cpu", low=5, high=6))
        fails(lambda: make_tensor(4, dtype=torch.bool, device="cpu", low=2, high=2.5))
        fails(lambda: make_tensor(4, dtype=torch.int64, device="cpu", low=2**70, high=2**71))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", low=1e39, high=2e39))
        fails(lambda: make_tensor(4, dtype=torch.float16, device="cpu", low=70000, high=80000))
        fails(lambda: make_tensor(4, dtype=torch.float16, device="cpu", low=-1e6, high=-7e4))
        fails(lambda: make_tensor(4, dtype=torch.int64, device="cpu", low=float("inf"),
                                  high=float("inf")))
        fails(lambda: make_tensor(4, dtype=torch.int8, device="cpu", low=0.5, high=0.7))
        fails(lambda: make_tensor(4, dtype=torch.int8, device="cpu", low=300, high=200))
        fails(lambda: make_tensor(4, dtype=torch.float32, device="cpu", low="a", high=5))
    """,
    # ------------------------------------------------------------------ random, hooks
    "random_namespace": """
        import torch
        # (not manual_seed's identity: importing torch._dynamo, as torch.func may, wraps
        # torch.manual_seed, so PyTorch's answer depends on what ran before)
        print(torch.random.seed is torch.seed)
        print(torch.random.initial_seed is torch.initial_seed)
        print(torch.random.get_rng_state is torch.get_rng_state)
        print(torch.random.set_rng_state is torch.set_rng_state)
        print(torch.random.default_generator is torch.default_generator)
        print(torch.random.manual_seed(3) is torch.random.default_generator)
        print(torch.random.initial_seed(), torch.rand(2))
        state = torch.random.get_rng_state()
        first = torch.randn(20)
        torch.random.set_rng_state(state)
        print(torch.equal(first, torch.randn(20)))
        print(type(torch.random.seed()).__name__, torch.initial_seed() != 3)
    """,
    "random_fork_rng": """
        import torch
        torch.manual_seed(1)
        with torch.random.fork_rng():
            inside = torch.rand(2)
            torch.randn(3)
        print(inside, torch.rand(2))
        torch.manual_seed(1)
        with torch.random.fork_rng(enabled=False):
            inside = torch.rand(2)
        print(inside, torch.rand(2))
        torch.manual_seed(1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            print(torch.initial_seed())
        print(torch.initial_seed(), torch.rand(1))
        torch.manual_seed(3)
        try:
            with torch.random.fork_rng():
                torch.manual_seed(5)
                raise ValueError("inside")
        except ValueError as e:
            print("raised", e)
        print(torch.rand(1), torch.initial_seed())
        @torch.random.fork_rng()
        def draw():
            return torch.rand(1)
        torch.manual_seed(3)
        print(draw(), torch.rand(1))
        def with_devices():
            with torch.random.fork_rng(devices=[0]):
                pass
        fails(with_devices)
    """,
    "removable_handles": """
        import torch
        from torch.utils.hooks import RemovableHandle
        x = torch.ones(2, requires_grad=True)
        handle = x.register_hook(lambda g: g * 3)
        print(isinstance(handle, RemovableHandle), torch.utils.hooks.RemovableHandle.__name__)
        (x * 1).sum().backward()
        handle.remove()
        print(x.grad)
        x.grad = None
        with x.register_hook(lambda g: g * 5) as inside:
            (x * 1).sum().backward()
        print(x.grad, isinstance(inside, RemovableHandle))
        x.grad = None
        (x * 1).sum().backward()
        print(x.grad)
        model = torch.nn.Linear(2, 1)
        handle = model.register_forward_hook(lambda module, args, out: out * 0)
        print(isinstance(handle, RemovableHandle), model(torch.ones(1, 2)).sum().item())
        handle.remove()
    """,
}


@pytest.fixture(autouse=True)
def _fresh_state():
    """Snippets that change the default dtype or the seed leave neither behind."""
    yield
    for module in (torch, chainrule):
        module.set_default_dtype(module.float32)


@pytest.mark.parametrize("name", SNIPPETS)
def test_testing_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = FAILS + textwrap.dedent(SNIPPETS[name])
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


def test_random_module_does_not_shadow_pythons_random() -> None:
    # chainrule.random sits beside modules that may use Python's random: an absolute import
    # (the only kind Python 3 has) still finds the standard library's.
    source = (
        "import chainrule, chainrule.random, random\n"
        "print(random is chainrule.random, random.__name__, hasattr(random, 'shuffle'))\n"
        "print(chainrule.random.__name__, chainrule.random.manual_seed is chainrule.manual_seed)"
    )
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["False", "random", "True", "chainrule.random", "True"]
