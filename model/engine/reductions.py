"""Compiled reductions that give numpy's own sums bit for bit.

``numpy.add.reduce`` over a contiguous float64 array (``a.sum()``, ``a.mean()``) adds in a
fixed pairwise order: blocks of at most 128 values summed with eight running partial sums,
combined by halving the range (``n2 = n // 2`` rounded down to a multiple of 8). A
mean the summary reads every step is of values computed for it; computing them and their sum in one
compiled pass (no temporaries) gives the same numbers for less. (For an array that already
exists numpy's own sum is faster: its eight partial sums are SIMD lanes, numba's are not.)

:data:`EXACT_SUMS` says whether this numpy sums that way (checked once at import on a few
sizes); callers fall back to numpy where it does not.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["pairwise_sum", "EXACT_SUMS", "array_mean"]

_LEAF = 128  # numpy's PW_BLOCKSIZE
_STACK = 128  # ranges halve down to _LEAF, so the depth is at most log2(n / 128) + 2


@njit(cache=True, nogil=True)
def _leaf_sum(a, lo, n):
    """numpy's pairwise leaf: ``a[lo:lo+n]`` (n <= 128) with eight running partial sums."""
    if n < 8:
        res = 0.0
        for k in range(lo, lo + n):
            res += a[k]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    m = lo + n - n % 8
    for i in range(lo + 8, m, 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for k in range(m, lo + n):
        res += a[k]
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(a):
    """Sum of the flat contiguous float64 array ``a`` in numpy's pairwise order (``a.sum()``
    bit for bit where :data:`EXACT_SUMS`); 0.0 for an empty array. The recursion is unrolled
    onto a small stack: leaves are summed left to right and each range adds its halves."""
    if a.size == 0:
        return 0.0
    lo_stack = np.empty(_STACK, np.int64)
    n_stack = np.empty(_STACK, np.int64)
    stage = np.empty(_STACK, np.int64)
    partial = np.empty(_STACK, np.float64)
    lo_stack[0], n_stack[0], stage[0] = 0, a.size, 0
    sp, vp = 1, 0
    while sp > 0:
        lo, n = lo_stack[sp - 1], n_stack[sp - 1]
        if n <= _LEAF:
            partial[vp] = _leaf_sum(a, lo, n)
            vp += 1
            sp -= 1
            continue
        half = n // 2
        half -= half % 8
        if stage[sp - 1] == 0:  # first half
            stage[sp - 1] = 1
            lo_stack[sp], n_stack[sp], stage[sp] = lo, half, 0
            sp += 1
        elif stage[sp - 1] == 1:  # second half
            stage[sp - 1] = 2
            lo_stack[sp], n_stack[sp], stage[sp] = lo + half, n - half, 0
            sp += 1
        else:  # both halves done: first + second
            partial[vp - 2] = partial[vp - 2] + partial[vp - 1]
            vp -= 1
            sp -= 1
    # numpy's reduction starts from the identity 0.0 (which turns a -0.0 total into 0.0)
    return 0.0 + partial[0]


def _sums_match() -> bool:
    """Whether :func:`pairwise_sum` gives exactly ``np.sum`` here (sizes around every branch)."""
    rng = np.random.default_rng(0)
    for n in (1, 7, 8, 9, 127, 128, 129, 1000, 10_000, 100_003):
        a = rng.random(n) * 10.0 ** rng.integers(-8, 8, size=n)
        if pairwise_sum(a) != a.sum() or pairwise_sum(-a) != (-a).sum():
            return False  # pragma: no cover - a numpy that sums in another order
    return True


EXACT_SUMS = _sums_match()



def array_mean(a: np.ndarray) -> float:
    """``float(a.mean())`` of a non-empty float array, bit for bit, without numpy's Python-level
    ``_mean`` wrapper (~2 us a call; the summary takes six means a step): the same
    ``np.add.reduce`` over every axis, divided by the count as ``_mean`` divides."""
    return float(np.add.reduce(a, axis=None)) / a.size
