"""Treatments: a schedule, a pharmacokinetic state and an effect on the rules.

Every treatment is a dataclass with a dosing schedule (``start_day``,
``interval_days``, ``doses``), a well-mixed plasma concentration that jumps by
``dose`` at each dosing time and decays with ``half_life_hours``, and an
effect that reads the concentration each step and writes the step's
:class:`~model.effects.RuleModifiers` (or acts once at each dose, e.g. surgery).

Units: for drugs, ``dose`` is the peak concentration a dose adds, in units of
the drug's half-maximal effect concentration (EC50), so ``dose = 10`` is a
saturating dose; the effect is ``Emax * C / (C + 1)``. Radiotherapy doses are
Gy per fraction, adoptive transfer doses are cells, surgery doses the fraction
of the tumor resected.

Combining: treatments are applied in list order but their effects commute:
blocking fractions combine as independent events ``1 - (1-a)(1-b)``,
multipliers multiply and rates add, so ``[A, B]`` and ``[B, A]`` give the same
rules. One-off actions at the same step (e.g. surgery then radiotherapy) do
follow list order.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .effects import RuleModifiers
from .parameters import ParameterError, hill

if TYPE_CHECKING:  # pragma: no cover
    from .model import TumorImmuneModel

__all__ = [
    "Treatment",
    "CheckpointBlockade",
    "InterferonDosing",
    "AntiOSM",
    "TregDepletion",
    "Chemotherapy",
    "Radiotherapy",
    "CancerVaccine",
    "AdoptiveCellTransfer",
    "IRF7Restoration",
    "Surgery",
    "HormoneTherapy",
    "HER2Targeted",
    "TREATMENTS",
    "make_treatment",
    "TreatmentError",
]


class TreatmentError(ParameterError):
    """A treatment name, dose or schedule is not allowed."""


def _combine_fraction(a: float, b: float) -> float:
    return 1.0 - (1.0 - a) * (1.0 - b)


@dataclass
class Treatment:
    """Base class: schedule + one-compartment pharmacokinetics.

    Attributes:
        dose: amount per dose (see the subclass's ``dose_unit``).
        start_day: day of the first dose.
        interval_days: days between doses (needed when ``doses > 1``).
        doses: number of doses.
        half_life_hours: plasma (or effect) half-life.
    """

    kind: ClassVar[str] = "treatment"
    dose_unit: ClassVar[str] = "x EC50"
    description: ClassVar[str] = ""

    dose: float = 10.0
    start_day: float = 0.0
    interval_days: float = 0.0
    doses: int = 1
    half_life_hours: float = 24.0

    def __post_init__(self) -> None:
        self.concentration = 0.0
        self._model = None
        self._dose_steps: list[int] = []

    # ------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        """Column-friendly name (the registry key)."""
        return self.kind

    def spec(self) -> dict[str, Any]:
        """Plain mapping that :func:`make_treatment` turns back into this treatment."""
        out: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):
            out[f.name] = getattr(self, f.name)
        return out

    # ------------------------------------------------------------ schedule
    def dose_times_days(self) -> list[float]:
        """All dosing times in days."""
        return [self.start_day + i * self.interval_days for i in range(self.doses)]

    def validate(self, duration_days: float | None = None) -> "Treatment":
        """Raise :class:`TreatmentError` naming the field if the schedule or dose is impossible."""
        k = self.kind
        if not (isinstance(self.dose, (int, float)) and math.isfinite(self.dose)) or self.dose < 0:
            raise TreatmentError(f"treatment '{k}': dose = {self.dose!r} must be a number >= 0 ({self.dose_unit})")
        if self.start_day < 0:
            raise TreatmentError(f"treatment '{k}': start_day = {self.start_day!r} must be >= 0")
        if not isinstance(self.doses, int) or isinstance(self.doses, bool) or self.doses < 1:
            raise TreatmentError(f"treatment '{k}': doses = {self.doses!r} must be a whole number >= 1")
        if self.doses > 1 and not self.interval_days > 0:
            raise TreatmentError(
                f"treatment '{k}': interval_days = {self.interval_days!r} must be > 0 when doses = {self.doses}"
            )
        if self.interval_days < 0:
            raise TreatmentError(f"treatment '{k}': interval_days = {self.interval_days!r} must be >= 0")
        if not self.half_life_hours > 0:
            raise TreatmentError(f"treatment '{k}': half_life_hours = {self.half_life_hours!r} must be > 0")
        if duration_days is not None:
            last = self.dose_times_days()[-1]
            if last >= duration_days:
                raise TreatmentError(
                    f"treatment '{k}': the schedule's last dose at day {last:g} "
                    f"(start_day {self.start_day:g} + {self.doses - 1} x interval_days {self.interval_days:g}) "
                    f"is not before the end of the run (duration_days = {duration_days:g})"
                )
        self._validate_extra()
        return self

    def _validate_extra(self) -> None:
        """Subclass hook for treatment-specific fields."""

    def _check_range(self, name: str, lo: float, hi: float) -> None:
        v = getattr(self, name)
        if not (isinstance(v, (int, float)) and lo <= v <= hi):
            raise TreatmentError(f"treatment '{self.kind}': {name} = {v!r} is outside the allowed range [{lo}, {hi}]")

    # ------------------------------------------------------------ runtime
    def bind(self, model: "TumorImmuneModel") -> None:
        """Attach to a model: convert dosing times to step numbers."""
        self.validate(model.duration_days)
        self._model = model
        self.concentration = 0.0
        self._dose_steps = [int(math.floor(t * 24.0 / model.dt + 1e-9)) + 1 for t in self.dose_times_days()]

    def apply(self, model: "TumorImmuneModel", modifiers: RuleModifiers) -> None:
        """Called at the start of every step: give due doses, set effects, then decay."""
        due = self._dose_steps.count(model.steps)
        for _ in range(due):
            self.concentration += self.dose
            self.on_dose(model)
        if self.concentration > 0:
            self.effect(model, modifiers, self.concentration)
        self.concentration *= math.exp(-math.log(2.0) * model.dt / self.half_life_hours)
        if self.concentration < 1e-12:
            self.concentration = 0.0

    def on_dose(self, model: "TumorImmuneModel") -> None:
        """One-off action at each dose (default: none)."""

    def effect(self, model: "TumorImmuneModel", m: RuleModifiers, c: float) -> None:
        """Continuous effect of concentration ``c`` on this step's rules (default: none)."""


# =========================================================================== immunotherapies


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

    def _validate_extra(self) -> None:
        self._check_range("max_blockade", 0.0, 1.0)
        self._check_range("exhaustion_reduction", 0.0, 1.0)

    def effect(self, model, m, c):
        e = hill(c)
        m.pd1_blockade = _combine_fraction(m.pd1_blockade, self.max_blockade * e)
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
    half_life_hours: float = 2.9  # IFN-alpha s.c. half-life 2.9 h (Wills 1987); pegylated ~45 h
    tissue_entry_per_hour: float = 5.0  # field units/h per vessel site at C = EC50 (choice)

    def _validate_extra(self) -> None:
        self._check_range("tissue_entry_per_hour", 0.0, 1e4)

    def effect(self, model, m, c):
        m.interferon_infusion_per_hour += self.tissue_entry_per_hour * c


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

    def _validate_extra(self) -> None:
        self._check_range("max_neutralization", 0.0, 1.0)

    def effect(self, model, m, c):
        m.osm_neutralization = _combine_fraction(m.osm_neutralization, self.max_neutralization * hill(c))


@dataclass
class TregDepletion(Treatment):
    """Anti-CTLA-4 / anti-CD25: depletes intratumoral Tregs and lowers their influx."""

    kind: ClassVar[str] = "treg_depletion"
    description: ClassVar[str] = "anti-CTLA-4/anti-CD25: removes Tregs, lowers their recruitment"
    dose: float = 10.0
    start_day: float = 5.0
    interval_days: float = 7.0
    doses: int = 3
    half_life_hours: float = 15.0 * 24  # ipilimumab half-life ~15 d (label)
    depletion_fraction: float = 0.8  # Simpson et al. 2013: Fc-mediated intratumoral Treg depletion
    recruitment_reduction: float = 0.8  # choice

    def _validate_extra(self) -> None:
        self._check_range("depletion_fraction", 0.0, 1.0)
        self._check_range("recruitment_reduction", 0.0, 1.0)

    def on_dose(self, model):
        from .agents import RegulatoryTCell

        pop = model.populations[RegulatoryTCell]
        p = self.depletion_fraction * hill(self.concentration)
        rows = np.flatnonzero(model.rng.random(len(pop)) < p)
        RegulatoryTCell.remove_rows(model, rows)
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

    def _validate_extra(self) -> None:
        self._check_range("max_boost", 0.0, 100.0)

    def effect(self, model, m, c):
        m.cd8_recruitment_factor *= 1.0 + self.max_boost * hill(c)


@dataclass
class AdoptiveCellTransfer(Treatment):
    """Adoptive T-cell transfer or CAR-T: effector cells injected at vessel sites.

    ``dose`` is the number of cells that reach the tissue window. CAR-T cells
    (``car_t = True``) kill antigen-independently (their target is a surface
    protein, not a presented neoantigen).
    """

    kind: ClassVar[str] = "adoptive_transfer"
    dose_unit: ClassVar[str] = "cells"
    description: ClassVar[str] = "adoptive T-cell transfer / CAR-T: injects effector T-cells"
    dose: float = 150.0
    start_day: float = 5.0
    interval_days: float = 0.0
    doses: int = 1
    half_life_hours: float = 7.0 * 24  # choice: persistence of transferred cells, reported only
    car_t: bool = False

    def on_dose(self, model):
        from .agents import CD8TCell

        n = model.add_immune_cells(CD8TCell, int(round(self.dose)), car_t=bool(self.car_t))
        model.counters["cells_transferred"] += n


# =========================================================================== cytotoxic


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

    def _validate_extra(self) -> None:
        self._check_range("max_kill_at_division", 0.0, 1.0)
        self._check_range("marrow_inhibition_max", 0.0, 1.0)

    def effect(self, model, m, c):
        e = hill(c)
        m.division_kill_probability = _combine_fraction(m.division_kill_probability, self.max_kill_at_division * e)
        m.marrow_inhibition = _combine_fraction(m.marrow_inhibition, self.marrow_inhibition_max * e)


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

    kind: ClassVar[str] = "radiotherapy"
    dose_unit: ClassVar[str] = "Gy per fraction"
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

    def _validate_extra(self) -> None:
        self._check_range("alpha_per_gy", 0.0, 5.0)
        self._check_range("beta_per_gy2", 0.0, 5.0)
        self._check_range("lymphocyte_d0_gy", 1e-3, 100.0)
        self._check_range("circulating_lymphocyte_fraction_hit", 0.0, 1.0)

    def surviving_fraction(self) -> float:
        """Linear-quadratic survival of one fraction."""
        return math.exp(-self.alpha_per_gy * self.dose - self.beta_per_gy2 * self.dose**2)

    def on_dose(self, model):
        from .agents import CD8TCell, RegulatoryTCell, TumorCell

        tumor = model.populations[TumorCell]
        hit = model.rng.random(len(tumor)) >= self.surviving_fraction()
        newly = hit & ~tumor["lethally_irradiated"]
        tumor["lethally_irradiated"][hit] = True
        model.counters["tumor_cells_lethally_irradiated"] += int(newly.sum())
        p_lymph = 1.0 - math.exp(-self.dose / self.lymphocyte_d0_gy)
        for cls in (CD8TCell, RegulatoryTCell):
            pop = model.populations[cls]
            cls.remove_rows(model, np.flatnonzero(model.rng.random(len(pop)) < p_lymph))
        self._lymph_loss = self.circulating_lymphocyte_fraction_hit * p_lymph

    def apply(self, model, modifiers):
        self._lymph_loss = 0.0
        super().apply(model, modifiers)
        modifiers.lymphocyte_loss = _combine_fraction(modifiers.lymphocyte_loss, self._lymph_loss)

    def effect(self, model, m, c):
        m.immunogenic_death_boost += self.immunogenic_boost_per_gy * c


@dataclass
class Surgery(Treatment):
    """Resection of the central fraction ``dose`` of the tumor (residual disease stays at the margin)."""

    kind: ClassVar[str] = "surgery"
    dose_unit: ClassVar[str] = "fraction resected"
    description: ClassVar[str] = "surgery: resects the central fraction of the tumor"
    dose: float = 0.95
    start_day: float = 10.0
    half_life_hours: float = 1.0  # no drug: the reported value is the resected fraction, fading fast

    def _validate_extra(self) -> None:
        self._check_range("dose", 0.0, 1.0)

    def on_dose(self, model):
        from .agents import TumorCell

        pop = model.populations[TumorCell]
        n = len(pop)
        if n == 0:
            return
        x, y = model.lattice.xy(pop["site"])
        d2 = (x - x.mean()) ** 2 + (y - y.mean()) ** 2
        k = int(round(self.dose * n))
        order = np.argsort(d2, kind="stable")[:k]
        model.record_tumor_death("surgery", k)
        TumorCell.remove_rows(model, order)


@dataclass
class IRF7Restoration(Treatment):
    """Re-expression of IRF7 in tumor cells (e.g. an epigenetic or gene therapy)."""

    kind: ClassVar[str] = "irf7_restoration"
    dose_unit: ClassVar[str] = "fraction of cells restored"
    description: ClassVar[str] = "IRF7 restoration: switches tumor IRF7 back on (Bidwell et al. 2012)"
    dose: float = 0.9
    start_day: float = 2.0
    half_life_hours: float = 24.0  # reported value only

    def _validate_extra(self) -> None:
        self._check_range("dose", 0.0, 1.0)

    def on_dose(self, model):
        from .agents import TumorCell

        pop = model.populations[TumorCell]
        restore = model.rng.random(len(pop)) < self.dose
        pop["irf7_intact"][restore] = True


# =========================================================================== targeted brakes


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

    def _validate_extra(self) -> None:
        self._check_range("max_brake", 0.0, 1.0)

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

    def _validate_extra(self) -> None:
        self._check_range("max_brake", 0.0, 1.0)

    def effect(self, model, m, c):
        m.proliferation_factor *= 1.0 - self.max_brake * model.p.tumor.her2_expression * hill(c)


TREATMENTS: dict[str, type[Treatment]] = {
    cls.kind: cls
    for cls in (
        CheckpointBlockade,
        InterferonDosing,
        AntiOSM,
        TregDepletion,
        Chemotherapy,
        Radiotherapy,
        CancerVaccine,
        AdoptiveCellTransfer,
        IRF7Restoration,
        Surgery,
        HormoneTherapy,
        HER2Targeted,
    )
}


def make_treatment(spec: dict[str, Any] | str, duration_days: float | None = None) -> Treatment:
    """Build a validated treatment from ``{"type": name, **fields}`` (or just a name).

    Raises:
        TreatmentError: unknown type (with a suggestion), unknown field, bad dose or schedule.
    """
    if isinstance(spec, str):
        spec = {"type": spec}
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind is None:
        raise TreatmentError(f"treatment is missing 'type' (one of: {', '.join(TREATMENTS)})")
    if kind not in TREATMENTS:
        close = difflib.get_close_matches(str(kind), TREATMENTS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise TreatmentError(f"unknown treatment type '{kind}'{hint} (allowed: {', '.join(TREATMENTS)})")
    cls = TREATMENTS[kind]
    allowed = [f.name for f in dataclasses.fields(cls)]
    for key in spec:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise TreatmentError(f"treatment '{kind}': unknown field '{key}'{hint} (allowed: {', '.join(allowed)})")
    if "doses" in spec and isinstance(spec["doses"], float) and spec["doses"].is_integer():
        spec["doses"] = int(spec["doses"])
    return cls(**spec).validate(duration_days)
