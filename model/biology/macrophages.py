"""Tumor-associated macrophages: polarisation, M1 killing and help, M2 support.

Macrophages polarise to M1 with interferon or to M2 with the suppressive
cytokine and oncostatin M. M1 cells kill tumor cells on contact, release
interferon-inducing signals and help T-cell influx; M2 cells secrete the
suppressive cytokine and support tumor division nearby (:func:`m2_support_map`).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.parameters import hill, rate_to_probability, step_probability
from ..engine.rule_kernels import indices_below_all, m1_hits, polarize
from .cells import M1, M2, Macrophage, kill_tumor_at
from .motility import home_to_tumor
from .neutrophils_osm import effective_osm

__all__ = ["m2_support_map", "m1_count", "step_macrophages"]


def m2_support_map(model: mesa.Model) -> np.ndarray | None:
    """Flat bool map, True at and next to an M2 macrophage (``None`` when there is none).

    Kept as bool: division reads ``1 + boost * map[sites]`` (True reads as 1.0), so a
    lattice-wide float copy per step bought nothing."""
    macro = model.populations[Macrophage]
    m2 = macro["polarization"] == M2
    if not m2.any():
        return None
    return model.lattice.dilate_sites(macro["site"][m2])


def m1_count(model: mesa.Model) -> int:
    """Number of M1 macrophages (each helps T-cell influx)."""
    return int(np.count_nonzero(model.populations[Macrophage]["polarization"] == M1))


def step_macrophages(model: mesa.Model) -> None:
    """Macrophages die, polarise, kill (M1) or secrete cytokine (M2), and home to the tumor."""
    mp = model.p.macrophage
    pop = model.populations[Macrophage]
    if len(pop) == 0:
        return
    # draws, switches and contact tests are compiled (model.engine.rule_kernels), same stream
    gen = bit_stream(model.rng)
    dead = indices_below_all(gen, len(pop), step_probability(mp.death_rate_per_hour, model.dt))
    if dead.size:
        model.tissue.kill(Macrophage, dead)
    n = len(pop)
    if n == 0:
        return
    sites = pop["site"]
    ifn = model.fields["ifn_gamma"].values.ravel()[sites]  # classical (M1) activation by IFN-gamma
    cyt = model.fields["cytokine"].values.ravel()[sites]
    osm = effective_osm(model, sites)
    pol = pop["polarization"]
    to_m1 = rate_to_probability(mp.m1_polarization_rate_per_hour * hill(ifn), model.dt)
    to_m2 = rate_to_probability(mp.m2_polarization_rate_per_hour * hill(cyt + osm), model.dt)
    polarize(gen, pol, to_m1, to_m2, M1, M2)  # to M1 (not M1 already), else to M2 (not M2 already)

    # M1 cells next to (or on) a tumor cell pick one and kill it with the M1 kill hazard
    m1, hit = m1_hits(gen, model.lattice.neighbours, model.tumor_present, sites, pol, M1,
                      step_probability(mp.m1_kill_rate_per_hour, model.dt))
    if m1.size:
        if hit.size:
            kill_tumor_at(model, hit, "macrophage")
        model.tissue.secrete("ifn_gamma", sites[m1], mp.m1_interferon_secretion_per_hour)
    m2 = pol == M2
    if m2.any():
        model.tissue.secrete("cytokine", sites[m2], mp.m2_cytokine_secretion_per_hour)
    home_to_tumor(model, Macrophage, mp.speed_um_per_min)
