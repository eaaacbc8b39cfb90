"""Immunotherapies: checkpoint blockade, interferon, anti-OSM, Treg depletion, vaccines, adoptive transfer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import mesa
import numpy as np
from scipy import ndimage

from ..biology.cells import CD8TCell, RegulatoryTCell
from ..engine.parameters import hill
from .base import Treatment, TreatmentError
from .rules import combine_fraction

__all__ = ["CheckpointBlockade", "InterferonDosing", "AntiOSM", "TregDepletion", "CancerVaccine", "AdoptiveCellTransfer", "perivascular_free_sites"]


@dataclass
class CheckpointBlockade(Treatment):
    """Anti-PD-1 / anti-PD-L1 antibody: blocks PD-1 engagement and slows exhaustion."""

    kind: ClassVar[str] = "checkpoint_blockade"
    description: ClassVar[str] = "anti-PD-1/PD-L1: less PD-L1 inhibition of killing, slower exhaustion"
    dose: float = 10.0  # choice: saturating (pembrolizumab 200 mg trough >> Kd 4 nM; QSPIO)
    interval_days: float = 7.0
    doses: int = 3
    start_day: float = 5.0
    half_life_hours: float = 22.0 * 24  # pembrolizumab terminal half-life ~22 d (label)
    max_blockade: float = 0.9  # choice: receptor occupancy ~90% at trough (Patnaik 2015)
    exhaustion_reduction: float = 0.5  # choice: PD-1 blockade partly reinvigorates (Pauken 2016)

    def validate_extra(self) -> None:
        self.check_range("max_blockade", 0.0, 1.0, "fraction", "a fraction")
        self.check_range("exhaustion_reduction", 0.0, 1.0, "fraction", "a fraction")

    def effect(self, model, m, c):
        e = hill(c)
        m.pd1_blockade = combine_fraction(m.pd1_blockade, self.max_blockade * e)
        m.exhaustion_factor *= 1.0 - self.exhaustion_reduction * e


@dataclass
class InterferonDosing(Treatment):
    """Systemic type-I interferon entering the tissue at vessel sites."""

    kind: ClassVar[str] = "interferon_dosing"
    description: ClassVar[str] = "IFN-alpha: raises the interferon field from the vessels"
    dose: float = 10.0
    start_day: float = 2.0
    interval_days: float = 2.0
    doses: int = 10
    half_life_hours: float = 2.9  # human IFN-alpha-2b s.c. elimination half-life 2.9 h (Radwanski et al. 1987); pegylated ~45 h in humans; mice clear IFN faster (IFN-beta i.v. 0.9 h, pegylated 10 h: Pepinsky 2001)
    tissue_entry_per_hour: float = 40.0  # field units/h per vessel site at C = EC50 (choice: mean tissue level ~0.3 EC50 over a 2-day cycle)

    def validate_extra(self) -> None:
        self.check_range("tissue_entry_per_hour", 0.0, 1e4, "field units/h per vessel site", "choice: 250 x the default 40")

    def effect(self, model, m, c):
        m.interferon_infusion_per_hour += self.tissue_entry_per_hour * c
        m.systemic_interferon += c


@dataclass
class AntiOSM(Treatment):
    """Neutralising anti-oncostatin-M antibody."""

    kind: ClassVar[str] = "anti_osm"
    description: ClassVar[str] = "anti-OSM antibody: neutralises OSM (growth and invasion signals fall)"
    dose: float = 10.0
    start_day: float = 2.0
    interval_days: float = 7.0
    doses: int = 4
    half_life_hours: float = 14.0 * 24  # typical IgG half-life ~2-3 weeks (choice: 14 d)
    max_neutralization: float = 0.95  # choice

    def validate_extra(self) -> None:
        self.check_range("max_neutralization", 0.0, 1.0, "fraction", "a fraction")

    def effect(self, model, m, c):
        m.osm_neutralization = combine_fraction(m.osm_neutralization, self.max_neutralization * hill(c))


@dataclass
class TregDepletion(Treatment):
    """Anti-CTLA-4 / anti-CD25: depletes intratumoral Tregs and lowers their influx."""

    allows_continuous: ClassVar[bool] = False
    kind: ClassVar[str] = "treg_depletion"
    description: ClassVar[str] = "anti-CTLA-4/anti-CD25: removes Tregs, lowers their recruitment"
    dose: float = 10.0
    start_day: float = 5.0
    interval_days: float = 7.0
    doses: int = 3
    half_life_hours: float = 15.0 * 24  # ipilimumab half-life ~15 d (label)
    depletion_fraction: float = 0.8  # Simpson et al. 2013: Fc-mediated intratumoral Treg depletion
    recruitment_reduction: float = 0.8  # choice

    def validate_extra(self) -> None:
        self.check_range("depletion_fraction", 0.0, 1.0, "fraction", "a fraction")
        self.check_range("recruitment_reduction", 0.0, 1.0, "fraction", "a fraction")

    def on_dose(self, model):
        pop = model.populations[RegulatoryTCell]
        p = self.depletion_fraction * hill(self.concentration)
        rows = np.flatnonzero(model.rng.random(len(pop)) < p)
        model.tissue.kill(RegulatoryTCell, rows)
        model.counters["tregs_depleted"] += int(rows.size)

    def effect(self, model, m, c):
        m.treg_recruitment_factor *= 1.0 - self.recruitment_reduction * hill(c)


@dataclass
class CancerVaccine(Treatment):
    """Therapeutic vaccine: primes T-cells against the tumor's current antigens."""

    kind: ClassVar[str] = "vaccine"
    description: ClassVar[str] = "cancer vaccine: boosts T-cell priming and influx"
    dose: float = 10.0
    start_day: float = 2.0
    interval_days: float = 7.0
    doses: int = 3
    half_life_hours: float = 7.0 * 24  # choice: primed effector wave lasts ~1-2 weeks
    max_boost: float = 2.0  # fold increase of T-cell influx at saturation (choice)

    def validate_extra(self) -> None:
        self.check_range("max_boost", 0.0, 100.0, "fold", "choice: 50 x the default 2")

    def effect(self, model, m, c):
        m.cd8_recruitment_factor *= 1.0 + self.max_boost * hill(c)


@dataclass
class AdoptiveCellTransfer(Treatment):
    """Adoptive T-cell transfer or CAR-T: effector cells injected at vessel sites.

    ``dose`` is the number of cells that reach the tissue window, and exactly
    that many enter at each dose: first on free vessel sites, the rest on the
    free sites nearest a vessel (cells that have just extravasated), ties broken
    at random. Only a lattice with no free immune site left takes fewer (counted
    in ``model.counters["cells_not_placed"]``). Transferred cells are counted in
    ``counters["cells_transferred"]``, not as recruitment.

    CAR-T cells (``car_t = True``) kill antigen-independently: their target is
    a surface protein that every tumor cell in the model is assumed to carry
    (e.g. HER2 or mesothelin), not a presented neoantigen, so the kill rate uses
    antigenicity 1 whatever the cell's neoantigen level.
    """

    kind: ClassVar[str] = "adoptive_transfer"
    dose_unit: ClassVar[str] = "cells"
    dose_range: ClassVar[tuple[float, float, str]] = (0.0, 1e5, "choice: ~700 x the default 150; a window holds fewer free sites")
    description: ClassVar[str] = "adoptive T-cell transfer / CAR-T: injects effector T-cells"
    allows_continuous: ClassVar[bool] = False
    dose: float = 150.0  # choice: ~1e9-1e10 infused cells, of which a window this size receives O(100)
    start_day: float = 5.0
    interval_days: float = 0.0
    doses: int = 1
    half_life_hours: float = 7.0 * 24  # choice: persistence of transferred cells, reported only
    car_t: bool = False

    def validate_extra(self) -> None:
        if not float(self.dose).is_integer():
            raise TreatmentError(f"treatment '{self.kind}': dose = {self.dose!r} must be a whole number of cells")

    def on_dose(self, model):

        want = int(round(self.dose))
        sites = perivascular_free_sites(model, want)
        for s in sites.tolist():
            CD8TCell(model, s, car_t=bool(self.car_t))
        model.counters["cells_transferred"] += int(sites.size)
        if sites.size < want:
            model.counters["cells_not_placed"] += want - int(sites.size)


def perivascular_free_sites(model: mesa.Model, n: int) -> np.ndarray:
    """Up to ``n`` free immune-layer sites, nearest a vessel first (random among equals).

    With no vessels the sites are drawn uniformly from all free sites.
    """
    free = np.flatnonzero(~model.immune_occupied)
    if n <= 0 or free.size == 0:
        return free[:0]
    if model.vessel_sites.size:
        shape = (model.lattice.width, model.lattice.height)
        distance = ndimage.distance_transform_edt(~model.is_vessel.reshape(shape)).ravel()[free]
    else:
        distance = np.zeros(free.size)
    order = np.lexsort((model.rng.random(free.size), distance))
    return free[order[:n]]
