"""Neutrophils and oncostatin M (OSM).

Short-lived neutrophils home to the tumor; on tumor contact they become
activated and secrete OSM (Queen et al. 2005). OSM speeds tumor division and
escape into vessels (read through :func:`effective_osm`, which subtracts what
an anti-OSM antibody neutralises).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.parameters import step_probability
from ..engine.rule_kernels import indices_below_all
from .cells import Neutrophil
from .motility import home_to_tumor

__all__ = ["effective_osm", "step_neutrophils"]


def effective_osm(model: mesa.Model, sites: np.ndarray) -> np.ndarray:
    """Oncostatin M at ``sites`` not neutralised by anti-OSM antibody (field units)."""
    return model.fields["osm"].values.ravel()[sites] * (1.0 - model.modifiers.osm_neutralization)


def step_neutrophils(model: mesa.Model) -> None:
    """Neutrophils die (half-life), activate on tumor contact, secrete OSM when active, and home."""
    npar = model.p.neutrophil
    pop = model.populations[Neutrophil]
    if len(pop) == 0:
        return
    death_rate = np.log(2.0) / npar.half_life_hours
    # np.flatnonzero(rng.random(n) < p) in one compiled call (same draws), here and for activation
    gen = bit_stream(model.rng)
    dead = indices_below_all(gen, len(pop), step_probability(death_rate, model.dt))
    if dead.size:
        model.tissue.kill(Neutrophil, dead)
    n = len(pop)
    if n == 0:
        return
    contact = model.tumor_contact[pop["site"]]
    resting = np.flatnonzero(contact & ~pop["activated"])
    turn = indices_below_all(gen, resting.size, step_probability(npar.activation_rate_per_hour, model.dt))
    pop["activated"][resting[turn]] = True
    act = pop["activated"]
    if act.any():
        model.tissue.secrete("osm", pop["site"][act], npar.osm_secretion_per_hour)
    home_to_tumor(model, Neutrophil, npar.speed_um_per_min)
