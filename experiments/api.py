"""Python API: :func:`compare`, :func:`cohort` and :func:`sweep`.

Each function validates all input first (unknown scenario, bad counts, bad
overrides, an output directory that cannot be written or holds another
experiment), then runs every simulation -- serially, on a local process pool
(default) or on a Dask cluster -- and returns a result object with tidy
``timeseries``, ``outcomes`` and ``statistics`` tables. With ``out`` set, runs
are stored one file each (re-running resumes), and tables, a text report and
figures are written there.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import math
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .outcomes import (
    FIRST_ASSESSMENT_DAY,
    HEADLINE_OUTCOMES,
    MIN_PROGRESSION_CELLS,
    OUTCOME_DESCRIPTIONS,
    PD_THRESHOLD_PCT,
    PR_THRESHOLD_PCT,
    _is_real,
)
from .limits import MAX_REPLICATES, MAX_RUNS, check_count, check_output_size, check_run_total
from .manifest import release_out_dir, verify_outputs
from .recording import check_record_every, recording_fields
from .runner import (
    ExperimentError,
    RunSpec,
    RunStore,
    combine,
    connect_scheduler,
    prepare_out_dir,
    run_all,
    safe_name,
    write_table,
)
from .stats import format_statistics, numeric_outcomes, statistics_table, summarize_outcomes

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


def _treatment_kinds() -> list[str]:
    from model import TREATMENTS

    return list(TREATMENTS)


def _split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Separate model-parameter overrides from treatment-field overrides (``<treatment>.<field>``)."""
    kinds = set(_treatment_kinds())
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
    from model import make_treatment

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
    from model import ScenarioError, TherapyScenario, get_scenario

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


def _check_count(name: str, value: Any, minimum: int = 1, maximum: int = MAX_REPLICATES) -> int:
    return check_count(name, value, minimum, maximum)


def _check_common(seed: Any, workers: Any, sample_hours: Any) -> None:
    _check_count("seed", seed, 0, 2**63 - 1)
    if workers is not None:
        _check_count("workers", workers, 1, 4096)
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


def _baseline_days(outcomes: pd.DataFrame) -> dict[str, float] | None:
    """``run_id -> baseline_day`` from an outcomes table (None for tables made before baselines)."""
    if "baseline_day" not in outcomes or "run_id" not in outcomes:
        return None
    return dict(zip(outcomes["run_id"], outcomes["baseline_day"].astype(float)))


def _with_baseline(specs: list[RunSpec], baseline_day: float | None, experiment: dict) -> list[RunSpec]:
    """Set every run's RECIST baseline (default: the experiment's first dose) and record it."""
    from model import TherapyScenario

    scs = [TherapyScenario.from_dict(d) for d in {json.dumps(s.scenario, sort_keys=True, default=str): s.scenario
                                                  for s in specs}.values()]
    shortest = min(sc.duration_days for sc in scs)
    default = baseline_day is None
    if default:
        baseline_day = first_dose_day(scs)
    elif not (_is_real(baseline_day) and baseline_day >= 0):
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


def _snapshot_days(snapshot_days: Sequence[float] | None, scenarios) -> dict[str, tuple[float, ...]]:
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


def _scenario_record(sc) -> dict[str, Any]:
    return {
        "definition": sc.to_dict(),
        "parameters": sc.parameters().to_dict(),
        "treatments": [t.spec() for t in sc.build_treatments()],
    }


# =========================================================================== results


@dataclass
class ExperimentResult:
    """Tables, report and files of one experiment.

    Attributes:
        kind: ``"compare"``, ``"cohort"`` or ``"sweep"``.
        timeseries: one row per run x sampled time point (identity columns first).
        outcomes: one row per run (see :mod:`experiments.outcomes`).
        statistics: per outcome x group summary and comparison with the reference.
        out_dir: where files were written (None for in-memory experiments).
        manifest: the experiment definition (scenarios, parameters, seeds, versions).
        figures: paths of written figure files.
        snapshots: ``{run_id: {"days", "cells", <field>...}}`` spatial snapshots.
        report: the printed text summary.
        notes: warnings about adjustments made (e.g. doses dropped to fit ``days``).
    """

    kind: str
    timeseries: pd.DataFrame
    outcomes: pd.DataFrame
    statistics: pd.DataFrame
    out_dir: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    snapshots: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    report: str = ""
    notes: list[str] = field(default_factory=list)
    group: str = "scenario"

    def __repr__(self) -> str:
        n = len(self.outcomes)
        groups = list(dict.fromkeys(self.outcomes[self.group])) if n else []
        where = f", out_dir='{self.out_dir}'" if self.out_dir else ""
        return f"{type(self).__name__}({n} runs, {self.group}s={groups}{where})"

    # ---- figures for notebooks (each returns a matplotlib Figure)
    def plot_tumor_burden(self):
        from .figures import plot_tumor_burden

        return plot_tumor_burden(self.timeseries, self.group, _baseline_days(self.outcomes))

    def plot_immune_populations(self):
        from .figures import plot_immune_populations

        return plot_immune_populations(self.timeseries, self.group)

    def plot_fields(self):
        from .figures import plot_fields

        return plot_fields(self.timeseries, self.group)

    def plot_treatments(self):
        from .figures import plot_treatments

        return plot_treatments(self.timeseries, self.group)

    def plot_outcomes(self, columns: Sequence[str] = HEADLINE_OUTCOMES):
        from .figures import plot_outcome_distributions

        return plot_outcome_distributions(self.outcomes, columns, self.group)

    def plot_snapshots(self, run_id: str | None = None, field: str = "interferon"):
        """Spatial snapshots of ``run_id`` (default: the first run that has them)."""
        from .figures import plot_snapshots

        if not self.snapshots:
            raise ExperimentError("this experiment took no snapshots (snapshot_days was empty)")
        run_id = run_id or next(iter(self.snapshots))
        return plot_snapshots(self.snapshots[run_id], field, title=run_id)


@dataclass(repr=False)
class ComparisonResult(ExperimentResult):
    """Result of :func:`compare` (group column: ``scenario``)."""


@dataclass(repr=False)
class CohortResult(ExperimentResult):
    """Result of :func:`cohort`; ``summary`` has responder fraction, median TTP and log-rank p per arm."""

    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plot_waterfall(self):
        from .figures import plot_waterfall

        return plot_waterfall(self.outcomes, self.group)

    def plot_kaplan_meier(self):
        from .figures import plot_kaplan_meier

        return plot_kaplan_meier(self.outcomes, self.group)


@dataclass(repr=False)
class SweepResult(ExperimentResult):
    """Result of :func:`sweep`; ``surface`` has one row per design point (mean and CI of each outcome)."""

    surface: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameters: list[str] = field(default_factory=list)
    response: list[str] = field(default_factory=list)

    def plot_response_surface(self, response: str | None = None):
        from .figures import plot_response_surface

        return plot_response_surface(self.surface, self.parameters, response or self.response[0])


# =========================================================================== shared driver


def _run_experiment(
    kind: str,
    specs: list[RunSpec],
    experiment: dict[str, Any],
    out: str | os.PathLike | None,
    workers: int | None,
    scheduler: Any,
    progress: bool,
    stop_after: int | None,
):
    """Connect, check the output directory, run everything, combine; return (ts, outcomes, snaps, out_dir, manifest, stats)."""
    client, own = connect_scheduler(scheduler)
    t0 = time.perf_counter()
    try:
        out_dir = store = None
        check_output_size(specs)  # before anything is written
        if out is not None:
            out_dir = prepare_out_dir(out, experiment, specs)
            store = RunStore(out_dir)
        memory, done_before = run_all(
            specs, store, workers=workers, client=client, progress=progress, desc=kind, stop_after=stop_after
        )
    except BaseException:
        release_out_dir(out)
        raise
    finally:
        if own:
            client.close()
    ts, outcomes = combine(specs, store, memory)
    snaps: dict[str, dict[str, np.ndarray]] = {}
    for s in specs:
        if not s.snapshot_days:
            continue
        if memory is not None:
            if memory[s.run_id].snapshots is not None:
                snaps[s.run_id] = memory[s.run_id].snapshots
        else:
            data = store.read_snapshots(s.run_id)
            if data is not None:
                snaps[s.run_id] = data
    manifest = {"experiment": experiment}
    if out_dir is not None:
        import json

        manifest = json.loads((out_dir / "manifest.json").read_text())
    info = {"runs": len(specs), "resumed": done_before, "seconds": time.perf_counter() - t0}
    return ts, outcomes, snaps, out_dir, manifest, info


def _write_outputs(result: ExperimentResult, tables: Mapping[str, pd.DataFrame], csv: bool, info: Mapping) -> list[Path]:
    paths: list[Path] = []
    if result.out_dir is None:
        return paths
    for name, df in tables.items():
        paths += write_table(df, result.out_dir / f"{name}.parquet", csv=csv)
    return paths


def _figures_common(result: ExperimentResult, snapshot_field: str, formats: Sequence[str]) -> list[Path]:
    from . import figures as F

    fig_dir = result.out_dir / "figures"
    paths: list[Path] = []
    g = result.group
    ts, oc = result.timeseries, result.outcomes
    for name, fig in (
        ("tumor_burden", F.plot_tumor_burden(ts, g, _baseline_days(oc))),
        ("immune_populations", F.plot_immune_populations(ts, g)),
        ("fields", F.plot_fields(ts, g)),
        ("treatments", F.plot_treatments(ts, g)),
        ("outcomes", F.plot_outcome_distributions(oc, HEADLINE_OUTCOMES, g)),
    ):
        if fig is not None:
            paths += F.save_figure(fig, fig_dir, name, formats)
    for run_id, snap in result.snapshots.items():
        fld = snapshot_field if snapshot_field in snap else "interferon"
        paths += F.save_figure(F.plot_snapshots(snap, fld, title=run_id), fig_dir, f"snapshots_{run_id}", formats)
    return paths


def _report(result: ExperimentResult, info: Mapping, files: Sequence[Path], extra: str = "") -> str:
    lines = [
        f"{result.kind}: {info['runs']} runs ({info['runs'] - info['resumed']} run now, "
        f"{info['resumed']} already finished) in {info['seconds']:.0f} s"
    ]
    for n in result.notes[:5]:
        lines.append(f"note: {n}")
    if len(result.notes) > 5:
        lines.append(f"note: ... and {len(result.notes) - 5} more (see manifest.json)")
    if result.out_dir is not None:
        lines.append(f"results in {result.out_dir}/")
        tops = sorted({p.relative_to(result.out_dir).parts[0] for p in files})
        for t in tops:
            k = sum(1 for p in files if p.relative_to(result.out_dir).parts[0] == t)
            lines.append(f"  {t}" + (f"  ({k} files)" if k > 1 else ""))
        lines.append("  runs/  manifest.json")
    if extra:
        lines += ["", extra]
    if not result.statistics.empty and "reference" in result.statistics:
        shown = [o for o in (*HEADLINE_OUTCOMES, "responder") if o in set(result.statistics["outcome"])]
        lines += ["", "Statistics (mean [95% CI]; difference vs reference with bootstrap 95% CI; Cliff's delta; "
                  + ("Wilcoxon" if result.kind == "cohort" else "Mann-Whitney") + " p):",
                  format_statistics(result.statistics, result.group, shown)]
    return "\n".join(lines)


def _figure_formats(figures: bool | str | Sequence[str]) -> tuple[str, ...]:
    """``True`` -> PNG + SVG; ``False`` -> none; or a list/comma string of png, svg, pdf."""
    if figures is True:
        return ("png", "svg")
    if figures is False or figures is None:
        return ()
    items = figures.split(",") if isinstance(figures, str) else list(figures)
    formats = tuple(str(f).strip().lower().lstrip(".") for f in items if str(f).strip())
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad:
        raise ExperimentError(f"figure format(s) {', '.join(bad)} not supported (use png, svg, pdf)")
    return formats


def _finish(result: ExperimentResult, info: Mapping, tables: Mapping[str, pd.DataFrame], csv: bool,
            figures: bool | Sequence[str], figure_fn, extra: str = "") -> None:
    files = _write_outputs(result, tables, csv, info)
    formats = _figure_formats(figures)
    if result.out_dir is not None and formats:
        result.figures = figure_fn(result, formats)
        files += result.figures
    result.report = _report(result, info, files, extra)
    if result.out_dir is not None:
        p = result.out_dir / "report.txt"
        tmp_text = result.report + "\n"
        from .manifest import record_outputs
        from .runner import atomic_write

        atomic_write(p, lambda q: q.write_text(tmp_text))
        record_outputs(result.out_dir, [*files, p])
        release_out_dir(result.out_dir)


def _stat_columns(outcomes: pd.DataFrame, extra_exclude: Iterable[str] = ()) -> list[str]:
    return numeric_outcomes(outcomes, exclude=(*IDENTITY_COLUMNS, *extra_exclude))


# =========================================================================== compare


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
    replicates = _check_count("replicates", replicates)
    _check_common(seed, workers, sample_hours)
    check_record_every(record_every, out)
    _figure_formats(figures)
    scs, notes = resolve_scenarios(scenarios, days, overrides, lattice_size)
    names = [sc.name for sc in scs]
    if reference is not None and reference not in names:
        raise ExperimentError(f"reference '{reference}' is not one of the scenarios ({', '.join(names)})")
    snaps = _snapshot_days(snapshot_days, scs)
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
        "scenarios": {sc.name: _scenario_record(sc) for sc in scs},
        "order": names,
        "replicates": replicates,
        "seed": int(seed),
        "days": None if days is None else float(days),
        "overrides": parse_overrides(overrides),
        "lattice_size": lattice_size,
        "sample_hours": float(sample_hours),
        "snapshot_days": {k: list(v) for k, v in snaps.items()},
        "seeding": "SeedSequence(seed, spawn_key=(scenario_index, replicate))",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
        **({"record_every": int(record_every)} if record_every else {}),
    }
    specs = _with_baseline(specs, baseline_day, experiment)
    ts, oc, snapshots, out_dir, manifest, info = _run_experiment(
        "compare", specs, experiment, out, workers, scheduler, progress, stop_after
    )
    stats = statistics_table(oc, "scenario", _stat_columns(oc), reference, seed=int(seed))
    result = ComparisonResult("compare", ts, oc, stats, out_dir, manifest, [], snapshots, "", notes)
    _finish(
        result, info, {"timeseries": ts, "outcomes": oc, "statistics": stats}, csv, figures,
        lambda r, formats: _figures_common(r, snapshot_field, formats),
    )
    return result


# =========================================================================== cohort


def _cohort_summary(oc: pd.DataFrame, reference: str) -> pd.DataFrame:
    from scipy import stats as st

    from .figures import kaplan_meier

    rows = []
    ref = oc[oc["scenario"] == reference]
    for arm in dict.fromkeys(oc["scenario"]):
        sub = oc[oc["scenario"] == arm]
        n = len(sub)
        k = int(sub["responder"].sum())
        ci = st.binomtest(k, n).proportion_ci(0.95, method="exact") if n else None
        km = kaplan_meier(sub["time_to_progression_days"], sub["progressed"])
        below = km[km["survival"] <= 0.5]
        median = float(below["time"].iloc[0]) if len(below) else float("nan")
        p = float("nan")
        if arm != reference and sub["progressed"].any() | ref["progressed"].any():
            try:
                x = st.CensoredData.right_censored(sub["time_to_progression_days"], ~sub["progressed"].astype(bool))
                y = st.CensoredData.right_censored(ref["time_to_progression_days"], ~ref["progressed"].astype(bool))
                p = float(st.logrank(x, y).pvalue)
            except (ValueError, ZeroDivisionError):
                pass
        row = {
            "scenario": arm,
            "patients": n,
            "responders": k,
            "responder_fraction": k / n if n else float("nan"),
            "responder_ci_low": float(ci.low) if ci else float("nan"),
            "responder_ci_high": float(ci.high) if ci else float("nan"),
        }
        for cat in ("CR", "PR", "SD", "PD", "NE"):
            row[cat] = int((sub["response_category"] == cat).sum())
        row.update(
            {
                "progression_events": int(sub["progressed"].sum()),
                "median_ttp_days": median,
                "logrank_p_vs_reference": p,
                "mean_best_response_pct": float(sub["best_response_pct"].mean()),
                "median_best_response_pct": float(sub["best_response_pct"].median()),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _format_cohort(summary: pd.DataFrame) -> str:
    lines = ["Cohort (responder = CR or PR; 95% exact CI; median TTP from Kaplan-Meier, '-' = not reached):"]
    w = max([len(str(s)) for s in summary["scenario"]] + [8])
    lines.append(f"  {'arm':<{w}}  {'n':>4}  {'responders':<22}  {'CR/PR/SD/PD':<13}  {'median TTP':>10}  {'log-rank p':>10}")
    for _, r in summary.iterrows():
        resp = f"{100 * r['responder_fraction']:.0f}% [{100 * r['responder_ci_low']:.0f}, {100 * r['responder_ci_high']:.0f}]"
        cats = f"{r['CR']}/{r['PR']}/{r['SD']}/{r['PD']}" + (f" ({r['NE']} NE)" if r["NE"] else "")
        med = "-" if pd.isna(r["median_ttp_days"]) else f"{r['median_ttp_days']:.1f} d"
        p = "" if pd.isna(r["logrank_p_vs_reference"]) else f"{r['logrank_p_vs_reference']:.3g}"
        lines.append(f"  {str(r['scenario']):<{w}}  {int(r['patients']):>4}  {resp:<22}  {cats:<13}  {med:>10}  {p:>10}")
    return "\n".join(lines)


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
    from model import sample_virtual_patient

    patients = _check_count("patients", patients)
    _check_common(seed, workers, sample_hours)
    check_record_every(record_every, out)
    _figure_formats(figures)
    scs, notes = resolve_scenarios(scenarios, days, overrides, lattice_size)
    names = [sc.name for sc in scs]
    if reference is not None and reference not in names:
        raise ExperimentError(f"reference '{reference}' is not one of the arms ({', '.join(names)})")
    reference = reference or names[0]
    snaps = _snapshot_days(snapshot_days, scs)
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
        "scenarios": {sc.name: _scenario_record(sc) for sc in scs},
        "order": names,
        "reference": reference,
        "patients": patients,
        "patient_parameters": patient_records,
        "variability": {k: list(v) for k, v in (variability or {}).items()} or "model.scenarios.PATIENT_VARIABILITY",
        "seed": int(seed),
        "days": None if days is None else float(days),
        "overrides": parse_overrides(overrides),
        "lattice_size": lattice_size,
        "sample_hours": float(sample_hours),
        "snapshot_days": {k: list(v) for k, v in snaps.items()},
        "seeding": "patient draw SeedSequence(seed, spawn_key=(patient, 0)); simulation (patient, 1)",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
        **({"record_every": int(record_every)} if record_every else {}),
    }
    specs = _with_baseline(specs, baseline_day, experiment)
    ts, oc, snapshots, out_dir, manifest, info = _run_experiment(
        "cohort", specs, experiment, out, workers, scheduler, progress, stop_after
    )
    stats = statistics_table(oc, "scenario", _stat_columns(oc), reference, paired_by="patient", seed=int(seed))
    summary = _cohort_summary(oc, reference)
    result = CohortResult("cohort", ts, oc, stats, out_dir, manifest, [], snapshots, "", notes, summary=summary)

    def figs(r: CohortResult, formats: Sequence[str]) -> list[Path]:
        from . import figures as F

        paths = _figures_common(r, snapshot_field, formats)
        paths += F.save_figure(F.plot_waterfall(r.outcomes), r.out_dir / "figures", "waterfall", formats)
        paths += F.save_figure(F.plot_kaplan_meier(r.outcomes), r.out_dir / "figures", "kaplan_meier", formats)
        return paths

    _finish(
        result, info, {"timeseries": ts, "outcomes": oc, "statistics": stats, "cohort_summary": summary},
        csv, figures, figs, extra=_format_cohort(summary),
    )
    return result


# =========================================================================== sweep


def _current_value(sc, name: str) -> Any:
    from model import make_treatment

    head, _, rest = name.partition(".")
    if head in _treatment_kinds():
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
        close = difflib.get_close_matches(name, list(flat) + [f"{k}.dose" for k in _treatment_kinds()], n=1)
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


def _design(parameters: Mapping[str, Any], design: str, samples: int | None, seed: int, current: Mapping[str, Any]):
    names = list(parameters)
    if design == "grid":
        axes = []
        for n in names:
            v = parameters[n]
            if isinstance(v, tuple):
                if len(v) != 3:
                    raise ExperimentError(f"sweep parameter '{n}': a grid needs (lo, hi, n) or a list of values, got {v!r}")
                n_points = _check_count(f"grid points of sweep parameter '{n}'", v[2], 1, MAX_RUNS)
                axes.append(list(np.linspace(v[0], v[1], n_points)))
            else:
                vals = list(v) if isinstance(v, (list, np.ndarray, range)) else [v]
                if not vals:
                    raise ExperimentError(f"sweep parameter '{n}': no values")
                axes.append(vals)
        check_run_total(math.prod(len(a) for a in axes), "grid points")  # before building the grid
        points = [dict(zip(names, combo)) for combo in itertools.product(*axes)]
    elif design == "lhs":
        from scipy.stats import qmc

        if samples is None:
            samples = 10 * len(names)
        samples = _check_count("samples", samples, 1, MAX_RUNS)
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
    replicates = _check_count("replicates", replicates)
    _check_common(seed, workers, sample_hours)
    _figure_formats(figures)
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
    from model import TherapyScenario, get_scenario

    raw = get_scenario(scenario) if not isinstance(scenario, TherapyScenario) else scenario
    # the base (for current values and the manifest) keeps the scenario's own duration, so
    # a sweep over e.g. start_day is not refused because the *default* start misses --days
    (base,), _ = resolve_scenarios([raw], None, overrides, lattice_size)
    current = {n: _current_value(base, n) for n in parameters}
    points = _design(parameters, design, samples, int(seed), current)
    check_run_total(len(points) * replicates)

    names = list(parameters)
    fixed = parse_overrides(overrides)
    timed = dataclasses.replace(base, duration_days=float(days)) if days is not None else base
    snaps = _snapshot_days(snapshot_days, [timed])[base.name]
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
        "scenarios": {base.name: _scenario_record(base)},
        "parameters_swept": {k: (list(v) if isinstance(v, (tuple, list, np.ndarray)) else v) for k, v in parameters.items()},
        "design": design,
        "samples": samples,
        "points": points,
        "replicates": replicates,
        "seed": int(seed),
        "days": None if days is None else float(days),
        "overrides": parse_overrides(overrides),
        "lattice_size": lattice_size,
        "sample_hours": float(sample_hours),
        "snapshot_days": list(snaps),
        "seeding": "SeedSequence(seed, spawn_key=(0, replicate)) at every point; design (1,)",
        "outcome_definitions": OUTCOME_DEFINITIONS,
        "notes": notes,
    }
    specs = _with_baseline(specs, baseline_day, experiment)
    ts, oc, snapshots, out_dir, manifest, info = _run_experiment(
        "sweep", specs, experiment, out, workers, scheduler, progress, stop_after
    )
    cols = _stat_columns(oc, names)
    stats = summarize_outcomes(oc, "point", cols)
    point_table = pd.DataFrame([{"point": i, **pt} for i, pt in enumerate(points)])
    stats = point_table.merge(stats, on="point", how="right")
    wide = stats.pivot_table(index="point", columns="outcome", values=["mean", "ci_low", "ci_high"], dropna=False)
    wide.columns = [f"{oc_}_{stat}" for stat, oc_ in wide.columns]
    ordered = [f"{c}_{s}" for c in cols for s in ("mean", "ci_low", "ci_high") if f"{c}_{s}" in wide.columns]
    surface = point_table.merge(wide[ordered].reset_index(), on="point", how="left")
    result = SweepResult(
        "sweep", ts, oc, stats, out_dir, manifest, [], snapshots, "", notes, group="point",
        surface=surface, parameters=names, response=responses,
    )

    def figs(r: SweepResult, formats: Sequence[str]) -> list[Path]:
        from . import figures as F

        paths = []
        for resp in r.response:
            paths += F.save_figure(F.plot_response_surface(r.surface, r.parameters, resp), r.out_dir / "figures",
                                   f"response_surface_{resp}", formats)
        for run_id, snap in r.snapshots.items():
            fld = snapshot_field if snapshot_field in snap else "interferon"
            paths += F.save_figure(F.plot_snapshots(snap, fld, title=run_id), r.out_dir / "figures",
                                   f"snapshots_{run_id}", formats)
        return paths

    show = surface[["point", *names, *[f"{x}_mean" for x in responses]]]
    extra = f"Response surface ({len(points)} points x {replicates} replicates):\n" + show.to_string(index=False)
    _finish(
        result, info, {"timeseries": ts, "outcomes": oc, "statistics": stats, "surface": surface}, csv, figures,
        figs, extra=extra,
    )
    return result


# =========================================================================== reopening


def load_results(out: str | os.PathLike) -> ExperimentResult:
    """Reopen a finished experiment's tables from its output directory (no simulation)."""
    import json

    out = Path(out)
    mpath = out / "manifest.json"
    if not mpath.exists():
        raise ExperimentError(f"'{out}' holds no manifest.json: not an experiment output directory")
    manifest = json.loads(mpath.read_text())
    kind = manifest["experiment"]["kind"]
    missing = [n for n in ("timeseries", "outcomes", "statistics") if not (out / f"{n}.parquet").exists()]
    if missing:
        raise ExperimentError(f"'{out}' is not finished (no {', '.join(missing)}.parquet); re-run its command")
    verify_outputs(out, [p for p in out.glob("*.parquet")] + sorted((out / "snapshots").glob("*.npz")))
    ts = pd.read_parquet(out / "timeseries.parquet")
    oc = pd.read_parquet(out / "outcomes.parquet")
    st = pd.read_parquet(out / "statistics.parquet")
    snaps = {}
    for p in sorted((out / "snapshots").glob("*.npz")):
        with np.load(p) as data:
            snaps[p.stem] = {k: data[k] for k in data.files}
    figs = sorted((out / "figures").glob("*")) if (out / "figures").exists() else []
    report = (out / "report.txt").read_text() if (out / "report.txt").exists() else ""
    common = dict(out_dir=out, manifest=manifest, figures=figs, snapshots=snaps, report=report,
                  notes=manifest["experiment"].get("notes", []))
    if kind == "cohort":
        return CohortResult(kind, ts, oc, st, summary=pd.read_parquet(out / "cohort_summary.parquet"), **common)
    if kind == "sweep":
        exp = manifest["experiment"]
        return SweepResult(kind, ts, oc, st, group="point", surface=pd.read_parquet(out / "surface.parquet"),
                           parameters=list(exp["parameters_swept"]), response=["final_tumor_cells"], **common)
    return ComparisonResult(kind, ts, oc, st, **common)
