"""The bone metastatic niche: where disseminated cells colonise or are cleared.

Seeds (disseminated tumor cells that survive the circulation, see
:func:`model.biology.metastasis.disseminate`) lodge in the bone marrow as single-cell clusters.
Each cluster is a stochastic birth-death process: its cells divide at
``bone.division_rate_per_hour`` and are killed by NK/CD8 surveillance at

    immune_health * (surveillance_basal + surveillance_ifn_max * hill(IFN_I)),

where ``IFN_I`` is the type-I interferon around the cluster: the level an
IRF7-intact cluster sustains itself (``bone.irf7_type1_ifn``) plus systemic
interferon dosing. This is the mechanism of Bidwell et al. (2012): 4T1.2 cells
that silence IRF7 escape NK/CD8 surveillance in bone; restoring IRF7 or giving
interferon blocks bone metastasis, but not in hosts lacking the IFN receptor,
NK or CD8 cells (here: ``host.immune_health = 0``). A cluster reaching
``bone.detection_cells`` is a bone metastasis; the first such time is the
metastasis-free time.

The clusters' birth-death mechanics and their own random stream are shared with
the lung (:mod:`model.biology.metastatic_colonies`).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.parameters import hill
from .metastatic_colonies import Colonies

__all__ = ["BoneNiche", "surveillance_rate", "step_bone"]


def surveillance_rate(p, ifn, immune_health: float = 1.0):
    """Per-cell NK/CD8 kill rate (1/h) of a cluster at type-I IFN ``ifn`` (EC50 units):
    ``immune_health * (surveillance_basal + surveillance_ifn_max * hill(ifn))`` (``p``: the ``bone`` group)."""
    return immune_health * (p.surveillance_basal_per_hour + p.surveillance_ifn_max_per_hour * hill(ifn))


class BoneNiche(Colonies):
    """Clusters of disseminated tumor cells in the bone marrow (sizes, IRF7 status).

    Args:
        rng: the niche's own random stream (the model passes one spawned from ``model.rng``).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        self.irf7_intact = np.zeros(0, dtype=bool)

    def seed(self, irf7_intact: np.ndarray) -> None:
        """Lodge one single-cell cluster per arriving cell (``irf7_intact``: their IRF7 status)."""
        irf7_intact = np.asarray(irf7_intact, dtype=bool)
        self.add_clusters(irf7_intact.size)
        self.irf7_intact = np.concatenate([self.irf7_intact, irf7_intact])

    def restore_irf7(self, fraction: float) -> None:
        """IRF7 re-expression reaches ``fraction`` of the clusters too."""
        self.irf7_intact |= self.rng.random(self.sizes.size) < fraction

    def step(self, p, dt: float, immune_health: float, systemic_ifn: float, hours: float) -> None:
        """Advance every cluster by ``dt`` hours (binomial births and surveillance deaths).

        Args:
            p: the ``bone`` parameter group.
            systemic_ifn: dosed type-I interferon reaching the marrow (EC50 units).
        """
        if self.sizes.size == 0:
            return
        ifn = np.where(self.irf7_intact, p.irf7_type1_ifn, 0.0) + systemic_ifn
        alive = self.advance(p.division_rate_per_hour, surveillance_rate(p, ifn, immune_health), dt,
                             p.detection_cells, hours)
        self.irf7_intact = self.irf7_intact[alive]


def step_bone(model: mesa.Model) -> None:
    """Advance the model's bone niche by one step (host immunity, dosed type-I IFN)."""
    model.bone.step(
        model.p.bone,
        model.dt,
        model.p.host.immune_health,
        model.modifiers.systemic_interferon * model.p.bone.dosing_to_marrow,
        model.hours + model.dt,
    )
