"""Outcomes without a row per step: the same outcomes and sampled rows, bit for bit, as a full collection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

import experiments.runner as runner
from experiments.errors import ExperimentError
from experiments.outcome_trace import OutcomeTrace, sampled_rows
from experiments.outcomes import compute_outcomes, outcomes_from_series
from experiments.runner import RunSpec, build_model, execute_run
from model import TumorImmuneModel, get_scenario


class _OwnSummary(TumorImmuneModel):
    """A user's model class with its own summary (what register_model_class allows)."""

    def summarize(self):
        return {**super().summarize()}


def _spec(name: str, seed: int, sample_hours: float = 6.0, baseline_day: float = 0.0, size: int = 30,
          days: float | None = None, every: int = 1, **extra) -> RunSpec:
    sc = get_scenario(name)
    sc.duration_days = days or sc.duration_days
    sc.overrides = {**sc.overrides, "lattice.width_sites": size, "lattice.height_sites": size,
                    **({"lattice.collect_every_steps": every} if every != 1 else {})}
    return RunSpec("r", {"scenario": name}, sc.to_dict(), seed, (0,), sample_hours=sample_hours,
                   baseline_day=baseline_day, **extra)


def _full(spec: RunSpec, monkeypatch):
    """The run with a row collected at every step (the path every run took before the trace)."""
    with monkeypatch.context() as m:
        m.setattr(runner, "_traceable", lambda *_: False)
        return execute_run(spec)


def _assert_same_outcomes(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert type(a[k]) is type(b[k]), k
        assert (math.isnan(a[k]) and math.isnan(b[k])) if isinstance(a[k], float) and math.isnan(a[k]) else a[k] == b[k], k


@pytest.mark.parametrize("name, seed, sample_hours, baseline_day", [
    ("untreated", 1, 6.0, 0.0),
    ("anti_osm", 2, 7.3, 3.0),  # a treatment that scales the OSM mean the outcomes average
    ("chemotherapy", 3, 1.0, 2.0),  # marrow nadirs; a sample of two steps
    ("car_t", 4, 24.0, 0.0),  # eradication: CR, the eradication day
])
def test_outcomes_and_sampled_rows_are_those_of_a_full_collection(name, seed, sample_hours, baseline_day, monkeypatch):
    spec = _spec(name, seed, sample_hours, baseline_day)
    assert runner._traceable(spec, build_model(spec))
    traced, full = execute_run(spec), _full(spec, monkeypatch)
    _assert_same_outcomes(traced.outcomes, full.outcomes)
    assert_frame_equal(traced.timeseries, full.timeseries, check_exact=True)


def test_runs_with_hooks_or_fine_samples_collect_every_step():
    spec = _spec("untreated", 1, days=1.0)
    model = build_model(spec)
    assert runner._traceable(spec, model)
    for other in (_spec("untreated", 1, sample_hours=0.0, days=1.0), _spec("untreated", 1, sample_hours=0.7, days=1.0),
                  _spec("untreated", 1, days=1.0, probe=dict), _spec("untreated", 1, days=1.0, setup=print)):
        assert not runner._traceable(other, model)
    every_two = _spec("untreated", 1, days=1.0, every=2)
    assert not runner._traceable(every_two, build_model(every_two))
    own = build_model(spec)
    own.__class__ = _OwnSummary  # the trace computes its values as TumorImmuneModel.summarize does
    assert not runner._traceable(spec, own)
    model.step()  # a model that has stepped (or holds more rows) is not traced
    assert not runner._traceable(spec, model)


def test_a_run_stopped_between_samples_keeps_its_last_state():
    spec = _spec("untreated", 5, days=2.0)
    traced, full = build_model(spec), build_model(spec)
    trace = OutcomeTrace(traced, 6.0)
    traced.collect_filter = trace
    for _ in range(17):  # 8.5 hours: the last step is not a sampled one
        traced.step()
        full.step()
    traced.collect_filter = None
    assert len(traced.datacollector.get_model_vars_dataframe()) == 2  # hours 0 and 6; 8.5 not yet
    series, sampled = trace.finish(traced, traced.datacollector.get_model_vars_dataframe())
    whole = full.datacollector.get_model_vars_dataframe()
    assert_frame_equal(sampled.reset_index(drop=True),
                       whole.iloc[sampled_rows(whole["hours"].to_numpy(), 6.0)].reset_index(drop=True), check_exact=True)
    assert list(sampled["hours"]) == [0.0, 6.0, 8.5]
    assert_frame_equal(series, whole[list(series.columns)], check_exact=True)
    _assert_same_outcomes(compute_outcomes(whole), outcomes_from_series(series, sampled.iloc[-1]))


def test_sampled_rows_and_the_trace_need_two_steps():
    hours = np.arange(0, 49) * 0.5
    assert list(sampled_rows(hours, 6.0)) == [0, 12, 24, 36, 48]
    assert list(sampled_rows(hours, 7.0)) == [0, 14, 28, 42, 48]  # plus the last row
    assert list(sampled_rows(hours, 0.25)) == list(range(49))  # finer than a step: every row
    with pytest.raises(ExperimentError, match="two steps"):
        OutcomeTrace(build_model(_spec("untreated", 1, days=1.0)), 0.5)
