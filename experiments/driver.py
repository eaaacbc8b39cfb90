"""The one experiment skeleton shared by compare, cohort and sweep.

``run_experiment`` takes a *plan* (the run specs and the experiment's definition for
the manifest) and does the same steps for every kind of experiment:

1. set every run's RECIST baseline (:func:`experiments.design.with_baseline`);
2. connect to a Dask scheduler if one is given;
3. check / create the output directory and its manifest (before any run starts);
4. run every unfinished spec (:func:`experiments.runner.run_all`) and combine the runs
   into tidy ``timeseries`` and ``outcomes`` tables in spec order;
5. hand the tables to the kind's ``analyse`` function (statistics, extra tables,
   figures, an extra report paragraph) and write tables, figures and ``report.txt``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import figures as plots
from .design import IDENTITY_COLUMNS, baseline_days, with_baseline
from .errors import ExperimentError
from .files import write_table, write_text_atomic
from .limits import check_output_size
from .manifest import MANIFEST, prepare_out_dir, record_outputs, release_out_dir
from .outcomes import HEADLINE_OUTCOMES
from .results import ExperimentResult
from .cluster import connect_scheduler
from .runner import RunSpec, RunStore, combine, run_all
from .stats import format_statistics, numeric_outcomes

__all__ = ["Plan", "Output", "Executed", "Analysis", "run_experiment", "figure_formats", "stat_columns",
           "common_figures", "snapshot_figures"]


@dataclass
class Plan:
    """What to run: the kind, every run's spec, the manifest's experiment record, notes."""

    kind: str
    specs: list[RunSpec]
    experiment: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    baseline_day: float | None = None


@dataclass(frozen=True)
class Output:
    """Where and how to run and what to write (the options every experiment shares)."""

    out: str | os.PathLike | None = None
    workers: int | None = None
    scheduler: Any = None
    progress: bool = True
    stop_after: int | None = None
    csv: bool = False
    figures: bool | str | Sequence[str] = True
    snapshot_field: str = "interferon"


@dataclass
class Executed:
    """The combined runs of a plan, handed to the kind's analysis."""

    timeseries: pd.DataFrame
    outcomes: pd.DataFrame
    snapshots: dict[str, dict[str, np.ndarray]]
    out_dir: Path | None
    manifest: dict[str, Any]
    info: dict[str, Any]


@dataclass
class Analysis:
    """What a kind makes of its runs: the result, tables to write, figures, a report paragraph."""

    result: ExperimentResult
    tables: dict[str, pd.DataFrame]
    figures: Callable[[ExperimentResult, Sequence[str]], list[Path]]
    extra_report: str = ""


def figure_formats(figures: bool | str | Sequence[str] | None) -> tuple[str, ...]:
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


def stat_columns(outcomes: pd.DataFrame, extra_exclude: Iterable[str] = ()) -> list[str]:
    """The numeric outcome columns that get statistics (identity columns excluded)."""
    return numeric_outcomes(outcomes, exclude=(*IDENTITY_COLUMNS, *extra_exclude))


def _execute(plan: Plan, output: Output) -> Executed:
    """Steps 2-4: connect, check the output directory, run everything, combine."""
    client, own = connect_scheduler(output.scheduler)
    t0 = time.perf_counter()
    specs = plan.specs
    try:
        out_dir = store = None
        check_output_size(specs)  # before anything is written
        if output.out is not None:
            out_dir = prepare_out_dir(output.out, plan.experiment, specs)
            store = RunStore(out_dir)
        memory, done_before = run_all(
            specs, store, workers=output.workers, client=client, progress=output.progress, desc=plan.kind,
            stop_after=output.stop_after,
        )
    finally:
        if own:
            client.close()
    ts, outcomes = combine(specs, store, memory)
    snaps: dict[str, dict[str, np.ndarray]] = {}
    for s in specs:
        if not s.snapshot_days:
            continue
        data = memory[s.run_id].snapshots if memory is not None else store.read_snapshots(s.run_id)
        if data is not None:
            snaps[s.run_id] = data
    manifest = {"experiment": plan.experiment}
    if out_dir is not None:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    info = {"runs": len(specs), "resumed": done_before, "seconds": time.perf_counter() - t0}
    return Executed(ts, outcomes, snaps, out_dir, manifest, info)


def snapshot_figures(result: ExperimentResult, snapshot_field: str, formats: Sequence[str]) -> list[Path]:
    """One figure of spatial snapshots per run that took them."""
    paths: list[Path] = []
    for run_id, snap in result.snapshots.items():
        fld = snapshot_field if snapshot_field in snap else "interferon"
        paths += plots.save_figure(plots.plot_snapshots(snap, fld, title=run_id), result.out_dir / "figures",
                                   f"snapshots_{run_id}", formats)
    return paths


def common_figures(result: ExperimentResult, snapshot_field: str, formats: Sequence[str]) -> list[Path]:
    """Time courses, outcome distributions and snapshots (compare and cohort)."""
    fig_dir = result.out_dir / "figures"
    paths: list[Path] = []
    g = result.group
    ts, oc = result.timeseries, result.outcomes
    for name, fig in (
        ("tumor_burden", plots.plot_tumor_burden(ts, g, baseline_days(oc))),
        ("immune_populations", plots.plot_immune_populations(ts, g)),
        ("fields", plots.plot_fields(ts, g)),
        ("treatments", plots.plot_treatments(ts, g)),
        ("outcomes", plots.plot_outcome_distributions(oc, HEADLINE_OUTCOMES, g)),
    ):
        if fig is not None:
            paths += plots.save_figure(fig, fig_dir, name, formats)
    return paths + snapshot_figures(result, snapshot_field, formats)


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


def run_experiment(plan: Plan, output: Output, analyse: Callable[[Executed], Analysis]) -> ExperimentResult:
    """Run ``plan`` and write its outputs; ``analyse`` turns the combined runs into the result."""
    formats = figure_formats(output.figures)
    plan.specs = with_baseline(plan.specs, plan.baseline_day, plan.experiment)
    try:  # the output directory's lock (taken by prepare_out_dir) is held until every file is written
        executed = _execute(plan, output)
        analysis = analyse(executed)
        result = analysis.result
        files: list[Path] = []
        if result.out_dir is not None:
            for name, df in analysis.tables.items():
                files += write_table(df, result.out_dir / f"{name}.parquet", csv=output.csv)
            if formats:
                result.figures = analysis.figures(result, formats)
                files += result.figures
        result.report = _report(result, executed.info, files, analysis.extra_report)
        if result.out_dir is not None:
            report = write_text_atomic(result.out_dir / "report.txt", result.report + "\n")
            record_outputs(result.out_dir, [*files, report])
    finally:
        release_out_dir(output.out)
    return result
