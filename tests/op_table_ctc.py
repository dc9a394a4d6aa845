"""Op-table rows for the CTC loss (``CtcLoss``).

The same ``OpSpec`` format as ``tests/op_table.py``. The CTC rows feed the loss a
log-softmax of the inputs: PyTorch's CTC gradient adds ``exp(log_probs)``, which is the
derivative through a log-softmax but not through unnormalised inputs, so only after the
log-softmax is the gradient the mathematical one that finite differences see. PyTorch has no
forward mode and no second derivative for CTC; the table's other checks apply.

    >>> [spec.name for spec in CTC_SPECS][:2]
    ['ctc_loss_padded_mean', 'ctc_loss_concatenated_none']
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as TF
from op_table import OpSpec

import chainrule as cr
import chainrule.nn.functional as F

_NO_CTC_DERIVATIVES = {
    "jvp": "PyTorch has no forward-mode rule for _ctc_loss; chainrule raises its error "
    "(test_torch_ctc_and_more_layers.py checks both)",
    "second_order": "PyTorch has no derivative of _ctc_loss_backward; chainrule raises its "
    "error (test_torch_ctc_and_more_layers.py checks both)",
}


def _ctc(lib: Any, x: Any, reduction: str, concatenated: bool) -> Any:
    """The CTC loss of log_softmax(x) for x (T, N, C): N targets of lengths cycling 3, 1, 0
    (one repeated label, so a blank must separate the repeats), labels cycling 1..C-1."""
    time, n, classes = x.shape
    lengths = [(3, 1, 0)[i % 3] for i in range(n)]
    inputs = [time - i % 2 for i in range(n)]
    labels = [[1 + (i + j) % (classes - 1) for j in range(3)] for i in range(n)]
    labels = [[row[0], row[0], row[1]] if i % 3 == 0 else row for i, row in enumerate(labels)]
    if concatenated:
        targets = [v for row, k in zip(labels, lengths, strict=True) for v in row[:k]]
    else:
        targets = labels
    tensor = cr.tensor if lib is F else torch.tensor
    # PyTorch takes both lengths as tuples or both as tensors
    as_lengths = tensor if concatenated else tuple
    return lib.ctc_loss(
        x.log_softmax(2),
        tensor(targets),
        as_lengths(inputs),
        as_lengths(lengths),
        reduction=reduction,
    )


def _ctc_row(name: str, reduction: str, concatenated: bool) -> OpSpec:
    return OpSpec(
        name,
        lambda x: _ctc(F, x, reduction, concatenated),
        lambda x: _ctc(TF, x, reduction, concatenated),
        ("CtcLoss",),
        (((6, 3, 4),), ((5, 2, 3),)),
        jvp=False,
        second_order=False,
        why_off=_NO_CTC_DERIVATIVES,
    )


CTC_SPECS: list[OpSpec] = [
    _ctc_row("ctc_loss_padded_mean", "mean", False),
    _ctc_row("ctc_loss_concatenated_none", "none", True),
    _ctc_row("ctc_loss_padded_sum", "sum", False),
]
