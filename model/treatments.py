"""Treatments: a schedule, a pharmacokinetic state and an effect on the rules.

Every treatment is a dataclass with a dosing schedule (``start_day``,
``interval_days``, ``doses``), a well-mixed plasma concentration that jumps by
``dose`` at each dosing time and decays with ``half_life_hours``, and an
effect that reads the concentration each step and writes the step's
:class:`~model.effects.RuleModifiers` (or acts once at each dose, e.g. surgery).

Schedules: ``doses`` boluses ``interval_days`` apart from ``start_day``, or
``doses = "continuous"``: a zero-order infusion (or daily oral dosing at steady
state) from ``start_day`` to ``stop_day`` (default: the end of the run) whose
steady-state concentration is ``dose``; the concentration approaches it with the
drug's half-life, ``C(t) = dose * (1 - 2**(-(t - start)/half_life))``, and washes
out after ``stop_day``. Overlapping boluses of one treatment add (linear PK).

Units: for drugs, ``dose`` is the peak concentration a dose adds, in units of
the drug's half-maximal effect concentration (EC50), so ``dose = 10`` is a
saturating dose; the effect is ``Emax * C / (C + 1)``. Radiotherapy doses are
Gy per fraction, adoptive transfer doses are cells, surgery doses the fraction
of the tumor resected.

Combining: treatments are applied in list order but their effects commute:
blocking fractions combine as independent events ``1 - (1-a)(1-b)``,
multipliers multiply and rates add, so ``[A, B]`` and ``[B, A]`` give the same
rules. One-off actions at the same step (e.g. surgery then radiotherapy) do
follow list order. A list may hold the same type twice (e.g. two courses
with different doses): they are independent entries, combined like two drugs,
and their data-collector columns are ``<type>_concentration`` and
``<type>_2_concentration``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy import ndimage

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
    "CONTINUOUS",
]


class TreatmentError(ParameterError):
    """A treatment name, dose or schedule is not allowed."""


CONTINUOUS = "continuous"


def _combine_fraction(a: float, b: float) -> float:
    return 1.0 - (1.0 - a) * (1.0 - b)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


@dataclass
class Treatment:
    """Base class: schedule + one-compartment pharmacokinetics.

    Attributes:
        dose: amount per dose (see the subclass's ``dose_unit``); for
            ``doses = "continuous"`` the steady-state concentration.
        start_day: day of the first dose (or start of the infusion).
        interval_days: days between doses (needed when ``doses > 1``).
        doses: number of doses, or ``"continuous"`` (drugs only).
        half_life_hours: plasma (or effect) half-life.
        stop_day: end of a continuous infusion (ignored for boluses); ``inf`` = end of the run.
    """

    kind: ClassVar[str] = "treatment"
    dose_unit: ClassVar[str] = "x EC50"
    description: ClassVar[str] = ""
    #: False for treatments that act once per dose (cells, Gy, resection): no infusion.
    allows_continuous: ClassVar[bool] = True

    dose: float = 10.0
    start_day: float = 0.0
    interval_days: float = 0.0
    doses: int | str = 1
    half_life_hours: float = 24.0
    stop_day: float = math.inf

    def __post_init__(self) -> None:
        self.concentration = 0.0
        self._model = None
        self._name = self.kind
        self._dose_steps: list[int] = []
        self._infusion_steps: tuple[int, int] = (0, -1)

    # ------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        """Column-friendly name: the type, or ``<type>_<k>`` for the k-th entry of one type in a model."""
        return self._name

    def spec(self) -> dict[str, Any]:
        """Plain mapping that :func:`make_treatment` turns back into this treatment."""
        out: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):
            out[f.name] = getattr(self, f.name)
        return out

    # ------------------------------------------------------------ schedule
    @property
    def continuous(self) -> bool:
        """Whether this is a continuous infusion rather than boluses."""
        return isinstance(self.doses, str) and self.doses == CONTINUOUS

    def dose_times_days(self) -> list[float]:
        """All bolus times in days (a continuous infusion: its start)."""
        if self.continuous:
            return [self.start_day]
        return [self.start_day + i * self.interval_days for i in range(self.doses)]

    def validate(self, duration_days: float | None = None) -> "Treatment":
        """Raise :class:`TreatmentError` naming the field if the schedule or dose is impossible."""
        k = self.kind
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "doses":
                continue
            if f.type in ("bool", bool):
                if not isinstance(v, (bool, np.bool_)):
                    raise TreatmentError(f"treatment '{k}': {f.name} = {v!r} must be true or false")
            elif not _is_number(v):
                raise TreatmentError(f"treatment '{k}': {f.name} = {v!r} must be a number")
        if not math.isfinite(self.dose) or self.dose < 0:
            raise TreatmentError(f"treatment '{k}': dose = {self.dose!r} must be a number >= 0 ({self.dose_unit})")
        if not math.isfinite(self.start_day) or self.start_day < 0:
            raise TreatmentError(f"treatment '{k}': start_day = {self.start_day!r} must be a number >= 0 (days)")
        if isinstance(self.doses, str):
            if self.doses != CONTINUOUS:
                raise TreatmentError(
                    f"treatment '{k}': doses = {self.doses!r} must be a whole number >= 1 or \"{CONTINUOUS}\""
                )
            if not self.allows_continuous:
                raise TreatmentError(
                    f"treatment '{k}': doses = \"{CONTINUOUS}\" is not allowed: this treatment acts once per dose "
                    f"({self.dose_unit}); give a whole number of doses"
                )
        elif (
            not isinstance(self.doses, (int, np.integer))
            or isinstance(self.doses, (bool, np.bool_))
            or self.doses < 1
        ):
            raise TreatmentError(
                f"treatment '{k}': doses = {self.doses!r} must be a whole number >= 1 or \"{CONTINUOUS}\""
            )
        if not self.continuous:
            if self.doses > 1 and not self.interval_days > 0:
                raise TreatmentError(
                    f"treatment '{k}': interval_days = {self.interval_days!r} must be > 0 when doses = {self.doses}"
                )
            if not math.isfinite(self.interval_days) or self.interval_days < 0:
                raise TreatmentError(f"treatment '{k}': interval_days = {self.interval_days!r} must be >= 0")
        elif not self.stop_day > self.start_day:
            raise TreatmentError(
                f"treatment '{k}': stop_day = {self.stop_day!r} must be after start_day = {self.start_day!r}"
            )
        if not (math.isfinite(self.half_life_hours) and self.half_life_hours > 0):
            raise TreatmentError(f"treatment '{k}': half_life_hours = {self.half_life_hours!r} must be > 0 (hours)")
        if duration_days is not None:
            last = self.dose_times_days()[-1]
            if last >= duration_days:
                if self.continuous:
                    how = f"start_day {self.start_day:g}"
                    what = "the infusion starts at day"
                else:
                    how = f"start_day {self.start_day:g} + {self.doses - 1} x interval_days {self.interval_days:g}"
                    what = "the schedule's last dose at day"
                raise TreatmentError(
                    f"treatment '{k}': {what} {last:g} ({how}) is not before the end of the run "
                    f"(duration_days = {duration_days:g}); allowed: doses before day {duration_days:g}"
                )
        self._validate_extra()
        return self

    def _validate_extra(self) -> None:
        """Subclass hook for treatment-specific fields."""

    def _check_range(self, name: str, lo: float, hi: float) -> None:
        v = getattr(self, name)
        if not (_is_number(v) and lo <= v <= hi):
            raise TreatmentError(f"treatment '{self.kind}': {name} = {v!r} is outside the allowed range [{lo}, {hi}]")

    @staticmethod
    def _step_of(day: float, dt_hours: float) -> int:
        """The step whose interval ``[(k-1) dt, k dt)`` contains ``day`` (a dose is given at that step's start)."""
        return int(math.floor(day * 24.0 / dt_hours + 1e-9)) + 1

    # ------------------------------------------------------------ runtime
    def bind(self, model: "TumorImmuneModel") -> None:
        """Attach to a model: convert dosing times to step numbers, reset the PK state, pick the column name."""
        self.validate(model.duration_days)
        self._model = model
        self.concentration = 0.0
        same = [t for t in getattr(model, "treatments", []) if t.kind == self.kind]
        rank = next((i for i, t in enumerate(same) if t is self), 0)
        self._name = self.kind if rank == 0 else f"{self.kind}_{rank + 1}"
        if self.continuous:
            stop = self._step_of(self.stop_day, model.dt) if math.isfinite(self.stop_day) else 2**62
            self._dose_steps = []
            self._infusion_steps = (self._step_of(self.start_day, model.dt), stop)
        else:
            self._dose_steps = [self._step_of(t, model.dt) for t in self.dose_times_days()]
            self._infusion_steps = (0, -1)

    def apply(self, model: "TumorImmuneModel", modifiers: RuleModifiers) -> None:
        """Called at the start of every step: give due doses, set effects, then advance the PK by one step.

        A bolus raises the concentration at the start of its step; the effect
        of step k uses the concentration at its start; then the concentration
        decays (and a running infusion adds its input) exactly over ``dt``.
        """
        due = self._dose_steps.count(model.steps)
        for _ in range(due):
            self.concentration += self.dose
            self.on_dose(model)
        if self.concentration > 0:
            self.effect(model, modifiers, self.concentration)
        keep = math.exp(-math.log(2.0) * model.dt / self.half_life_hours)
        self.concentration *= keep
        first, stop = self._infusion_steps
        if first <= model.steps < stop:
            self.concentration += self.dose * (1.0 - keep)
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
    tissue_entry_per_hour: float = 40.0  # field units/h per vessel site at C = EC50 (choice: mean tissue level ~0.3 EC50 over a 2-day cycle)

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
    description: ClassVar[str] = "adoptive T-cell transfer / CAR-T: injects effector T-cells"
    allows_continuous: ClassVar[bool] = False
    dose: float = 150.0  # choice: ~1e9-1e10 infused cells, of which a window this size receives O(100)
    start_day: float = 5.0
    interval_days: float = 0.0
    doses: int = 1
    half_life_hours: float = 7.0 * 24  # choice: persistence of transferred cells, reported only
    car_t: bool = False

    def _validate_extra(self) -> None:
        if not float(self.dose).is_integer():
            raise TreatmentError(f"treatment '{self.kind}': dose = {self.dose!r} must be a whole number of cells")

    def on_dose(self, model):
        from .agents import CD8TCell

        want = int(round(self.dose))
        sites = perivascular_free_sites(model, want)
        for s in sites.tolist():
            CD8TCell(model, s, car_t=bool(self.car_t))
        model.counters["cells_transferred"] += int(sites.size)
        if sites.size < want:
            model.counters["cells_not_placed"] += want - int(sites.size)


def perivascular_free_sites(model: "TumorImmuneModel", n: int) -> np.ndarray:
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

    allows_continuous: ClassVar[bool] = False
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

    allows_continuous: ClassVar[bool] = False
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

    allows_continuous: ClassVar[bool] = False
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
    if not isinstance(kind, str) or kind not in TREATMENTS:
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
