"""Bulk lattice walks: hop rounds with random priority, compiled.

Same rules, same random draws (order and shapes) and therefore the same
result as the original numpy version; only the per-round bookkeeping moved
into :mod:`model.engine.kernels`.
"""

from __future__ import annotations

import numpy as np

from .kernels import walk_candidates, walk_resolve

__all__ = ["step_walkers"]

_NONE_F = np.zeros(0, dtype=np.float64)
_NONE_B = np.zeros(0, dtype=np.bool_)


def step_walkers(
    neighbours: np.ndarray,
    occupied: np.ndarray,
    sites: np.ndarray,
    substeps: np.ndarray,
    rng: np.random.Generator,
    attractant: np.ndarray | None = None,
    bias: float = 0.0,
    stop_on: np.ndarray | None = None,
) -> np.ndarray:
    """Move walkers up to ``substeps[i]`` lattice hops each; return their new sites.

    Args:
        neighbours: the lattice's (n_sites, 9) Moore table.
        occupied: flat bool, sites another walker of the same layer holds; updated in place.
        sites: current flat sites of the walkers.
        substeps: hops allowed for each walker this step.
        attractant: flat field; with probability ``bias`` a hop goes to the free
            neighbour with the highest value (chemotaxis), else to a random free one.
        stop_on: flat bool; a walker that lands on such a site stops (e.g. tumor contact).

    Per hop round: every walker with hops left and a free neighbour scores its free
    neighbours (uniform draws, or the attractant for chemotactic hops), picks the best,
    and walkers claim targets in a random order; two walkers never share a site.
    """
    sites = np.array(sites, dtype=np.int64)
    if sites.size == 0:
        return sites
    substeps = np.asarray(substeps, dtype=np.int64)
    stopped = np.zeros(sites.size, dtype=bool)
    chemotaxis = attractant is not None and bias > 0
    attract = np.ascontiguousarray(attractant, dtype=np.float64) if chemotaxis else _NONE_F
    stop = stop_on if stop_on is not None else _NONE_B
    claimed = np.zeros(occupied.size, dtype=bool)
    for hop in range(int(substeps.max(initial=0))):
        act = walk_candidates(neighbours, occupied, sites, substeps, stopped, hop)
        if act.size == 0:
            break
        score = rng.random((act.size, 8))
        chemo = rng.random(act.size) < bias if chemotaxis else _NONE_B
        order = rng.permutation(act.size)
        walk_resolve(neighbours, occupied, sites, stopped, act, score, chemo, attract, order, stop, claimed)
    return sites
