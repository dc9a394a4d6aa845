"""Helpers shared by the tests that compare a transform's fast path with its general path."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from gradcheck_util import outputs_of
from op_table import OpSpec

import chainrule as cr
import chainrule.func as cf
from chainrule.autodiff import batching


def t64(a: np.ndarray) -> cr.Tensor:
    return cr.tensor(a, dtype=cr.float64)


def quiet(fn: Any, *args: Any) -> Any:
    with warnings.catch_warnings():  # rows without a batching rule warn: tested elsewhere
        warnings.simplefilter("ignore")
        return fn(*args)


@contextlib.contextmanager
def loops_as_errors() -> Iterator[None]:
    """vmap's loop over the examples, an error: its warnings (an op's once per process,
    forgotten here so that it warns again) raised."""
    batching._warned.clear()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "vmap")
        yield


def tree_leaves(tree: Any) -> list[Any]:
    if isinstance(tree, tuple | list):
        return [leaf for t in tree for leaf in tree_leaves(t)]
    return [tree]


def is_small(spec: OpSpec) -> bool:
    return sum(int(np.prod(s, dtype=int)) for s in spec.shapes[0]) <= 12


def probed_hessian(spec: OpSpec, rng: np.random.Generator) -> tuple[Any, list[cr.Tensor]]:
    """``hessian`` of a random weighting of the row's outputs (a scalar), and its inputs."""
    x = [t64(a) for a in spec.sample(rng, spec.shapes[0])]
    probe = t64(rng.standard_normal(len(x) + 3))

    def scalar(*args: Any) -> Any:
        return sum((y * probe[i]).sum() for i, y in enumerate(outputs_of(spec.fn(*args))))

    return cf.hessian(scalar, argnums=tuple(range(len(x)))), x


def fast_path_taken(monkeypatch: Any, name: str) -> list[bool]:
    """Whether each call of ``cf.<name>`` (a fast path that answers None when it cannot serve)
    took the fast path (True) or fell back (False), in call order."""
    taken: list[bool] = []
    original = getattr(cf, name)

    def counted(*args: Any) -> Any:
        found = original(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(cf, name, counted)
    return taken
