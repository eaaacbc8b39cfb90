"""Experiments: compare therapies over replicate runs, sweep doses, simulate patient cohorts.

Command line: ``tumor-immune --help`` (or ``python -m experiments``). Python API::

    from experiments import compare
    res = compare(["untreated", "checkpoint_blockade"], replicates=4, days=30, seed=1)
    res.outcomes            # one row per run
    res.statistics          # mean [95% CI] per scenario, effect sizes vs the first
    res.plot_tumor_burden() # matplotlib Figure

Runs execute on a local process pool by default, serially with ``workers=1``, or
on a Dask cluster with ``scheduler="tcp://host:8786"`` (or a ``distributed.Client``);
the tables are identical either way. With ``out=...`` every finished run is saved
and re-running the same call resumes.
"""

from .api import (
    CohortResult,
    ComparisonResult,
    ExperimentResult,
    SweepResult,
    cohort,
    compare,
    first_dose_day,
    load_results,
    parse_overrides,
    resolve_scenarios,
    sweep,
)
from .outcomes import HEADLINE_OUTCOMES, OUTCOME_DESCRIPTIONS, compute_outcomes
from .runner import ExperimentError, ExperimentInterrupted, RunSpec, execute_run
from .stats import (
    bootstrap_ci,
    cliffs_delta,
    compare_to_reference,
    hodges_lehmann,
    mann_whitney,
    mean_ci,
    statistics_table,
    summarize_outcomes,
)

__all__ = [
    "compare",
    "cohort",
    "sweep",
    "load_results",
    "ExperimentResult",
    "ComparisonResult",
    "CohortResult",
    "SweepResult",
    "ExperimentError",
    "ExperimentInterrupted",
    "RunSpec",
    "execute_run",
    "compute_outcomes",
    "OUTCOME_DESCRIPTIONS",
    "HEADLINE_OUTCOMES",
    "parse_overrides",
    "resolve_scenarios",
    "first_dose_day",
    "mean_ci",
    "cliffs_delta",
    "hodges_lehmann",
    "bootstrap_ci",
    "mann_whitney",
    "summarize_outcomes",
    "compare_to_reference",
    "statistics_table",
]
