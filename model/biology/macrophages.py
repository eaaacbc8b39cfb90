"""Tumor-associated macrophages: polarisation, M1 killing and help, M2 support.

Macrophages polarise to M1 with interferon or to M2 with the suppressive
cytokine and oncostatin M. M1 cells kill tumor cells on contact, release
interferon-inducing signals and help T-cell influx; M2 cells secrete the
suppressive cytokine and support tumor division nearby (:func:`m2_support_map`).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.lattice import random_choice_per_row
from ..engine.parameters import hill, rate_to_probability
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
    return int((model.populations[Macrophage]["polarization"] == M1).sum())


def step_macrophages(model: mesa.Model) -> None:
    """Macrophages die, polarise, kill (M1) or secrete cytokine (M2), and home to the tumor."""
    mp = model.p.macrophage
    pop = model.populations[Macrophage]
    if len(pop) == 0:
        return
    dead = np.flatnonzero(model.rng.random(len(pop)) < rate_to_probability(mp.death_rate_per_hour, model.dt))
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
    u = model.rng.random(n)
    go_m1 = (pol != M1) & (u < to_m1)
    go_m2 = (pol != M2) & ~go_m1 & (model.rng.random(n) < to_m2)
    pol[go_m1] = M1
    pol[go_m2] = M2

    m1 = np.flatnonzero(pol == M1)
    if m1.size:
        nb = model.lattice.neighbours[sites[m1]]
        has_tumor = nb >= 0
        has_tumor[has_tumor] = model.tumor_present[nb[has_tumor]]
        engaged = has_tumor.any(axis=1)
        rows = m1[engaged]
        if rows.size:
            target = nb[engaged][np.arange(rows.size), random_choice_per_row(has_tumor[engaged], model.rng)]
            hit = model.rng.random(rows.size) < rate_to_probability(mp.m1_kill_rate_per_hour, model.dt)
            if hit.any():
                kill_tumor_at(model, np.unique(target[hit]), "macrophage")
        model.tissue.secrete("ifn_gamma", sites[m1], mp.m1_interferon_secretion_per_hour)
    m2 = pol == M2
    if m2.any():
        model.tissue.secrete("cytokine", sites[m2], mp.m2_cytokine_secretion_per_hour)
    home_to_tumor(model, Macrophage, mp.speed_um_per_min)
