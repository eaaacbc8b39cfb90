"""Metastatic colonies: clusters of disseminated tumor cells growing or cleared in a distant organ.

Each cluster is a linear birth-death process, advanced per step with binomial
births and deaths. The organ modules (:mod:`model.biology.bone_niche`,
:mod:`model.biology.lung_niche`) say where cells lodge and what kills them; this
module holds what they share. Every organ draws from its own random stream,
spawned from the model's at set-up (``Generator.spawn`` draws nothing from the
parent), so an organ-only change cannot move a single draw of the primary tumor.
"""

from __future__ import annotations

import numpy as np

from ..engine.parameters import rate_to_probability

__all__ = ["Colonies"]


class Colonies:
    """Clusters in one organ: their sizes, the first detection time and the number cleared.

    Args:
        rng: the organ's own random stream.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.sizes = np.zeros(0, dtype=np.int64)
        self.first_metastasis_hours: float = float("nan")
        self.cleared = 0

    @property
    def clusters(self) -> int:
        """Number of live clusters."""
        return int(self.sizes.size)

    @property
    def cells(self) -> int:
        """Tumor cells in the organ."""
        return int(self.sizes.sum())

    @property
    def metastasis(self) -> bool:
        """True once any cluster has reached the detection size."""
        return not np.isnan(self.first_metastasis_hours)

    def add_clusters(self, n: int) -> None:
        """Lodge ``n`` single-cell clusters."""
        self.sizes = np.concatenate([self.sizes, np.ones(int(n), dtype=np.int64)])

    def advance(self, division_rate: float, kill_rate: float | np.ndarray, dt: float, detection_cells: int,
                hours: float) -> np.ndarray:
        """Binomial births (``division_rate``, 1/h) and deaths (``kill_rate``, 1/h, scalar or per
        cluster) over ``dt`` hours; drops extinct clusters and returns the survivors' mask."""
        births = self.rng.binomial(self.sizes, float(rate_to_probability(division_rate, dt)))
        deaths = self.rng.binomial(self.sizes, rate_to_probability(kill_rate, dt))
        self.sizes = self.sizes + births - deaths
        alive = self.sizes > 0
        self.cleared += int((~alive).sum())
        self.sizes = self.sizes[alive]
        if not self.metastasis and self.sizes.size and self.sizes.max() >= detection_cells:
            self.first_metastasis_hours = hours
        return alive
