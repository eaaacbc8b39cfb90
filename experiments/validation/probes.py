"""Per-step read-outs and set-ups of validation runs (runner ``probe`` / ``setup`` hooks).

:func:`record_exposures` is the ``probe`` of tracked validation runs: before every
step (and after the last) it records hazard-level read-outs of the current state
(engaged T-cells, expected kills, expected disseminated cells ...) and the running
recruitment counters; each becomes a column of the run's time series.
:func:`sparse_layout` is the ``setup`` of the clonogenic growth experiment. Both are
module-level functions so a process pool can pickle them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from model import CD8TCell, RegulatoryTCell, TumorCell, TumorImmuneModel, hill, rate_to_probability

__all__ = ["EXPOSURE_KEYS", "RECRUITED", "tumor_with_space", "exposures", "record_exposures", "record_recruitment",
           "sparse_layout"]

RECRUITED = ("CD8TCell", "RegulatoryTCell", "Neutrophil", "Macrophage")
"""Cell types whose running recruitment counts (``recruited_<type>``) tracked runs record."""


def tumor_with_space(model: TumorImmuneModel) -> int:
    """Tumor cells with at least one free neighbour site (the ones that may divide)."""
    pop = model.populations[TumorCell]
    if len(pop) == 0:
        return 0
    nb = model.lattice.neighbours[pop["site"], :8]
    ok = nb >= 0
    free = np.zeros(nb.shape, dtype=bool)
    free[ok] = ~model.tumor_present[nb[ok]]
    return int(free.any(axis=1).sum())


def sparse_layout(model: TumorImmuneModel, spacing: int) -> None:
    """Replace the tumor by isolated single cells (same antigenicity draw as the model's seeding).

    A runner ``setup`` hook. The data collector's day-0 row still shows the tumor the
    model was built with; read the colony sizes from the probed ``live_tumor_cells``
    (:func:`record_exposures`), whose first value is taken after this layout.
    """
    pop = model.populations[TumorCell]
    for agent in list(pop.agents[: len(pop)]):
        agent.remove()
    tp = model.p.tumor
    lat = model.lattice
    half = spacing // 2
    xs = np.arange(half, lat.width, spacing)
    ys = np.arange(half, lat.height, spacing)
    for x in xs.tolist():
        for y in ys.tolist():
            a = float(np.clip(model.rng.normal(tp.mean_antigenicity, tp.antigenicity_sd), 0.0, 1.0))
            TumorCell(model, int(lat.site(x, y)), antigenicity=a,
                      irf7_intact=bool(model.rng.random() >= tp.irf7_silenced_fraction), clone=0, born_hours=0.0)


# ``cd8_hitting``: T-cells next to a tumor cell, not exhausted and not arrested on a kill (the ones that may
# hit this step); the model's own ``cd8_engaged`` column also counts the arrested ones, hence another name.
EXPOSURE_KEYS = (
    "cd8_hitting", "tumor_with_space", "treg_exposed", "treg_capacity_lost", "cytokine_capacity_lost",
    "expected_hits", "expected_hit_antigen", "expected_hits_x_mean_antigen", "vessel_tumor",
    "expected_disseminated", "expected_seeds", "ifn_seed_factor_sum",
)


def exposures(model: TumorImmuneModel) -> dict[str, float]:
    """Hazard-level read-outs of the current state (recorded before each step).

    They mirror the rules in the CD8 killing rule (``CD8TCell.step_population``) (kill hazard of an
    engaged T-cell: antigen, PD-L1, Treg proximity, cytokine) and
    the dissemination rule of tumor cells (intravasation hazard and seeding probability
    of a tumor cell on a vessel site). Summed over a run they give *expected* kills,
    disseminated cells and seeds -- Rao-Blackwellised counts without the Poisson noise of the
    events themselves. ``tests/experiments/validation/test_validation_biology.py`` checks them against the counted
    events, so a change of the rules that is not mirrored here fails loudly.
    """
    p = model.p
    dt = model.dt
    out = dict.fromkeys(EXPOSURE_KEYS, 0.0)
    out["tumor_with_space"] = float(tumor_with_space(model))
    cd8 = model.populations[CD8TCell]
    tumor = model.populations[TumorCell]
    if len(cd8) and len(tumor):
        nb = model.lattice.neighbours[cd8["site"]]
        ok = nb >= 0
        has = np.zeros(nb.shape, dtype=bool)
        has[ok] = model.tumor_present[nb[ok]]
        # a T-cell arrested on the target it just killed neither hits nor moves (cd8.post_kill_arrest_hours).
        # The probe runs before the step, whose clock reads one dt later (Mesa advances `steps` first)
        arrested = cd8["arrested_until_hours"] > model.hours + dt
        engaged = has.any(axis=1) & ~cd8["exhausted"] & ~arrested
        if engaged.any():
            sites = cd8["site"][engaged]
            shape = (model.lattice.width, model.lattice.height)
            treg = model.populations[RegulatoryTCell]
            if len(treg):
                r = p.treg.suppression_radius_sites
                mask = np.zeros(model.lattice.n_sites, dtype=bool)
                mask[treg["site"]] = True
                near = ndimage.maximum_filter(mask.reshape(shape), size=2 * r + 1).ravel()[sites].astype(float)
            else:
                near = np.zeros(sites.size)
            cyt = hill(model.fields["cytokine"].values.ravel()[sites])
            treg_sup = p.cd8.treg_suppression_max * near
            cyt_sup = p.cd8.cytokine_suppression_max * cyt
            # expected hit probability: mean over the adjacent tumor targets of each engaged T-cell
            tnb = nb[engaged]
            thas = has[engaged]
            safe = np.where(thas, tnb, 0)
            antigen = tumor["antigenicity"][np.maximum(tumor.row_at[safe], 0)]
            antigen = np.where(cd8["car_t"][engaged][:, None], 1.0, antigen)
            pd_l1 = model.tumor_pd_l1(safe.ravel()).reshape(safe.shape) * (1.0 - model.modifiers.pd1_blockade)
            rate = (p.cd8.kill_rate_per_hour * antigen * (1.0 - p.cd8.pd1_inhibition_max * pd_l1)
                    * ((1.0 - treg_sup) * (1.0 - cyt_sup))[:, None])
            # a T-cell whose stored target is still adjacent hits it (cd8.sticky_targets); the others pick
            # uniformly among their adjacent tumor cells
            keep = (tnb == cd8["target_site"][engaged][:, None]) & thas
            weight = np.where(keep.any(axis=1)[:, None], keep, thas / thas.sum(axis=1)[:, None])
            # expected hits per step = hazard x dt (hits are Poisson counts, model.biology.cd8)
            pkj = np.where(thas, rate * dt, 0.0) * weight
            pk = pkj.sum(axis=1)
            out.update(
                cd8_hitting=float(engaged.sum()),
                treg_exposed=float(near.sum()),
                treg_capacity_lost=float(treg_sup.sum()),
                cytokine_capacity_lost=float(((1.0 - treg_sup) * cyt_sup).sum()),
                expected_hits=float(pk.sum()),
                # antigenicity of the expected hits vs the tumor's mean (immunoediting's selection differential)
                expected_hit_antigen=float((pkj * antigen).sum()),
                expected_hits_x_mean_antigen=float(pk.sum() * tumor["antigenicity"].mean()),
            )
    tp = p.tumor
    if tp.dissemination_rate_per_hour > 0 and len(tumor):
        vs = model.vessel_sites[model.tumor_present[model.vessel_sites]]
        if vs.size:
            osm = hill(model.effective_osm(vs))
            ifn = hill(model.fields["interferon"].values.ravel()[vs])
            leave = rate_to_probability(tp.dissemination_rate_per_hour * (1.0 + tp.osm_invasion_boost_max * osm), dt)
            factor = 1.0 - tp.interferon_seeding_inhibition_max * ifn
            p_seed = np.minimum(tp.seeding_probability * (1.0 + tp.osm_seeding_boost_max * osm) * factor, 1.0)
            out.update(
                vessel_tumor=float(vs.size),
                expected_disseminated=float(leave.sum()),
                expected_seeds=float((leave * p_seed).sum()),
                ifn_seed_factor_sum=float(factor.sum()),
            )
    return out


def record_exposures(model: TumorImmuneModel) -> dict[str, float]:
    """The probe of tracked runs: :func:`exposures`, running recruitment counts, live tumor cells."""
    out = exposures(model)
    for name in RECRUITED:
        out[f"recruited_{name}"] = float(model.counters[f"recruited_{name}"])
    out["live_tumor_cells"] = float(model.tumor_cell_count)
    return out


def record_recruitment(model: TumorImmuneModel) -> dict[str, float]:
    """A light probe: only the running recruitment counts (``recruited_<type>``), no hazard read-outs."""
    return {f"recruited_{name}": float(model.counters[f"recruited_{name}"]) for name in RECRUITED}
