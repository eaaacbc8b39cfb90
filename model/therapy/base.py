"""The treatment base: a schedule, a pharmacokinetic state and an effect on the rules.

Every treatment is a dataclass with a dosing schedule (``start_day``,
``interval_days``, ``doses``), a well-mixed plasma concentration that jumps by
``dose`` at each dosing time and decays with ``half_life_hours``, and an
effect that reads the concentration each step and writes the step's
:class:`~model.therapy.rules.RuleModifiers` (or acts once at each dose, e.g. surgery).

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
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

import mesa
import numpy as np

from ..engine.parameters import ParameterError
from .rules import RuleModifiers

__all__ = ["Treatment", "TreatmentError", "CONTINUOUS", "is_number", "SCHEDULE_RANGES", "MAX_DOSES", "treatment_list"]


class TreatmentError(ParameterError):
    """A treatment name, dose or schedule is not allowed."""


CONTINUOUS = "continuous"

#: allowed range, unit and source of the schedule fields every treatment has
SCHEDULE_RANGES: dict[str, tuple[float, float, str, str]] = {
    "start_day": (0.0, 3650.0, "days", "choice: runs of up to 10 years"),
    "interval_days": (0.0, 365.0, "days", "choice: at most a year between doses"),
    "half_life_hours": (0.01, 1e6, "hours", "choice: 36 s (IFN-alpha 2.9 h) to 1e6 h, i.e. a constant level"),
    "stop_day": (0.0, 3650.0, "days", "choice: as start_day; inf = the end of the run"),
}
#: most doses one treatment entry may give (choice: daily dosing for ~3 years); bounds memory up front
MAX_DOSES = 1000


def is_number(v: Any) -> bool:
    """A real number (numpy scalars included), not a bool."""
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
    #: allowed ``dose`` range (in ``dose_unit``) and its source
    dose_range: ClassVar[tuple[float, float, str]] = (0.0, 1000.0, "choice: 100 x the saturating dose of 10 x EC50")

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
            elif not is_number(v):
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
        elif self.doses > MAX_DOSES:
            raise TreatmentError(
                f"treatment '{k}': doses = {self.doses!r} is above the limit of {MAX_DOSES} doses per treatment "
                "(choice: daily dosing for ~3 years); add a second entry of the same type for more"
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
        self.check_physical_ranges()
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
        self.validate_extra()
        return self

    def validate_extra(self) -> None:
        """Subclass hook for treatment-specific fields."""

    def check_physical_ranges(self) -> None:
        """Upper (and lower) bounds of the dose and schedule fields, with units and sources (see ``field_ranges``)."""
        for name, (lo, hi, unit, source) in self.field_ranges().items():
            v = getattr(self, name)
            if name == "stop_day" and v == math.inf:
                continue  # the end of the run
            self.check_range(name, lo, hi, unit, source)

    def check_range(self, name: str, lo: float, hi: float, unit: str = "", source: str = "") -> None:
        """Raise :class:`TreatmentError` unless field ``name`` lies in ``[lo, hi]`` (unit and source in the message)."""
        v = getattr(self, name)
        if not (is_number(v) and lo <= v <= hi):
            where = f" {unit}" if unit else ""
            why = f" ({source})" if source else ""
            raise TreatmentError(
                f"treatment '{self.kind}': {name} = {v!r} is outside the allowed range [{lo}, {hi}]{where}{why}"
            )

    @classmethod
    def field_ranges(cls) -> dict[str, tuple[float, float, str, str]]:
        """``{field: (lo, hi, unit, source)}`` for the dose and schedule fields (others: see ``validate_extra``)."""
        lo, hi, source = cls.dose_range
        return {"dose": (lo, hi, cls.dose_unit, source), **SCHEDULE_RANGES}

    @staticmethod
    def _step_of(day: float, dt_hours: float) -> int:
        """The step whose interval ``[(k-1) dt, k dt)`` contains ``day`` (a dose is given at that step's start)."""
        return int(math.floor(day * 24.0 / dt_hours + 1e-9)) + 1

    # ------------------------------------------------------------ runtime
    def bind(self, model: mesa.Model) -> None:
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

    def apply(self, model: mesa.Model, modifiers: RuleModifiers) -> None:
        """Called at the start of every step: give due doses, set effects, then advance the PK by one step.

        A bolus raises the concentration at the start of its step; the effect
        of step k uses the concentration at its start; then the concentration
        decays (and a running infusion adds its input) exactly over ``dt``.
        """
        due = self._dose_steps.count(model.steps)
        for _ in range(due):
            self.concentration += self.dose
            self.on_dose(model)
        self.check_finite(model)
        if self.concentration > 0:
            self.effect(model, modifiers, self.concentration)
        keep = math.exp(-math.log(2.0) * model.dt / self.half_life_hours)
        self.concentration *= keep
        first, stop = self._infusion_steps
        if first <= model.steps < stop:
            self.concentration += self.dose * (1.0 - keep)
        if self.concentration < 1e-12:
            self.concentration = 0.0
        self.check_finite(model)

    def check_finite(self, model: mesa.Model) -> None:
        """Raise :class:`TreatmentError` if the concentration is inf or NaN (never go on with a warning)."""
        if not math.isfinite(self.concentration):
            raise TreatmentError(
                f"treatment '{self.name}': concentration became {self.concentration!r} at step {model.steps} "
                f"(dose = {self.dose!r}, half_life_hours = {self.half_life_hours!r}); the model state must stay finite"
            )

    def on_dose(self, model: mesa.Model) -> None:
        """One-off action at each dose (default: none)."""

    def effect(self, model: mesa.Model, m: RuleModifiers, c: float) -> None:
        """Continuous effect of concentration ``c`` on this step's rules (default: none)."""


def treatment_list(treatments: Any) -> list[Treatment]:
    """``treatments`` (None or an iterable of :class:`Treatment` objects) as a list; anything else is
    refused with a :class:`TreatmentError` naming the bad entry (a model's ``treatments`` argument)."""
    if treatments is not None and (isinstance(treatments, (str, Mapping)) or not isinstance(treatments, Iterable)):
        raise TreatmentError(f"treatments = {treatments!r} must be a list of Treatment objects")
    out = list(treatments or [])
    for i, t in enumerate(out):
        if not isinstance(t, Treatment):
            raise TreatmentError(
                f"treatments[{i}] = {t!r} must be a Treatment object, e.g. make_treatment({t!r})"
                if isinstance(t, str) else
                f"treatments[{i}] = {t!r} must be a Treatment object (see make_treatment)"
            )
    return out
