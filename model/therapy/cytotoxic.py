"""Cytotoxic treatments: chemotherapy, radiotherapy and surgery."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..biology.cells import CD8TCell, RegulatoryTCell, TumorCell, record_tumor_death
from ..engine.parameters import hill
from .base import Treatment
from .rules import combine_fraction

__all__ = ["Chemotherapy", "Radiotherapy", "Surgery"]


@dataclass
class Chemotherapy(Treatment):
    """Cytotoxic chemotherapy (taxane-like): kills dividing cells, suppresses the marrow."""

    kind: ClassVar[str] = "chemotherapy"
    description: ClassVar[str] = "cytotoxic chemo: kills dividing tumor cells; neutrophil/lymphocyte nadir"
    dose: float = 10.0
    start_day: float = 3.0
    interval_days: float = 21.0
    doses: int = 1
    half_life_hours: float = 20.0  # paclitaxel terminal half-life ~20 h (choice within 13-52 h)
    max_kill_at_division: float = 0.5  # choice; QSPIO nab-paclitaxel max kill 0.06/h
    marrow_inhibition_max: float = 0.9  # choice: Friberg 2002 drug effect on proliferating pool

    def validate_extra(self) -> None:
        self.check_range("max_kill_at_division", 0.0, 1.0, "probability", "a probability")
        self.check_range("marrow_inhibition_max", 0.0, 1.0, "fraction", "a fraction")

    def effect(self, model, m, c):
        e = hill(c)
        m.division_kill_probability = combine_fraction(m.division_kill_probability, self.max_kill_at_division * e)
        m.marrow_inhibition = combine_fraction(m.marrow_inhibition, self.marrow_inhibition_max * e)


@dataclass
class Radiotherapy(Treatment):
    """External-beam radiotherapy in fractions of ``dose`` Gy.

    At each fraction every tumor cell survives with the linear-quadratic
    probability ``exp(-alpha d - beta d^2)``; lethally damaged cells die at
    their next division (mitotic catastrophe). In-field lymphocytes die with
    ``1 - exp(-d / D0)``. Dying cells release antigen and danger signals: an
    immunogenic boost to T-cell priming that decays with ``half_life_hours``
    (the ``concentration`` reported is that boost signal, per Gy).
    """

    allows_continuous: ClassVar[bool] = False
    kind: ClassVar[str] = "radiotherapy"
    dose_unit: ClassVar[str] = "Gy per fraction"
    dose_range: ClassVar[tuple[float, float, str]] = (0.0, 30.0, "single-fraction radiosurgery reaches ~24-30 Gy")
    description: ClassVar[str] = "radiotherapy: linear-quadratic kill per fraction, immunogenic death"
    dose: float = 2.0  # conventional 2 Gy fractions
    start_day: float = 5.0
    interval_days: float = 1.0
    doses: int = 5
    half_life_hours: float = 72.0  # choice: DAMP/antigen release wave lasts days
    alpha_per_gy: float = 0.075  # breast alpha 0.07-0.08 /Gy (Qi et al.; Plataniotis & Dale 2009)
    beta_per_gy2: float = 0.02  # alpha/beta ~3.7 Gy (START trials)
    lymphocyte_d0_gy: float = 0.55  # CD8 D0 0.55 Gy (in-vitro lymphocyte studies)
    immunogenic_boost_per_gy: float = 0.1  # choice: fold extra priming per Gy of recent dose
    circulating_lymphocyte_fraction_hit: float = 0.05  # choice: share of blood pool in the beam

    def validate_extra(self) -> None:
        self.check_range("alpha_per_gy", 0.0, 5.0, "1/Gy", "tissue alphas 0.05-1 /Gy (Fowler 1989)")
        self.check_range("beta_per_gy2", 0.0, 5.0, "1/Gy^2", "tissue betas 0.01-0.1 /Gy^2 (Fowler 1989)")
        self.check_range("lymphocyte_d0_gy", 1e-3, 100.0, "Gy", "choice around lymphocyte D0 0.55 Gy")
        self.check_range("circulating_lymphocyte_fraction_hit", 0.0, 1.0, "fraction", "a fraction")

    def surviving_fraction(self) -> float:
        """Linear-quadratic survival of one fraction."""
        return math.exp(-self.alpha_per_gy * self.dose - self.beta_per_gy2 * self.dose**2)

    def on_dose(self, model):

        tumor = model.populations[TumorCell]
        hit = model.rng.random(len(tumor)) >= self.surviving_fraction()
        newly = hit & ~tumor["lethally_irradiated"]
        tumor["lethally_irradiated"][hit] = True
        model.counters["tumor_cells_lethally_irradiated"] += int(newly.sum())
        p_lymph = 1.0 - math.exp(-self.dose / self.lymphocyte_d0_gy)
        for cls in (CD8TCell, RegulatoryTCell):
            pop = model.populations[cls]
            model.tissue.kill(cls, np.flatnonzero(model.rng.random(len(pop)) < p_lymph))
        self._lymph_loss = self.circulating_lymphocyte_fraction_hit * p_lymph

    def apply(self, model, modifiers):
        self._lymph_loss = 0.0
        super().apply(model, modifiers)
        modifiers.lymphocyte_loss = combine_fraction(modifiers.lymphocyte_loss, self._lymph_loss)

    def effect(self, model, m, c):
        m.immunogenic_death_boost += self.immunogenic_boost_per_gy * c


@dataclass
class Surgery(Treatment):
    """Resection of the central fraction ``dose`` of the tumor (residual disease stays at the margin)."""

    allows_continuous: ClassVar[bool] = False
    kind: ClassVar[str] = "surgery"
    dose_unit: ClassVar[str] = "fraction resected"
    dose_range: ClassVar[tuple[float, float, str]] = (0.0, 1.0, "a fraction")
    description: ClassVar[str] = "surgery: resects the central fraction of the tumor"
    dose: float = 0.95
    start_day: float = 10.0
    half_life_hours: float = 1.0  # no drug: the reported value is the resected fraction, fading fast

    def validate_extra(self) -> None:
        self.check_range("dose", 0.0, 1.0, "fraction resected", "a fraction")

    def on_dose(self, model):
        pop = model.populations[TumorCell]
        n = len(pop)
        if n == 0:
            return
        x, y = model.lattice.xy(pop["site"])
        d2 = (x - x.mean()) ** 2 + (y - y.mean()) ** 2
        k = int(round(self.dose * n))
        order = np.argsort(d2, kind="stable")[:k]
        record_tumor_death(model, "surgery", k)
        model.tissue.kill(TumorCell, order)
