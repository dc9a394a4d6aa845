"""Checkpoints in the safetensors format, written and read with NumPy alone.

A safetensors file is::

    8 bytes   little-endian u64 N, the length of the header
    N bytes   UTF-8 JSON: {name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
              ..., "__metadata__": {str: str}}, padded with spaces to a multiple of 8
    rest      the raw little-endian, C-contiguous bytes of every tensor; offsets are
              relative to the start of this region

Two levels live here:

* :func:`write_safetensors` / :func:`read_safetensors` deal in NumPy arrays only.
* :func:`save` / :func:`load` (``cr.save`` / ``cr.load``) take whole checkpoints: a flat
  state dict is written as a plain safetensors file that PyTorch reads with
  ``safetensors.torch.load_file``; a nested checkpoint (model, optimizer state, epoch, ...)
  stores its arrays under flat keys and the shape of the nesting as JSON in the metadata.

``cr.save``/``cr.load`` are core API and the core depends on NumPy alone, so the format is read
here rather than through the ``safetensors`` package; the reader follows the reference
loader's rules (tensors tile the data from byte 0 to the end, no gap, overlap or trailing byte)
and tests/test_serialization.py checks each refusal against that package and PyTorch.

Example:
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> write_safetensors(path, {"w": np.eye(2, dtype=np.float32)}, {"note": "hi"})
    >>> arrays, meta = read_safetensors(path)
    >>> arrays["w"].dtype, meta
    (dtype('float32'), {'note': 'hi'})
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeAlias

from chainrule._array import xp

__all__ = [
    "CheckpointError",
    "STRUCTURE_KEY",
    "load",
    "read_safetensors",
    "save",
    "write_safetensors",
]

PathLike: TypeAlias = str | os.PathLike[str]
#: Where a checkpoint goes: a path, or an open binary file object (``io.BytesIO`` too), as
#: ``torch.save``/``torch.load`` take either.
FileLike: TypeAlias = PathLike | IO[bytes]

#: Metadata key under which :func:`save` records the nesting of a checkpoint.
STRUCTURE_KEY = "chainrule.structure"
_STRUCTURE_FORMAT = "chainrule.checkpoint"
_STRUCTURE_VERSION = 1
#: Deepest nesting :func:`save` writes: far beyond any checkpoint, well within what loads.
MAX_NESTING = 100

_METADATA_KEY = "__metadata__"
# The reference (Rust) implementation refuses headers above 100 MB; so do we, which also
# stops a corrupt length prefix from making us allocate gigabytes.
_MAX_HEADER_BYTES = 100_000_000
# NumPy's limits on an array: dimensions, and bytes (what an index into it can address).
_MAX_DIMS = 64
_MAX_ARRAY_BYTES = xp.iinfo(xp.intp).max

# safetensors dtype name -> NumPy dtype, always little-endian on disk.
_DTYPES: dict[str, xp.dtype[Any]] = {
    "F64": xp.dtype("<f8"),
    "F32": xp.dtype("<f4"),
    "F16": xp.dtype("<f2"),
    "C64": xp.dtype("<c8"),
    "I64": xp.dtype("<i8"),
    "I32": xp.dtype("<i4"),
    "I16": xp.dtype("<i2"),
    "I8": xp.dtype("i1"),
    "U64": xp.dtype("<u8"),
    "U32": xp.dtype("<u4"),
    "U16": xp.dtype("<u2"),
    "U8": xp.dtype("u1"),
    "BOOL": xp.dtype("?"),
}
# Keyed by (kind, itemsize) so that byte order does not matter when writing.
_DTYPE_NAMES = {(dt.kind, dt.itemsize): name for name, dt in _DTYPES.items()}
# bfloat16 has no NumPy type; it is the top half of a float32, so we widen it losslessly.
_BF16 = "BF16"
_BF16_ITEMSIZE = 2


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, truncated or not what it claims to be.

    ``path`` is the file and ``reason`` what is wrong with it; the message holds both.
    """

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"invalid checkpoint {self.path!r}: {reason}")


# --------------------------------------------------------------------------------------
# Low level: NumPy arrays <-> safetensors file
# --------------------------------------------------------------------------------------


def write_safetensors(
    path: FileLike,
    arrays: Mapping[str, xp.ndarray],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``arrays`` (and optional string ``metadata``) to ``path`` atomically.

    The file is written to a temporary file in the same directory, flushed and fsynced,
    then moved over ``path`` with :func:`os.replace`; if anything fails, ``path`` is left as
    it was and the temporary file is removed. A file object (``io.BytesIO``, an open file) is
    written from its position on, as ``torch.save`` writes one: it is the caller's to close.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> write_safetensors(p, {"bias": np.zeros(3, dtype=np.float32)})
    """
    # Validate and convert everything before touching the disk, so that bad input never
    # leaves even a temporary file behind.
    prepared = {name: _prepare_array(name, value) for name, value in arrays.items()}
    # Larger items first keeps every tensor aligned to its itemsize (the header is padded
    # to 8), which lets other readers map the data without copying. The header itself
    # keeps the caller's order, so a round trip preserves it.
    order = sorted(prepared, key=lambda name: -prepared[name].dtype.itemsize)
    header = _encode_header(prepared, order, _check_metadata(metadata))
    body = [prepared[n] for n in order]
    if hasattr(path, "write"):
        _write_body(path, header, body)  # type: ignore[arg-type]
    else:
        atomic_write(path, lambda f: _write_body(f, header, body))  # type: ignore[arg-type]


def read_safetensors(path: FileLike) -> tuple[dict[str, xp.ndarray], dict[str, str]]:
    """Read a safetensors file into ``({name: array}, metadata)``.

    Every array is freshly allocated and filled straight from the file (no intermediate
    buffer), is writable, in native byte order, and does not keep the file open. ``BF16``
    tensors are widened to ``float32``. Raises :class:`CheckpointError` if the file is
    corrupt. A file object is read from its position to its end, as ``torch.load`` reads one.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> write_safetensors(p, {"x": np.arange(3)})
        >>> read_safetensors(p)[0]["x"]
        array([0, 1, 2])
    """
    if hasattr(path, "read"):
        # Read whole into memory: a stream need not seek, and its data starts where it stands.
        data = path.read()  # type: ignore[union-attr]
        with io.BytesIO(data) as f:
            return _read_file(f, _name(path), len(data))
    with open(path, "rb") as f:  # type: ignore[arg-type]
        return _read_file(f, path, os.fstat(f.fileno()).st_size)  # type: ignore[arg-type]


def _read_file(
    f: IO[bytes], path: PathLike, file_size: int
) -> tuple[dict[str, xp.ndarray], dict[str, str]]:
    header_len, entries, metadata = _read_header(f, path, file_size)
    data_start = 8 + header_len
    _check_spans(path, entries, file_size - data_start)
    arrays = {
        name: _read_array(f, path, name, entry, data_start) for name, entry in entries.items()
    }
    return arrays, metadata


def _name(target: FileLike) -> PathLike:
    """What error messages call a checkpoint: its path, or a file object's name or type."""
    if hasattr(target, "read") or hasattr(target, "write"):
        name = getattr(target, "name", None)
        return name if isinstance(name, str) else f"<{type(target).__name__}>"
    return target  # type: ignore[return-value]


def _prepare_array(name: object, value: Any) -> xp.ndarray:
    """Turn ``value`` into a little-endian, C-contiguous array of a supported dtype."""
    if not isinstance(name, str):
        raise TypeError(f"tensor names must be str, got {type(name).__name__}: {name!r}")
    if name == _METADATA_KEY:
        raise ValueError(f"{_METADATA_KEY!r} is reserved and cannot name a tensor")
    array = _to_numpy(value)
    if (array.dtype.kind, array.dtype.itemsize) not in _DTYPE_NAMES:
        supported = ", ".join(str(xp.dtype(dt.str[1:])) for dt in _DTYPES.values())
        raise TypeError(
            f"tensor {name!r} has dtype {array.dtype}, which safetensors cannot store "
            f"(supported: {supported})"
        )
    # Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.
    return xp.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")


def _to_numpy(value: Any) -> xp.ndarray:
    """NumPy view of an array, chainrule Tensor, or anything else with ``__array__``."""
    if isinstance(value, xp.ndarray):
        return value
    try:
        return xp.asarray(value)
    except (RuntimeError, TypeError):
        # A torch tensor that requires grad refuses __array__ until detached.
        detach = getattr(value, "detach", None)
        if detach is None:
            raise
        return xp.asarray(detach())


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"safetensors metadata must map str to str, got {key!r}: {value!r}")
    return dict(metadata)


def _encode_header(
    arrays: Mapping[str, xp.ndarray], order: list[str], metadata: dict[str, str]
) -> bytes:
    """JSON header, in the caller's key order, padded with spaces to a multiple of 8.

    ``order`` is the order in which the data is laid out in the file.
    """
    offsets: dict[str, list[int]] = {}
    position = 0
    for name in order:
        offsets[name] = [position, position + arrays[name].nbytes]
        position += arrays[name].nbytes
    header: dict[str, Any] = {}
    if metadata:
        header[_METADATA_KEY] = metadata
    for name, array in arrays.items():
        header[name] = {
            "dtype": _DTYPE_NAMES[array.dtype.kind, array.dtype.itemsize],
            "shape": list(array.shape),
            "data_offsets": offsets[name],
        }
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return raw + b" " * (-len(raw) % 8)


def _write_body(f: IO[bytes], header: bytes, arrays: list[xp.ndarray]) -> None:
    f.write(len(header).to_bytes(8, "little"))
    f.write(header)
    for array in arrays:
        _write_array(f, array)


def _write_array(f: IO[bytes], array: xp.ndarray) -> None:
    # A uint8 view hands the buffer to write() without the copy that tobytes() would make.
    if array.size:
        f.write(array.reshape(-1).view(xp.uint8))


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Run ``write`` on a temp file beside ``path``, then move it into place.

    Checkpoints, plots and pictures all go through here: a failure (or Ctrl-C) leaves the old
    file or none, never half of one. A new file gets the permissions open() would give; a
    replaced one keeps its own (a 0600 checkpoint stays 0600). The temp file is named
    ``<name>.partial-<pid>-<random>``, so a process killed outright leaves something a user
    recognises, and the next save to the same path removes it.

        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "note.txt")
        >>> atomic_write(p, lambda f: f.write(b"hi"))
        >>> open(p, "rb").read(), os.listdir(os.path.dirname(p))
        (b'hi', ['note.txt'])
    """
    target = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(target))
    _remove_stale_temps(directory, base)
    tmp, fd = _create_temp(directory, base)
    try:
        _keep_mode(target, tmp)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:  # KeyboardInterrupt too: never leave a half-written temp file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _temp_pattern(base: str) -> re.Pattern[str]:
    # Ours, and the hidden ".<name>.<hex>.tmp" that older versions wrote, with no pid in it.
    name = re.escape(base)
    return re.compile(rf"{name}\.partial-(\d+)-[0-9a-f]{{12}}|\.{name}\.[0-9a-f]{{12}}\.tmp")


def _create_temp(directory: str, base: str) -> tuple[str, int]:
    # os.open with mode 0o666 lets the umask decide the final permissions, as a plain
    # open() would; tempfile.mkstemp would force 0o600 onto every checkpoint.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f"{base}.partial-{os.getpid()}-{secrets.token_hex(6)}")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory!r}")


def _remove_stale_temps(directory: str, base: str) -> None:
    """Delete the temp files that killed writes of ``base`` left (their process is gone)."""
    pattern = _temp_pattern(base)
    try:
        names = os.listdir(directory)
    except OSError:
        return  # the write itself will report a missing or unreadable directory
    for name in names:
        match = pattern.fullmatch(name)
        if match and not (match[1] and _process_alive(int(match[1]))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def _process_alive(pid: int) -> bool:
    # A live writer (another process, or another thread here) is still using its temp file.
    if pid == os.getpid() or os.name == "nt":  # signal 0 means CTRL_C_EVENT on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # exists but belongs to someone else; an absurd pid cannot be checked
    return True


def _keep_mode(target: str, tmp: str) -> None:
    """Give the temp file the permission bits of the file it will replace, if any."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode):
        os.chmod(tmp, stat.S_IMODE(mode))


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; directories cannot be opened on Windows.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _read_header(
    f: IO[bytes], path: PathLike, file_size: int
) -> tuple[int, dict[str, dict[str, Any]], dict[str, str]]:
    prefix = f.read(8)
    if len(prefix) < 8:
        raise CheckpointError(
            path, f"truncated: {file_size} bytes, too short for the 8-byte header length"
        )
    header_len = int.from_bytes(prefix, "little")
    if header_len > file_size - 8:
        raise CheckpointError(
            path,
            f"header length {header_len} goes beyond the end of the file "
            f"({file_size - 8} bytes after the length prefix); truncated or not safetensors",
        )
    if header_len > _MAX_HEADER_BYTES:
        raise CheckpointError(path, f"header length {header_len} exceeds {_MAX_HEADER_BYTES}")
    try:
        header = json.loads(f.read(header_len).decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(path, f"header is not valid UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise CheckpointError(path, "header is nested too deeply to be safetensors") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, f"header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop(_METADATA_KEY, None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(path, f"{_METADATA_KEY} must map str to str, got {_clip(metadata)}")
    for name, entry in header.items():
        _check_entry(path, name, entry)
    return header_len, header, metadata


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would silently keep the last of two equal keys; a duplicate tensor name
    # means the file is damaged or was built by hand wrongly.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _check_entry(path: PathLike, name: str, entry: Any) -> None:
    def bad(what: str) -> CheckpointError:
        return CheckpointError(path, f"tensor {name!r}: {what}")

    if not isinstance(entry, dict) or {"dtype", "shape", "data_offsets"} - entry.keys():
        raise bad(f"entry must hold dtype, shape and data_offsets, got {_clip(entry)}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or (dtype not in _DTYPES and dtype != _BF16):
        known = ", ".join([*_DTYPES, _BF16])
        raise bad(f"unknown or unsupported dtype {_clip(dtype)} (supported: {known})")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise bad(f"shape must be a list of non-negative ints, got {_clip(shape)}")
    if len(shape) > _MAX_DIMS:
        raise bad(f"shape has {len(shape)} dimensions; at most {_MAX_DIMS} are supported")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(o) for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise bad(f"data_offsets must be [begin, end] with 0 <= begin <= end, got {_clip(offsets)}")
    itemsize = _BF16_ITEMSIZE if dtype == _BF16 else _DTYPES[dtype].itemsize
    # An empty tensor needs no bytes, whatever its other sizes; NumPy still refuses to make
    # one whose non-zero sizes multiply past what an array can address.
    if math.prod(d for d in shape if d) * itemsize > _MAX_ARRAY_BYTES:
        raise bad(f"shape {_clip(shape)} of {dtype} is too large for an array")
    expected = math.prod(shape) * itemsize
    if offsets[1] - offsets[0] != expected:
        raise bad(
            f"data_offsets {offsets} span {offsets[1] - offsets[0]} bytes, but shape {shape} "
            f"of {dtype} needs {expected}"
        )


def _clip(value: Any, width: int = 60) -> str:
    """``repr`` cut short: a hand-edited header can hold megabytes in one field."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _check_spans(path: PathLike, entries: Mapping[str, Mapping[str, Any]], data_len: int) -> None:
    """The tensors tile the data region exactly: in offset order each begins where the one
    before ended, from 0 to the end of the file, with no gap, overlap or trailing byte (the
    reference loader's rule; empty tensors sit at a boundary)."""
    spans = sorted((e["data_offsets"][0], e["data_offsets"][1], n) for n, e in entries.items())
    previous_end, previous_name = 0, ""
    for begin, end, name in spans:
        if end > data_len:
            raise CheckpointError(
                path,
                f"tensor {name!r}: data_offsets [{begin}, {end}] lie beyond the end of the "
                f"data ({data_len} bytes); the file is truncated or the header is wrong",
            )
        if begin < previous_end:
            raise CheckpointError(
                path, f"tensors {previous_name!r} and {name!r} have overlapping data_offsets"
            )
        if begin > previous_end:
            after = f"after tensor {previous_name!r}" if previous_name else "at the start"
            raise CheckpointError(
                path,
                f"tensor {name!r}: data_offsets begin at {begin}, leaving a gap of "
                f"{begin - previous_end} bytes {after}",
            )
        previous_end, previous_name = end, name
    if previous_end != data_len:
        raise CheckpointError(
            path,
            f"{data_len - previous_end} bytes after the last tensor's data; the file has "
            "trailing bytes or the header is wrong",
        )


def _read_array(
    f: IO[bytes], path: PathLike, name: str, entry: Mapping[str, Any], data_start: int
) -> xp.ndarray:
    begin = entry["data_offsets"][0]
    bf16 = entry["dtype"] == _BF16
    dtype = xp.dtype("<u2") if bf16 else _DTYPES[entry["dtype"]]
    array = xp.empty(tuple(entry["shape"]), dtype=dtype)
    if array.size:
        f.seek(data_start + begin)
        _readinto_exact(f, path, name, array.reshape(-1).view(xp.uint8))
    if bf16:
        # bfloat16 is the upper 16 bits of an IEEE float32, so this widening is exact.
        return (array.astype(xp.uint32) << 16).view(xp.float32)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _readinto_exact(f: IO[bytes], path: PathLike, name: str, buffer: xp.ndarray) -> None:
    view = memoryview(buffer)
    filled = 0
    while filled < len(view):
        count = f.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            raise CheckpointError(path, f"tensor {name!r}: file ends inside its data")
        filled += count


# --------------------------------------------------------------------------------------
# High level: checkpoints of nested Python objects
# --------------------------------------------------------------------------------------


def save(obj: Any, path: FileLike, *, metadata: Mapping[str, str] | None = None) -> None:
    """Save a state dict or a nested checkpoint to ``path`` (safetensors, atomic), or to an
    open binary file object such as ``io.BytesIO`` (from its position on).

    * A flat ``{str: tensor or array}`` dict becomes a plain safetensors file with no
      chainrule-specific entries, loadable by ``safetensors.torch.load_file``.
    * Anything else (dicts with any str/int/float/bool/None keys, lists, tuples, bools,
      ints, floats, None, str, arrays and tensors, nested freely) stores each array under a
      dotted key such as ``optimizer.state.0.exp_avg`` and the nesting as JSON in the
      ``chainrule.structure`` metadata entry. NumPy scalars are stored as Python numbers.
      An array object that appears twice is stored once and loads as one shared object.

    ``metadata`` adds free-form string entries to the header.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> save({"model": {"w": np.ones(2)}, "epoch": 3}, p)
        >>> load(p, to_tensor=np.asarray)
        {'model': {'w': array([1., 1.])}, 'epoch': 3}
        >>> import io
        >>> buffer = io.BytesIO()
        >>> save({"w": np.zeros(2)}, buffer)
        >>> _ = buffer.seek(0)
        >>> load(buffer, to_tensor=np.asarray)
        {'w': array([0., 0.])}
    """
    extra = _check_metadata(metadata)
    if STRUCTURE_KEY in extra:
        raise ValueError(f"metadata key {STRUCTURE_KEY!r} is reserved for chainrule")
    if _is_flat_state_dict(obj):
        write_safetensors(path, obj, extra)
        return
    arrays: dict[str, xp.ndarray] = {}
    root = _Encoder(_name(path), arrays).encode(obj, ())
    structure = {"format": _STRUCTURE_FORMAT, "version": _STRUCTURE_VERSION, "root": root}
    extra[STRUCTURE_KEY] = json.dumps(structure, separators=(",", ":"), ensure_ascii=False)
    write_safetensors(path, arrays, extra)


def load(
    path: FileLike,
    map_location: Any = None,
    *,
    to_tensor: Callable[[xp.ndarray], Any] | None = None,
    weights_only: bool | None = None,
) -> Any:
    """Load what :func:`save` wrote, or any safetensors file (e.g. from PyTorch), from a path
    or from an open binary file object (read from its position to its end).

    Arrays come back as chainrule Tensors via ``chainrule.from_numpy``, or through
    ``to_tensor`` if given (``to_tensor=np.asarray`` keeps plain NumPy arrays). A file
    without chainrule structure metadata loads as a flat ``{name: tensor}`` dict.
    PyTorch's ``map_location`` (the CPU; a CUDA device gives a CPU build's error) and
    ``weights_only`` are accepted: these files hold no code, so loading is always
    weights-only.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "sd.safetensors")
        >>> save({"w": np.zeros((2, 2), dtype=np.float32)}, p)
        >>> load(p, to_tensor=np.asarray)["w"].shape
        (2, 2)
    """
    from chainrule import devices  # lazy: the core imports this module

    devices.check(map_location)
    arrays, metadata = read_safetensors(path)
    convert = _default_to_tensor if to_tensor is None else to_tensor
    raw = metadata.get(STRUCTURE_KEY)
    if raw is None:
        return {name: convert(array) for name, array in arrays.items()}
    return _Decoder(_name(path), arrays, convert).decode_structure(raw)


def _default_to_tensor(array: xp.ndarray) -> Any:
    import chainrule  # lazy: the core imports this module, not the other way round

    return chainrule.from_numpy(array)


def _is_array_leaf(value: Any) -> bool:
    """An ndarray, a chainrule/torch tensor, or any other object that converts to one."""
    if isinstance(value, xp.ndarray):
        return True
    if isinstance(value, (xp.generic, str, bytes, Mapping, list, tuple)):
        return False
    return hasattr(type(value), "__array__")


def _is_flat_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and k != _METADATA_KEY and _is_array_leaf(v) for k, v in obj.items()
    )


# JSON encoding of the nesting. Every JSON object in it is a one-key tag, so user data can
# never be mistaken for a tag:
#   {"__dict__": [[key, value], ...]}  dict; keys stay JSON scalars, so 0 and "0" differ
#   {"__tuple__": [...]}               tuple (a plain JSON list is a Python list)
#   {"__tensor__": "flat.key"}         array leaf, stored in the file under that key
# None, bool, int, float and str are stored as themselves.
_DICT, _TUPLE, _TENSOR = "__dict__", "__tuple__", "__tensor__"
_KEY_TYPES = (str, int, float, bool, type(None))


class _Encoder:
    def __init__(self, path: PathLike, arrays: dict[str, xp.ndarray]) -> None:
        self.path = path
        self.arrays = arrays
        self.names_by_id: dict[int, str] = {}  # shared arrays are stored once
        self.open: set[int] = set()  # the containers being encoded, to catch a cycle

    def encode(self, value: Any, where: tuple[Any, ...]) -> Any:
        if not isinstance(value, (Mapping, list, tuple)) or _is_array_leaf(value):
            return self.encode_value(value, where)
        if id(value) in self.open:
            raise CheckpointError(
                self.path, f"cannot save: {_describe(where)} contains itself (a cycle)"
            )
        if len(where) >= MAX_NESTING:
            raise CheckpointError(
                self.path,
                f"cannot save: nested deeper than {MAX_NESTING} levels at "
                f"{_describe(where[:3])}...",
            )
        self.open.add(id(value))
        try:
            return self.encode_value(value, where)
        finally:
            self.open.discard(id(value))

    def encode_value(self, value: Any, where: tuple[Any, ...]) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, xp.generic):
            return self.encode(value.item(), where)
        if _is_array_leaf(value):
            return {_TENSOR: self.store(value, where)}
        if isinstance(value, Mapping):
            items = []
            for key, item in value.items():
                if not isinstance(key, _KEY_TYPES):
                    raise TypeError(
                        f"cannot save dict key {key!r} of type {type(key).__name__} at "
                        f"{_describe(where)}: keys must be str, int, float, bool or None"
                    )
                items.append([key, self.encode(item, (*where, key))])
            return {_DICT: items}
        if isinstance(value, tuple):
            return {_TUPLE: [self.encode(v, (*where, i)) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, (*where, i)) for i, v in enumerate(value)]
        raise TypeError(
            f"cannot save {type(value).__name__} at {_describe(where)}: checkpoints hold "
            "dicts, lists, tuples, str, int, float, bool, None, arrays and tensors"
        )

    def store(self, value: Any, where: tuple[Any, ...]) -> str:
        known = self.names_by_id.get(id(value))
        if known is not None:
            return known
        base = ".".join(str(part) for part in where) or "tensor"
        name, suffix = base, 1
        while name in self.arrays or name == _METADATA_KEY:
            name, suffix = f"{base}#{suffix}", suffix + 1
        self.arrays[name] = _to_numpy(value)
        self.names_by_id[id(value)] = name
        return name


def _describe(where: tuple[Any, ...]) -> str:
    return "checkpoint" + "".join(f"[{part!r}]" for part in where)


class _Decoder:
    def __init__(
        self, path: PathLike, arrays: dict[str, xp.ndarray], convert: Callable[[xp.ndarray], Any]
    ) -> None:
        self.path = path
        self.arrays = arrays
        self.convert = convert
        self.tensors: dict[str, Any] = {}  # one object per stored array, keeps sharing

    def decode_structure(self, raw: str) -> Any:
        try:
            structure = json.loads(raw)
        except ValueError as exc:
            raise self.error(f"{STRUCTURE_KEY} metadata is not valid JSON: {exc}") from None
        except RecursionError:
            raise self.error(f"{STRUCTURE_KEY} metadata is nested too deeply") from None
        if not isinstance(structure, dict) or structure.get("format") != _STRUCTURE_FORMAT:
            raise self.error(f"{STRUCTURE_KEY} metadata is not a chainrule checkpoint structure")
        version = structure.get("version")
        if version != _STRUCTURE_VERSION:
            raise self.error(
                f"checkpoint structure version {version!r} is not supported "
                f"(this chainrule reads version {_STRUCTURE_VERSION}); upgrade chainrule"
            )
        if "root" not in structure:
            raise self.error(f"{STRUCTURE_KEY} metadata has no root")
        try:
            return self.decode(structure["root"])
        except RecursionError:
            raise self.error(f"{STRUCTURE_KEY} metadata is nested too deeply") from None

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise self.error(f"malformed structure node {_clip(node)}")
        ((tag, body),) = node.items()
        if tag == _TENSOR and isinstance(body, str):
            return self.tensor(body)
        if tag == _TUPLE and isinstance(body, list):
            return tuple(self.decode(item) for item in body)
        if tag == _DICT and isinstance(body, list):
            return dict(self.pair(item) for item in body)
        raise self.error(f"malformed structure node {_clip(node)}")

    def pair(self, item: Any) -> tuple[Any, Any]:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], _KEY_TYPES)):
            raise self.error(f"malformed dict item {_clip(item)} in structure")
        return item[0], self.decode(item[1])

    def tensor(self, name: str) -> Any:
        if name not in self.tensors:
            if name not in self.arrays:
                raise self.error(f"structure refers to tensor {name!r}, which the file lacks")
            self.tensors[name] = self.convert(self.arrays[name])
        return self.tensors[name]

    def error(self, reason: str) -> CheckpointError:
        return CheckpointError(self.path, reason)
