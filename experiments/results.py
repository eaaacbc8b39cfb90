"""Result objects of an experiment and :func:`load_results` (reopen an output directory)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import figures as plots
from .design import baseline_days
from .errors import ExperimentError
from .manifest import verify_outputs
from .outcomes import HEADLINE_OUTCOMES

__all__ = ["ExperimentResult", "ComparisonResult", "CohortResult", "SweepResult", "load_results"]

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
        return plots.plot_tumor_burden(self.timeseries, self.group, baseline_days(self.outcomes))

    def plot_immune_populations(self):
        return plots.plot_immune_populations(self.timeseries, self.group)

    def plot_fields(self):
        return plots.plot_fields(self.timeseries, self.group)

    def plot_treatments(self):
        return plots.plot_treatments(self.timeseries, self.group)

    def plot_outcomes(self, columns: Sequence[str] = HEADLINE_OUTCOMES):
        return plots.plot_outcome_distributions(self.outcomes, columns, self.group)

    def plot_snapshots(self, run_id: str | None = None, field: str = "interferon"):
        """Spatial snapshots of ``run_id`` (default: the first run that has them)."""
        if not self.snapshots:
            raise ExperimentError("this experiment took no snapshots (snapshot_days was empty)")
        run_id = run_id or next(iter(self.snapshots))
        return plots.plot_snapshots(self.snapshots[run_id], field, title=run_id)


@dataclass(repr=False)
class ComparisonResult(ExperimentResult):
    """Result of :func:`compare` (group column: ``scenario``)."""


@dataclass(repr=False)
class CohortResult(ExperimentResult):
    """Result of :func:`cohort`; ``summary`` has responder fraction, median TTP and log-rank p per arm."""

    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plot_waterfall(self):
        return plots.plot_waterfall(self.outcomes, self.group)

    def plot_kaplan_meier(self):
        return plots.plot_kaplan_meier(self.outcomes, self.group)


@dataclass(repr=False)
class SweepResult(ExperimentResult):
    """Result of :func:`sweep`; ``surface`` has one row per design point (mean and CI of each outcome)."""

    surface: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameters: list[str] = field(default_factory=list)
    response: list[str] = field(default_factory=list)

    def plot_response_surface(self, response: str | None = None):
        return plots.plot_response_surface(self.surface, self.parameters, response or self.response[0])




def load_results(out: str | os.PathLike) -> ExperimentResult:
    """Reopen a finished experiment's tables from its output directory (no simulation)."""
    out = Path(out)
    mpath = out / "manifest.json"
    if not mpath.exists():
        raise ExperimentError(f"'{out}' holds no manifest.json: not an experiment output directory")
    manifest = json.loads(mpath.read_text())
    kind = manifest["experiment"]["kind"]
    missing = [n for n in ("timeseries", "outcomes", "statistics") if not (out / f"{n}.parquet").exists()]
    if missing:
        raise ExperimentError(f"'{out}' is not finished (no {', '.join(missing)}.parquet); re-run its command")
    verify_outputs(out, [*out.glob("*.parquet"), *sorted((out / "snapshots").glob("*.npz"))])
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
