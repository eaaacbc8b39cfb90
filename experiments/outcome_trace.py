"""A run's outcomes without a data-collector row at every step.

An experiment keeps, per run, its outcomes (computed from every step) and a time series
sampled every ``sample_hours``. The outcomes read only a few columns at every step
(:data:`experiments.outcomes.SERIES_COLUMNS`: times, tumor and CD8 counts, marrow
outputs, two field means) and the last row for everything else. :class:`OutcomeTrace`
records those few values at every step (cheap: counts and two field means, through
``TumorImmuneModel.summary_values``, the same values the summary has) and lets the
model record a full row only at the steps the sampled series keeps (``model.collect_filter``).
The outcomes and the sampled series are then the same, bit for bit, as from a full
collection (``tests/experiments/test_outcome_trace.py``): same values, same rows,
same code (:func:`sampled_rows`, :func:`experiments.outcomes.outcomes_from_series`).
Skipping a row changes nothing in the simulation: collecting reads the model's state
and writes nothing the rules read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import ExperimentError
from .outcomes import SERIES_COLUMNS

__all__ = ["OutcomeTrace", "sampled_rows"]

# a sampled row is the first at or after its grid time, within this slack (hours)
_SLACK_HOURS = 1e-6


def sampled_rows(hours: np.ndarray, sample_hours: float) -> np.ndarray:
    """Indices of the rows a run keeps: the first row at or after each multiple of ``sample_hours``,
    plus the last row; every row when ``sample_hours`` is finer than the time step."""
    if hours.size < 2 or sample_hours < float(np.min(np.diff(hours))):
        return np.arange(hours.size)  # finer than the time step: every row (no giant grid)
    grid = np.arange(0.0, hours[-1] + 1e-9, sample_hours)
    idx = np.unique(np.r_[np.searchsorted(hours, grid - _SLACK_HOURS, side="left"), hours.size - 1])
    return idx[idx < hours.size]


class OutcomeTrace:
    """The outcome columns at every step, and a data-collector row only where the sample needs one.

    Set as the model's ``collect_filter`` after the model's first row (its initial state) was
    recorded and before its first step; :meth:`finish` then gives the outcome series and the
    sampled rows. ``sample_hours`` must be at least two time steps (finer samples keep every row;
    the runner collects every step for them).

    Args:
        model: the model, built, with exactly its initial row collected.
        sample_hours: the run's sampling interval (hours).
    """

    def __init__(self, model: Any, sample_hours: float) -> None:
        if not sample_hours >= 2 * model.dt:
            raise ExperimentError(f"OutcomeTrace: sample_hours = {sample_hours!r} must be >= two steps ({2 * model.dt:g} h)")
        self.sample_hours = float(sample_hours)
        self.columns = ("hours",) + tuple(c for c in SERIES_COLUMNS if c in model.summary and c != "hours")
        self.rows: list[list[Any]] = [[model.summary[c] for c in self.columns]]  # the initial row's values
        self.collected = [0]  # trace indices of the rows the data collector recorded
        self._next_grid = 1  # index of the next sampling time to reach (time 0 is row 0)

    def __call__(self, model: Any) -> bool:
        """Record this step's outcome values; return whether the model should record a full row:
        the first step at or after a sampling time (as :func:`sampled_rows` picks it), or the last
        step of a run with a duration."""
        values = model.summary_values(self.columns)
        self.rows.append(values)
        hours = values[0]
        keep = False
        # the grid time k * sample_hours as np.arange computes it (0.0 + k * step), minus the slack
        while self._next_grid * self.sample_hours - _SLACK_HOURS <= hours:
            keep = True
            self._next_grid += 1
        if model.reached_duration():
            keep = True  # step() ends the run after this row: the last row is always kept
        if keep:
            self.collected.append(len(self.rows) - 1)
        return keep

    def finish(self, model: Any, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(series, sampled)``: the outcome columns at every step, and the sampled time series
        (the rows :func:`sampled_rows` keeps) from ``frame``, the data collector's table of the rows
        this trace let the model record. Collects the last state first if the run stopped between
        sampled rows (``running`` turned off by something else than the duration)."""
        if self.collected[-1] != len(self.rows) - 1:
            model.collect()
            frame = model.datacollector.get_model_vars_dataframe()
            self.collected.append(len(self.rows) - 1)
        frame = frame.reset_index(drop=True)
        series = pd.DataFrame(dict(zip(self.columns, map(list, zip(*self.rows)))), columns=list(self.columns))
        hours = series["hours"].to_numpy(dtype=float)
        where = {row: i for i, row in enumerate(self.collected)}
        keep = sampled_rows(hours, self.sample_hours)
        # a row the sample needs and the model did not record would be a bug here: fail, never fill
        if len(frame) != len(self.collected) or any(int(i) not in where for i in keep) or not np.array_equal(
                frame["hours"].to_numpy(dtype=float), hours[self.collected]):
            raise ExperimentError("OutcomeTrace: the recorded rows do not match the sampled steps (internal error)")
        return series, frame.iloc[[where[int(i)] for i in keep]]
