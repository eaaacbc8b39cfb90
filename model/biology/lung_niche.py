"""The lung: where most circulating 4T1 cells arrest first, and colonise or are cleared.

Each tumor cell that leaves the primary through a vessel (:func:`model.biology.metastasis.disseminate`)
lodges in the lung capillaries as a single-cell cluster with probability
``lung.seeding_probability`` (first-pass arrest; drawn independently of the bone
seeding, so one circulating cell may seed both organs). Clusters grow at
``lung.division_rate_per_hour`` and are cleared by NK/CD8 surveillance at
``immune_health * lung.surveillance_per_hour``; a cluster reaching
``lung.detection_cells`` is a lung metastasis. The birth-death mechanics and the
lung's own random stream are shared with the bone (:mod:`model.biology.metastatic_colonies`).

What is *not* here: the IFN-gamma-dependent phagocytes that Pulaski et al. (2002) found
to control 4T1 lung metastasis act at the primary in this model (M1 macrophages, which
IFN-gamma polarises), not in the lung; so the model's answer to an IFN-gamma knockout
host comes from the primary alone (held-out row H4, ``experiments/validation/lung_h4.py``).
"""

from __future__ import annotations

import mesa

from .metastatic_colonies import Colonies

__all__ = ["LungNiche", "step_lung"]


class LungNiche(Colonies):
    """Clusters of disseminated tumor cells in the lung."""

    def lodge(self, circulating: int, seeding_probability: float) -> int:
        """Each of ``circulating`` cells arrests and seeds with ``seeding_probability``; returns the seeds."""
        seeds = int(self.rng.binomial(int(circulating), float(seeding_probability))) if circulating else 0
        self.add_clusters(seeds)
        return seeds

    def step(self, p, dt: float, immune_health: float, hours: float) -> None:
        """Advance every cluster by ``dt`` hours (``p``: the ``lung`` parameter group)."""
        if self.sizes.size:
            self.advance(p.division_rate_per_hour, immune_health * p.surveillance_per_hour, dt, p.detection_cells,
                         hours)


def step_lung(model: mesa.Model) -> None:
    """Advance the model's lung clusters by one step (host immunity)."""
    model.lung.step(model.p.lung, model.dt, model.p.host.immune_health, model.hours + model.dt)
