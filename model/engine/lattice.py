"""Lattice geometry and bulk movement.

Sites are numbered ``site = x * height + y`` so a flat index matches numpy
arrays of shape ``(width, height)`` (Mesa's property-layer layout). The table
``neighbours[site]`` lists the 8 Moore neighbours (``-1`` outside the walls)
followed by the site itself, so contact and free-space tests are one gather.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Lattice", "MOORE"]

MOORE = np.array([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)], dtype=np.int64)


class Lattice:
    """A ``width x height`` lattice of square sites with no-flux walls."""

    def __init__(self, width: int, height: int) -> None:
        self.width = int(width)
        self.height = int(height)
        self.n_sites = self.width * self.height
        xs, ys = np.divmod(np.arange(self.n_sites, dtype=np.int64), self.height)
        table = np.empty((self.n_sites, 9), dtype=np.int32)
        for k, (dx, dy) in enumerate(MOORE):
            nx, ny = xs + dx, ys + dy
            inside = (nx >= 0) & (nx < self.width) & (ny >= 0) & (ny < self.height)
            table[:, k] = np.where(inside, nx * self.height + ny, -1)
        table[:, 8] = np.arange(self.n_sites)
        self.neighbours = table

    def xy(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of flat site indices."""
        return np.divmod(np.asarray(sites, dtype=np.int64), self.height)

    def site(self, x, y):
        """Flat index of coordinates."""
        return np.asarray(x, dtype=np.int64) * self.height + np.asarray(y, dtype=np.int64)

    def any_in_moore(self, flags: np.ndarray, sites: np.ndarray, include_self: bool = True) -> np.ndarray:
        """For each site, whether ``flags`` (flat bool) holds at a Moore neighbour (or itself)."""
        nb = self.neighbours[sites] if include_self else self.neighbours[sites, :8]
        padded = np.append(flags, False)  # index -1 -> False
        return padded[nb].any(axis=1)


def random_choice_per_row(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick one True column per row uniformly at random (rows must have one True)."""
    score = rng.random(mask.shape)
    score[~mask] = -1.0
    return score.argmax(axis=1)


def step_walkers(
    lattice: Lattice,
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
        occupied: flat bool, sites another walker of the same layer holds; updated in place.
        sites: current flat sites of the walkers.
        substeps: hops allowed for each walker this step.
        attractant: flat field; with probability ``bias`` a hop goes to the free
            neighbour with the highest value (chemotaxis), else to a random free one.
        stop_on: flat bool; a walker that lands on such a site stops (e.g. tumor contact).

    Walkers hop in random order within a hop round; two walkers never share a site.
    """
    sites = sites.copy()
    if sites.size == 0:
        return sites
    stopped = np.zeros(sites.size, dtype=bool)
    for j in range(int(substeps.max(initial=0))):
        act = np.flatnonzero((substeps > j) & ~stopped)
        if act.size == 0:
            break
        nb = lattice.neighbours[sites[act], :8]
        free = nb >= 0
        free[free] = ~occupied[nb[free]]
        has = free.any(axis=1)
        act, nb, free = act[has], nb[has], free[has]
        if act.size == 0:
            break
        score = rng.random(free.shape)
        if attractant is not None and bias > 0:
            chemo = rng.random(act.size) < bias
            if chemo.any():
                vals = attractant[np.where(nb[chemo] >= 0, nb[chemo], 0)]
                score[chemo] = vals + 1e-9 * score[chemo]
        score[~free] = -np.inf
        choice = score.argmax(axis=1)
        target = nb[np.arange(act.size), choice]
        # random priority: the first walker (in shuffled order) to claim a site gets it
        order = rng.permutation(act.size)
        _, first = np.unique(target[order], return_index=True)
        win = order[first]
        movers, dest = act[win], target[win]
        occupied[sites[movers]] = False
        occupied[dest] = True
        sites[movers] = dest
        if stop_on is not None:
            stopped[movers] |= stop_on[dest]
    return sites
