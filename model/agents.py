"""The five cell types.

Each class is a Mesa ``CellAgent`` whose state lives in numpy columns (see
:mod:`model.population`). A type's ``step_population(model)`` classmethod is its
behaviour for one time step: it decides *in bulk* which cells act (die, kill,
move, divide, secrete) and runs per-agent Python only for those. Per-step
probabilities come from hazards as ``1 - exp(-rate * dt)``.

Two layers share the lattice: at most one tumor cell and at most one immune
cell per site, so immune cells can infiltrate a solid tumor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from mesa.discrete_space import CellAgent

from .lattice import random_choice_per_row, step_walkers
from .parameters import hill, rate_to_probability
from .population import Column, Population

if TYPE_CHECKING:  # pragma: no cover
    from .model import TumorImmuneModel

__all__ = ["LatticeCell", "TumorCell", "CD8TCell", "RegulatoryTCell", "Neutrophil", "Macrophage", "IMMUNE_TYPES"]


class LatticeCell(CellAgent):
    """Common base: one row in its type's :class:`Population`, one Mesa cell."""

    columns: ClassVar[dict] = {}
    layer: ClassVar[str] = "immune"
    code: ClassVar[int] = 0
    site = Column()

    def __init__(self, model: "TumorImmuneModel", site: int, **state) -> None:
        # claim the site first: a refused placement must leave no half-registered agent behind
        model._occupy(self.layer, int(site), self.code)
        super().__init__(model)
        self._population: Population = model.populations[type(self)]
        self._row = self._population.add(self, int(site), state)
        self.cell = model.grid_cells[int(site)]

    def remove(self) -> None:
        """Take the cell off the lattice and out of the model."""
        self.model._vacate(self.layer, self.site)
        self._population.remove(self._row)
        self._row = -1
        self.cell = None
        super().remove()

    def step(self) -> None:  # pragma: no cover - documented guard
        raise NotImplementedError(
            f"{type(self).__name__} is stepped in bulk by {type(self).__name__}.step_population(model)"
        )

    # ---------------------------------------------------------------- helpers
    @classmethod
    def population(cls, model) -> Population:
        return model.populations[cls]

    @classmethod
    def remove_rows(cls, model, rows: np.ndarray) -> None:
        """Remove the agents in ``rows`` (any order)."""
        pop = model.populations[cls]
        for agent in pop.agents[np.sort(rows)[::-1]]:
            agent.remove()

    @classmethod
    def sync_moves(cls, model, rows: np.ndarray, new_sites: np.ndarray) -> None:
        """Record bulk moves in the columns and in Mesa's grid."""
        pop = model.populations[cls]
        old = pop["site"][rows]
        moved = np.flatnonzero(new_sites != old)
        for r, s in zip(rows[moved].tolist(), new_sites[moved].tolist()):
            pop.move(r, s)
            pop.agents[r].cell = model.grid_cells[s]

    @classmethod
    def hops_per_step(cls, model, speed_um_per_min: float, n: int) -> np.ndarray:
        """Lattice hops for each of ``n`` cells: mean speed*dt/site, randomised to integers."""
        mean = speed_um_per_min * 60.0 * model.dt / model.p.lattice.site_size_um
        base = np.floor(mean)
        return (base + (model.rng.random(n) < mean - base)).astype(np.int64)

    @classmethod
    def home_to_tumor(cls, model, speed_um_per_min: float) -> None:
        """Myeloid homing: cells not touching the tumor crawl, half their moves up the
        cytokine gradient (choice), and stop when they reach tumor contact."""
        pop = model.populations[cls]
        walkers = np.flatnonzero(~model.tumor_contact[pop["site"]])
        if walkers.size == 0:
            return
        new_sites = step_walkers(
            model.lattice,
            model.immune_occupied,
            pop["site"][walkers],
            cls.hops_per_step(model, speed_um_per_min, walkers.size),
            model.rng,
            attractant=model.fields["cytokine"].values.ravel(),
            bias=0.5,
            stop_on=model.tumor_contact,
        )
        cls.sync_moves(model, walkers, new_sites)


# =========================================================================== tumor


class TumorCell(LatticeCell):
    """A breast-cancer cell.

    Divides into a free neighbouring site (contact inhibition when none is
    free); daughters may lose antigen (immunoediting); shows PD-L1 (baseline
    plus interferon-induced); with intact IRF7 releases type-I interferon when
    stressed by cytotoxic contact (active CD8 T-cell or M1 macrophage); secretes the suppressive cytokine; oncostatin M
    speeds division and escape into vessels.
    """

    layer = "tumor"
    code = 1
    columns = {
        "antigenicity": np.float64,
        "irf7_intact": np.bool_,
        "lethally_irradiated": np.bool_,
        "clone": np.int64,
        "born_hours": np.float64,
    }
    antigenicity = Column()
    irf7_intact = Column()
    lethally_irradiated = Column()
    clone = Column()
    born_hours = Column()

    @property
    def pd_l1(self) -> float:
        """Current PD-L1 engagement level (0-1): baseline plus interferon-induced."""
        return float(self.model.tumor_pd_l1(np.array([self.site]))[0])

    def die(self, cause: str) -> None:
        """Remove this cell and count the death under ``cause``."""
        self.model.record_tumor_death(cause, 1)
        self.remove()

    # ------------------------------------------------------------- bulk step
    @classmethod
    def step_population(cls, model: "TumorImmuneModel") -> None:
        cls._necrosis(model)
        cls._divide(model)
        cls._disseminate(model)

    @classmethod
    def _necrosis(cls, model) -> None:
        """Cells beyond the oxygen diffusion limit die (off unless ``tumor.necrosis_rate_per_hour`` > 0)."""
        rate = model.p.tumor.necrosis_rate_per_hour
        pop = model.populations[cls]
        if rate <= 0 or len(pop) == 0:
            return  # no random draws when off, so runs without necrosis keep their streams
        starving = np.flatnonzero(model.hypoxic[pop["site"]])
        if starving.size == 0:
            return
        die = starving[model.rng.random(starving.size) < rate_to_probability(rate, model.dt)]
        if die.size:
            model.kill_tumor_at(pop["site"][die], "necrosis")

    @classmethod
    def division_rate_per_hour(cls, model, sites: np.ndarray) -> np.ndarray:
        """Division hazard at ``sites`` with OSM, M2 support, interferon and drug brakes."""
        tp = model.p.tumor
        osm = model.effective_osm(sites)
        ifn = model.fields["interferon"].values.ravel()[sites]
        rate = np.full(sites.size, tp.division_rate_per_hour * model.modifiers.proliferation_factor)
        rate *= 1.0 + tp.osm_division_boost_max * hill(osm)
        rate *= 1.0 - tp.interferon_division_inhibition_max * hill(ifn)
        if tp.m2_division_boost_max > 0 and model.m2_near is not None:
            rate *= 1.0 + tp.m2_division_boost_max * model.m2_near[sites]
        if tp.hypoxic_division_factor < 1.0:
            rate *= np.where(model.hypoxic[sites], tp.hypoxic_division_factor, 1.0)
        return rate

    @classmethod
    def _max_division_rate(cls, model) -> float:
        tp = model.p.tumor
        return (
            tp.division_rate_per_hour
            * model.modifiers.proliferation_factor
            * (1.0 + tp.osm_division_boost_max)
            * (1.0 + tp.m2_division_boost_max)
        )

    @classmethod
    def _divide(cls, model) -> None:
        pop = model.populations[cls]
        n = len(pop)
        if n == 0:
            return
        # thinning: draw against the largest possible rate, then accept with the
        # true rate, so only candidate dividers pay for the full rate calculation
        p_max = float(rate_to_probability(cls._max_division_rate(model), model.dt))
        if p_max <= 0:
            return
        candidates = np.flatnonzero(model.rng.random(n) < p_max)
        if candidates.size == 0:
            return
        sites = pop["site"][candidates]
        nb = model.lattice.neighbours[sites, :8]
        free = nb >= 0
        free[free] = ~model.tumor_present[nb[free]]
        has_space = free.any(axis=1)  # contact inhibition
        candidates, sites, nb, free = candidates[has_space], sites[has_space], nb[has_space], free[has_space]
        if candidates.size == 0:
            return
        p_true = rate_to_probability(cls.division_rate_per_hour(model, sites), model.dt)
        accept = model.rng.random(candidates.size) * p_max < p_true
        candidates, nb, free = candidates[accept], nb[accept], free[accept]
        if candidates.size == 0:
            return
        target = nb[np.arange(candidates.size), random_choice_per_row(free, model.rng)]
        order = model.rng.permutation(candidates.size)
        _, first = np.unique(target[order], return_index=True)
        win = np.sort(order[first])
        parents, target = candidates[win], target[win]
        model.counters["divisions"] += int(parents.size)

        # cells carrying lethal radiation damage or hit by a cytotoxic drug die at mitosis
        doomed = pop["lethally_irradiated"][parents].copy()
        if model.modifiers.division_kill_probability > 0:
            chemo = model.rng.random(parents.size) < model.modifiers.division_kill_probability
            model.record_tumor_death("chemotherapy", int((chemo & ~doomed).sum()))
            doomed_chemo = chemo & ~doomed
        else:
            doomed_chemo = np.zeros(parents.size, dtype=bool)
        model.record_tumor_death("radiotherapy", int(doomed.sum()))
        dying = doomed | doomed_chemo

        tp = model.p.tumor
        antigen = pop["antigenicity"][parents].copy()
        mutate = model.rng.random(parents.size) < tp.mutation_probability
        antigen[mutate] *= 1.0 - tp.antigen_loss_fraction
        irf7 = pop["irf7_intact"][parents].copy()
        clone = pop["clone"][parents].copy()
        new_clone = model.next_clone_ids(int(mutate.sum()))
        clone[mutate] = new_clone
        born = model.hours
        for k in np.flatnonzero(~dying).tolist():
            cls(
                model,
                int(target[k]),
                antigenicity=float(antigen[k]),
                irf7_intact=bool(irf7[k]),
                clone=int(clone[k]),
                born_hours=born,
            )
        if dying.any():
            cls.remove_rows(model, parents[dying])

    @classmethod
    def _disseminate(cls, model) -> None:
        """Tumor cells on vessel sites intravasate; some of them seed metastases."""
        tp = model.p.tumor
        if tp.dissemination_rate_per_hour <= 0:
            return
        pop = model.populations[cls]
        vessel_sites = model.vessel_sites
        rows = pop.row_at[vessel_sites]
        on_vessel = rows >= 0
        if not on_vessel.any():
            return
        rows, sites = rows[on_vessel], vessel_sites[on_vessel]
        osm = model.effective_osm(sites)
        rate = tp.dissemination_rate_per_hour * (1.0 + tp.osm_invasion_boost_max * hill(osm))
        leave = model.rng.random(rows.size) < rate_to_probability(rate, model.dt)
        if not leave.any():
            return
        rows, sites = rows[leave], sites[leave]
        ifn = model.fields["interferon"].values.ravel()[sites]
        p_seed = tp.seeding_probability
        p_seed = p_seed * (1.0 + tp.osm_seeding_boost_max * hill(model.effective_osm(sites)))
        p_seed = p_seed * (1.0 - tp.interferon_seeding_inhibition_max * hill(ifn))
        seeds = model.rng.random(rows.size) < np.minimum(p_seed, 1.0)
        model.counters["disseminated_cells"] += int(rows.size)
        model.counters["metastatic_seeds"] += int(seeds.sum())
        cls.remove_rows(model, rows)

    @classmethod
    def secretion(cls, model, immune_contact: np.ndarray) -> None:
        """Add tumor sources: cytokine from every cell, type-I interferon from IRF7-intact cells
        under cytotoxic stress (``immune_contact``: flat bool of sites next to an attacker)."""
        pop = model.populations[cls]
        if len(pop) == 0:
            return
        tp = model.p.tumor
        sites = pop["site"]
        model.sources["cytokine"] += np.bincount(sites, minlength=model.lattice.n_sites) * tp.cytokine_secretion_per_hour
        stressed = pop["irf7_intact"] & immune_contact[sites]
        if stressed.any():
            model.sources["interferon"] += (
                np.bincount(sites[stressed], minlength=model.lattice.n_sites) * tp.type1_ifn_secretion_per_hour
            )


# =========================================================================== CD8


class CD8TCell(LatticeCell):
    """A cytotoxic T-cell.

    Enters at vessel sites, crawls up the interferon gradient (CXCL9/10
    chemotaxis) and stops on tumor contact. On contact it kills with a hazard
    set by the target's antigenicity, PD-1/PD-L1 engagement, nearby Tregs and
    the suppressive cytokine; it secretes IFN-gamma while engaged; PD-L1
    engagement drives exhaustion; it dies at a basal (higher when exhausted) rate.
    """

    code = 2
    columns = {"exhausted": np.bool_, "kills": np.int64, "car_t": np.bool_}
    exhausted = Column()
    kills = Column()
    car_t = Column()

    @classmethod
    def step_population(cls, model: "TumorImmuneModel") -> None:
        cp = model.p.cd8
        pop = model.populations[cls]
        if len(pop) == 0:
            return
        rate = np.where(pop["exhausted"], cp.exhausted_death_rate_per_hour, cp.death_rate_per_hour)
        dead = np.flatnonzero(model.rng.random(len(pop)) < rate_to_probability(rate, model.dt))
        if dead.size:
            cls.remove_rows(model, dead)
        n = len(pop)
        if n == 0:
            return
        sites = pop["site"].copy()
        nb = model.lattice.neighbours[sites]
        has_tumor = nb >= 0
        has_tumor[has_tumor] = model.tumor_present[nb[has_tumor]]
        engaged = has_tumor.any(axis=1) & ~pop["exhausted"]
        rows = np.flatnonzero(engaged)
        killers = np.zeros(n, dtype=bool)
        if rows.size:
            target = nb[rows, random_choice_per_row(has_tumor[rows], model.rng)]
            tumor_pop = model.populations[TumorCell]
            trow = tumor_pop.row_at[target]
            antigen = np.where(pop["car_t"][rows], 1.0, tumor_pop["antigenicity"][trow])
            pd_l1 = model.tumor_pd_l1(target) * (1.0 - model.modifiers.pd1_blockade)
            cyt = model.fields["cytokine"].values.ravel()[sites[rows]]
            treg = model.treg_near[sites[rows]] if model.treg_near is not None else 0.0
            kill_rate = (
                cp.kill_rate_per_hour
                * antigen
                * (1.0 - cp.pd1_inhibition_max * pd_l1)
                * (1.0 - cp.treg_suppression_max * treg)
                * (1.0 - cp.cytokine_suppression_max * hill(cyt))
            )
            hit = model.rng.random(rows.size) < rate_to_probability(kill_rate, model.dt)
            if hit.any():
                # several T-cells may hit one target: it dies once, the first hitter is credited
                t_hit, first = np.unique(target[hit], return_index=True)
                credited = rows[hit][first]
                pop["kills"][credited] += 1
                killers[credited] = True
                model.kill_tumor_at(t_hit, "cd8")
            exhaust_rate = cp.exhaustion_rate_per_hour * pd_l1 * model.modifiers.exhaustion_factor
            newly = model.rng.random(rows.size) < rate_to_probability(exhaust_rate, model.dt)
            pop["exhausted"][rows[newly]] = True
            active = rows[~newly]
            model.sources["interferon"] += (
                np.bincount(sites[active], minlength=model.lattice.n_sites) * cp.ifn_gamma_secretion_per_hour
            )
        # engaged cells that did not just kill stay on their target; the rest crawl
        walkers = np.flatnonzero(~engaged | killers)
        if walkers.size:
            hops = cls.hops_per_step(model, cp.speed_um_per_min, walkers.size)
            hops[pop["exhausted"][walkers]] //= 2  # exhausted cells are sluggish (Boissonnas 2007: PD-1+ slower)
            new_sites = step_walkers(
                model.lattice,
                model.immune_occupied,
                pop["site"][walkers],
                hops,
                model.rng,
                attractant=model.fields["interferon"].values.ravel(),
                bias=cp.chemotaxis_bias,
                stop_on=model.tumor_contact,
            )
            cls.sync_moves(model, walkers, new_sites)


# =========================================================================== Treg


class RegulatoryTCell(LatticeCell):
    """A regulatory T-cell: recruited more when the suppressive cytokine is high, it
    follows the interferon-induced chemokines to the sites of T-cell attack,
    secretes the cytokine, and suppresses effector T-cells within a short radius."""

    code = 3
    columns = {}

    @classmethod
    def step_population(cls, model: "TumorImmuneModel") -> None:
        tp = model.p.treg
        pop = model.populations[cls]
        if len(pop) == 0:
            return
        dead = np.flatnonzero(model.rng.random(len(pop)) < rate_to_probability(tp.death_rate_per_hour, model.dt))
        if dead.size:
            cls.remove_rows(model, dead)
        if len(pop) == 0:
            return
        rows = np.arange(len(pop))
        new_sites = step_walkers(
            model.lattice,
            model.immune_occupied,
            pop["site"],
            cls.hops_per_step(model, tp.speed_um_per_min, rows.size),
            model.rng,
            # CXCR3+ Tregs follow the same IFN-induced chemokines as effector T-cells
            # (Koch et al. 2009), so they gather where CD8 cells fight (Bos et al. 2013: tumor edge)
            attractant=model.fields["interferon"].values.ravel(),
            bias=0.5,
        )
        cls.sync_moves(model, rows, new_sites)
        model.sources["cytokine"] += (
            np.bincount(pop["site"], minlength=model.lattice.n_sites) * tp.cytokine_secretion_per_hour
        )


# =========================================================================== neutrophil


class Neutrophil(LatticeCell):
    """A short-lived neutrophil; on contact with tumor cells it becomes activated
    and secretes oncostatin M (Queen et al. 2005)."""

    code = 4
    columns = {"activated": np.bool_}
    activated = Column()

    @classmethod
    def step_population(cls, model: "TumorImmuneModel") -> None:
        npar = model.p.neutrophil
        pop = model.populations[cls]
        if len(pop) == 0:
            return
        death_rate = np.log(2.0) / npar.half_life_hours
        dead = np.flatnonzero(model.rng.random(len(pop)) < rate_to_probability(death_rate, model.dt))
        if dead.size:
            cls.remove_rows(model, dead)
        n = len(pop)
        if n == 0:
            return
        contact = model.tumor_contact[pop["site"]]
        resting = np.flatnonzero(contact & ~pop["activated"])
        turn = model.rng.random(resting.size) < rate_to_probability(npar.activation_rate_per_hour, model.dt)
        pop["activated"][resting[turn]] = True
        act = pop["activated"]
        if act.any():
            model.sources["osm"] += (
                np.bincount(pop["site"][act], minlength=model.lattice.n_sites) * npar.osm_secretion_per_hour
            )
        cls.home_to_tumor(model, npar.speed_um_per_min)


# =========================================================================== macrophage

M0, M1, M2 = 0, 1, 2


class Macrophage(LatticeCell):
    """A tumor-associated macrophage, polarised to M1 by interferon or to M2 by the
    suppressive cytokine and oncostatin M. M1 cells kill tumor cells on contact,
    release interferon-inducing signals and help T-cell influx; M2 cells secrete
    the suppressive cytokine and support tumor growth."""

    code = 5
    columns = {"polarization": np.int8}
    polarization = Column()

    @property
    def phenotype(self) -> str:
        return ("M0", "M1", "M2")[self.polarization]

    @classmethod
    def step_population(cls, model: "TumorImmuneModel") -> None:
        mp = model.p.macrophage
        pop = model.populations[cls]
        if len(pop) == 0:
            return
        dead = np.flatnonzero(model.rng.random(len(pop)) < rate_to_probability(mp.death_rate_per_hour, model.dt))
        if dead.size:
            cls.remove_rows(model, dead)
        n = len(pop)
        if n == 0:
            return
        sites = pop["site"]
        ifn = model.fields["interferon"].values.ravel()[sites]
        cyt = model.fields["cytokine"].values.ravel()[sites]
        osm = model.effective_osm(sites)
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
                    model.kill_tumor_at(np.unique(target[hit]), "macrophage")
            model.sources["interferon"] += (
                np.bincount(sites[m1], minlength=model.lattice.n_sites) * mp.m1_interferon_secretion_per_hour
            )
        m2 = pol == M2
        if m2.any():
            model.sources["cytokine"] += (
                np.bincount(sites[m2], minlength=model.lattice.n_sites) * mp.m2_cytokine_secretion_per_hour
            )
        cls.home_to_tumor(model, mp.speed_um_per_min)


IMMUNE_TYPES: tuple[type[LatticeCell], ...] = (CD8TCell, RegulatoryTCell, Neutrophil, Macrophage)
