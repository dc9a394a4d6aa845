"""``nn.init`` and the modules' default initialisation draw PyTorch's values for the same
seed (chainrule's generator is PyTorch's Mersenne Twister and each function follows PyTorch's
algorithm: trunc_normal_'s rejection sampling, orthogonal_'s QR with R's signs, sparse_'s
permutations of the global generator), and refuse what PyTorch refuses, with its message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _parameters(module: Any) -> list[Any]:
    return [p.detach() for p in module.parameters()]


CASES: dict[str, Callable[[Any], Any]] = {
    "linear": lambda m: _parameters(m.nn.Linear(5, 3)),
    "conv_transpose_groups": lambda m: _parameters(m.nn.ConvTranspose2d(2, 4, 3, groups=2)),
    "lstm": lambda m: _parameters(m.nn.LSTM(3, 4, 2)),
    "transformer_layer": lambda m: _parameters(m.nn.TransformerEncoderLayer(4, 2, 8)),
    "kaiming_uniform_fan_out": lambda m: m.nn.init.kaiming_uniform_(
        m.empty(3, 4), a=0.1, mode="fan_out"
    ),
    "xavier_normal": lambda m: m.nn.init.xavier_normal_(m.empty(3, 4)),
    "orthogonal_wide": lambda m: m.nn.init.orthogonal_(m.empty(3, 5)),
    "orthogonal_tall_with_gain": lambda m: m.nn.init.orthogonal_(m.empty(5, 3), gain=0.5),
    "orthogonal_of_a_kernel": lambda m: m.nn.init.orthogonal_(m.empty(4, 2, 3)),
    "trunc_normal_wide_interval": lambda m: m.nn.init.trunc_normal_(m.empty(50), std=0.5, a=-1),
    "trunc_normal_narrow_interval": lambda m: m.nn.init.trunc_normal_(m.empty(50), a=0.0, b=0.1),
    "trunc_normal_tail": lambda m: m.nn.init.trunc_normal_(m.empty(50), mean=0.0, a=1.5, b=3.0),
    "trunc_normal_float64": lambda m: m.nn.init.trunc_normal_(
        m.empty(50, dtype=m.float64), std=0.02
    ),
    "sparse": lambda m: m.nn.init.sparse_(m.empty(6, 4), 0.5),
    "dirac_conv1d": lambda m: m.nn.init.dirac_(m.empty(3, 2, 3)),
    "dirac_groups": lambda m: m.nn.init.dirac_(m.empty(4, 2, 3, 3), groups=2),
    "dirac_3d": lambda m: m.nn.init.dirac_(m.empty(2, 2, 1, 3, 2)),
    "eye": lambda m: m.nn.init.eye_(m.empty(2, 3)),
    # refusals
    "orthogonal_of_a_vector": lambda m: m.nn.init.orthogonal_(m.empty(3)),
    "sparse_of_3d": lambda m: m.nn.init.sparse_(m.empty(2, 2, 2), 0.1),
    "dirac_of_a_matrix": lambda m: m.nn.init.dirac_(m.empty(2, 2)),
    "dirac_groups_not_dividing": lambda m: m.nn.init.dirac_(m.empty(3, 2, 3), groups=2),
    "eye_of_3d": lambda m: m.nn.init.eye_(m.empty(2, 2, 2)),
}


def _run(m: Any, call: Callable[[Any], Any]) -> Any:
    m.manual_seed(0)
    try:
        out = call(m)
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return error
    return [np.asarray(t.numpy()) for t in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_init_draws_pytorchs_values(call: Callable[[Any], Any]) -> None:
    expected, got = _run(torch, call), _run(cr, call)
    if isinstance(expected, Exception):
        assert type(got) is type(expected), (expected, got)
        assert str(got) == str(expected)
        return
    assert not isinstance(got, Exception), got
    for e, g in zip(expected, got, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)  # QR's rounding, for orthogonal_


def test_trunc_normal_warns_as_pytorch_when_the_mean_is_far_from_the_interval() -> None:
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        cr.nn.init.trunc_normal_(cr.empty(5), mean=5.0, a=-1.0, b=1.0)
