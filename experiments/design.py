"""Experiment design: scenario resolution, ``--set`` overrides, the RECIST baseline policy, sweep designs.

Everything here runs before the first simulation, so bad input fails fast with one
:class:`~experiments.errors.ExperimentError` naming the field and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import math
import os
import tomllib
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import qmc

from model import TREATMENTS, ScenarioError, TherapyScenario, get_scenario, make_treatment

from . import limits
from .errors import ExperimentError
from .limits import MAX_REPLICATES, MAX_RUNS
from .outcomes import FIRST_ASSESSMENT_DAY, MIN_PROGRESSION_CELLS, PD_THRESHOLD_PCT, PR_THRESHOLD_PCT, is_real
from .runner import RunSpec, safe_name

__all__ = [
    "IDENTITY_COLUMNS",
    "OUTCOME_DEFINITIONS",
    "parse_value",
    "parse_overrides",
    "resolve_scenarios",
    "check_count",
    "check_common",
    "first_dose_day",
    "baseline_days",
    "with_baseline",
    "snapshot_days_of",
    "scenario_record",
    "parse_sweep_parameter",
    "sweep_points",
]

IDENTITY_COLUMNS = ("run_id", "scenario", "replicate", "patient", "point")
OUTCOME_DEFINITIONS = {
    "best_response": "min over t >= first assessment of % change in equivalent diameter sqrt(N)",
    "first_assessment_day": FIRST_ASSESSMENT_DAY,
    "pr_threshold_pct": PR_THRESHOLD_PCT,
    "pd_threshold_pct": PD_THRESHOLD_PCT,
    "min_progression_cells": MIN_PROGRESSION_CELLS,
}


# =========================================================================== input handling


def parse_value(text: str) -> Any:
    """A ``--set`` value: TOML literal (number, boolean, quoted string, array) or a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    """``["tumor.division_rate_per_hour=0.04", ...]`` (or a mapping) -> ``{name: value}``."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise ExperimentError(f"--set '{item}': expected KEY=VALUE, e.g. --set lattice.width_sites=120")
        out[key] = parse_value(value.strip())
    return out


def _split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Separate model-parameter overrides from treatment-field overrides (``<treatment>.<field>``)."""
    kinds = set(list(TREATMENTS))
    params: dict[str, Any] = {}
    treat: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if head in kinds:
            if not rest or "." in rest:
                raise ExperimentError(f"override '{key}': treatment settings are '<treatment>.<field>', e.g. '{head}.dose'")
            treat.setdefault(head, {})[rest] = value
        else:
            params[key] = value
    return params, treat


def _apply(sc, params: Mapping[str, Any], treat: Mapping[str, Mapping[str, Any]]):
    treatments = []
    for spec in sc.treatments:
        extra = treat.get(spec.get("type"), {})
        treatments.append({**spec, **extra})
    return dataclasses.replace(sc, overrides={**sc.overrides, **params}, treatments=tuple(treatments))


def _fit_schedules(sc) -> tuple[Any, list[str]]:
    """Drop doses that fall at or after the end of the run (with a note); error if none is left."""
    notes = []
    specs = []
    for spec in sc.treatments:
        t = make_treatment(spec, None)
        times = t.dose_times_days()
        k = sum(1 for d in times if d < sc.duration_days - 1e-9)
        if k == 0:
            raise ExperimentError(
                f"scenario '{sc.name}': treatment '{t.kind}' starts on day {times[0]:g}, "
                f"not before the end of the run (day {sc.duration_days:g}); use more --days or an earlier start_day"
            )
        if k < len(times):
            notes.append(
                f"scenario '{sc.name}': {t.kind} keeps {k} of {len(times)} doses (the rest fall after day {sc.duration_days:g})"
            )
            spec = {**spec, "doses": k}
        specs.append(spec)
    return dataclasses.replace(sc, treatments=tuple(specs)), notes


def resolve_scenarios(
    scenarios: Sequence[Any] | str,
    days: float | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    lattice_size: int | None = None,
    *,
    strict_treatments: bool = False,
):
    """Look up, override and validate scenarios; return ``(scenarios, notes)``.

    ``overrides`` keys are dotted model parameters (``tumor.division_rate_per_hour``)
    or treatment fields (``interferon_dosing.dose``; applied to the scenarios that
    have that treatment). ``days`` replaces each scenario's duration; doses that no
    longer fit are dropped with a note.
    """
    if isinstance(scenarios, (str, os.PathLike, TherapyScenario)):
        scenarios = [scenarios]
    scenarios = list(scenarios)
    if not scenarios:
        raise ExperimentError("give at least one scenario (see `tumor-immune list`)")
    overrides = parse_overrides(overrides)
    if lattice_size is not None:
        if not isinstance(lattice_size, (int, np.integer)) or isinstance(lattice_size, bool) or lattice_size < 8:
            raise ExperimentError(f"lattice_size = {lattice_size!r} must be a whole number >= 8")
        overrides = {"lattice.width_sites": int(lattice_size), "lattice.height_sites": int(lattice_size), **overrides}
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or days <= 0:
            raise ExperimentError(f"days = {days!r} must be a number > 0")
    params, treat = _split_overrides(overrides)

    out, notes, seen, used = [], [], {}, set()
    for item in scenarios:
        sc = get_scenario(item) if not isinstance(item, TherapyScenario) else dataclasses.replace(item)
        key = safe_name(sc.name)
        if key in seen:
            raise ExperimentError(f"scenario '{sc.name}' is listed twice (as '{seen[key]}' and '{item}')")
        seen[key] = item
        have = {t.get("type") for t in sc.treatments}
        missing = set(treat) - have
        if strict_treatments and missing:
            raise ExperimentError(
                f"scenario '{sc.name}' has no {', '.join(sorted(missing))} treatment to set "
                f"(its treatments: {', '.join(sorted(have)) or 'none'})"
            )
        used |= set(treat) & have
        sc = _apply(sc, params, treat)
        if days is not None:
            sc = dataclasses.replace(sc, duration_days=float(days))
        try:
            sc, n = _fit_schedules(sc)
            sc.validate()
        except (ScenarioError, ExperimentError):
            raise
        except ValueError as exc:  # ParameterError / TreatmentError
            raise ExperimentError(f"scenario '{sc.name}': {exc}") from None
        notes.extend(n)
        out.append(sc)
    unused = set(treat) - used
    if unused:
        raise ExperimentError(
            f"override for treatment {', '.join(sorted(unused))}: none of the scenarios "
            f"({', '.join(s.name for s in out)}) has that treatment"
        )
    return out, notes


def check_count(name: str, value: Any, minimum: int = 1, maximum: int = MAX_REPLICATES) -> int:
    """``value`` as an int; an error naming ``name`` unless it is a whole number in ``[minimum, maximum]``."""
    return limits.check_count(name, value, minimum, maximum)


def check_common(seed: Any, workers: Any, sample_hours: Any) -> None:
    """Check the arguments every experiment takes (seed, workers, sample_hours)."""
    check_count("seed", seed, 0, 2**63 - 1)
    if workers is not None:
        check_count("workers", workers, 1, 4096)
    if (isinstance(sample_hours, bool) or not isinstance(sample_hours, (int, float))
            or not (sample_hours > 0 and math.isfinite(sample_hours))):
        raise ExperimentError(f"sample_hours = {sample_hours!r} must be a finite number of hours > 0")


def first_dose_day(scenarios) -> float:
    """Day of the earliest first dose over all treatments of ``scenarios`` (0 if none is treated).

    This is the default RECIST baseline of an experiment: every arm, the untreated one
    included, is measured from the size on that day.
    """
    starts = [min(t.dose_times_days()) for sc in scenarios for t in sc.build_treatments()]
    return float(min(starts)) if starts else 0.0


def baseline_days(outcomes: pd.DataFrame) -> dict[str, float] | None:
    """``run_id -> baseline_day`` from an outcomes table (None for tables made before baselines)."""
    if "baseline_day" not in outcomes or "run_id" not in outcomes:
        return None
    return dict(zip(outcomes["run_id"], outcomes["baseline_day"].astype(float)))


def with_baseline(specs: list[RunSpec], baseline_day: float | None, experiment: dict) -> list[RunSpec]:
    """Set every run's RECIST baseline (default: the experiment's first dose) and record it."""
    scs = [TherapyScenario.from_dict(d) for d in {json.dumps(s.scenario, sort_keys=True, default=str): s.scenario
                                                  for s in specs}.values()]
    shortest = min(sc.duration_days for sc in scs)
    default = baseline_day is None
    if default:
        baseline_day = first_dose_day(scs)
    elif not (is_real(baseline_day) and baseline_day >= 0):
        raise ExperimentError(f"baseline_day = {baseline_day!r} must be a number of days >= 0")
    baseline_day = float(baseline_day)
    if baseline_day >= shortest:
        raise ExperimentError(
            f"the default baseline_day (the first dose, day {baseline_day:g}) is not before the end of the "
            f"shortest run ({shortest:g} days): lengthen the runs (--days) or set --baseline-day / baseline_day="
            if default else
            f"baseline_day = {baseline_day:g} must be before the end of the shortest run ({shortest:g} days)"
        )
    experiment["baseline_day"] = baseline_day
    return [dataclasses.replace(s, baseline_day=baseline_day) for s in specs]


def snapshot_days_of(snapshot_days: Sequence[float] | None, scenarios) -> dict[str, tuple[float, ...]]:
    """``{scenario name: snapshot days}`` (default: start, middle, end); an error if outside a run."""
    out = {}
    for sc in scenarios:
        d = sc.duration_days
        if snapshot_days is None:
            days = (0.0, float(round(d / 2.0, 2)), float(d))
        else:
            days = tuple(float(x) for x in snapshot_days)
            for x in days:
                if not (0.0 <= x <= d):
                    raise ExperimentError(f"snapshot day {x:g} is outside scenario '{sc.name}' (0 to {d:g} days)")
        out[sc.name] = tuple(sorted(set(days)))
    return out


def scenario_record(sc: TherapyScenario) -> dict[str, Any]:
    """What the manifest records of a scenario: its definition, full parameters and treatments."""
    return {
        "definition": sc.to_dict(),
        "parameters": sc.parameters().to_dict(),
        "treatments": [t.spec() for t in sc.build_treatments()],
    }


def _current_value(sc, name: str) -> Any:
    head, _, rest = name.partition(".")
    if head in list(TREATMENTS):
        for spec in sc.treatments:
            if spec.get("type") == head:
                full = make_treatment(spec, None).spec()
                if rest not in full:
                    allowed = [k for k in full if k != "type"]
                    close = difflib.get_close_matches(rest, allowed, n=1)
                    hint = f"; did you mean '{head}.{close[0]}'?" if close else ""
                    raise ExperimentError(f"sweep parameter '{name}': {head} has no field '{rest}'{hint}")
                return full[rest]
        raise ExperimentError(
            f"sweep parameter '{name}': scenario '{sc.name}' has no {head} treatment "
            f"(its treatments: {', '.join(t['type'] for t in sc.treatments) or 'none'})"
        )
    flat = sc.parameters().to_dict()
    if name not in flat:
        close = difflib.get_close_matches(name, list(flat) + [f"{k}.dose" for k in list(TREATMENTS)], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ExperimentError(
            f"unknown sweep parameter '{name}'{hint} (a dotted model parameter or '<treatment>.<field>')"
        )
    return flat[name]


def parse_sweep_parameter(text: str) -> tuple[str, Any]:
    """``NAME=LO:HI:N`` (N evenly spaced values), ``NAME=LO:HI`` (a range) or ``NAME=a,b,c``."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ExperimentError(f"--param '{text}': expected NAME=LO:HI:N, NAME=LO:HI or NAME=v1,v2,...")
    try:
        if ":" in spec:
            parts = [float(x) for x in spec.split(":")]
            if len(parts) == 3:
                if not float(parts[2]).is_integer() or parts[2] < 1:
                    raise ValueError
                return name, (parts[0], parts[1], int(parts[2]))
            if len(parts) == 2:
                return name, (parts[0], parts[1])
            raise ValueError
        return name, [parse_value(x.strip()) for x in spec.split(",")]
    except ValueError:
        raise ExperimentError(f"--param '{text}': expected NAME=LO:HI:N, NAME=LO:HI or NAME=v1,v2,... with numbers") from None


def _design_points(parameters: Mapping[str, Any], design: str, samples: int | None, seed: int, current: Mapping[str, Any]):
    names = list(parameters)
    if design == "grid":
        axes = []
        for n in names:
            v = parameters[n]
            if isinstance(v, tuple):
                if len(v) != 3:
                    raise ExperimentError(f"sweep parameter '{n}': a grid needs (lo, hi, n) or a list of values, got {v!r}")
                n_points = check_count(f"grid points of sweep parameter '{n}'", v[2], 1, MAX_RUNS)
                axes.append(list(np.linspace(v[0], v[1], n_points)))
            else:
                vals = list(v) if isinstance(v, (list, np.ndarray, range)) else [v]
                if not vals:
                    raise ExperimentError(f"sweep parameter '{n}': no values")
                axes.append(vals)
        limits.check_run_total(math.prod(len(a) for a in axes), "grid points")  # before building the grid
        points = [dict(zip(names, combo)) for combo in itertools.product(*axes)]
    elif design == "lhs":
        if samples is None:
            samples = 10 * len(names)
        samples = check_count("samples", samples, 1, MAX_RUNS)
        lows, highs = [], []
        for n in names:
            v = parameters[n]
            lo, hi = (float(v[0]), float(v[1])) if isinstance(v, tuple) else (float(min(v)), float(max(v)))
            if not lo < hi:
                raise ExperimentError(f"sweep parameter '{n}': a Latin hypercube needs a range lo < hi, got {lo:g}..{hi:g}")
            lows.append(lo)
            highs.append(hi)
        sampler = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,))))
        unit = sampler.random(samples)
        scaled = qmc.scale(unit, lows, highs)
        points = [dict(zip(names, row.tolist())) for row in scaled]
    else:
        raise ExperimentError(f"design '{design}' must be 'grid' or 'lhs'")
    # whole-number parameters stay whole numbers
    for pt in points:
        for n in names:
            v = pt[n]
            if isinstance(current[n], bool):
                continue
            if isinstance(current[n], int):
                pt[n] = int(round(float(v)))
            elif isinstance(v, (int, float, np.number)):
                pt[n] = float(v)
    return points



def sweep_points(
    parameters: Mapping[str, Any], design: str, samples: int | None, seed: int, base: TherapyScenario
) -> list[dict[str, Any]]:
    """The design points of a sweep of ``base`` (``design`` = ``"grid"`` or ``"lhs"``).

    Each name must be a model parameter or treatment field of ``base``; whole-number
    parameters stay whole numbers at every point.
    """
    current = {n: _current_value(base, n) for n in parameters}
    return _design_points(parameters, design, samples, seed, current)

