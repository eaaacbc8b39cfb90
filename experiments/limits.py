"""Upper bounds on an experiment's size, checked before any work (nothing simulated, nothing written).

A request that cannot finish (10^12 replicates, a grid of 10^10 points, a time
series sampled every 10^-7 hours) is refused up front with an error naming the
limit, instead of hanging in allocation or failing after hours of simulation.
The output size is estimated from each run's duration, time step and sampling
interval (a run never keeps more rows than it has steps).
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Sequence

from model import TherapyScenario

from .errors import ExperimentError

__all__ = [
    "MAX_REPLICATES", "MAX_RUNS", "MAX_TIMESERIES_ROWS", "BYTES_PER_VALUE", "TYPICAL_COLUMNS",
    "check_count", "check_run_total", "estimate_rows", "check_output_size",
]

#: replicates (or patients) per arm or design point (choice: ~100 x a large study)
MAX_REPLICATES = 10_000
#: simulations in one experiment (choice: days of a large cluster at ~1 min per run)
MAX_RUNS = 100_000
#: time-series rows kept in total (choice: ~2.4 GB in memory at 60 columns of 8 bytes)
MAX_TIMESERIES_ROWS = 5_000_000
BYTES_PER_VALUE = 8
TYPICAL_COLUMNS = 60


def check_count(name: str, value: Any, minimum: int = 1, maximum: int = MAX_REPLICATES) -> int:
    """``value`` as an int in ``[minimum, maximum]``, else :class:`ExperimentError` naming ``name`` and the limit."""
    ok = isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, float))
    if isinstance(value, bool) or not ok:
        raise ExperimentError(f"{name} = {value!r} must be a whole number >= {minimum}")
    value = int(value)
    if value < minimum:
        raise ExperimentError(f"{name} = {value!r} must be a whole number >= {minimum}")
    if value > maximum:
        raise ExperimentError(f"{name} = {value:,} is above the limit of {maximum:,} (experiments.limits)")
    return value


def check_run_total(n_runs: int, what: str = "runs") -> int:
    """Refuse an experiment of more than :data:`MAX_RUNS` simulations (before the specs are built)."""
    if n_runs > MAX_RUNS:
        raise ExperimentError(
            f"this experiment would need {n_runs:,} {what}, above the limit of {MAX_RUNS:,} simulations "
            "(experiments.limits); use fewer replicates, design points or scenarios"
        )
    return n_runs


def _rows_per_run(duration_days: float, dt_hours: float, sample_hours: float) -> int:
    hours = duration_days * 24.0
    steps = math.ceil(hours / dt_hours - 1e-9)
    sampled = math.floor(hours / sample_hours + 1e-9) if sample_hours > 0 else steps
    return min(steps, sampled) + 2  # the first row, and the last one always kept


def estimate_rows(specs: Iterable[Any]) -> int:
    """Time-series rows the runs will keep (each spec: ``scenario`` dict and ``sample_hours``)."""
    dt_cache: dict[str, float] = {}
    total = 0
    for s in specs:
        key = json.dumps(s.scenario, sort_keys=True, default=str)
        if key not in dt_cache:
            sc = TherapyScenario.from_dict(s.scenario)
            dt_cache[key] = float(sc.parameters().lattice.dt_hours)
        total += _rows_per_run(float(s.scenario.get("duration_days", 30.0)), dt_cache[key], float(s.sample_hours))
    return total


def check_output_size(specs: Sequence[Any], limit: int = MAX_TIMESERIES_ROWS) -> int:
    """Estimate the time-series size; refuse above ``limit`` rows naming the limit and the size. Returns the rows."""
    rows = estimate_rows(specs)
    if rows > limit:
        gib = rows * TYPICAL_COLUMNS * BYTES_PER_VALUE / 2**30
        hours = sorted({float(s.sample_hours) for s in specs})
        raise ExperimentError(
            f"the time series would hold ~{rows:,} rows (~{gib:.1f} GiB), above the limit of {limit:,} rows "
            f"(experiments.limits); use a larger sample_hours / --sample-hours (now {hours[0]:g}), "
            "fewer replicates or shorter runs"
        )
    return rows
