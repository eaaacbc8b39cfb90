"""Tumor growth: seeding, division, contact inhibition, immunoediting, hypoxia and necrosis.

A tumor cell divides into a free neighbouring site (contact inhibition when
none is free), faster with oncostatin M and nearby M2 macrophages, slower with
interferon, drug brakes and hypoxia. Daughters may lose antigen (immunoediting:
a new clone). Cells carrying lethal radiation damage, or hit by a cytotoxic
drug, die at mitosis. Beyond the oxygen diffusion limit from every vessel,
cells divide less and may die (necrosis, off by default). Every tumor cell
secretes the suppressive cytokine.
"""

from __future__ import annotations

import mesa
import numpy as np
from scipy import ndimage

from ..engine.kernels import bit_stream
from ..engine.parameters import rate_to_probability, step_probability
from ..engine.rule_kernels import division_candidates, division_rates, division_winners
from .cells import TumorCell, kill_tumor_at, record_tumor_death

_NO_MAP = np.zeros(0)  # no M2 map / no hypoxia brake: the division kernel skips that factor
_NO_FLAGS = np.zeros(0, dtype=np.bool_)

__all__ = [
    "seed_tumor",
    "hypoxic_sites",
    "contact_map",
    "necrosis",
    "division_rate_per_hour",
    "max_division_rate",
    "divide",
    "secrete_cytokine",
]


def seed_tumor(model: mesa.Model) -> None:
    """The initial disc of ``tumor.initial_radius_sites`` at the centre (at least one cell)."""
    tp = model.p.tumor
    lat = model.lattice
    cx, cy = (lat.width - 1) / 2.0, (lat.height - 1) / 2.0
    x, y = lat.xy(np.arange(lat.n_sites))
    inside = np.flatnonzero((x - cx) ** 2 + (y - cy) ** 2 <= tp.initial_radius_sites**2)
    if inside.size == 0 and tp.initial_radius_sites >= 0:
        inside = np.array([lat.site(int(cx), int(cy))])
    antigen = np.clip(model.rng.normal(tp.mean_antigenicity, tp.antigenicity_sd, inside.size), 0.0, 1.0)
    irf7 = model.rng.random(inside.size) >= tp.irf7_silenced_fraction
    TumorCell.create_many(model, inside, antigenicity=antigen, irf7_intact=irf7, clone=0, born_hours=0.0)


def hypoxic_sites(model: mesa.Model) -> np.ndarray:
    """Sites farther than ``tumor.hypoxia_distance_um`` from every vessel site.

    Vessels are fixed, so the distance map is computed once (exact Euclidean
    distance transform). Without any vessel site every site counts as hypoxic:
    the window then has no blood supply.
    """
    if model.vessel_sites.size == 0:
        return np.ones(model.is_vessel.size, dtype=bool)
    grid = ~model.is_vessel.reshape(model.lattice.width, model.lattice.height)
    distance_um = ndimage.distance_transform_edt(grid) * model.p.lattice.site_size_um
    return (distance_um > model.p.tumor.hypoxia_distance_um).ravel()


def contact_map(model: mesa.Model) -> np.ndarray:
    """Flat bool: sites at or next to a tumor cell (where immune cells stop and engage)."""
    return model.lattice.dilate(model.tumor_present)


def necrosis(model: mesa.Model) -> None:
    """Cells beyond the oxygen diffusion limit die (off unless ``tumor.necrosis_rate_per_hour`` > 0)."""
    rate = model.p.tumor.necrosis_rate_per_hour
    pop = model.populations[TumorCell]
    if rate <= 0 or len(pop) == 0:
        return  # no random draws when off, so runs without necrosis keep their streams
    starving = np.flatnonzero(model.hypoxic[pop["site"]])
    if starving.size == 0:
        return
    die = starving[model.rng.random(starving.size) < rate_to_probability(rate, model.dt)]
    if die.size:
        kill_tumor_at(model, pop["site"][die], "necrosis")


def division_rate_per_hour(model: mesa.Model, sites: np.ndarray) -> np.ndarray:
    """Division hazard at ``sites`` with OSM, M2 support, interferon, drug and hypoxia brakes."""
    tp = model.p.tumor
    base = tp.division_rate_per_hour * model.modifiers.proliferation_factor
    m2 = model.m2_near if tp.m2_division_boost_max > 0 and model.m2_near is not None else _NO_MAP
    hypoxic = model.hypoxic if tp.hypoxic_division_factor < 1.0 else _NO_FLAGS
    sites = np.asarray(sites, dtype=np.int64).reshape(-1)
    # compiled (rule_kernels.division_rates): the factors in their order, in one pass; OSM as
    # effective_osm gives it, IFN-gamma the cytostatic one (QSPIO)
    return division_rates(sites, model.fields["osm"].values.ravel(), 1.0 - model.modifiers.osm_neutralization,
                          model.fields["ifn_gamma"].values.ravel(), float(base), float(tp.osm_division_boost_max),
                          float(tp.interferon_division_inhibition_max), float(tp.m2_division_boost_max), m2,
                          float(tp.hypoxic_division_factor), hypoxic)


def max_division_rate(model: mesa.Model) -> float:
    """Upper bound of :func:`division_rate_per_hour` over all sites (for thinning)."""
    tp = model.p.tumor
    return (
        tp.division_rate_per_hour
        * model.modifiers.proliferation_factor
        * (1.0 + tp.osm_division_boost_max)
        * (1.0 + tp.m2_division_boost_max)
    )


def divide(model: mesa.Model) -> None:
    """Tumor cells divide into free neighbouring sites; mutants lose antigen; doomed cells die at mitosis."""
    pop = model.populations[TumorCell]
    n = len(pop)
    if n == 0:
        return
    # thinning: draw against the largest possible rate, then accept with the
    # true rate, so only candidate dividers pay for the full rate calculation
    p_max = step_probability(max_division_rate(model), model.dt)
    if p_max <= 0:
        return
    # candidates: the thinning draw, then contact inhibition (a free Moore neighbour; debris of
    # killed cells still fills its site). Compiled, with numpy's draws in numpy's order
    gen = bit_stream(model.rng)
    lattice = model.lattice
    candidates, sites, free = division_candidates(
        gen, n, p_max, pop["site"], lattice.neighbours, model.tumor_present, model.debris
    )
    if candidates.size == 0:
        return
    p_true = rate_to_probability(division_rate_per_hour(model, sites), model.dt)
    # acceptance with the true rate, a random free neighbour each, claims in a random order
    parents, target = division_winners(gen, p_true, p_max, candidates, sites, free, lattice.neighbours,
                                       lattice.claim_scratch)
    if parents.size == 0:
        return
    model.counters["divisions"] += int(parents.size)

    # cells carrying lethal radiation damage or hit by a cytotoxic drug die at mitosis
    doomed = pop["lethally_irradiated"][parents].copy()
    if model.modifiers.division_kill_probability > 0:
        chemo = model.rng.random(parents.size) < model.modifiers.division_kill_probability
        record_tumor_death(model, "chemotherapy", int((chemo & ~doomed).sum()))
        doomed_chemo = chemo & ~doomed
    else:
        doomed_chemo = np.zeros(parents.size, dtype=bool)
    record_tumor_death(model, "radiotherapy", int(doomed.sum()))
    dying = doomed | doomed_chemo

    # immunoediting: a mutant daughter loses part of its antigen and founds a new clone
    tp = model.p.tumor
    antigen = pop["antigenicity"][parents].copy()
    mutate = model.rng.random(parents.size) < tp.mutation_probability
    antigen[mutate] *= 1.0 - tp.antigen_loss_fraction
    irf7 = pop["irf7_intact"][parents].copy()
    clone = pop["clone"][parents].copy()
    clone[mutate] = model.next_clone_ids(int(mutate.sum()))
    born = model.hours
    live = ~dying
    TumorCell.create_many(model, target[live], antigenicity=antigen[live], irf7_intact=irf7[live],
                          clone=clone[live], born_hours=born)
    if dying.any():
        model.tissue.kill(TumorCell, parents[dying])


def secrete_cytokine(model: mesa.Model) -> None:
    """Every tumor cell adds the suppressive cytokine at its site."""
    pop = model.populations[TumorCell]
    if len(pop) == 0:
        return
    sites = pop["site"]
    model.tissue.secrete("cytokine", sites, model.p.tumor.cytokine_secretion_per_hour)
