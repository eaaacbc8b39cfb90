"""Outcome definitions on hand-made time series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import compare, first_dose_day
from experiments.figures import plot_tumor_burden
from experiments.outcomes import compute_outcomes, diameter_change_pct, time_to_progression
from model import get_scenario
from exp_settings import SMALL


def _ts(days, cells, **extra):
    n = len(days)
    base = {
        "hours": np.asarray(days, float) * 24,
        "days": np.asarray(days, float),
        "tumor_cells": np.asarray(cells, float),
        "cd8_t_cells": np.linspace(0, 10, n),
        "cd8_exhausted": np.zeros(n),
        "regulatory_t_cells": np.full(n, 2.0),
        "disseminated_cells": np.arange(n),
        "metastatic_seeds": np.zeros(n),
        "kills_cd8": np.arange(n) * 2.0,
        "kills_chemotherapy": np.zeros(n),
        "marrow_myeloid": np.linspace(1.0, 0.5, n),
    }
    base.update(extra)
    return pd.DataFrame(base)


def test_diameter_change():
    assert diameter_change_pct(400, 100) == pytest.approx(100.0)
    assert diameter_change_pct(0, 100) == pytest.approx(-100.0)


def test_growing_tumor_progresses_and_is_pd():
    days = np.arange(0, 11)
    cells = 100 * 1.2 ** days  # x1.44 at day 2
    out = compute_outcomes(_ts(days, cells))
    assert out["progressed"] is True
    assert out["time_to_progression_days"] == 2.0
    assert out["response_category"] == "PD" and out["responder"] is False
    assert out["best_response_pct"] == pytest.approx(diameter_change_pct(cells[7], 100))  # first assessment: day 7
    assert out["final_tumor_cells"] == pytest.approx(cells[-1])
    assert out["disseminated_cells"] == 10
    assert out["kills_total"] == 20 and out["kills_immune"] == 20
    assert out["final_cd8_treg_ratio"] == pytest.approx(5.0)
    assert out["marrow_myeloid_nadir"] == pytest.approx(0.5)


def test_eradication_is_cr_and_censored():
    days = np.arange(0, 11)
    cells = [100, 80, 50, 20, 5, 0, 0, 0, 0, 0, 0]
    out = compute_outcomes(_ts(days, cells))
    assert out["response_category"] == "CR" and out["responder"] is True
    assert out["eradicated"] is True and out["eradication_day"] == 5.0
    assert out["progressed"] is False and out["time_to_progression_days"] == 10.0
    assert out["best_response_pct"] == -100.0
    assert out["final_cd8_exhausted_fraction"] == 0.0


def test_progression_is_measured_from_the_nadir():
    days = np.arange(0, 11)
    cells = [400, 300, 200, 100, 100, 120, 140, 143, 160, 300, 400]
    ok, day = time_to_progression(days, cells)
    # nadir 100: progression when >= 144 cells and >= 20 more: day 8 (160)
    assert ok and day == 8.0
    out = compute_outcomes(_ts(days, cells))
    assert out["response_category"] == "PR"  # best (from day 7): 143 cells = -40% diameter
    assert out["nadir_day"] == 3.0 and out["min_tumor_cells"] == 100


def test_small_fluctuations_do_not_count_as_progression():
    ok, _ = time_to_progression([0, 1, 2, 3], [10, 5, 9, 12])  # x2.4 but only +7 cells
    assert not ok


def test_short_run_assesses_at_the_end():
    out = compute_outcomes(_ts([0, 1, 2], [100, 90, 95]))
    assert out["best_response_pct"] == pytest.approx(diameter_change_pct(95, 100))
    assert out["response_category"] == "SD"


def test_baseline_day_moves_the_recist_reference():
    """A tumor that grows until the first dose and then shrinks: progressive from day 0,
    a partial response from the dose on, and progression is timed from the baseline."""
    days = np.arange(0, 21)
    cells = np.r_[100 * 1.2 ** np.arange(0, 6), 249 * 0.8 ** np.arange(1, 16)]
    from_start = compute_outcomes(_ts(days, cells))
    from_dose = compute_outcomes(_ts(days, cells), baseline_day=5.0)
    assert from_start["baseline_day"] == 0.0 and from_dose["baseline_day"] == 5.0
    assert from_dose["baseline_tumor_cells"] == pytest.approx(cells[5])
    assert from_start["progressed"] is True and from_start["time_to_progression_days"] == 2.0
    assert from_dose["progressed"] is False and from_dose["time_to_progression_days"] == 15.0  # censored
    assert from_dose["response_category"] == "PR"
    assert from_dose["best_response_pct"] == pytest.approx(diameter_change_pct(cells[-1], cells[5]))
    assert from_dose["nadir_day"] == 20.0  # absolute day
    assert from_dose["final_tumor_cells"] == from_start["final_tumor_cells"]


@pytest.mark.parametrize("bad", [-1.0, 25.0, "5"])
def test_baseline_day_outside_the_run_is_refused(bad):
    with pytest.raises(ValueError, match="baseline_day"):
        compute_outcomes(_ts(np.arange(0, 11), np.full(11, 100.0)), baseline_day=bad)


def test_experiments_measure_every_arm_from_the_first_dose():
    """The untreated arm shares the treated arm's baseline (the chemotherapy dose on day 1)."""
    r = compare(["untreated", "chemotherapy"], replicates=1, days=3, overrides=SMALL, workers=1,
                progress=False, figures=False, snapshot_days=[])
    assert first_dose_day([get_scenario("untreated")]) == 0.0
    assert set(r.outcomes["baseline_day"]) == {1.0}
    for _, row in r.outcomes.iterrows():
        ts = r.timeseries[r.timeseries.run_id == row.run_id]
        assert row.baseline_tumor_cells == ts.loc[np.isclose(ts.days, 1.0), "tumor_cells"].item()
    lattice = {k: v for k, v in SMALL.items() if k.startswith("lattice.")}
    explicit = compare(["untreated"], replicates=1, days=3, overrides=lattice, workers=1, progress=False,
                       figures=False, snapshot_days=[], baseline_day=2.0)
    assert set(explicit.outcomes["baseline_day"]) == {2.0}


def test_the_baseline_is_the_last_scan_before_the_dose():
    """Between recorded rows, the baseline is the earlier (pre-treatment) row, never a post-dose one."""
    days = np.arange(0, 11)
    cells = np.r_[100.0, 100.0, 5.0 * np.ones(9)]  # e.g. surgery during day 1-2
    out = compute_outcomes(_ts(days, cells), baseline_day=np.float32(1.5))  # numpy numbers are fine
    assert out["baseline_day"] == 1.0 and out["baseline_tumor_cells"] == 100.0
    assert out["response_category"] == "PR"


def test_no_tumor_at_baseline_is_not_evaluable():
    days = np.arange(0, 11)
    cells = [100, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    out = compute_outcomes(_ts(days, cells), baseline_day=5.0)
    assert out["response_category"] == "NE" and out["responder"] is False
    assert out["eradicated"] is True and out["eradication_day"] == 2.0  # the real day, not the baseline


def test_relative_burden_figure_is_one_at_each_runs_baseline():
    days = np.arange(0, 11)
    ts = _ts(days, 100 * 1.2 ** days)
    ts.insert(0, "scenario", "a")
    ts.insert(0, "run_id", "r1")
    fig = plot_tumor_burden(ts, "scenario", {"r1": 4.0})
    line = fig.axes[1].lines[0]
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    assert y[np.isclose(x, 4.0)][0] == pytest.approx(1.0)
    assert y[np.isclose(x, 0.0)][0] == pytest.approx(1.2 ** -4)


def test_bone_and_lung_outcomes_are_read_from_the_last_row():
    days = [0.0, 10.0, 20.0]
    ts = _ts(days, [100, 150, 200], bone_metastasis=[0, 0, 1], bone_metastasis_day=[np.nan, np.nan, 17.5],
             bone_tumor_cells=[0, 5, 130], lung_metastasis=[0, 1, 1], lung_tumor_cells=[1, 400, 9000])
    out = compute_outcomes(ts)
    assert out["bone_metastasis"] is True and out["bone_metastasis_day"] == 17.5
    assert out["final_bone_tumor_cells"] == 130.0
    assert out["lung_metastasis"] is True and out["final_lung_tumor_cells"] == 9000.0
    bare = compute_outcomes(_ts(days, [100, 150, 200]))  # series from before the organs existed
    assert bare["bone_metastasis"] is False and np.isnan(bare["final_lung_tumor_cells"])
