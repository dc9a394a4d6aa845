"""``chainrule gradflow``, ``attribute`` and ``attack``: their tables, JSON and PNGs, on
checkpoints written by ``chainrule train``; bad input refused in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from trained_digits import checkpoint

from chainrule import cli

PNG = b"\x89PNG\r\n\x1a\n"


def _run(*args: str):
    return CliRunner().invoke(cli.build(), list(args))


def test_gradflow_sigmoid_prints_vanishing_and_agreement(tmp_path: Path) -> None:
    result = _run("gradflow", "--activation", "sigmoid", "--depth", "20", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "20-layer sigmoid MLP, xavier init" in result.stdout
    assert "vanishing" in result.stdout
    found = re.search(r"largest relative difference (\S+)", result.stdout)
    assert float(found[1]) < 1e-5
    for name in ("gradflow-sigmoid-20-xavier.png", "gradflow-sigmoid-20-xavier-weights.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    data = json.loads((tmp_path / "gradflow-sigmoid-20-xavier.json").read_text())
    assert data["layers"][0]["flag"] == "vanishing" and data["layers"][0]["activations_above"] == 20


def test_gradflow_json_for_a_residual_relu_network(tmp_path: Path) -> None:
    result = _run("gradflow", "--activation", "relu", "--init", "kaiming", "--residual", "--norm",
                  "batch", "--depth", "8", "--format", "json", "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["residual"] and data["norm"] == "batch"
    assert {layer["flag"] for layer in data["layers"]} == {"healthy"}
    assert (tmp_path / "gradflow-relu-8-kaiming-residual-batchnorm.png").exists()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_attribute_writes_a_heatmap_grid(kind: str, tmp_path: Path) -> None:
    result = _run("attribute", "--checkpoint", str(checkpoint(kind)), "--n", "8",
                  "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    error = re.search(r"completeness error at most (\S+)%", result.stdout)
    assert float(error[1]) < 1.0
    assert (tmp_path / f"attribute-{kind}-ig.png").read_bytes()[:8] == PNG


def test_attribute_smoothgrad(tmp_path: Path) -> None:
    result = _run("attribute", "--checkpoint", str(checkpoint("mlp")), "--method", "smoothgrad",
                  "--n", "4", "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "attribute-mlp-smoothgrad.png").exists()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_attack_table_falls_with_epsilon(kind: str, tmp_path: Path) -> None:
    result = _run("attack", "--checkpoint", str(checkpoint(kind)), "--eps", "0.2,0.05",
                  "--steps", "3", "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    clean = float(re.search(r"clean accuracy (\S+)%", result.stdout)[1])
    rows = re.findall(r"^\s+(0\.\d+)\s+(\S+)%\s+(\S+)%$", result.stdout, re.MULTILINE)
    assert [r[0] for r in rows] == ["0.05", "0.2"]
    fgsm = [float(r[1]) for r in rows]
    pgd = [float(r[2]) for r in rows]
    assert clean > fgsm[0] > fgsm[1] and clean > pgd[0] > pgd[1]
    assert (tmp_path / f"attack-{kind}.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["attack", "--checkpoint", "nowhere.safetensors"], "checkpoint not found"),
        (["attack", "--checkpoint", "x", "--eps", "0.1,abc"], "expected numbers"),
        (["attack", "--checkpoint", "x", "--eps", "2"], "each epsilon must be in (0, 1]"),
        (["attribute", "--checkpoint", "nowhere.safetensors"], "checkpoint not found"),
        (["gradflow", "--activation", "softsign"], "'softsign' is not one of"),
        (["gradflow", "--depth", "0"], "--depth"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.exit_code != 0
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr


def test_a_checkpoint_whose_weights_do_not_fit_is_refused(tmp_path: Path) -> None:
    from chainrule import serialization

    saved = serialization.load(checkpoint("mlp"))
    del saved["model"]["0.weight"]
    broken = tmp_path / "broken.safetensors"
    serialization.save(saved, broken)
    result = _run("attack", "--checkpoint", str(broken))
    assert result.exit_code == 1
    assert "the weights do not fit" in result.stderr and len(result.stderr.splitlines()) == 1
