"""PyTorch's CPU ``topk`` step by step: which of equal elements it returns, and in which order,
is decided by the swaps of libstdc++'s ``std::partial_sort``, ``std::nth_element`` and
``std::sort`` (GCC's bits/stl_algo.h and bits/stl_heap.h), so they are written out here as
libstdc++ has them, function by function, with their names.

They work on a list of ``(key, index)`` pairs, ordered by their key alone (a smaller key first:
the caller ranks the values so that equal values, NaNs among themselves, -0.0 and 0.0, get
one key). A pair is moved where libstdc++ moves an element, so the indices end where PyTorch's
end.

    >>> topk_indices([0, 0, 0, 0, 0], 3, sorted=True)  # torch.zeros(5).topk(3).indices
    [2, 4, 3]
"""

from __future__ import annotations

_S_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves shorter runs to insertion sort

Queue = list[tuple[int, int]]


def topk_indices(keys: list[int], k: int, sorted: bool) -> list[int]:  # noqa: A002
    """The indices that PyTorch's ``topk_impl_loop`` (aten/src/ATen/native/TopKImpl.h) returns
    for one line whose elements have ``keys``: ``partial_sort`` of the first ``k`` where
    ``k * 64 <= n``, else ``nth_element`` at ``k - 1`` and, if ``sorted``, ``sort`` of the
    first ``k - 1`` (the k-th is in place already)."""
    queue = list(zip(keys, range(len(keys)), strict=True))
    n = len(queue)
    if k == 0:
        return []
    if k * 64 <= n:
        _partial_sort(queue, 0, k, n)
    else:
        _nth_element(queue, 0, k - 1, n)
        if sorted:
            _sort(queue, 0, k - 1)
    return [index for _, index in queue[:k]]


def _lg(n: int) -> int:
    return n.bit_length() - 1


# ---- the heap (stl_heap.h): a max-heap under the order, its top the last element by it
def _push_heap(queue: Queue, first: int, hole: int, top: int, value: tuple[int, int]) -> None:
    parent = (hole - 1) // 2
    while hole > top and queue[first + parent][0] < value[0]:
        queue[first + hole] = queue[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    queue[first + hole] = value


def _adjust_heap(queue: Queue, first: int, hole: int, length: int, value: tuple[int, int]) -> None:
    """Sift the hole down to a leaf along the larger children, then push ``value`` up."""
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if queue[first + child][0] < queue[first + child - 1][0]:
            child -= 1
        queue[first + hole] = queue[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:  # a last parent with one child
        child = 2 * (child + 1)
        queue[first + hole] = queue[first + child - 1]
        hole = child - 1
    _push_heap(queue, first, hole, top, value)


def _make_heap(queue: Queue, first: int, last: int) -> None:
    length = last - first
    if length < 2:
        return
    for parent in range((length - 2) // 2, -1, -1):
        _adjust_heap(queue, first, parent, length, queue[first + parent])


def _pop_heap(queue: Queue, first: int, last: int, result: int) -> None:
    """The top to ``result``, and ``result``'s element into the heap ``[first, last)``."""
    value = queue[result]
    queue[result] = queue[first]
    _adjust_heap(queue, first, 0, last - first, value)


def _heap_select(queue: Queue, first: int, middle: int, last: int) -> None:
    _make_heap(queue, first, middle)
    for i in range(middle, last):
        if queue[i][0] < queue[first][0]:
            _pop_heap(queue, first, middle, i)


def _partial_sort(queue: Queue, first: int, middle: int, last: int) -> None:
    _heap_select(queue, first, middle, last)
    while middle - first > 1:  # __sort_heap
        middle -= 1
        _pop_heap(queue, first, middle, middle)


# ---- quicksort's steps (stl_algo.h)
def _unguarded_partition_pivot(queue: Queue, first: int, last: int) -> int:
    """The median of ``first + 1``, the middle and ``last - 1`` swapped to ``first`` as the
    pivot (``__move_median_to_first``), then Hoare's partition of the rest around it; the
    start of the upper part. The scans stop at elements equal to the pivot, so need no bound."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    ka, kb, kc = queue[a][0], queue[b][0], queue[c][0]
    if ka < kb:
        median = b if kb < kc else c if ka < kc else a
    else:
        median = a if ka < kc else c if kb < kc else b
    queue[first], queue[median] = queue[median], queue[first]
    pivot = queue[first][0]
    low, high = first + 1, last
    while True:
        while queue[low][0] < pivot:
            low += 1
        high -= 1
        while pivot < queue[high][0]:
            high -= 1
        if not low < high:
            return low
        queue[low], queue[high] = queue[high], queue[low]
        low += 1


def _unguarded_linear_insert(queue: Queue, last: int) -> None:
    value = queue[last]
    while value[0] < queue[last - 1][0]:
        queue[last] = queue[last - 1]
        last -= 1
    queue[last] = value


def _insertion_sort(queue: Queue, first: int, last: int) -> None:
    for i in range(first + 1, last):
        value = queue[i]
        if value[0] < queue[first][0]:  # to the front, the ones before it moved up one
            queue[first + 1 : i + 1] = queue[first:i]
            queue[first] = value
        else:
            _unguarded_linear_insert(queue, i)


def _introsort_loop(queue: Queue, first: int, last: int, depth_limit: int) -> None:
    while last - first > _S_THRESHOLD:
        if depth_limit == 0:
            _partial_sort(queue, first, last, last)
            return
        depth_limit -= 1
        cut = _unguarded_partition_pivot(queue, first, last)
        _introsort_loop(queue, cut, last, depth_limit)
        last = cut


def _sort(queue: Queue, first: int, last: int) -> None:
    if first == last:
        return
    _introsort_loop(queue, first, last, 2 * _lg(last - first))
    if last - first > _S_THRESHOLD:  # __final_insertion_sort
        _insertion_sort(queue, first, first + _S_THRESHOLD)
        for i in range(first + _S_THRESHOLD, last):
            _unguarded_linear_insert(queue, i)
    else:
        _insertion_sort(queue, first, last)


def _nth_element(queue: Queue, first: int, nth: int, last: int) -> None:
    """``__introselect``: partition until the run holding ``nth`` has 3 elements or fewer, then
    insertion sort; past its depth limit, a heap selection."""
    if first == last or nth == last:
        return
    depth_limit = 2 * _lg(last - first)
    while last - first > 3:
        if depth_limit == 0:
            _heap_select(queue, first, nth + 1, last)
            queue[first], queue[nth] = queue[nth], queue[first]
            return
        depth_limit -= 1
        cut = _unguarded_partition_pivot(queue, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(queue, first, last)
