"""``run_trial``: patients -> lesion-scale RECIST courses -> read-outs, figures and report in ``out``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..runner import ExperimentError, write_table
from .checks import check_table
from .cohort import courses
from .design import TrialDesign, load_design
from .driver import read_patients, run_patients
from .readouts import analysis_table
from .report import figures, markdown_report

__all__ = ["TrialResult", "run_trial", "analyse"]


@dataclass
class TrialResult:
    """Everything a trial produced: per patient x arm courses, the analysis table, the output folder."""

    design: TrialDesign
    courses: pd.DataFrame
    table: pd.DataFrame
    out_dir: Path
    checks: pd.DataFrame


def analyse(design: TrialDesign, out_dir: Path, elapsed_s: float | None = None, plots: bool = True) -> TrialResult:
    """Read the finished patients in ``out_dir`` and write tables, figures and ``report.md``."""
    records = read_patients(out_dir, design)
    if len(records) < design.patients:
        raise ExperimentError(f"trial in '{out_dir}' has {len(records)} of {design.patients} patients; "
                              "re-run the same command to finish it")
    df = courses(design, records)
    table = analysis_table(df, design.analyses)
    write_table(df, out_dir / "courses.parquet", csv=True)
    write_table(table, out_dir / "analyses.parquet", csv=True)
    checks = check_table(table)
    write_table(checks, out_dir / "checks.parquet", csv=True)
    figs = figures(design, df, out_dir) if plots else []
    text = markdown_report(design, table, df, figs, elapsed_s, checks)
    tmp = out_dir / ".report.md.tmp"
    tmp.write_text(text)
    tmp.replace(out_dir / "report.md")
    return TrialResult(design, df, table, out_dir, checks)


def run_trial(design: TrialDesign | str | Path, out: str | Path, patients: int | None = None,
              workers: int | None = None, scheduler: Any = None, progress: bool = False,
              plots: bool = True) -> TrialResult:
    """Run (or resume) a virtual trial and write its read-outs; see docs/trial.md."""
    if not isinstance(design, TrialDesign):
        design = load_design(design)
    if patients is not None:
        design = design.with_patients(patients)
    t0 = time.perf_counter()
    out_dir = run_patients(design, out, workers=workers, scheduler=scheduler, progress=progress)
    return analyse(design, out_dir, time.perf_counter() - t0, plots=plots)
