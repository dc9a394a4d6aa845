"""The programs in ``examples/`` print what they print under PyTorch.

Each example is a PyTorch program whose import lines name chainrule. The test runs it twice,
from the same seed: with the imports swapped back to ``torch``, and as written. The printed
text must be the same word for word, and every printed number the same to float32 rounding
accumulated over the run.

Random numbers come from each library's own generator: both runs start from
``manual_seed(0)``, and chainrule's seeded streams, layer initialisations and samplers are
PyTorch's bit for bit (``tests/test_torch_random.py``), so nothing is handed over between them.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import chainrule as cr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


# ----------------------------------------------------------------------------- running
def run(example: str, lib: str) -> str:
    """The text ``example`` prints, run with ``lib`` ("torch" or "chainrule")."""
    path = EXAMPLES / example
    source = path.read_text()
    if lib == "torch":
        source = re.sub(r"\bchainrule\b", "torch", source)
    torch.manual_seed(0)
    cr.manual_seed(0)
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
    "quickstart.py": 1e-4,
    "dcgan.py": 1e-3,
    "transformer_lm.py": 1e-3,
    "sequence_classifier.py": 1e-4,
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
