"""The function transforms open in the calling thread: vmap's levels, forward mode's levels,
what vmap watches while its function runs, and how deep chainrule.func's transforms nest.

They belong to the thread that opens them, as PyTorch's functorch layers do: a ``vmap`` in one
thread must not batch, refuse or reroute another thread's ops (its randomness check refused
another thread's ``randn``; its levels made another thread's ``.numpy()`` raise). So each
thread has its own lists, in :data:`here` (a ``threading.local``).

Every op asks whether any transform is open. Reading a ``threading.local`` costs ~35 ns more
than a module global, so the per-op path first reads :data:`vmap_anywhere` or
:data:`dual_anywhere`, plain lists that are empty unless some thread has a transform open, and
asks :data:`here` only then.

    >>> import chainrule as cr
    >>> seen = []
    >>> _ = cr.func.vmap(lambda x: seen.append(len(here.vmap)) or x)(cr.ones(2))
    >>> seen, here.vmap, vmap_anywhere
    ([1], [], [])
"""

from __future__ import annotations

import threading
from typing import Any


class _Open(threading.local):
    """The calling thread's open transforms, each list outermost first (a new thread's are
    empty: ``threading.local`` runs ``__init__`` once per thread)."""

    def __init__(self) -> None:
        #: The open vmap levels (:class:`chainrule.autodiff.batching.Level`).
        self.vmap: list[Any] = []
        #: The open watches: the vmap levels, and the runs of vmap's fallback
        #: (:func:`chainrule.autodiff.batching.watching`).
        self.watches: list[Any] = []
        #: Each open watch's record of the tensors made under it: their version counters
        #: by id (see :func:`chainrule.autodiff.batching.note_change`).
        self.births: list[dict[int, list[Any]]] = []
        #: The randomness of each open vmap that runs its function once per example (its
        #: last resort, see :func:`chainrule.rng.looped_examples`): its runs draw as
        #: 'different', except that 'error' refuses.
        self.looped: list[str] = []
        #: The open levels to which a jvp or vjp lifted a primal that torch.func keeps
        #: unbatched there (jacfwd's directions, any vmap over tangents, vmap's levels over
        #: grad's unbatched input; see chainrule.func._jvp and vjp): its values, the same in
        #: every example there, can be read (``.item()``, ``bool()``) and changed in place
        #: unless a per-example draw made them differ.
        self.lifted: list[Any] = []
        #: Whether the random draw being made is one for every example of a batch
        #: (:func:`chainrule.rng.per_example`).
        self.drawing_per_example = False
        #: For each open grad, vjp or jvp of chainrule.func, the vmap levels open when it began.
        self.transforms: list[tuple[Any, ...]] = []
        #: The open forward-mode levels (:class:`chainrule.autodiff.forward.Level`).
        self.dual: list[Any] = []
        #: How many transforms of chainrule.func that record a graph are running: a nested
        #: one must record its own pass.
        self.depth = 0
        #: How many of them are reverse-mode ones (vjp and those built on it): only these
        #: differentiate a nested vjp's gradients again, so only inside one must its rules
        #: be recorded (inside jvp alone they run unrecorded, their tangents riding along).
        self.reverse_depth = 0
        #: The leaves nested transforms made to differentiate with respect to (by id, kept
        #: alive until the outermost transform returns): tensors of the transforms, not
        #: closed-over parameters.
        self.made_leaves: dict[int, Any] = {}
        #: The vmap levels that jacfwd opens for a batch of tangents alone: random operations
        #: see them (and follow their ``randomness``), transforms do not, since no value is
        #: batched there.
        self.tangent_levels: list[Any] = []


#: This thread's open transforms.
here = _Open()

#: Every thread's open watches (vmap levels and fallback runs): empty unless one is open
#: somewhere, so an op outside vmap pays one global read.
vmap_anywhere: list[Any] = []

#: Every thread's open forward-mode levels, likewise.
dual_anywhere: list[Any] = []
