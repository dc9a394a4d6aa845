"""Anomaly mode: the first NaN/Inf in forward or backward names the op and the user's line."""

from __future__ import annotations

import inspect
import warnings

import pytest
import torch

import chainrule as cr


def _line_of(marker: str) -> str:
    """The source line of this file that contains ``marker``, as a traceback shows it."""
    source = inspect.getsource(inspect.getmodule(_line_of))
    number = next(i for i, line in enumerate(source.splitlines(), 1) if marker in line)
    return f'File "{__file__}", line {number}'


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's divide-by-zero notes
        yield


def test_log_of_zero_times_zero_stops_at_log_in_forward() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    with cr.autograd.detect_anomaly(), pytest.raises(RuntimeError) as caught:
        y = cr.log(x) * 0  # marker: log
        y.backward()
    message = str(caught.value)
    assert message.startswith("Function 'LogBackward0' returned -inf values in its forward output.")
    assert "Traceback of forward call that caused the error:" in message
    assert _line_of("# marker: log") in message
    assert "y = cr.log(x) * 0" in message
    assert "chainrule/op.py" not in message  # the library's own frames are left out


def test_sqrt_at_zero_stops_in_backward_with_the_forward_line() -> None:
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.autograd.detect_anomaly():
        y = cr.sqrt(x)  # marker: sqrt
        loss = y.sum()
        with pytest.raises(RuntimeError) as caught:
            loss.backward()
    message = str(caught.value)
    assert message.startswith("Function 'SqrtBackward0' returned inf values in its 0th output.")
    assert _line_of("# marker: sqrt") in message


def test_x_over_x_at_zero_stops_at_div() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    with cr.autograd.detect_anomaly(), pytest.raises(RuntimeError) as caught:
        x / x  # marker: div
    assert str(caught.value).startswith("Function 'DivBackward0' returned nan values")
    assert _line_of("# marker: div") in str(caught.value)


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_nan_only_in_backward_sqrt_at_zero_times_zero(lib) -> None:
    """sqrt(0) * 0 is 0, but sqrt's rule gives 0 / (2 sqrt(0)) = nan: PyTorch stops there too."""
    x = lib.zeros(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note that anomaly mode is slow
        with lib.autograd.detect_anomaly():
            total = (lib.sqrt(x) * 0).sum()  # marker: sqrt times zero
            with pytest.raises(RuntimeError) as caught:
                total.backward()
    assert "Function 'SqrtBackward0' returned nan values in its 0th output" in str(caught.value)
    if lib is cr:
        assert _line_of("# marker: sqrt times zero") in str(caught.value)


def test_off_by_default_and_nan_flows_through() -> None:
    assert not cr.autograd.is_anomaly_enabled()
    x = cr.tensor(0.0, requires_grad=True)
    (cr.sqrt(x) * 0).backward()
    assert x.grad.isnan().item()


def test_check_nan_false_records_but_does_not_raise() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    with cr.autograd.detect_anomaly(check_nan=False):
        assert cr.autograd.is_anomaly_enabled()
        assert not cr.autograd.is_anomaly_check_nan_enabled()
        cr.log(x).backward()
    assert x.grad.isinf().item()


def test_decorator_and_set_detect_anomaly_restore_the_previous_mode() -> None:
    @cr.autograd.detect_anomaly()
    def inside() -> bool:
        return cr.autograd.is_anomaly_enabled()

    assert inside() and not cr.autograd.is_anomaly_enabled()
    with cr.autograd.set_detect_anomaly(True):
        assert cr.autograd.is_anomaly_enabled()
        with cr.autograd.set_detect_anomaly(False):
            assert not cr.autograd.is_anomaly_enabled()
        assert cr.autograd.is_anomaly_enabled()
    assert not cr.autograd.is_anomaly_enabled()


def test_nodes_made_before_anomaly_mode_say_so() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    y = cr.sqrt(x)
    with cr.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="No forward traceback"):
        y.backward()


def test_create_graph_backward_is_checked_too() -> None:
    x = cr.tensor(0.0, requires_grad=True)
    with cr.autograd.detect_anomaly():
        y = x**1.5  # finite first derivative at 0, infinite second
        (g,) = cr.autograd.grad(y, x, create_graph=True)
        with pytest.raises(RuntimeError, match="returned inf values"):
            g.backward()


def test_infinities_passed_in_are_not_the_ops_anomaly() -> None:
    """An attention-style mask: -inf filled in on purpose, then softmax. Only an op that makes
    NaN/Inf out of finite values stops, and ops outside the graph are not checked."""
    scores = cr.randn(3, 3, requires_grad=True)
    mask = cr.ones(3, 3, dtype=cr.bool).triu(1)
    with cr.autograd.detect_anomaly():
        constant = cr.full((2,), float("inf")) * 2  # not recorded: no gradient flows here
        masked = scores.masked_fill(mask, float("-inf"))
        shifted = masked + 1.0  # -inf in, -inf out: not produced here
        weights = shifted.softmax(-1)
        weights.sum().backward()
    assert constant.isinf().all()
    assert scores.grad.isfinite().all()
