"""Tests for chainrule.serialization: the safetensors format, atomic writes, checkpoints."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors import numpy as st_numpy
from safetensors import torch as st_torch

import chainrule
from chainrule import serialization
from chainrule.serialization import (
    STRUCTURE_KEY,
    CheckpointError,
    load,
    read_safetensors,
    save,
    write_safetensors,
)

ALL_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.complex64,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint64,
    np.uint32,
    np.uint16,
    np.uint8,
    np.bool_,
]


def identity(array: np.ndarray) -> np.ndarray:
    return array


def sample(dtype: Any, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.asarray(rng.normal(size=shape) * 50)
    if np.dtype(dtype) == np.bool_:
        return values > 0
    if np.dtype(dtype).kind == "c":
        return (values + 1j * np.sqrt(np.abs(values))).astype(dtype)
    if np.dtype(dtype).kind == "u":
        values = np.abs(values)
    return values.astype(dtype)


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".partial-" in p.name)


def raw_file(path: Path, header: Any, data: bytes = b"", *, length: int | None = None) -> Path:
    """Hand-build a safetensors file, possibly a broken one."""
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    prefix = (len(body) if length is None else length).to_bytes(8, "little")
    path.write_bytes(prefix + body + data)
    return path


# ------------------------------------------------------------------ low level round trips


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)], ids=str)
def test_round_trip_every_dtype_and_shape(tmp_path: Path, dtype: Any, shape: tuple) -> None:
    array = sample(dtype, shape)
    path = tmp_path / "a.safetensors"
    write_safetensors(path, {"x": array})
    arrays, metadata = read_safetensors(path)
    assert metadata == {}
    assert_same(arrays["x"], array)
    assert arrays["x"].flags.writeable and arrays["x"].flags.c_contiguous


def test_round_trip_many_tensors_keeps_order_and_metadata(tmp_path: Path) -> None:
    arrays = {
        f"t{i}.{np.dtype(d).name}": sample(d, (i + 1, 2), i) for i, d in enumerate(ALL_DTYPES)
    }
    arrays["empty"] = np.zeros((0, 4), np.float32)
    metadata = {"format": "pt", "note": "ünïcode ✓"}
    path = tmp_path / "many.safetensors"
    write_safetensors(str(path), arrays, metadata)
    loaded, loaded_meta = read_safetensors(str(path))
    assert list(loaded) == list(arrays)
    assert loaded_meta == metadata
    for name, array in arrays.items():
        assert_same(loaded[name], array)


def test_file_layout_matches_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "layout.safetensors"
    write_safetensors(path, {"b": np.arange(3, dtype=np.int8), "a": np.ones(2, np.float64)})
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert n % 8 == 0
    header = json.loads(raw[8 : 8 + n])
    assert raw[8:9] == b"{"
    # Wider dtypes first, so every tensor is aligned to its itemsize.
    assert header["a"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
    assert header["b"] == {"dtype": "I8", "shape": [3], "data_offsets": [16, 19]}
    assert "__metadata__" not in header
    assert raw[8 + n :] == np.ones(2, "<f8").tobytes() + bytes([0, 1, 2])


def test_non_native_byte_order_and_non_contiguous_input(tmp_path: Path) -> None:
    big = np.arange(6, dtype=">i4").reshape(2, 3)
    strided = np.arange(20, dtype=np.float32).reshape(4, 5)[::2, ::-2]
    fortran = np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3))
    path = tmp_path / "x.safetensors"
    write_safetensors(path, {"big": big, "strided": strided, "fortran": fortran})
    arrays, _ = read_safetensors(path)
    np.testing.assert_array_equal(arrays["big"], big)
    assert arrays["big"].dtype == np.dtype("int32") and arrays["big"].dtype.isnative
    np.testing.assert_array_equal(arrays["strided"], strided)
    np.testing.assert_array_equal(arrays["fortran"], fortran)


def test_reading_bf16_widens_to_float32(tmp_path: Path) -> None:
    values = np.array([1.0, -2.5, 3.140625, np.inf], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype("<u2")  # exact: values fit in bf16
    path = raw_file(
        tmp_path / "bf16.safetensors",
        {"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}},
        bf16.tobytes(),
    )
    arrays, _ = read_safetensors(path)
    assert_same(arrays["w"], values.reshape(2, 2))


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match="dtype"):
        write_safetensors(path, {"x": np.array(["a"], dtype=object)})
    with pytest.raises(TypeError, match="complex128"):
        write_safetensors(path, {"x": np.zeros(2, np.complex128)})
    with pytest.raises(TypeError, match="names must be str"):
        write_safetensors(path, {0: np.zeros(2)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="reserved"):
        write_safetensors(path, {"__metadata__": np.zeros(2)})
    with pytest.raises(TypeError, match="metadata"):
        write_safetensors(path, {"x": np.zeros(2)}, {"epoch": 3})  # type: ignore[dict-item]
    assert list(tmp_path.iterdir()) == []


def test_file_mode_follows_umask(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX permissions")
    umask = os.umask(0o022)
    try:
        path = tmp_path / "mode.safetensors"
        write_safetensors(path, {"x": np.zeros(1)})
        assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


# ----------------------------------------------------------------------------- atomicity


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "ckpt.safetensors"
    write_safetensors(path, {"old": np.arange(4)})
    return path


def assert_untouched(path: Path) -> None:
    arrays, _ = read_safetensors(path)
    assert list(arrays) == ["old"]
    np.testing.assert_array_equal(arrays["old"], np.arange(4))
    assert temp_files(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_failure_halfway_through_data_leaves_target_untouched(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_array = serialization._write_array
    calls = []

    def flaky(f: Any, array: np.ndarray) -> None:
        calls.append(array)
        if len(calls) == 2:
            f.write(b"partial")
            raise OSError("disk full")
        real_write_array(f, array)

    monkeypatch.setattr(serialization, "_write_array", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_safetensors(existing, {"a": np.ones(100), "b": np.ones(100), "c": np.ones(5)})
    assert len(calls) == 2
    assert_untouched(existing)


def test_keyboard_interrupt_during_write_cleans_up(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(f: Any, array: np.ndarray) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"model": {"w": np.ones(3)}, "epoch": 1}, existing)
    assert_untouched(existing)


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_at_fsync_or_replace_leaves_target_untouched(
    existing: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def boom(*args: Any) -> None:
        raise OSError(f"{step} failed")

    monkeypatch.setattr(serialization.os, step, boom)
    with pytest.raises(OSError, match=f"{step} failed"):
        write_safetensors(existing, {"new": np.zeros(3)})
    monkeypatch.undo()
    assert_untouched(existing)


def test_array_that_fails_to_convert_writes_nothing(existing: Path) -> None:
    class Broken:
        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
            raise RuntimeError("cannot materialise")

    with pytest.raises(RuntimeError, match="materialise"):
        save({"ok": np.zeros(2), "broken": Broken()}, existing)
    assert_untouched(existing)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_saving_over_a_file_keeps_its_permissions(existing: Path, mode: int) -> None:
    existing.chmod(mode)
    save({"model": {"w": np.ones(2)}}, existing)
    assert existing.stat().st_mode & 0o777 == mode
    assert_same(load(existing, to_tensor=identity)["model"]["w"], np.ones(2))


def test_temp_files_are_named_after_the_target_and_process(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def look(f: Any, array: np.ndarray) -> None:
        seen.extend(temp_files(existing.parent))
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", look)
    with pytest.raises(KeyboardInterrupt):
        write_safetensors(existing, {"new": np.zeros(3)})
    assert len(seen) == 1
    assert re.fullmatch(rf"ckpt\.safetensors\.partial-{os.getpid()}-[0-9a-f]{{12}}", seen[0])
    assert_untouched(existing)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(sys.platform == "win32", reason="process ids checked with signal 0")
def test_the_next_save_removes_temp_files_that_killed_saves_left(existing: Path) -> None:
    directory = existing.parent
    dead = directory / f"ckpt.safetensors.partial-{_dead_pid()}-0123456789ab"
    older_style = directory / ".ckpt.safetensors.0123456789ab.tmp"
    alive = directory / f"ckpt.safetensors.partial-{os.getppid()}-0123456789ab"
    other_target = directory / f"other.safetensors.partial-{_dead_pid()}-0123456789ab"
    for leftover in (dead, older_style, alive, other_target):
        leftover.write_bytes(b"\0" * 1000)
    save({"w": np.ones(2)}, existing)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [existing.name, alive.name, other_target.name]
    )


def test_a_save_killed_outright_leaves_a_temp_file_that_the_next_save_removes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.safetensors"
    script = (
        "import os, signal, numpy as np; from chainrule import serialization as s\n"
        "real = s._write_array\n"
        "def die(f, a):\n"
        "    real(f, a); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "s._write_array = die\n"
        f"s.save({{'w': np.ones(1000)}}, {str(path)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(serialization.__file__).parents[1])}
    child = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert child.returncode == -9
    (left,) = temp_files(tmp_path)
    assert (tmp_path / left).stat().st_size > 8000 and not path.exists()
    save({"w": np.zeros(2)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_overwrite_replaces_content(existing: Path) -> None:
    write_safetensors(existing, {"new": np.full(2, 7.0)})
    arrays, _ = read_safetensors(existing)
    assert list(arrays) == ["new"]
    assert temp_files(existing.parent) == []


def test_missing_directory_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        write_safetensors(tmp_path / "nope" / "x.safetensors", {"x": np.zeros(1)})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- corruption

ENTRY = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(
    ("header", "data", "length", "message"),
    [
        (b"", b"", 0, "too short"),  # handled specially below: empty file
        (b"{}", b"", 1000, "beyond the end of the file"),
        (b"{not json", b"", None, "not valid UTF-8 JSON"),
        (b'{"x": \xff}', b"", None, "not valid UTF-8 JSON"),
        (b"[1, 2]", b"", None, "must be a JSON object"),
        (b'{"x": ' + json.dumps(ENTRY).encode() + b', "x": 1}', b"\0" * 8, None, "duplicate"),
        ({"x": {**ENTRY, "dtype": "F8_E4M3"}}, b"\0" * 8, None, "unsupported dtype 'F8_E4M3'"),
        ({"x": {**ENTRY, "dtype": "X99"}}, b"\0" * 8, None, "unknown or unsupported dtype"),
        ({"x": {**ENTRY, "data_offsets": [0, 16], "shape": [4]}}, b"\0" * 8, None, "beyond"),
        ({"x": ENTRY, "y": {**ENTRY, "data_offsets": [4, 12]}}, b"\0" * 12, None, "overlapping"),
        ({"x": {**ENTRY, "shape": [3]}}, b"\0" * 8, None, "needs 12"),
        ({"x": {**ENTRY, "data_offsets": [8, 0]}}, b"\0" * 8, None, "begin <= end"),
        ({"x": {**ENTRY, "data_offsets": [0]}}, b"\0" * 8, None, "data_offsets"),
        ({"x": {**ENTRY, "shape": [-2]}}, b"\0" * 8, None, "non-negative"),
        ({"x": {**ENTRY, "shape": "2"}}, b"\0" * 8, None, "shape"),
        ({"x": {"dtype": "F32"}}, b"", None, "must hold dtype, shape and data_offsets"),
        ({"x": ENTRY, "__metadata__": {"a": 1}}, b"\0" * 8, None, "must map str to str"),
        ({"__metadata__": []}, b"", None, "must map str to str"),
    ],
    ids=[
        "empty-file",
        "header-beyond-file",
        "bad-json",
        "bad-utf8",
        "header-not-object",
        "duplicate-name",
        "unsupported-dtype",
        "unknown-dtype",
        "offsets-out-of-range",
        "overlapping",
        "span-mismatch",
        "offsets-reversed",
        "offsets-wrong-length",
        "negative-dim",
        "shape-not-list",
        "entry-incomplete",
        "metadata-not-str",
        "metadata-not-dict",
    ],
)
def test_corrupt_file_raises_checkpoint_error(
    tmp_path: Path, header: Any, data: bytes, length: int | None, message: str
) -> None:
    path = tmp_path / "bad.safetensors"
    if header == b"" and length == 0:
        path.write_bytes(b"\x01\x02")
    else:
        raw_file(path, header, data, length=length)
    with pytest.raises(CheckpointError, match=message) as info:
        read_safetensors(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    assert isinstance(info.value, ValueError)
    with pytest.raises(CheckpointError, match=message):
        load(path, to_tensor=identity)


@pytest.mark.parametrize("cut", [1, 8, 9, 50])
def test_truncated_file_raises_checkpoint_error(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "t.safetensors"
    write_safetensors(path, {"w": np.ones((4, 4)), "b": np.ones(4)}, {"k": "v"})
    raw = path.read_bytes()
    path.write_bytes(raw[:-cut])
    with pytest.raises(CheckpointError, match=r"truncated|beyond") as info:
        read_safetensors(path)
    assert str(path) in str(info.value)


EMPTY = {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}


def test_empty_tensors_at_a_boundary_load(tmp_path: Path) -> None:
    at_end = {**EMPTY, "data_offsets": [8, 8]}
    path = raw_file(tmp_path / "e.safetensors", {"x": ENTRY, "e": EMPTY, "f": at_end}, b"\0" * 8)
    arrays, _ = read_safetensors(path)
    assert arrays["e"].shape == arrays["f"].shape == (0,)


# Hand-built files that the reference loader (the safetensors package) refuses: each must get
# a one-line CheckpointError naming the file, never a NumPy error or a RecursionError.
REFUSED = {
    "gap": ({"x": ENTRY, "y": {**ENTRY, "data_offsets": [12, 20]}}, 20, "gap of 4 bytes"),
    "trailing-bytes": ({"x": ENTRY}, 12, "4 bytes after the last tensor's data"),
    "offsets-from-4": ({"x": {**ENTRY, "data_offsets": [4, 12]}}, 12, "gap of 4 bytes at the"),
    "empty-inside-another": (
        {"x": ENTRY, "e": {**EMPTY, "data_offsets": [4, 4]}},
        8,
        "tensors 'x' and 'e' have overlapping",
    ),
    "dtype-list": ({"x": {**ENTRY, "dtype": ["F32"]}}, 8, "unsupported dtype ['F32']"),
    "dtype-dict": ({"x": {**ENTRY, "dtype": {"F32": 1}}}, 8, "unsupported dtype {'F32': 1}"),
    "65-dims": (
        {"x": {**ENTRY, "shape": [1] * 65, "data_offsets": [0, 4]}},
        4,
        "shape has 65 dimensions; at most 64",
    ),
    "absurd-empty-shape": (
        {"x": {**EMPTY, "shape": [0, 2**62, 2**62]}},
        0,
        "shape [0, 4611686018427387904, 4611686018427387904] of F32 is too large",
    ),
    "dim-beyond-u64": ({"x": {**EMPTY, "shape": [0, 2**64]}}, 0, "too large for an array"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_like_the_reference_loader(tmp_path: Path, case: str) -> None:
    header, size, message = REFUSED[case]
    path = raw_file(tmp_path / "bad.safetensors", header, b"\0" * size)
    with pytest.raises(CheckpointError) as info:
        read_safetensors(path)
    assert str(info.value) == f"invalid checkpoint {str(path)!r}: " + info.value.reason
    assert message in info.value.reason and "\n" not in str(info.value)
    from safetensors import safe_open  # the test extra installs it

    # The reference reads only the header on open; NumPy refuses what it accepted there.
    with pytest.raises((Exception,)), safe_open(str(path), "np") as f:  # noqa: PT011
        [f.get_tensor(name) for name in f.keys()]  # noqa: SIM118


@pytest.mark.parametrize("where", ["header", "metadata"])
def test_deeply_nested_json_is_a_checkpoint_error(tmp_path: Path, where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.safetensors"
    if where == "header":
        raw_file(path, ('{"x": ' + deep + "}").encode())
        message = "header is nested too deeply to be safetensors"
    else:
        write_safetensors(path, {"x": np.zeros(1)}, {STRUCTURE_KEY: deep})
        message = f"{STRUCTURE_KEY} metadata is nested too deeply"
    with pytest.raises(CheckpointError) as info:
        load(path, to_tensor=identity)
    assert info.value.reason == message and info.value.path == str(path)


def test_deep_but_valid_structure_json_is_a_checkpoint_error(tmp_path: Path) -> None:
    # Parses (below json's own limit) but nests past what decoding recurses through.
    root = '{"__tuple__":[' * 5000 + "]}" * 5000
    structure = f'{{"format":"chainrule.checkpoint","version":1,"root":{root}}}'
    path = tmp_path / "deep.safetensors"
    write_safetensors(path, {"x": np.zeros(1)}, {STRUCTURE_KEY: structure})
    with pytest.raises(CheckpointError, match="metadata is nested too deeply"):
        load(path, to_tensor=identity)


def test_long_fields_are_clipped_in_messages(tmp_path: Path) -> None:
    path = raw_file(tmp_path / "b.safetensors", {"x": {**ENTRY, "dtype": "F" * 10_000}}, b"\0" * 8)
    with pytest.raises(CheckpointError) as info:
        read_safetensors(path)
    assert len(str(info.value)) < 400 and "FFF..." in str(info.value)


def test_missing_file_is_a_plain_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        read_safetensors(tmp_path / "missing.safetensors")


# ------------------------------------------------------------------ high level checkpoints


class FakeTensor:
    """Stands in for a chainrule Tensor: converts with np.asarray, like the real one."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.asarray(data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)


def make_checkpoint() -> dict[str, Any]:
    w = FakeTensor(sample(np.float32, (3, 2)))
    return {
        "model": {"fc.weight": w, "fc.bias": np.zeros(2, np.float32)},
        "optimizer": {
            "state": {
                0: {"step": 3, "exp_avg": FakeTensor(sample(np.float32, (3, 2), 1))},
                1: {"step": 3, "exp_avg": np.ones(2, np.float32)},
            },
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "epoch": 3,
        "best": None,
        "done": False,
        "name": "run-1",
        "losses": [1.5, 0.25, float("inf")],
        "rng": np.random.default_rng(7).bit_generator.state,  # 128-bit ints inside
        "keys": {"0": "str key", 0: "int key", 1.5: "float", True: "bool", None: "none"},
        "scalars": (np.int64(4), np.float32(0.5), np.bool_(True)),
        "int_array": np.arange(5, dtype=np.int64),
        "empty": [],
        "nested_empty": {"a": {}, "b": ()},
    }


def test_nested_checkpoint_round_trip(tmp_path: Path) -> None:
    ckpt = make_checkpoint()
    path = tmp_path / "ckpt.safetensors"
    save(ckpt, path)
    back = load(path, to_tensor=identity)

    assert_same(back["model"]["fc.weight"], ckpt["model"]["fc.weight"].data)
    assert_same(back["model"]["fc.bias"], ckpt["model"]["fc.bias"])
    state = back["optimizer"]["state"]
    assert list(state) == [0, 1]  # int keys stay ints
    assert state[0]["step"] == 3
    assert_same(state[0]["exp_avg"], ckpt["optimizer"]["state"][0]["exp_avg"].data)
    assert back["optimizer"]["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}
    ]
    assert isinstance(back["optimizer"]["param_groups"][0]["betas"], tuple)
    assert back["epoch"] == 3 and back["best"] is None and back["done"] is False
    assert back["name"] == "run-1"
    assert back["losses"] == [1.5, 0.25, float("inf")]
    assert back["rng"] == ckpt["rng"]
    assert back["keys"] == ckpt["keys"]
    assert [type(k) for k in back["keys"]] == [str, int, float, bool, type(None)]
    assert back["scalars"] == (4, 0.5, True)
    assert_same(back["int_array"], ckpt["int_array"])
    assert back["empty"] == [] and back["nested_empty"] == {"a": {}, "b": ()}
    assert list(back) == list(ckpt)

    # The generator state restores exactly.
    rng = np.random.default_rng()
    rng.bit_generator.state = back["rng"]
    assert rng.random() == np.random.default_rng(7).random()


def test_nested_checkpoint_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.safetensors"
    save(make_checkpoint(), path, metadata={"author": "me"})
    arrays, metadata = read_safetensors(path)
    assert "model.fc.weight" in arrays
    assert "optimizer.state.0.exp_avg" in arrays
    assert metadata["author"] == "me"
    structure = json.loads(metadata[STRUCTURE_KEY])
    assert structure["format"] == "chainrule.checkpoint" and structure["version"] == 1


def test_flat_state_dict_has_no_structure_entry(tmp_path: Path) -> None:
    path = tmp_path / "sd.safetensors"
    state = {"fc.weight": FakeTensor(np.ones((2, 3), np.float32)), "fc.bias": np.zeros(2)}
    save(state, path)
    arrays, metadata = read_safetensors(path)
    assert metadata == {}
    assert list(arrays) == ["fc.weight", "fc.bias"]
    back = load(path, to_tensor=identity)
    assert_same(back["fc.weight"], np.ones((2, 3), np.float32))


def test_flat_dict_metadata_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "sd.safetensors"
    save({"w": np.ones(1)}, path, metadata={"format": "pt"})
    assert read_safetensors(path)[1] == {"format": "pt"}
    with pytest.raises(ValueError, match="reserved"):
        save({"w": np.ones(1)}, path, metadata={STRUCTURE_KEY: "x"})


def test_key_collisions_and_reserved_names_get_unique_keys(tmp_path: Path) -> None:
    ckpt = {"a.b": np.zeros(1), "a": {"b": np.ones(1)}, "__metadata__": np.full(1, 2.0), 0: 1}
    path = tmp_path / "c.safetensors"
    save(ckpt, path)
    assert len(read_safetensors(path)[0]) == 3
    back = load(path, to_tensor=identity)
    assert back["a.b"][0] == 0 and back["a"]["b"][0] == 1 and back["__metadata__"][0] == 2


def test_shared_arrays_are_stored_once_and_stay_shared(tmp_path: Path) -> None:
    shared = FakeTensor(np.arange(3.0))
    path = tmp_path / "tied.safetensors"
    save({"encoder": {"emb": shared}, "decoder": {"emb": shared}, "step": 1}, path)
    assert list(read_safetensors(path)[0]) == ["encoder.emb"]
    back = load(path, to_tensor=lambda a: FakeTensor(a))
    assert back["encoder"]["emb"] is back["decoder"]["emb"]


def test_top_level_list_and_single_array(tmp_path: Path) -> None:
    path = tmp_path / "l.safetensors"
    save([np.ones(2), {"x": 1}], path)
    back = load(path, to_tensor=identity)
    assert_same(back[0], np.ones(2)) and back[1] == {"x": 1}
    save(np.eye(2), path)
    assert_same(load(path, to_tensor=identity), np.eye(2))


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"a": {1, 2}}, r"set at checkpoint\['a'\]"),
        ({"a": [b"bytes"]}, r"bytes at checkpoint\['a'\]\[0\]"),
        ({"a": {(1, 2): 3}}, "dict key"),
        ({"a": {"b": object()}, "n": 1}, r"object at checkpoint\['a'\]\['b'\]"),
    ],
)
def test_unsupported_values_name_their_place(tmp_path: Path, obj: Any, message: str) -> None:
    path = tmp_path / "u.safetensors"
    with pytest.raises(TypeError, match=message):
        save(obj, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("container", ["dict", "list"])
def test_a_self_referencing_checkpoint_is_refused(tmp_path: Path, container: str) -> None:
    path = tmp_path / "cycle.safetensors"
    inner: Any = {"w": np.ones(2)} if container == "dict" else [np.ones(2)]
    if container == "dict":
        inner["again"] = inner
    else:
        inner.append(inner)
    with pytest.raises(CheckpointError) as info:
        save({"model": inner, "epoch": 1}, path)
    where = "['again']" if container == "dict" else "[1]"
    assert str(info.value) == (
        f"invalid checkpoint {str(path)!r}: cannot save: checkpoint['model']{where} contains "
        "itself (a cycle)"
    )
    assert list(tmp_path.iterdir()) == []


def test_nesting_past_the_limit_is_refused_and_the_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "deep.safetensors"
    deepest: Any = np.ones(1)
    for _ in range(serialization.MAX_NESTING):  # lists at depths 0 to 99
        deepest = [deepest]
    save(deepest, path)
    assert load(path, to_tensor=identity) == deepest
    with pytest.raises(CheckpointError, match="nested deeper than 100 levels at checkpoint"):
        save([deepest], tmp_path / "deeper.safetensors")
    assert not (tmp_path / "deeper.safetensors").exists()


def test_default_conversion_calls_chainrule_from_numpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []

    def fake_from_numpy(array: np.ndarray) -> FakeTensor:
        seen.append(array)
        return FakeTensor(array)

    monkeypatch.setattr(chainrule, "from_numpy", fake_from_numpy, raising=False)
    path = tmp_path / "c.safetensors"
    save({"model": {"w": np.ones(2)}, "epoch": 1}, path)
    back = load(path)
    assert isinstance(back["model"]["w"], FakeTensor) and len(seen) == 1
    save({"w": np.ones(2)}, path)
    assert isinstance(load(path)["w"], FakeTensor)


def test_real_chainrule_tensors_round_trip(tmp_path: Path) -> None:
    w = chainrule.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    path = tmp_path / "real.safetensors"
    save({"model": {"w": w}, "epoch": 2}, path)
    back = load(path)
    assert type(back["model"]["w"]) is type(w)
    np.testing.assert_array_equal(np.asarray(back["model"]["w"]), np.asarray(w))
    save({"w": w}, path)
    np.testing.assert_array_equal(np.asarray(load(path)["w"]), np.asarray(w))


# ------------------------------------------------------------ chainrule models and grads


def small_model() -> Any:
    chainrule.manual_seed(0)
    nn = chainrule.nn
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_tensors_that_require_grad_are_saved_detached(tmp_path: Path, nested: bool) -> None:
    w = chainrule.nn.Parameter(chainrule.tensor([[1.0, -2.0], [3.0, 0.5]]))
    derived = w * 2.0  # a non-leaf in a graph
    state = {"w": w, "derived": derived}
    path = tmp_path / "grad.safetensors"
    save({"state": state, "step": 1} if nested else state, path)
    back = load(path)
    back = back["state"] if nested else back
    for name, original in state.items():
        assert not back[name].requires_grad and back[name].grad_fn is None
        np.testing.assert_array_equal(back[name].numpy(), original.detach().numpy())
    # Saving read the values only: the graph still runs backward into w.
    assert w.requires_grad and derived.grad_fn is not None
    derived.sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_model_state_dict_round_trip_restores_every_weight(tmp_path: Path) -> None:
    model = small_model()
    path = tmp_path / "model.safetensors"
    save(model.state_dict(), path)
    other = small_model()
    for p in other.parameters():
        p.data.zero_()
    other.load_state_dict(load(path))
    for (name, a), (_, b) in zip(
        model.state_dict().items(), other.state_dict().items(), strict=True
    ):
        assert a.dtype == b.dtype == np.float32, name
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


@pytest.mark.parametrize(
    ("edit", "message", "bad_key"),
    [
        (
            lambda sd: {("0.w" if k == "0.weight" else k): v for k, v in sd.items()},
            r'Missing key\(s\) in state_dict: "0.weight".*\n'
            r'.*Unexpected key\(s\) in state_dict: "0.w"',
            "0.weight",
        ),
        (
            lambda sd: {k: v for k, v in sd.items() if k != "2.bias"},
            r'Missing key\(s\) in state_dict: "2.bias"',
            "2.bias",
        ),
        (
            lambda sd: dict(sd, **{"2.weight": np.zeros((2, 5), np.float32)}),
            r"size mismatch for 2.weight: .*\[2, 5\].*\[2, 4\]",
            "2.weight",
        ),
    ],
    ids=["renamed", "missing", "shape"],
)
def test_loading_a_mismatched_checkpoint_names_the_key_and_loads_the_rest(
    tmp_path: Path, edit: Any, message: str, bad_key: str
) -> None:
    path = tmp_path / "bad.safetensors"
    save(edit(small_model().state_dict()), path)
    model = small_model()
    for p in model.parameters():
        p.data.zero_()
    with pytest.raises(RuntimeError, match=message):
        model.load_state_dict(load(path))
    # As in PyTorch, the entries that fit are loaded before the error is raised.
    loaded = {name: bool(p.detach().numpy().any()) for name, p in model.named_parameters()}
    assert loaded == {name: name != bad_key for name in loaded}


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.99])
def test_truncated_model_checkpoint_raises_checkpoint_error(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "model.safetensors"
    save({"model": small_model().state_dict(), "epoch": 4}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(CheckpointError, match=r"truncated|beyond|ends") as info:
        chainrule.load(path)
    assert str(path) in str(info.value)


def test_a_pickle_file_is_not_mistaken_for_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="not safetensors"):
        chainrule.load(path)


@pytest.mark.parametrize("kind", ["state_dict", "checkpoint"])
@pytest.mark.parametrize("before", ["new", "existing"])
def test_save_that_fails_midway_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, before: str
) -> None:
    """A crash in the middle of chainrule.save (simulated by a write that raises after
    part of the data is out) leaves the old file, or no file, and no temporary file."""
    path = tmp_path / "ckpt.safetensors"
    if before == "existing":
        write_safetensors(path, {"old": np.arange(4)})
    model = small_model()
    obj = model.state_dict() if kind == "state_dict" else {"model": model.state_dict(), "e": 1}
    real_write_array = serialization._write_array
    written = []

    def dies_on_second_array(f: Any, array: np.ndarray) -> None:
        if written:
            f.write(b"partial")
            raise OSError("killed")
        written.append(array)
        real_write_array(f, array)

    monkeypatch.setattr(serialization, "_write_array", dies_on_second_array)
    with pytest.raises(OSError, match="killed"):
        chainrule.save(obj, path)
    if before == "existing":
        assert_untouched(path)
    else:
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("structure", "message"),
    [
        ("{oops", "not valid JSON"),
        (json.dumps({"format": "other", "version": 1, "root": 1}), "not a chainrule"),
        (json.dumps({"format": "chainrule.checkpoint", "version": 99, "root": 1}), "version 99"),
        (json.dumps({"format": "chainrule.checkpoint", "version": 1}), "no root"),
        (
            json.dumps({"format": "chainrule.checkpoint", "version": 1, "root": {"x": 1}}),
            "malformed structure node",
        ),
        (
            json.dumps(
                {"format": "chainrule.checkpoint", "version": 1, "root": {"__dict__": [[1]]}}
            ),
            "malformed dict item",
        ),
        (
            json.dumps(
                {"format": "chainrule.checkpoint", "version": 1, "root": {"__tensor__": "gone"}}
            ),
            "refers to tensor 'gone'",
        ),
    ],
)
def test_corrupt_structure_raises_checkpoint_error(
    tmp_path: Path, structure: str, message: str
) -> None:
    path = tmp_path / "s.safetensors"
    write_safetensors(path, {"x": np.zeros(1)}, {STRUCTURE_KEY: structure})
    with pytest.raises(CheckpointError, match=message) as info:
        load(path, to_tensor=identity)
    assert str(path) in str(info.value)


# ------------------------------------------------------------ interop with safetensors


def test_interop_with_safetensors_numpy(tmp_path: Path) -> None:
    arrays = {f"{np.dtype(d).name}": sample(d, (3, 2)) for d in ALL_DTYPES}
    arrays["scalar"] = np.array(2.5, np.float32)
    arrays["empty"] = np.zeros((0, 3), np.int32)
    ours = tmp_path / "ours.safetensors"
    write_safetensors(ours, arrays, {"who": "chainrule"})
    theirs_loaded = st_numpy.load_file(str(ours))
    for name, array in arrays.items():
        assert_same(theirs_loaded[name], array)
    with open(ours, "rb") as f:
        from safetensors import deserialize

        assert len(deserialize(f.read())) == len(arrays)

    theirs = tmp_path / "theirs.safetensors"
    st_numpy.save_file(arrays, str(theirs), metadata={"who": "safetensors"})
    loaded, metadata = read_safetensors(theirs)
    assert metadata == {"who": "safetensors"}
    for name, array in arrays.items():
        assert_same(loaded[name], array)


def test_nested_checkpoint_is_readable_by_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.safetensors"
    save(make_checkpoint(), path)
    flat = st_numpy.load_file(str(path))
    assert_same(flat["optimizer.state.1.exp_avg"], np.ones(2, np.float32))


TORCH_DTYPES = [
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
]


def test_interop_with_safetensors_torch(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    tensors = {
        name: (torch.randn(3, 4, generator=generator) * 20).to(getattr(torch, name))
        for name in TORCH_DTYPES
    }
    tensors["scalar"] = torch.tensor(1.5)
    tensors["empty"] = torch.zeros(0, 2)
    tensors["grad"] = torch.ones(2, requires_grad=True)

    # ours -> torch: a flat chainrule state dict is a plain PyTorch state dict.
    ours = tmp_path / "ours.safetensors"
    save({name: t.detach().numpy() for name, t in tensors.items()}, ours)
    loaded = st_torch.load_file(str(ours))
    for name, tensor in tensors.items():
        assert loaded[name].dtype == tensor.dtype
        assert torch.equal(loaded[name], tensor.detach())

    # torch tensors themselves (even ones requiring grad) can be saved directly.
    save(tensors, ours)
    assert torch.equal(st_torch.load_file(str(ours))["grad"], torch.ones(2))

    # torch -> ours
    theirs = tmp_path / "theirs.safetensors"
    st_torch.save_file({k: v.detach() for k, v in tensors.items()}, str(theirs))
    back = load(theirs, to_tensor=identity)
    assert set(back) == set(tensors)
    for name, tensor in tensors.items():
        assert_same(back[name], tensor.detach().numpy())

    # bfloat16, which NumPy lacks, widens losslessly to float32.
    bf16 = tmp_path / "bf16.safetensors"
    w = torch.randn(5, 3, generator=generator).to(torch.bfloat16)
    st_torch.save_file({"w": w}, str(bf16))
    assert_same(load(bf16, to_tensor=identity)["w"], w.float().numpy())


# ----------------------------------------------------------------------------- file objects
def test_save_and_load_through_a_bytes_buffer_as_the_tutorials_do() -> None:
    """PyTorch's quickstart saves a state dict to a buffer and loads it back from there."""
    model = small_model()
    buffer = io.BytesIO()
    save(model.state_dict(), buffer)
    buffer.seek(0)
    other = small_model()
    other.load_state_dict(load(buffer, weights_only=True))
    for (name, a), (_, b) in zip(
        model.state_dict().items(), other.state_dict().items(), strict=True
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_file_objects_are_written_and_read_from_their_position(tmp_path: Path) -> None:
    checkpoint = {"model": {"w": np.arange(3.0)}, "epoch": 7, "note": None}
    buffer = io.BytesIO()
    buffer.write(b"preamble")  # what came before stays; the checkpoint follows it
    save(checkpoint, buffer)
    buffer.seek(len(b"preamble"))
    loaded = load(buffer, to_tensor=np.asarray)
    assert loaded["epoch"] == 7 and loaded["note"] is None
    np.testing.assert_array_equal(loaded["model"]["w"], np.arange(3.0))
    # The same bytes as a file written to a path: one format, wherever it goes.
    path = tmp_path / "c.safetensors"
    save(checkpoint, path)
    assert buffer.getvalue()[len(b"preamble") :] == path.read_bytes()
    with open(path, "rb") as f:  # an open file is a file object too
        np.testing.assert_array_equal(load(f, to_tensor=np.asarray)["model"]["w"], np.arange(3.0))


def test_a_corrupt_buffer_is_a_checkpoint_error_naming_the_buffer() -> None:
    with pytest.raises(CheckpointError, match=r"invalid checkpoint '<BytesIO>': truncated"):
        load(io.BytesIO(b"\x01\x02"))
    with pytest.raises(CheckpointError, match=r"'<BytesIO>'.*cycle"):
        cycle: list[Any] = []
        cycle.append(cycle)
        save(cycle, io.BytesIO())
