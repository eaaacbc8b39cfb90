"""Compiled (numba) kernels for the biology rules of a step: maps, contact tests, per-cell rates.

On the lattices an ensemble runs (100 x 100, a few hundred immune cells) a step is
hundreds of numpy calls on small arrays, each costing its call overhead more than its
work; these kernels do a rule's bookkeeping in one call. Every kernel gives bit for bit
what the numpy code it replaced gave (the same operations in the same order, numpy's
``maximum``/``minimum`` semantics), and the ones that draw take the model's Generator as a
:func:`.kernels.bit_stream` and draw what numpy drew, in the same order, so one seed still
gives one run. Transcendental functions (``expm1``, ``exp``) stay in numpy, whose
vectorised versions may round differently from the C library's: callers pass their results in.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import next_double

__all__ = ["paint_boxes", "any_marked_per_row"]


@njit(cache=True, nogil=True)
def paint_boxes(sites, width, height, radius):
    """Flat bool map of ``width * height`` sites: True within Chebyshev distance ``radius`` of
    any of the flat ``sites`` (``site = x * height + y``). The same map as dilating a mask
    holding ``sites``, at a cost that follows the number of sites, not the lattice."""
    out = np.zeros(width * height, dtype=np.bool_)
    for i in range(sites.size):
        x, y = divmod(sites[i], height)
        for xx in range(max(0, x - radius), min(width, x + radius + 1)):
            base = xx * height
            for yy in range(max(0, y - radius), min(height, y + radius + 1)):
                out[base + yy] = True
    return out


@njit(cache=True, nogil=True)
def any_marked_per_row(table, flags):
    """For each row of the int ``table`` (flat site indices, ``-1`` = none), whether ``flags``
    holds at one of its sites: ``np.append(flags, False)[table].any(axis=1)``, stopping at the first."""
    rows, cols = table.shape
    out = np.zeros(rows, dtype=np.bool_)
    for r in range(rows):
        for c in range(cols):
            s = table[r, c]
            if s >= 0 and flags[s]:
                out[r] = True
                break
    return out
