"""The README's Python examples run as written (in one namespace, in order, like a session)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    assert len(BLOCKS) >= 2
    monkeypatch.chdir(tmp_path)  # the examples write files
    namespace: dict[str, object] = {}
    for block in BLOCKS:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert "tensor([10.])" in out  # the quick start's x.grad, PyTorch's number
    assert "chain rule for ((x**2 + 3) * sin(x))**3" in out
    assert (tmp_path / "graph.svg").exists()
