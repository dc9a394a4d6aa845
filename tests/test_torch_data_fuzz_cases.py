"""Cases a fuzz of ``torch.utils.data`` against PyTorch found chainrule answering differently
(datasets, samplers, DataLoader's options and state, default_collate / default_convert of
numbers, NumPy scalars and arrays, mappings and sequences): each snippet runs with ``T`` as
torch and as chainrule, and what it leaves in ``out`` (the batches with their types, dtypes
and shapes, lengths, orders, or the error: type and first line) must be the same.

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`). No
snippet starts worker processes (``num_workers`` stays 0 wherever a loader is iterated).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``show(b)``: a batch written out with its nesting and types, each tensor with its dtype,
# shape and values; ``caught(f)``: the warnings that calling ``f`` gives, by their first words
PRELUDE = """
import collections, warnings
import numpy as np
D = T.utils.data
Pt = collections.namedtuple("Pt", "x y")
def show(b):
    if isinstance(b, T.Tensor):
        return f"tensor({b.dtype}, {tuple(b.shape)}, {b.tolist()})"
    if isinstance(b, tuple) and hasattr(b, "_fields"):
        return type(b).__name__ + "(" + ", ".join(show(v) for v in b) + ")"
    if isinstance(b, (list, tuple)):
        return type(b).__name__ + "[" + ", ".join(show(v) for v in b) + "]"
    if isinstance(b, dict):
        return type(b).__name__ + "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in b.items()) + "}"
    return f"{type(b).__name__}:{b!r}"
def caught(f):
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        f()
    return [str(w.message)[:40] for w in ws]
class Stream(D.IterableDataset):
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return iter(range(self.n))
"""

CASES = {
    # ---- DataLoader's options as PyTorch's signature has them (timeout, worker_init_fn,
    # multiprocessing_context, generator in 13th place, the keyword-only worker options)
    "loader worker options accepted": (
        "L = D.DataLoader(T.arange(5), 2, timeout=0, worker_init_fn=lambda i: None,"
        " multiprocessing_context=None, prefetch_factor=None, persistent_workers=False,"
        " pin_memory_device='', in_order=True)\n"
        "out = [show(b) for b in L], L.timeout, L.prefetch_factor, L.in_order"
    ),
    "loader generator positional": (
        "L = D.DataLoader(T.arange(6), 4, True, None, None, 0, None, False, False, 0, None,"
        " None, T.Generator().manual_seed(3))\n"
        "out = [b.tolist() for b in L]"
    ),
    "loader negative num_workers": "out = D.DataLoader(T.arange(3), num_workers=-1)",
    "loader negative timeout": "out = D.DataLoader(T.arange(3), timeout=-1)",
    "loader prefetch_factor without workers": (
        "out = D.DataLoader(T.arange(3), prefetch_factor=2)"
    ),
    "loader persistent_workers without workers": (
        "out = D.DataLoader(T.arange(3), persistent_workers=True)"
    ),
    "loader multiprocessing_context without workers": (
        "out = D.DataLoader(T.arange(3), multiprocessing_context='spawn')"
    ),
    "loader bad start method": (
        "out = D.DataLoader(T.arange(3), num_workers=2, multiprocessing_context='nope')"
    ),
    "loader worker settings kept": (
        "L = D.DataLoader(T.arange(3), num_workers=2, persistent_workers=True)\n"
        "out = L.num_workers, L.prefetch_factor, L.persistent_workers, len(L)"
    ),
    "loader timeout without workers refused on iteration": (
        "T.manual_seed(0)\n"
        "L = D.DataLoader(T.arange(3), timeout=1.5)\n"
        "try:\n"
        "    iter(L)\n"
        "except AssertionError as e:\n"
        "    out = (str(e), T.rand(1).tolist())"
    ),
    "loader pin_memory warns without an accelerator": (
        "L = D.DataLoader(T.arange(4), batch_size=2, pin_memory=True)\n"
        "out = caught(lambda: [b.tolist() for b in L])"
    ),
    "loader collate_fn attribute": (
        "out = (D.DataLoader(T.arange(3)).collate_fn is D.default_collate,"
        " D.DataLoader(T.arange(3), batch_size=None).collate_fn is D.default_convert)"
    ),
    "loader batch_size fixed after init": (
        "L = D.DataLoader(T.arange(6), batch_size=2)\nL.batch_size = 3\nout = len(L)"
    ),
    "loader sampler fixed after init": (
        "L = D.DataLoader(T.arange(6))\nL.sampler = [0]\nout = len(L)"
    ),
    "loader index sampler of a stream": (
        "L = D.DataLoader(Stream(3), batch_size=2)\n"
        "out = type(L.sampler).__name__, L._auto_collation, L._index_sampler is L.batch_sampler"
    ),
    # ---- PyTorch's order of checks: the options' exclusivity before the batch size
    "loader shuffle with sampler before batch_size": (
        "out = D.DataLoader(T.arange(3), batch_size=0, shuffle=True, sampler=[0])"
    ),
    "loader batch_sampler with batch_size 0": (
        "out = D.DataLoader(T.arange(3), batch_size=0, batch_sampler=[[0]])"
    ),
    # ---- a TensorDataset batched at once only when that gives the items' batch
    "loader TensorDataset subclass getitem": (
        "class Scaled(D.TensorDataset):\n"
        "    def __getitem__(self, i):\n"
        "        return tuple(t[i] * 10 for t in self.tensors)\n"
        "out = [show(b) for b in D.DataLoader(Scaled(T.arange(5)), batch_size=2)]"
    ),
    "loader TensorDataset float index": (
        "out = [show(b) for b in D.DataLoader(D.TensorDataset(T.arange(3)), batch_size=2,"
        " sampler=[1.0, 0])]"
    ),
    "loader TensorDataset bool index": (
        "out = [show(b) for b in D.DataLoader(D.TensorDataset(T.arange(3)), batch_size=2,"
        " sampler=[True, 0])]"
    ),
    # ---- default_collate by PyTorch's dispatch
    "collate ints then a float": "out = show(D.default_collate([1, 2.5, 3]))",
    "collate a bool then ints": "out = show(D.default_collate([True, 2]))",
    "collate numpy float32 and a float": "out = show(D.default_collate([np.float32(1), 2.5]))",
    "collate loader of ints and floats": (
        "out = [show(b) for b in D.DataLoader([1, 2.5, True, 4], batch_size=2)]"
    ),
    "collate OrderedDict keeps its type": (
        "out = show(D.default_collate([collections.OrderedDict(b=1, a=2.0),"
        " collections.OrderedDict(b=3, a=4.0)]))"
    ),
    "collate defaultdict keeps its type": (
        "d = [collections.defaultdict(list, a=i) for i in range(2)]\n"
        "c = D.default_collate(d)\nout = show(c), c['missing']"
    ),
    "collate ranges": "out = show(D.default_collate([range(2), range(2)]))",
    "collate UserList": (
        "out = show(D.default_collate([collections.UserList([1, 2]),"
        " collections.UserList([3, 4])]))"
    ),
    "collate arrays of two shapes": "out = D.default_collate([np.zeros(2), np.zeros(3)])",
    "collate numpy dates": (
        "out = D.default_collate([np.datetime64('2020-01-01'), np.datetime64('2020-01-02')])"
    ),
    "collate a float then a string": "out = D.default_collate([1, 'a'])",
    # ---- default_convert (batch_size=None) by PyTorch's rules
    "convert range": "out = show(D.default_convert(range(3)))",
    "convert OrderedDict": (
        "out = show(D.default_convert(collections.OrderedDict(a=np.arange(2), b='s')))"
    ),
    "convert numpy date": "out = D.default_convert(np.datetime64('2020-01-01'))",
    "convert numpy bytes": "out = D.default_convert(np.bytes_(b'a'))",
    "loader without batching of ranges": (
        "out = [show(b) for b in D.DataLoader([range(2), range(3)], batch_size=None)]"
    ),
    # ---- tensor() of NumPy scalars: their own dtypes, promoted as PyTorch promotes them
    "tensor of numpy float64 and an int": (
        "out = T.tensor([np.float64(1.5), 2]).dtype, T.tensor([np.int32(1), np.int16(2)]).dtype"
    ),
    "tensor of a numpy string": "out = T.tensor(np.str_('a'))",
    # ---- the datasets
    "Dataset generic": (
        "class Items(D.Dataset[int]):\n"
        "    def __getitem__(self, i):\n"
        "        return i\n"
        "    def __len__(self):\n"
        "        return 3\n"
        "out = [b.tolist() for b in D.DataLoader(Items(), batch_size=2)]"
    ),
    "Sampler and DataLoader generic": (
        "class Back(D.Sampler[int]):\n"
        "    def __iter__(self):\n"
        "        return iter([2, 1, 0])\n"
        "out = D.DataLoader[int](T.arange(3) * 5, sampler=Back()).sampler.__class__.__name__"
    ),
    "IterableDataset generic": (
        "class S(D.IterableDataset[int]):\n"
        "    def __iter__(self):\n"
        "        return iter(range(2))\n"
        "out = [b.tolist() for b in D.DataLoader(S())]"
    ),
    "Dataset without len": "out = len(D.Dataset())",
    "Dataset without getitem": "out = D.Dataset()[0]",
    "IterableDataset abstract": "out = D.IterableDataset()",
    "Sampler takes no data source": "out = D.Sampler(range(3))",
    "TensorDataset size mismatch": "out = D.TensorDataset(T.arange(3), T.arange(4))",
    "TensorDataset of none": "ds = D.TensorDataset()\nout = len(ds)",
    "TensorDataset of a numpy array": "out = D.TensorDataset(np.arange(3))",
    "Subset overriding getitem only": (
        "class S(D.Subset):\n"
        "    def __getitem__(self, i):\n"
        "        return 0\n"
        "out = S(range(3), [0])"
    ),
    "ConcatDataset index True": "out = show(D.ConcatDataset([T.arange(3), T.arange(2)])[True])",
    "ConcatDataset cummulative_sizes": (
        "ds = D.ConcatDataset([range(3), range(2)])\n"
        "sizes = []\nout = caught(lambda: sizes.append(ds.cummulative_sizes)), sizes"
    ),
    "random_split float lengths": (
        "try:\n"
        "    D.random_split(range(5), [2.0, 3.0], generator=T.Generator().manual_seed(1))\n"
        "except TypeError:\n"
        "    out = 'TypeError'"
    ),
    # ---- the samplers
    "DistributedSampler without process group": "out = D.DistributedSampler(range(4))",
    "DistributedSampler without rank": "out = D.DistributedSampler(range(4), num_replicas=2)",
    "WeightedRandomSampler string weights": "out = D.WeightedRandomSampler(['a'], 3)",
    "WeightedRandomSampler no weights": "out = list(D.WeightedRandomSampler([], 3))",
    "WeightedRandomSampler no weights without replacement": (
        "out = list(D.WeightedRandomSampler([], 2, replacement=False))"
    ),
}

# Calls both libraries already agree on: the generator's orders (chainrule's generator is
# PyTorch's, so seeded orders match exactly), lengths and batches.
GUARDS = {
    "RandomSampler global seed": "T.manual_seed(0)\nout = list(D.RandomSampler(range(10)))",
    "RandomSampler generator": (
        "out = list(D.RandomSampler(range(10), generator=T.Generator().manual_seed(1)))"
    ),
    "RandomSampler replacement num_samples": (
        "T.manual_seed(2)\ns = D.RandomSampler(range(5), replacement=True, num_samples=40)\n"
        "out = len(s), list(s), T.rand(1).tolist()"
    ),
    "loader shuffle twice then rand": (
        "T.manual_seed(4)\nL = D.DataLoader(T.arange(7), batch_size=3, shuffle=True)\n"
        "out = [[b.tolist() for b in L] for _ in range(2)], len(L), T.rand(1).tolist()"
    ),
    "loader drop_last with generator": (
        "L = D.DataLoader(T.arange(7), batch_size=3, drop_last=True, shuffle=True,"
        " generator=T.Generator().manual_seed(5))\nout = [b.tolist() for b in L], len(L)"
    ),
    "random_split fractions": (
        "s = D.random_split(range(10), [0.3, 0.3, 0.4], generator=T.Generator().manual_seed(2))\n"
        "out = [list(x) for x in s]"
    ),
    "WeightedRandomSampler draws": (
        "T.manual_seed(0)\nout = list(D.WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 8))"
    ),
    "BatchSampler drop_last": "out = list(D.BatchSampler(range(7), 3, True))",
    "DistributedSampler shuffled": (
        "s = D.DistributedSampler(range(7), num_replicas=3, rank=2, seed=1)\ns.set_epoch(2)\n"
        "out = list(s), len(s)"
    ),
    "collate nested dict of namedtuples": (
        "out = show(D.default_collate([{'p': Pt(i, np.float32(i)), 's': 'k'} for i in range(2)]))"
    ),
    "collate numpy scalars of two kinds": (
        "out = show(D.default_collate([np.uint8(1), np.int8(-2)]))"
    ),
    "collate numpy float64 scalars": (
        "out = show(D.default_collate([np.float64(1), np.float64(2)]))"
    ),
    "stream length in batches": (
        "class N(Stream):\n"
        "    def __len__(self):\n"
        "        return self.n\n"
        "out = len(D.DataLoader(N(5), batch_size=2)), len(D.DataLoader(N(5), batch_size=2,"
        " drop_last=True)), [b.tolist() for b in D.DataLoader(N(5), batch_size=2)]"
    ),
    "stream without length": "out = len(D.DataLoader(Stream(3)))",
    "StackDataset loader": (
        "out = [show(b) for b in D.DataLoader(D.StackDataset(x=T.arange(3), y='abc'),"
        " batch_size=2)]"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_data_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
