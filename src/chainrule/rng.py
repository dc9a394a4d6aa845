"""Random numbers: one global NumPy generator, seeded by ``manual_seed``.

The streams differ from PyTorch's (different algorithms), but the distributions are the same.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0); a = cr.rand(2)
    >>> _ = cr.manual_seed(0); b = cr.rand(2)
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp


class Generator:
    """A seedable source of random numbers, like ``torch.Generator``."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = xp.random.default_rng(seed)
        self._seed = seed

    def manual_seed(self, seed: int) -> Generator:
        self._rng = xp.random.default_rng(seed)
        self._seed = seed
        return self

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return self._rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state

    @property
    def numpy(self) -> Any:
        """The underlying ``numpy.random.Generator``."""
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (and return it, as PyTorch does)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    new_seed = int(xp.random.SeedSequence().entropy % (2**63))
    default_generator.manual_seed(new_seed)
    return new_seed


def initial_seed() -> int | None:
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, Any]:
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    default_generator.set_state(state)


def generator(g: Generator | None = None) -> Any:
    """The NumPy generator to draw from: ``g``'s, or the global one."""
    from chainrule.autodiff import batching

    if batching.levels:  # a draw inside vmap: allowed only as its randomness says
        batching.check_randomness()
    return (g or default_generator).numpy
