"""Targeted treatments: endocrine and HER2 brakes on division, IRF7 re-expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


from ..biology.cells import TumorCell
from ..engine.parameters import hill
from .base import Treatment

__all__ = ["HormoneTherapy", "HER2Targeted", "IRF7Restoration"]


@dataclass
class HormoneTherapy(Treatment):
    """Endocrine therapy (tamoxifen / aromatase inhibitor): a brake on ER+ proliferation.

    The brake scales with ``tumor.er_expression`` so it does nothing in ER- tumors.
    """

    kind: ClassVar[str] = "hormone_therapy"
    description: ClassVar[str] = "endocrine therapy: slows ER+ tumor division only"
    dose: float = 10.0
    start_day: float = 0.0
    interval_days: float = 1.0
    doses: int = 28
    half_life_hours: float = 5.0 * 24  # tamoxifen half-life 5-7 d
    max_brake: float = 0.7  # choice: ~70% fewer divisions in ER-high tumors

    def validate_extra(self) -> None:
        self.check_range("max_brake", 0.0, 1.0, "fraction", "a fraction")

    def effect(self, model, m, c):
        m.proliferation_factor *= 1.0 - self.max_brake * model.p.tumor.er_expression * hill(c)


@dataclass
class HER2Targeted(Treatment):
    """Trastuzumab-like HER2 blockade: a brake on HER2+ proliferation, scaled by ``tumor.her2_expression``."""

    kind: ClassVar[str] = "her2_targeted"
    description: ClassVar[str] = "HER2-targeted antibody: slows HER2+ tumor division only"
    dose: float = 10.0
    start_day: float = 0.0
    interval_days: float = 21.0
    doses: int = 2
    half_life_hours: float = 28.0 * 24  # trastuzumab half-life ~28 d
    max_brake: float = 0.6  # choice

    def validate_extra(self) -> None:
        self.check_range("max_brake", 0.0, 1.0, "fraction", "a fraction")

    def effect(self, model, m, c):
        m.proliferation_factor *= 1.0 - self.max_brake * model.p.tumor.her2_expression * hill(c)


@dataclass
class IRF7Restoration(Treatment):
    """Re-expression of IRF7 in tumor cells (e.g. an epigenetic or gene therapy)."""

    allows_continuous: ClassVar[bool] = False
    kind: ClassVar[str] = "irf7_restoration"
    dose_unit: ClassVar[str] = "fraction of cells restored"
    dose_range: ClassVar[tuple[float, float, str]] = (0.0, 1.0, "a fraction")
    description: ClassVar[str] = "IRF7 restoration: switches tumor IRF7 back on (Bidwell et al. 2012)"
    dose: float = 0.9
    start_day: float = 2.0
    half_life_hours: float = 24.0  # reported value only

    def validate_extra(self) -> None:
        self.check_range("dose", 0.0, 1.0, "fraction of cells restored", "a fraction")

    def on_dose(self, model):
        pop = model.populations[TumorCell]
        restore = model.rng.random(len(pop)) < self.dose
        pop["irf7_intact"][restore] = True
        model.bone.restore_irf7(self.dose)  # the therapy reaches disseminated cells too
