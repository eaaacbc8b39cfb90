"""Python API: :func:`compare`, :func:`cohort` and :func:`sweep`.

Each function validates all input first (unknown scenario, bad counts, bad
overrides, an output directory that cannot be written or holds another
experiment), plans one :class:`~experiments.runner.RunSpec` per simulation and
hands the plan to the one experiment skeleton (:func:`experiments.driver.run_experiment`),
which runs everything -- serially, on a local process pool (default) or on a Dask
cluster -- and returns a result object with tidy ``timeseries``, ``outcomes`` and
``statistics`` tables. With ``out`` set, runs are stored one file each (re-running
resumes), and tables, a text report and figures are written there.

The input handling lives in :mod:`experiments.design`, the result classes in
:mod:`experiments.results`; both are re-exported here.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from model import TherapyScenario, get_scenario, sample_virtual_patient

from . import figures as plots
from .design import (
    OUTCOME_DEFINITIONS,
    check_common,
    check_count,
    first_dose_day,
    parse_overrides,
    parse_sweep_parameter,
    resolve_scenarios,
    scenario_record,
    snapshot_days_of,
    sweep_points,
)
from .driver import Analysis, Executed, Output, Plan, common_figures, figure_formats, run_experiment, \
    snapshot_figures, stat_columns
from .errors import ExperimentError
from .outcomes import OUTCOME_DESCRIPTIONS
from .recording import check_record_every, recording_fields
from .results import CohortResult, ComparisonResult, ExperimentResult, SweepResult, load_results
from .limits import check_run_total
from .runner import RunSpec, safe_name
from .stats import response_surface, statistics_table
from .survival import cohort_summary, format_cohort_summary

__all__ = [
    "compare",
    "cohort",
    "sweep",
    "load_results",
    "ExperimentResult",
    "ComparisonResult",
    "CohortResult",
    "SweepResult",
    "parse_overrides",
    "resolve_scenarios",
    "first_dose_day",
]


def _run_settings(days: float | None, overrides: Any, lattice_size: int | None, sample_hours: float) -> dict[str, Any]:
    """The manifest fields every kind of experiment records the same way."""
    return {
        "days": None if days is None else float(days),
        "overrides": parse_overrides(overrides),
        "lattice_size": lattice_size,
        "sample_hours": float(sample_hours),
    }


def _output(seed: Any, sample_hours: Any, out: Any, workers: Any, scheduler: Any, progress: bool,
            stop_after: int | None, csv: bool, figures: Any, snapshot_field: str) -> Output:
    """Check the options every experiment takes; bundle them for the driver."""
    check_common(seed, workers, sample_hours)
    figure_formats(figures)
    return Output(out, workers, scheduler, progress, stop_after, csv, figures, snapshot_field)


def _arms(scenarios: Any, days: float | None, overrides: Any, lattice_size: int | None, reference: str | None,
          snapshot_days: Sequence[float] | None, what: str) -> tuple[list[TherapyScenario], list[str], list[str], dict]:
    """Resolved scenarios, notes, names and snapshot days of a compare / cohort; checks ``reference``."""
    scs, notes = resolve_scenarios(scenarios, days, overrides, lattice_size)
    names = [sc.name for sc in scs]
    if reference is not None and reference not in names:
        raise ExperimentError(f"reference '{reference}' is not one of the {what} ({', '.join(names)})")
    return scs, notes, names, snapshot_days_of(snapshot_days, scs)


def _cohort_figures(r: ExperimentResult, snapshot_field: str, formats: Sequence[str]) -> list[Path]:
    paths = common_figures(r, snapshot_field, formats)
    paths += plots.save_figure(plots.plot_waterfall(r.outcomes), r.out_dir / "figures", "waterfall", formats)
    paths += plots.save_figure(plots.plot_kaplan_meier(r.outcomes), r.out_dir / "figures", "kaplan_meier", formats)
    return paths


def _sweep_figures(r: SweepResult, snapshot_field: str, formats: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for resp in r.response:
        paths += plots.save_figure(plots.plot_response_surface(r.surface, r.parameters, resp), r.out_dir / "figures",
                                   f"response_surface_{resp}", formats)
    return paths + snapshot_figures(r, snapshot_field, formats)


def compare(
    scenarios: Sequence[Any] | str,
    replicates: int = 4,
    days: float | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    lattice_size: int | None = None,
    *,
    reference: str | None = None,
    sample_hours: float = 6.0,
    snapshot_days: Sequence[float] | None = None,
    snapshot_field: str = "interferon",
    csv: bool = False,
    figures: bool | Sequence[str] = True,
    progress: bool = True,
    stop_after: int | None = None,
    baseline_day: float | None = None,
    record_every: int = 0,
) -> ComparisonResult:
    """Run each scenario ``replicates`` times; tables, statistics vs the first scenario, figures.

    Args:
        scenarios: registered names (see ``model.list_scenarios()``), ``.toml`` paths or
            :class:`~model.TherapyScenario` objects. The first is the reference.
        replicates: runs per scenario (>= 1).
        days: simulated days (default: each scenario's ``duration_days``).
        seed: root seed; scenario ``i``, replicate ``r`` uses ``SeedSequence(seed).spawn``
            child ``(i, r)``, so runs are independent and reproducible.
        out: output directory (re-running the same call resumes); None keeps
            everything in memory and writes nothing.
        workers: local processes (default all cores; 1 = serial in this process).
        scheduler: Dask scheduler address (``"tcp://host:8786"``) or a
            ``distributed.Client``; runs go to that cluster.
        overrides: ``{"tumor.division_rate_per_hour": 0.04, "checkpoint_blockade.dose": 5}``
            or ``["KEY=VALUE", ...]``, applied on top of every scenario.
        lattice_size: shortcut for a square lattice of this many sites per side.
        reference: scenario to compare against (default: the first).
        sample_hours: keep time-series rows every this many hours (outcomes use every step).
        snapshot_days: days for spatial snapshots of each scenario's first replicate
            (default: start, middle, end; ``[]`` for none).
        snapshot_field: field drawn under the cell-type map.
        csv: also write CSV copies of the tables.
        figures: write figures when ``out`` is set: True (PNG + SVG), False, or formats
            such as ``["png", "pdf"]``.
        progress: show a progress bar.
        stop_after: testing hook: stop after this many new runs (raises
            :class:`ExperimentInterrupted`).
        baseline_day: RECIST baseline for response and progression (default: the first
            dose of the earliest treatment among the scenarios; 0 if none is treated).
        record_every: record every run's lattice and fields every this many model steps
            into ``<out>/recordings/<run_id>.h5`` for the replay viewer (0: no recording).

    Returns:
        :class:`ComparisonResult` with ``timeseries``, ``outcomes``, ``statistics``, ``out_dir``.
    """
    replicates = check_count("replicates", replicates)
    check_record_every(record_every, out)
    output = _output(seed, sample_hours, out, workers, scheduler, progress, stop_after, csv, figures, snapshot_field)
    scs, notes, names, snaps = _arms(scenarios, days, overrides, lattice_size, reference, snapshot_days, "scenarios")
    check_run_total(len(scs) * replicates)
    specs = []
    for i, sc in enumerate(scs):
        d = sc.to_dict()
        for r in range(replicates):
            specs.append(
                RunSpec(
                    run_id=f"{safe_name(sc.name)}__r{r:03d}",
                    labels={"scenario": sc.name, "replicate": r},
                    scenario=d,
                    seed=int(seed),
                    spawn_key=(i, r),
                    sample_hours=float(sample_hours),
                    snapshot_days=snaps[sc.name] if r == 0 else (),
                    **recording_fields(out, f"{safe_name(sc.name)}__r{r:03d}", record_every),
                )
            )
    experiment = {
        "kind": "compare",
        "scenarios": {sc.name: scenario_record(sc) for sc in scs},
        "order": names,
        "replicates": replicates,
        "seed": int(seed),
        **_run_settings(days, overrides, lattice_size, sample_hours),
        "snapshot_days": {k: list(v) for k, v in snaps.items()},
        "seeding": "SeedSequence(seed, spawn_key=(scenario_index, replicate))",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
        **({"record_every": int(record_every)} if record_every else {}),
    }

    def analyse(x: Executed) -> Analysis:
        stats = statistics_table(x.outcomes, "scenario", stat_columns(x.outcomes), reference, seed=int(seed))
        result = ComparisonResult("compare", x.timeseries, x.outcomes, stats, x.out_dir, x.manifest, [],
                                  x.snapshots, "", notes)
        return Analysis(result, {"timeseries": x.timeseries, "outcomes": x.outcomes, "statistics": stats},
                        lambda r, formats: common_figures(r, snapshot_field, formats))

    return run_experiment(Plan("compare", specs, experiment, notes, baseline_day), output, analyse)


# =========================================================================== cohort


def cohort(
    scenarios: Sequence[Any] | str,
    patients: int = 20,
    days: float | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    lattice_size: int | None = None,
    *,
    reference: str | None = None,
    variability: Mapping[str, tuple[str, float]] | None = None,
    sample_hours: float = 6.0,
    snapshot_days: Sequence[float] | None = (),
    snapshot_field: str = "interferon",
    csv: bool = False,
    figures: bool | Sequence[str] = True,
    progress: bool = True,
    stop_after: int | None = None,
    baseline_day: float | None = None,
    record_every: int = 0,
) -> CohortResult:
    """A virtual patient cohort, every patient treated in every arm (an in-silico crossover).

    Patient ``p`` draws its parameters with ``model.sample_virtual_patient`` from
    stream ``SeedSequence(seed, spawn_key=(p, 0))`` around each arm's parameters,
    and simulates with stream ``(p, 1)``: the same patient (and initial tumor) in
    every arm, so arms are compared paired (Wilcoxon signed-rank, paired bootstrap).

    Args mirror :func:`compare`; ``patients`` is the cohort size and ``variability``
    overrides ``model.scenarios.PATIENT_VARIABILITY``.

    Returns:
        :class:`CohortResult`; ``summary`` holds responder fraction (exact CI),
        CR/PR/SD/PD counts, median time to progression and log-rank p per arm.
    """
    patients = check_count("patients", patients)
    check_record_every(record_every, out)
    output = _output(seed, sample_hours, out, workers, scheduler, progress, stop_after, csv, figures, snapshot_field)
    scs, notes, names, snaps = _arms(scenarios, days, overrides, lattice_size, reference, snapshot_days, "arms")
    reference = reference or names[0]
    check_run_total(len(scs) * patients)
    specs, patient_records = [], {}
    for sc in scs:
        base = sc.parameters()
        for p in range(patients):
            rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(p, 0)))
            try:
                draw = sample_virtual_patient(base, rng, variability)
            except ValueError as exc:
                raise ExperimentError(f"patient variability: {exc}") from None
            patient_records.setdefault(sc.name, []).append(draw)
            run_sc = dataclasses.replace(sc, overrides={**sc.overrides, **draw})
            specs.append(
                RunSpec(
                    run_id=f"{safe_name(sc.name)}__p{p:04d}",
                    labels={"scenario": sc.name, "patient": p},
                    scenario=run_sc.to_dict(),
                    seed=int(seed),
                    spawn_key=(p, 1),
                    sample_hours=float(sample_hours),
                    snapshot_days=snaps[sc.name] if p == 0 else (),
                    **recording_fields(out, f"{safe_name(sc.name)}__p{p:04d}", record_every),
                )
            )
    experiment = {
        "kind": "cohort",
        "scenarios": {sc.name: scenario_record(sc) for sc in scs},
        "order": names,
        "reference": reference,
        "patients": patients,
        "patient_parameters": patient_records,
        "variability": {k: list(v) for k, v in (variability or {}).items()} or "model.scenarios.PATIENT_VARIABILITY",
        "seed": int(seed),
        **_run_settings(days, overrides, lattice_size, sample_hours),
        "snapshot_days": {k: list(v) for k, v in snaps.items()},
        "seeding": "patient draw SeedSequence(seed, spawn_key=(patient, 0)); simulation (patient, 1)",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
        **({"record_every": int(record_every)} if record_every else {}),
    }

    def analyse(x: Executed) -> Analysis:
        oc = x.outcomes
        stats = statistics_table(oc, "scenario", stat_columns(oc), reference, paired_by="patient", seed=int(seed))
        summary = cohort_summary(oc, reference)
        result = CohortResult("cohort", x.timeseries, oc, stats, x.out_dir, x.manifest, [], x.snapshots, "", notes,
                              summary=summary)
        tables = {"timeseries": x.timeseries, "outcomes": oc, "statistics": stats, "cohort_summary": summary}
        return Analysis(result, tables, lambda r, formats: _cohort_figures(r, snapshot_field, formats),
                        format_cohort_summary(summary))

    return run_experiment(Plan("cohort", specs, experiment, notes, baseline_day), output, analyse)


# =========================================================================== sweep


def sweep(
    scenario: Any,
    parameters: Mapping[str, Any] | Sequence[str],
    design: str = "grid",
    samples: int | None = None,
    replicates: int = 2,
    days: float | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    lattice_size: int | None = None,
    *,
    response: str | Sequence[str] = "final_tumor_cells",
    sample_hours: float = 6.0,
    snapshot_days: Sequence[float] | None = (),
    snapshot_field: str = "interferon",
    csv: bool = False,
    figures: bool | Sequence[str] = True,
    progress: bool = True,
    stop_after: int | None = None,
    baseline_day: float | None = None,
) -> SweepResult:
    """Parameter or dose sweep of one scenario (full grid or Latin hypercube) with a response surface.

    Args:
        scenario: one scenario name, ``.toml`` path or object.
        parameters: ``{name: values}``. ``name`` is a dotted model parameter or
            ``<treatment>.<field>`` (e.g. ``interferon_dosing.dose``,
            ``interferon_dosing.start_day``). Values: a list (grid values), a
            ``(lo, hi, n)`` tuple (grid of n evenly spaced values) or a ``(lo, hi)``
            tuple (range for ``design="lhs"``). Also accepts CLI strings
            ``["NAME=LO:HI:N", "NAME=a,b,c"]``.
        design: ``"grid"`` (all combinations) or ``"lhs"`` (Latin hypercube,
            :class:`scipy.stats.qmc.LatinHypercube`, ``samples`` points).
        replicates: runs per design point; replicate ``r`` uses the same stream
            ``SeedSequence(seed, spawn_key=(0, r))`` at every point (common random
            numbers give a smoother surface).
        response: outcome(s) drawn as response surfaces.

    Returns:
        :class:`SweepResult` with ``surface`` (one row per point).
    """
    replicates = check_count("replicates", replicates)
    output = _output(seed, sample_hours, out, workers, scheduler, progress, stop_after, csv, figures, snapshot_field)
    if not isinstance(parameters, Mapping):
        parameters = dict(parse_sweep_parameter(p) for p in parameters)
    if not parameters:
        raise ExperimentError("a sweep needs at least one parameter (e.g. --param interferon_dosing.dose=1:10:4)")
    responses = [response] if isinstance(response, str) else list(response)
    known = set(OUTCOME_DESCRIPTIONS) - {"response_category"}
    for r in responses:
        if r not in known:
            close = difflib.get_close_matches(r, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ExperimentError(f"unknown response outcome '{r}'{hint} (see `tumor-immune list --outcomes`)")
    if isinstance(scenario, (list, tuple)):
        if len(scenario) != 1:
            raise ExperimentError("a sweep takes exactly one scenario")
        scenario = scenario[0]
    raw = get_scenario(scenario) if not isinstance(scenario, TherapyScenario) else scenario
    # the base (for current values and the manifest) keeps the scenario's own duration, so
    # a sweep over e.g. start_day is not refused because the *default* start misses --days
    (base,), _ = resolve_scenarios([raw], None, overrides, lattice_size)
    points = sweep_points(parameters, design, samples, int(seed), base)
    check_run_total(len(points) * replicates)

    names = list(parameters)
    fixed = parse_overrides(overrides)
    timed = dataclasses.replace(base, duration_days=float(days)) if days is not None else base
    snaps = snapshot_days_of(snapshot_days, [timed])[base.name]
    specs = []
    notes = []
    for i, pt in enumerate(points):
        # each point starts from the scenario as defined (so e.g. an earlier start_day keeps more doses)
        try:
            (sc,), n = resolve_scenarios([raw], days, {**fixed, **pt}, lattice_size, strict_treatments=True)
        except ValueError as exc:
            raise ExperimentError(f"sweep point {i} ({pt}): {exc}") from None
        notes.extend(f"point {i}: {x}" for x in n)
        d = sc.to_dict()
        for r in range(replicates):
            specs.append(
                RunSpec(
                    run_id=f"point{i:04d}__r{r:03d}",
                    labels={"scenario": base.name, "point": i, **pt, "replicate": r},
                    scenario=d,
                    seed=int(seed),
                    spawn_key=(0, r),
                    sample_hours=float(sample_hours),
                    snapshot_days=snaps if r == 0 else (),
                )
            )
    experiment = {
        "kind": "sweep",
        "scenarios": {base.name: scenario_record(base)},
        "parameters_swept": {k: (list(v) if isinstance(v, (tuple, list, np.ndarray)) else v) for k, v in parameters.items()},
        "design": design,
        "samples": samples,
        "points": points,
        "replicates": replicates,
        "seed": int(seed),
        **_run_settings(days, overrides, lattice_size, sample_hours),
        "snapshot_days": list(snaps),
        "seeding": "SeedSequence(seed, spawn_key=(0, replicate)) at every point; design (1,)",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
    }

    def analyse(x: Executed) -> Analysis:
        stats, surface = response_surface(x.outcomes, points, stat_columns(x.outcomes, names))
        result = SweepResult("sweep", x.timeseries, x.outcomes, stats, x.out_dir, x.manifest, [], x.snapshots, "",
                             notes, group="point", surface=surface, parameters=names, response=responses)
        show = surface[["point", *names, *[f"{r}_mean" for r in responses]]]
        extra = f"Response surface ({len(points)} points x {replicates} replicates):\n" + show.to_string(index=False)
        tables = {"timeseries": x.timeseries, "outcomes": x.outcomes, "statistics": stats, "surface": surface}
        return Analysis(result, tables, lambda r, formats: _sweep_figures(r, snapshot_field, formats), extra)

    return run_experiment(Plan("sweep", specs, experiment, notes, baseline_day), output, analyse)
