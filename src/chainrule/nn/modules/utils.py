"""``torch.nn.modules.utils``' parsers of a layer's size settings: ``_ntuple(n)`` makes an int
an ``n``-tuple and keeps an iterable as a tuple, as PyTorch's layers do.

>>> from chainrule.nn.modules.utils import _pair, _triple
>>> _pair(3), _triple([1, 2, 3])
((3, 3), (1, 2, 3))
"""

from collections.abc import Callable
from typing import Any

from chainrule.ops.fold import as_tuple

# PyTorch's lists consume_prefix_in_state_dict_if_present, which chainrule lacks.
__all__: list[str] = []


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple[Any, ...]]:
    """A parser, named ``name``, of a setting of ``n`` dimensions (see ``as_tuple``)."""

    def parse(x: Any) -> tuple[Any, ...]:
        return as_tuple(x, n)

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
