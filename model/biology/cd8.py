"""CD8 T-cells: killing, PD-1/PD-L1, exhaustion, IFN-gamma and chemotaxis.

A CD8 T-cell enters at vessel sites (see :mod:`model.biology.recruitment`),
crawls up the interferon gradient (CXCL9/10 chemotaxis) and stops on tumor
contact. On contact it delivers sublethal hits with a hazard set by the
target's antigenicity, PD-1/PD-L1 engagement, nearby Tregs
(:mod:`model.biology.treg`) and the suppressive cytokine; hits from one or
several T-cells add up and the target dies at ``cd8.hits_to_kill``, while
targets repair isolated hits (multi-hit killing, Weigelin et al. 2021). After a
kill the T-cell stays on its dead target for ``cd8.post_kill_arrest_hours``. It
secretes IFN-gamma while engaged; PD-L1 engagement drives exhaustion; it dies at
a basal (higher when exhausted) rate.
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.lattice import random_choice_per_row
from ..engine.parameters import hill, rate_to_probability, step_probabilities, step_probability
from ..engine.reductions import EXACT_SUMS
from ..engine.rule_kernels import (
    apply_hits,
    cd8_hit_rates,
    contact_and_engaged,
    indices_below,
    pd_l1_mean,
    repair_draws,
    sticky_choice,
)
from .cells import CD8TCell, TumorCell, kill_tumor_at
from .interferon_irf7 import interferon_parts, interferon_signal
from .motility import crawl

_NO_MAP = np.zeros(0)  # no Treg map: the kernel reads a suppression factor of 1

__all__ = ["tumor_pd_l1", "mean_tumor_pd_l1", "step_cd8", "repair_hits", "sticky_targets"]


def tumor_pd_l1(model: mesa.Model, sites: np.ndarray) -> np.ndarray:
    """PD-L1 engagement level (0-1) of tumor cells at ``sites``: baseline + interferon-induced.

    Both IFN-gamma and type-I IFN induce PD-L1 (JAK/STAT1-IRF1), so their sum counts.
    """
    tp = model.p.tumor
    ifn = interferon_signal(model, sites)
    return np.minimum(tp.pd_l1_baseline + tp.pd_l1_induced_max * hill(ifn, tp.pd_l1_interferon_ec50), 1.0)


def mean_tumor_pd_l1(model: mesa.Model) -> float:
    """Mean PD-L1 level over every tumor cell (NaN without tumor cells): ``tumor_pd_l1(...).mean()``
    bit for bit, in one compiled pass where numpy's sum order is known (the summary reads it every step)."""
    sites = model.populations[TumorCell]["site"]
    if sites.size == 0:
        return float("nan")
    tp = model.p.tumor
    if not EXACT_SUMS:  # pragma: no cover - a numpy that sums in another order
        return float(tumor_pd_l1(model, sites).mean())
    type1, gamma = interferon_parts(model)
    return float(pd_l1_mean(sites, type1, gamma, float(tp.pd_l1_baseline), float(tp.pd_l1_induced_max),
                            float(tp.pd_l1_interferon_ec50)))


def step_cd8(model: mesa.Model) -> None:
    """One step of every CD8 T-cell: death, kill/exhaust/secrete on contact, then crawl."""
    cp = model.p.cd8
    pop = model.populations[CD8TCell]
    if len(pop) == 0:
        return
    # the rules below are compiled (model.engine.rule_kernels): a 100 x 100 run has tens of
    # T-cells, so the step was dozens of numpy calls' overhead; the kernels draw the same stream
    gen = bit_stream(model.rng)
    p_exhausted, p_active = step_probabilities((cp.exhausted_death_rate_per_hour, cp.death_rate_per_hour), model.dt)
    dead = indices_below(gen, pop["exhausted"], p_exhausted, p_active)
    if dead.size:
        model.tissue.kill(CD8TCell, dead)
    n = len(pop)
    if n == 0:
        return
    sites = pop["site"].copy()
    # touching: next to (or on) a tumor cell and not exhausted; engaged: touching and not arrested,
    # for after a kill a CTL stays on its dead target, neither hitting nor moving (Breart et al. 2008)
    neighbours = model.lattice.neighbours
    has_tumor, touching, rows = contact_and_engaged(
        neighbours, model.tumor_present, sites, pop["exhausted"], pop["arrested_until_hours"], model.hours
    )
    repair_hits(model)
    if rows.size:
        # a CTL keeps hitting the target it engaged while that cell stays next to it (one synapse at a
        # time); only a T-cell whose target died or was never set picks a new adjacent tumor cell.
        # Re-picking among all neighbours every step spread hits over several cells that repaired them
        # (11 hits per kill at 3 hits to kill; issue 12, 2026-11-30). Same draws as sticky_targets.
        target = sticky_choice(gen, pop["target_site"], neighbours, sites, has_tumor, rows)
        pop["target_site"][rows] = target
        tumor_pop = model.populations[TumorCell]
        tp, mod = model.p.tumor, model.modifiers
        type1, gamma = interferon_parts(model)
        # hit hazard = kill rate x antigenicity (1 for CAR-T cells, which see a surface protein every
        # tumor cell carries) x PD-1/PD-L1 inhibition x Treg suppression x cytokine suppression
        # (tumor_pd_l1, treg.suppression_factor and hill, computed as they compute them)
        lam, exhaust_rate = cd8_hit_rates(
            rows, target, sites, pop["car_t"], tumor_pop["antigenicity"], tumor_pop.row_at, type1, gamma,
            model.fields["cytokine"].values.ravel(),
            model.treg_near if model.treg_near is not None else _NO_MAP,
            np.array([cp.kill_rate_per_hour, tp.pd_l1_baseline, tp.pd_l1_induced_max, tp.pd_l1_interferon_ec50,
                      1.0 - mod.pd1_blockade, cp.pd1_inhibition_max, cp.treg_suppression_max,
                      cp.cytokine_suppression_max, model.dt, cp.exhaustion_rate_per_hour, mod.exhaustion_factor],
                     dtype=float),
        )
        # hits in one step: a constant hazard gives a Poisson count. One Bernoulli hit per step capped
        # the hit rate at 1/dt (2/h at dt = 0.5 h), which made immune outcomes depend on dt
        # (dt_immune_outcomes, 2026-11-30: burden 1.74x at dt 0.5 vs 0.125 h)
        n_hits = model.rng.poisson(lam)
        # multi-hit killing (Weigelin et al. 2021): sublethal hits from one or several T-cells add
        # up; the target dies at hits_to_kill, the first lethal hitter is credited (one compiled
        # pass for what was np.add.at, the lethal test and np.unique(..., return_index=True))
        total, t_hit, credited = apply_hits(tumor_pop["hits"], tumor_pop.row_at, target, rows, n_hits,
                                            float(cp.hits_to_kill))
        model.counters["cd8_hits"] += int(total)
        if t_hit.size:
            pop["kills"][credited] += 1
            pop["arrested_until_hours"][credited] = model.hours + cp.post_kill_arrest_hours
            kill_tumor_at(model, t_hit, "cd8")
        newly = model.rng.random(rows.size) < rate_to_probability(exhaust_rate, model.dt)
        pop["exhausted"][rows[newly]] = True
        active = rows[~newly]
        model.tissue.secrete("ifn_gamma", sites[active], cp.ifn_gamma_secretion_per_hour)
    # cells in contact (hitting, or arrested on a dead target) stay; the rest crawl
    walkers = np.flatnonzero(~(touching | (pop["arrested_until_hours"] > model.hours)))
    if walkers.size:
        # exhausted cells are sluggish (a choice; the PD-1+/PD-1- speeds once cited here could not be traced): their hops are halved
        crawl(model, CD8TCell, walkers, cp.speed_um_per_min, attractant=interferon_parts(model),
              bias=cp.chemotaxis_bias, stop_on=model.tumor_contact, halve=pop.columns["exhausted"])


def repair_hits(model: mesa.Model) -> None:
    """Tumor cells repair sublethal damage: each hit fades with hazard ``cd8.hit_repair_per_hour``."""
    rate = model.p.cd8.hit_repair_per_hour
    hits = model.populations[TumorCell]["hits"]
    if rate <= 0:
        return
    p = step_probability(rate, model.dt)
    # in one compiled pass with numpy's binomial algorithm for small counts (no draws when nothing
    # is damaged); counts too large for it are drawn by numpy, as before
    if not repair_draws(bit_stream(model.rng), hits, p):
        damaged = np.flatnonzero(hits > 0)
        hits[damaged] -= model.rng.binomial(hits[damaged].astype(np.int64), p)


def sticky_targets(stored: np.ndarray, neighbours: np.ndarray, is_target: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Target site of each engaged T-cell: its ``stored`` site if that is still one of its adjacent
    tumor sites (``neighbours[i][is_target[i]]``), else a uniformly random adjacent tumor site.

    Every row must have at least one target. One random number per candidate is drawn for every
    row, kept or not, so the random stream does not depend on which targets survived.
    """
    pick = random_choice_per_row(is_target, rng)
    keep = (neighbours == stored[:, None]) & is_target
    col = np.where(keep.any(axis=1), keep.argmax(axis=1), pick)
    return neighbours[np.arange(neighbours.shape[0]), col]
