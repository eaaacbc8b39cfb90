"""Regulatory T-cells: where they are, how they get there, and how they suppress killing.

Everything about Treg suppression is here: the suppression map (sites within
``treg.suppression_radius_sites`` of a Treg), its effect on CD8 killing (a
factor ``1 - cd8.treg_suppression_max`` where the map is on), Treg recruitment
(boosted by the suppressive cytokine, lowered by depleting antibodies), and the
Treg step (death, chemotaxis, cytokine secretion).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.parameters import hill_of_float, step_probability
from ..engine.rule_kernels import indices_below_all
from .cells import RegulatoryTCell
from .interferon_irf7 import interferon_parts
from .motility import crawl

__all__ = ["suppression_map", "suppression_factor", "recruitment_rate", "step_tregs"]


def suppression_map(model: mesa.Model) -> np.ndarray | None:
    """Flat bool map, True within the suppression radius of any Treg (``None`` when there is none).

    Kept as bool (readers only index it, and ``factor * map[sites]`` reads True as 1.0):
    converting the whole lattice to float cost an 8-byte-per-site copy every step."""
    treg = model.populations[RegulatoryTCell]
    if not len(treg):
        return None
    return model.lattice.dilate_sites(treg["site"], model.p.treg.suppression_radius_sites)


def suppression_factor(model: mesa.Model, sites: np.ndarray) -> np.ndarray | float:
    """Multiplier on the CD8 kill hazard at ``sites``: ``1 - cd8.treg_suppression_max`` near a Treg, else 1.

    ``model.treg_near`` is the bool map of :func:`suppression_map` (a float 0/1 map gives the same)."""
    treg = model.treg_near[sites] if model.treg_near is not None else 0.0
    return 1.0 - model.p.cd8.treg_suppression_max * treg


def recruitment_rate(model: mesa.Model, cytokine_at_vessels: float) -> float:
    """Treg influx per vessel site per hour (cytokine-boosted, depletion-lowered)."""
    tp = model.p.treg
    return (
        tp.recruitment_per_vessel_per_hour
        * model.p.host.immune_health
        * model.lymphoid.circulating
        * (1.0 + tp.cytokine_recruitment_boost_max * hill_of_float(float(cytokine_at_vessels)))
        * model.modifiers.treg_recruitment_factor
    )


def step_tregs(model: mesa.Model) -> None:
    """Tregs die, follow the interferon-induced chemokines, and secrete the suppressive cytokine."""
    tp = model.p.treg
    pop = model.populations[RegulatoryTCell]
    if len(pop) == 0:
        return
    # np.flatnonzero(rng.random(n) < p) in one compiled call (same draws)
    dead = indices_below_all(bit_stream(model.rng), len(pop), step_probability(tp.death_rate_per_hour, model.dt))
    if dead.size:
        model.tissue.kill(RegulatoryTCell, dead)
    if len(pop) == 0:
        return
    rows = np.arange(len(pop))
    # CXCR3+ Tregs follow the same IFN-induced chemokines as effector T-cells
    # (Koch et al. 2009), so they gather where CD8 cells fight (Bos et al. 2013: tumor edge)
    crawl(model, RegulatoryTCell, rows, tp.speed_um_per_min, attractant=interferon_parts(model), bias=0.5)
    model.tissue.secrete("cytokine", pop["site"], tp.cytokine_secretion_per_hour)
