"""Trial designs: a TOML file -> a validated :class:`TrialDesign` (or one named error).

A design names the population (profiles, subtype for the human doubling time,
parameter overrides), the baseline biomarker and its cut-off, the arms (model
treatments given in the lattice window + how long treatment lasts in trial
weeks), the scan schedule, follow-up, patient number, seed, the analyses
(arm x biomarker subset) with their published targets, and optionally the
lesion-scale parameters. Every field is checked before anything runs; an error
names the field (``arm[1].treatments[0].type``) and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

from model import PROFILES, Parameters, ParameterError, make_treatment

from ..runner import ExperimentError

__all__ = [
    "TrialDesignError", "TrialDesign", "ArmDesign", "AnalysisDesign", "LesionScale",
    "load_design", "design_from_dict", "SUBTYPE_DOUBLING_DAYS", "SHIPPED_DESIGNS",
]

#: Human volume doubling time by subtype, mean and SD in days (C5: Ryu et al., Eur Radiol 2014, n=66).
SUBTYPE_DOUBLING_DAYS: dict[str, tuple[float, float]] = {
    "tnbc": (103.0, 43.0),
    "her2_positive": (162.0, 60.0),
    "er_positive": (241.0, 166.0),
}
POPULATIONS = ("all", "biomarker_positive", "biomarker_negative")
SHIPPED_DESIGNS = Path(__file__).resolve().parent.parent / "data" / "trials"


class TrialDesignError(ExperimentError):
    """A trial design file is malformed; the message names the field and what is allowed."""


@dataclass(frozen=True)
class LesionScale:
    """Lesion-scale (human) parameters of the hybrid; see docs/trial.md for the scaling.

    kill_scale: multiplies the window's treatment log-kill, measured in units of the
        window's own untreated growth, to give the lesion's kill rate in units of
        the lesion's growth rate (1 = the lattice ratio carries over unchanged).
    effect_sd: between-patient lognormal spread of that scale (what one 1-mm^2 window misses).
    resistance_per_month: acquired-resistance decay rate of the treatment effect.
    new_lesion_per_month: hazard of a new lesion at baseline volume for a patient with the
        cohort-median dissemination rate of the window (scales with volume and dissemination).
    """

    kill_scale: float = 6.0
    effect_sd: float = 0.8
    resistance_per_month: float = 0.15
    new_lesion_per_month: float = 0.05


@dataclass(frozen=True)
class ArmDesign:
    """One arm: model treatments in the window (lattice days from the fork) and time on treatment."""

    name: str
    treatments: tuple[dict[str, Any], ...]
    max_treatment_weeks: float = math.inf  # treated until progression, at most this long


@dataclass(frozen=True)
class AnalysisDesign:
    """An analysis: one arm in a biomarker subset, optionally compared with a reference arm."""

    name: str
    arm: str
    population: str = "all"
    reference_arm: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    role: str = "calibration"  # calibration targets are fitted; "held_out" ones only predicted


@dataclass(frozen=True)
class TrialDesign:
    """A validated virtual-trial design (see the module docstring)."""

    name: str
    description: str
    seed: int
    patients: int
    subtype: str
    profiles: tuple[str, ...]
    overrides: dict[str, float]
    biomarker_cutoff: float
    lattice_sites: int
    initial_radius_sites: float
    baseline_days: float
    window_days: float
    scan_every_weeks: float
    confirm_weeks: float
    sd_min_weeks: float
    dcr_min_weeks: float
    followup_months: float
    arms: tuple[ArmDesign, ...]
    analyses: tuple[AnalysisDesign, ...]
    lesion: LesionScale

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able mapping (the manifest's experiment definition)."""
        return asdict(self)

    def with_patients(self, n: int) -> "TrialDesign":
        """The same design with ``n`` screened patients (``--patients``)."""
        _num("patients", n, 1, 100_000, whole=True)
        return TrialDesign(**{**self.__dict__, "patients": int(n)})

    def with_lesion(self, lesion: LesionScale) -> "TrialDesign":
        """The same design with other lesion-scale parameters."""
        return TrialDesign(**{**self.__dict__, "lesion": lesion})


def _num(name: str, v: Any, lo: float, hi: float, whole: bool = False) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (not whole or float(v).is_integer())
    if not ok or not (lo <= v <= hi):
        kind = "a whole number" if whole else "a number"
        raise TrialDesignError(f"{name} = {v!r} must be {kind} in [{lo:g}, {hi:g}]")
    return float(v)


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, Mapping):
        raise TrialDesignError(f"{where}{key} must be a table, got {type(v).__name__}")
    return v


def _only(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for k in data:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise TrialDesignError(f"unknown field '{where}{k}'{hint} (allowed: {', '.join(allowed)})")


def _arm(i: int, raw: Any, window_days: float) -> ArmDesign:
    where = f"arm[{i}]."
    if not isinstance(raw, Mapping):
        raise TrialDesignError(f"arm[{i}] must be a table with name and treatments")
    _only(raw, ("name", "treatments", "max_treatment_weeks"), where)
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise TrialDesignError(f"{where}name = {name!r} must be a short identifier, e.g. 'chemo'")
    treatments = raw.get("treatments", [])
    if not isinstance(treatments, list):
        raise TrialDesignError(f"{where}treatments must be a list of treatment tables")
    for j, t in enumerate(treatments):
        try:
            if not isinstance(t, Mapping):
                raise TypeError(f"expected a table like {{ type = 'chemotherapy', interval_days = 7.0 }}, got {t!r}")
            # start_day counts from the fork (default 0: the first dose at the start of the window)
            make_treatment({"start_day": 0.0, **t}, duration_days=window_days)
        except (ParameterError, TypeError) as exc:
            raise TrialDesignError(f"{where}treatments[{j}]: {exc}") from None
    weeks = _num(f"{where}max_treatment_weeks", raw.get("max_treatment_weeks", 1e6), 1, 1e6)
    return ArmDesign(name, tuple({"start_day": 0.0, **t} for t in treatments), math.inf if weeks >= 1e6 else weeks)


def _analysis(i: int, raw: Any, arms: tuple[str, ...]) -> AnalysisDesign:
    where = f"analysis[{i}]."
    if not isinstance(raw, Mapping):
        raise TrialDesignError(f"analysis[{i}] must be a table")
    _only(raw, ("name", "arm", "population", "reference_arm", "targets", "role"), where)
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise TrialDesignError(f"{where}name = {name!r} must be a short identifier")
    for key in ("arm", "reference_arm"):
        v = raw.get(key)
        if (key == "arm" or v is not None) and v not in arms:
            raise TrialDesignError(f"{where}{key} = {v!r} is not an arm (arms: {', '.join(arms)})")
    pop = raw.get("population", "all")
    if pop not in POPULATIONS:
        raise TrialDesignError(f"{where}population = {pop!r} must be one of {', '.join(POPULATIONS)}")
    role = raw.get("role", "calibration")
    if role not in ("calibration", "held_out"):
        raise TrialDesignError(f"{where}role = {role!r} must be 'calibration' or 'held_out'")
    targets = _table(raw, "targets", where)
    allowed = ("orr", "cr_rate", "dcr", "median_pfs_months", "hr_pfs")
    _only(targets, allowed, f"{where}targets.")
    out = {k: _num(f"{where}targets.{k}", v, 0, 1000) for k, v in targets.items()}
    return AnalysisDesign(name, raw["arm"], pop, raw.get("reference_arm"), out, role)


def design_from_dict(data: Mapping[str, Any], source: str = "design") -> TrialDesign:
    """Validate a parsed TOML mapping; raise :class:`TrialDesignError` naming the first bad field."""
    top = ("trial", "population", "biomarker", "window", "scans", "arm", "analysis", "lesion")
    _only(data, top, "")
    trial = _table(data, "trial", "")
    _only(trial, ("name", "description", "seed", "patients"), "trial.")
    name = trial.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise TrialDesignError(f"trial.name = {name!r} must be a short identifier (in {source})")
    seed = int(_num("trial.seed", trial.get("seed", 0), 0, 2**63 - 1, whole=True))
    patients = int(_num("trial.patients", trial.get("patients", 40), 1, 100_000, whole=True))

    pop = _table(data, "population", "")
    _only(pop, ("subtype", "profiles", "overrides"), "population.")
    subtype = pop.get("subtype", "tnbc")
    if subtype not in SUBTYPE_DOUBLING_DAYS:
        raise TrialDesignError(f"population.subtype = {subtype!r} must be one of {', '.join(SUBTYPE_DOUBLING_DAYS)}")
    profiles = pop.get("profiles", ["default"])
    if not isinstance(profiles, list) or not all(p in PROFILES for p in profiles):
        raise TrialDesignError(f"population.profiles = {profiles!r} must be a list of: {', '.join(PROFILES)}")
    overrides = dict(_table(pop, "overrides", "population."))
    try:
        Parameters().replace(overrides)
    except ParameterError as exc:
        raise TrialDesignError(f"population.overrides: {exc}") from None

    bio = _table(data, "biomarker", "")
    _only(bio, ("cutoff",), "biomarker.")
    cutoff = _num("biomarker.cutoff", bio.get("cutoff", 1.0), 0, 100)

    win = _table(data, "window", "")
    _only(win, ("lattice_sites", "initial_radius_sites", "baseline_days", "days"), "window.")
    sites = int(_num("window.lattice_sites", win.get("lattice_sites", 50), 16, 400, whole=True))
    radius = _num("window.initial_radius_sites", win.get("initial_radius_sites", 8.0), 1, sites / 3)
    baseline = _num("window.baseline_days", win.get("baseline_days", 4.0), 0.5, 60)
    days = _num("window.days", win.get("days", 10.0), 1, 60)

    sc = _table(data, "scans", "")
    _only(sc, ("every_weeks", "confirm_weeks", "sd_min_weeks", "dcr_min_weeks", "followup_months"), "scans.")
    every = _num("scans.every_weeks", sc.get("every_weeks", 8.0), 1, 52)
    confirm = _num("scans.confirm_weeks", sc.get("confirm_weeks", 4.0), 0, 52)
    sd_min = _num("scans.sd_min_weeks", sc.get("sd_min_weeks", 6.0), 0, 104)
    dcr_min = _num("scans.dcr_min_weeks", sc.get("dcr_min_weeks", 24.0), 0, 208)
    follow = _num("scans.followup_months", sc.get("followup_months", 12.0), 12, 120)
    if every / 4.345 > follow:
        raise TrialDesignError(f"scans.every_weeks = {every:g} leaves no scan within followup_months = {follow:g}")

    raw_arms = data.get("arm", [])
    if not isinstance(raw_arms, list) or not raw_arms:
        raise TrialDesignError("arm: a design needs at least one [[arm]] table")
    arms = tuple(_arm(i, a, days) for i, a in enumerate(raw_arms))
    names = tuple(a.name for a in arms)
    if len(set(names)) != len(names) or "untreated_twin" in names:
        raise TrialDesignError(f"arm names {names} must be distinct and not 'untreated_twin' (reserved)")
    raw_an = data.get("analysis", [])
    if not isinstance(raw_an, list) or not raw_an:
        raise TrialDesignError("analysis: a design needs at least one [[analysis]] table")
    analyses = tuple(_analysis(i, a, names) for i, a in enumerate(raw_an))

    les = _table(data, "lesion", "")
    _only(les, tuple(LesionScale.__dataclass_fields__), "lesion.")
    base = LesionScale()
    lesion = LesionScale(
        kill_scale=_num("lesion.kill_scale", les.get("kill_scale", base.kill_scale), 0, 1000),
        effect_sd=_num("lesion.effect_sd", les.get("effect_sd", base.effect_sd), 0, 5),
        resistance_per_month=_num("lesion.resistance_per_month", les.get("resistance_per_month",
                                                                         base.resistance_per_month), 0, 10),
        new_lesion_per_month=_num("lesion.new_lesion_per_month", les.get("new_lesion_per_month",
                                                                         base.new_lesion_per_month), 0, 10),
    )
    return TrialDesign(name, str(trial.get("description", "")), seed, patients, subtype, tuple(profiles),
                       overrides, cutoff, sites, radius, baseline, days, every, confirm, sd_min, dcr_min,
                       follow, arms, analyses, lesion)


def load_design(path: str | Path) -> TrialDesign:
    """Read and validate a trial TOML (a path, or the name of a shipped design, e.g. ``impassion130_like``)."""
    p = Path(path)
    if not p.exists() and (SHIPPED_DESIGNS / f"{path}.toml").exists():
        p = SHIPPED_DESIGNS / f"{path}.toml"
    if not p.is_file():
        shipped = ", ".join(sorted(q.stem for q in SHIPPED_DESIGNS.glob("*.toml")))
        raise TrialDesignError(f"trial design '{path}' not found (a .toml path, or a shipped design: {shipped})")
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TrialDesignError(f"trial design '{p}' is not valid TOML: {exc}") from None
    return design_from_dict(data, str(p))
