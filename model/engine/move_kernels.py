"""A whole walk phase of one cell type in one compiled call.

Each immune type's crawl was a chain of small calls: draw the hops
(:func:`.rule_kernels.draw_hops`), halve some, gather the walkers' sites, set up the
walk's arrays, walk every hop round (:func:`.kernels.walk_rounds`) and record the moves
(:func:`.rule_kernels.move_rows`). On a 100 x 100 lattice a walk moves a few dozen cells, so
those calls cost more than their work, four walks a step. :func:`walk_rows` makes the same
calls inside one kernel, in the same order with the same draws, so the stream and the
run are unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import walk_rounds
from .rule_kernels import draw_hops, move_rows

__all__ = ["walk_rows"]


@njit(cache=True, nogil=True)
def walk_rows(gen, neighbours, occupied, site_col, row_at, rows, base, frac, halve, bias, chemotaxis, attractant,
              stop_on, claimed, attractant_extra):
    """Walk the cells in ``rows`` of one population and record their moves, as

        hops = draw_hops(gen, rows.size, base, frac)
        hops[halve[rows]] //= 2                        # only if halve is not empty
        sites = site_col[rows].copy()
        walk_rounds(neighbours, occupied, sites, hops, zeros(rows.size, bool), gen, bias, chemotaxis,
                    attractant, stop_on, claimed, attractant_extra)
        move_rows(site_col, row_at, rows, sites)

    did (``motility.hops_per_step``, ``lattice.step_walkers``, ``Population.move_many``).
    ``site_col`` and ``row_at`` are the population's site column and row lookup; ``occupied``
    (the layer), ``site_col`` and ``row_at`` are updated in place. Returns the new sites.
    """
    n = rows.size
    hops = draw_hops(gen, n, base, frac)
    if halve.size:
        for i in range(n):
            if halve[rows[i]]:
                hops[i] //= 2
    sites = np.empty(n, dtype=np.int64)
    for i in range(n):
        sites[i] = site_col[rows[i]]
    if n == 0:
        return sites  # step_walkers returned before drawing
    stopped = np.zeros(n, dtype=np.bool_)
    walk_rounds(neighbours, occupied, sites, hops, stopped, gen, bias, chemotaxis, attractant, stop_on, claimed,
                attractant_extra)
    move_rows(site_col, row_at, rows, sites)
    return sites
