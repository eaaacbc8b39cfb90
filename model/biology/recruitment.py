"""Immune recruitment: new cells enter the tissue at free tumor-inflamed vessel sites.

Leukocytes extravasate only at vessels the tumor has inflamed
(:mod:`model.biology.inflamed_vessels`), so the immune dose follows the tumor,
not the size of the window. Each step every immune type arrives as a Poisson
number per inflamed vessel site, in
the order CD8, Treg, neutrophil, macrophage. Influx scales with host immune
health and the circulating marrow output (:mod:`model.biology.marrow`). CD8
influx needs priming by tumor antigen and rises with interferon at the
vessels, M1 macrophages, vaccines and immunogenic death; Treg influx is in
:mod:`model.biology.treg`; myeloid influx follows the tumor burden.
"""

from __future__ import annotations

from typing import Any

import mesa

from ..engine.parameters import hill_of_float
from ..engine.reductions import array_mean
from . import treg
from .inflamed_vessels import update_entry_sites
from .interferon_irf7 import interferon_signal
from .cells import CD8TCell, Macrophage, Neutrophil, RegulatoryTCell, TumorCell
from .macrophages import m1_count

__all__ = ["recruit", "add_immune_cells"]

# from this many arrivals on, one bulk creation (a few numpy calls) is cheaper than one
# constructor call per cell (~5 us each); a 100 x 100 step recruits one or two cells
_BULK_FROM = 8


def recruit(model: mesa.Model) -> None:
    """Draw this step's arrivals of every immune type and place them on free inflamed vessel sites."""
    entry = update_entry_sites(model)
    n_vessels = entry.size
    if n_vessels == 0:
        return
    tumor = model.populations[TumorCell]
    n_tumor = len(tumor)
    health = model.p.host.immune_health
    # CXCL9/10 at the entry vessels follow both interferons
    # means as ndarray.mean computes them, without its Python wrapper (reductions.array_mean)
    ifn_v = array_mean(interferon_signal(model, entry))
    cyt_v = array_mean(model.fields["cytokine"].values.ravel()[entry])
    mean_antigen = array_mean(tumor["antigenicity"]) if n_tumor else 0.0
    n_m1 = m1_count(model)
    mod = model.modifiers
    cp, npar, mp = model.p.cd8, model.p.neutrophil, model.p.macrophage

    priming = mean_antigen * n_tumor / (n_tumor + cp.antigen_priming_ec50)
    cd8 = (
        cp.recruitment_per_vessel_per_hour
        * health
        * model.lymphoid.circulating
        * priming
        * (1.0 + cp.interferon_recruitment_boost_max * hill_of_float(ifn_v))
        * (1.0 + mp.m1_recruitment_help * n_m1)
        * mod.cd8_recruitment_factor
        * (1.0 + mod.immunogenic_death_boost)
    )
    tregs = treg.recruitment_rate(model, cyt_v)
    tumor_signal = n_tumor / (n_tumor + npar.tumor_recruitment_ec50)
    neut = npar.recruitment_per_vessel_per_hour * health * model.myeloid.circulating * tumor_signal
    macro = mp.recruitment_per_vessel_per_hour * health * model.myeloid.circulating * tumor_signal
    for cls, rate in ((CD8TCell, cd8), (RegulatoryTCell, tregs), (Neutrophil, neut), (Macrophage, macro)):
        add_immune_cells(model, cls, int(model.rng.poisson(max(rate, 0.0) * n_vessels * model.dt)))


def add_immune_cells(model: mesa.Model, cls: type, n: int, **state: Any) -> int:
    """Put up to ``n`` new immune cells of type ``cls`` on free tumor-inflamed vessel sites; return how many entered."""
    sites = model.entry_sites
    if n <= 0 or sites.size == 0:
        return 0
    free = sites[~model.immune_occupied[sites]]
    if free.size == 0:
        return 0
    chosen = model.rng.choice(free, size=min(n, free.size), replace=False)
    if chosen.size >= _BULK_FROM:
        cls.create_many(model, chosen, **state)  # the same agents, ids and rows, in bulk
    else:
        for s in chosen.tolist():
            cls(model, s, **state)
    model.counters[f"recruited_{cls.__name__}"] += int(chosen.size)
    return int(chosen.size)
