"""Metastasis: tumor cells on vessel sites intravasate; some of them seed metastases.

Oncostatin M raises both the intravasation hazard and the seeding chance;
type-I interferon at the site lowers the seeding chance. Disseminated cells leave
the window and are counted (``disseminated_cells``, ``metastatic_seeds``); the
seeds lodge in the bone niche (:mod:`model.biology.bone_niche`) with their IRF7 status,
and every disseminated cell may also arrest in the lung (:mod:`model.biology.lung_niche`).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.parameters import hill, rate_to_probability
from .cells import TumorCell
from .neutrophils_osm import effective_osm

__all__ = ["disseminate"]


def disseminate(model: mesa.Model) -> None:
    """Tumor cells on vessel sites leave with the OSM-boosted hazard; count seeds."""
    tp = model.p.tumor
    if tp.dissemination_rate_per_hour <= 0:
        return
    pop = model.populations[TumorCell]
    vessel_sites = model.vessel_sites
    rows = pop.row_at[vessel_sites]
    on_vessel = rows >= 0
    if not on_vessel.any():
        return
    rows, sites = rows[on_vessel], vessel_sites[on_vessel]
    osm = effective_osm(model, sites)
    rate = tp.dissemination_rate_per_hour * (1.0 + tp.osm_invasion_boost_max * hill(osm))
    leave = model.rng.random(rows.size) < rate_to_probability(rate, model.dt)
    if not leave.any():
        return
    rows, sites = rows[leave], sites[leave]
    ifn = model.fields["interferon"].values.ravel()[sites]
    p_seed = tp.seeding_probability
    p_seed = p_seed * (1.0 + tp.osm_seeding_boost_max * hill(effective_osm(model, sites)))
    p_seed = p_seed * (1.0 - tp.interferon_seeding_inhibition_max * hill(ifn))
    seeds = model.rng.random(rows.size) < np.minimum(p_seed, 1.0)
    model.bone.seed(pop["irf7_intact"][rows[seeds]])
    model.lung.lodge(rows.size, model.p.lung.seeding_probability)  # the lung's own stream
    model.counters["disseminated_cells"] += int(rows.size)
    model.counters["metastatic_seeds"] += int(seeds.sum())
    model.tissue.kill(TumorCell, rows)
