"""Regression tests for the audit's input defects (1-4, 10): named errors before any work."""

from __future__ import annotations

import math
from pathlib import Path

import mesa
import numpy as np
import pytest

import experiments.api as api
from experiments import ExperimentError, compare
from experiments.cli import main
from experiments.limits import MAX_TIMESERIES_ROWS
from model import (
    ParameterError,
    Parameters,
    ScenarioError,
    TherapyScenario,
    TreatmentError,
    TumorImmuneModel,
    get_scenario,
    make_treatment,
)
from rel_settings import TINY


def test_unreadable_scenario_file_and_directory_named_toml(tmp_path, monkeypatch):
    """Defect 1: a directory named x.toml is not 'missing'; an unreadable file is a ScenarioError."""
    folder = tmp_path / "x.toml"
    folder.mkdir()
    with pytest.raises(ScenarioError, match="is a directory, not a TOML file"):
        get_scenario(folder)
    locked = tmp_path / "locked.toml"
    locked.write_text("name = 'locked'\n")

    def denied(self, *a, **k):  # chmod 000 does not stop root: simulate the refusal itself
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(ScenarioError, match="cannot be read: Permission denied"):
        get_scenario(locked)


@pytest.mark.parametrize("option, words", [
    (["--set", "checkpoint_blockade.doses=100000000"], "doses = 100000000 is above the limit of 1000"),
    (["--replicates", "1000000000000"], "replicates = 1,000,000,000,000 is above the limit of 10,000"),
    (["--sample-hours", "1e-7", "--replicates", "3000"], f"above the limit of {MAX_TIMESERIES_ROWS:,} rows"),
])
def test_huge_requests_are_refused_before_any_work(tmp_path, capsys, option, words):
    """Defect 2: doses, replicates and time-series rows are bounded; nothing simulated or written."""
    out = tmp_path / "out"
    argv = ["compare", "untreated", "checkpoint_blockade", "--lattice-size", "30", "--days", "300",
            "--no-figures", "--no-progress", "--out", str(out), *option]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert not out.exists()


@pytest.mark.parametrize("spec, field", [
    ({"type": "radiotherapy", "dose": 1e200}, "dose = 1e+200 is outside the allowed range [0.0, 30.0] Gy per fraction"),
    ({"type": "interferon_dosing", "dose": 1e308}, "dose = 1e+308 is outside the allowed range [0.0, 1000.0] x EC50"),
    ({"type": "checkpoint_blockade", "half_life_hours": 1e9}, "half_life_hours = 1000000000.0 is outside"),
    ({"type": "checkpoint_blockade", "interval_days": 1e5, "doses": 2}, "interval_days = 100000.0 is outside"),
])
def test_treatment_fields_have_physical_ranges(spec, field):
    """Defect 3: every dose and schedule field has a range with unit and source."""
    with pytest.raises(TreatmentError) as info:
        make_treatment(spec)
    assert field in str(info.value) and "(" in str(info.value).split(field)[1]


def test_non_finite_state_is_an_error():
    """Defect 3: a concentration or field that becomes inf/NaN stops the run with a named error."""
    t = make_treatment({"type": "checkpoint_blockade", "dose": 1000.0, "start_day": 0.0})
    m = TumorImmuneModel(treatments=[t], lattice__width_sites=30, lattice__height_sites=30)
    t.dose = 1e308  # past validation, as a script editing a live treatment could
    t.concentration = 1e308
    with pytest.raises(TreatmentError, match="concentration became inf"):
        m.step()
    m2 = TumorImmuneModel(lattice__width_sites=30, lattice__height_sites=30)
    m2.fields["cytokine"].values[3] = np.nan
    with pytest.raises(ParameterError, match="field 'cytokine' became non-finite"):
        m2.run_days(1)


def test_numpy_numbers_are_accepted():
    """Defect 4: np.int64 / np.float32 values, as mesa.batch_run with np.arange gives them."""
    p = Parameters().replace({"lattice.width_sites": np.int64(50), "lattice.height_sites": np.int32(40)})
    assert p.lattice.width_sites == 50 and type(p.lattice.width_sites) is int
    p = Parameters().replace({"tumor.division_rate_per_hour": np.float32(0.02)})
    assert type(p.tumor.division_rate_per_hour) is float
    rows = mesa.batch_run(TumorImmuneModel, {"lattice__width_sites": np.arange(30, 32), "lattice__height_sites": 30,
                                             "duration_days": np.float64(0.5)},
                          iterations=1, max_steps=3, number_processes=1, display_progress=False)
    assert {r["lattice__width_sites"] for r in rows} == {30, 31}


@pytest.mark.parametrize("call, words", [
    (lambda: TumorImmuneModel({"lattice.width_sites": 30}), "parameters = dict must be a Parameters object"),
    (lambda: TumorImmuneModel(treatments=["checkpoint_blockade"]), "treatments[0] = 'checkpoint_blockade'"),
    (lambda: TumorImmuneModel(duration_days="ten"), "duration_days = 'ten'"),
    (lambda: TumorImmuneModel(duration_days=math.inf), "duration_days = inf must be a finite"),
    (lambda: get_scenario(123), "scenario = 123 must be a scenario name"),
    (lambda: get_scenario(None), "scenario = None must be a scenario name"),
    (lambda: TherapyScenario("x", treatments=[5]), "treatments[0] = 5"),
    (lambda: Parameters().replace({5: 1}), "parameter name 5 must be a string"),
])
def test_bad_api_calls_get_named_errors(call, words):
    """Defect 10: each bad call raises the project's own error naming the argument."""
    with pytest.raises(ParameterError) as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize("days, words", [(float("nan"), "days = nan"), (-1, "days = -1")])
def test_run_days_refuses_nan_and_negative(days, words):
    m = TumorImmuneModel(lattice__width_sites=30, lattice__height_sites=30)
    with pytest.raises(ParameterError, match=words):
        m.run_days(days)
    assert m.steps == 0


def test_ctrl_c_while_planning_says_nothing_was_saved(tmp_path, monkeypatch, capsys):
    """Defect 11: Ctrl-C before any run finished does not claim finished runs are saved."""
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "compare", interrupted)
    assert main(["compare", "untreated", "--out", str(tmp_path / "o"), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert "no run had finished; nothing was saved" in err and "finished runs are saved" not in err


def test_api_output_size_is_estimated_up_front(tmp_path):
    """Defect 2 via the API: the sampled rows are estimated from duration, time step and sample_hours."""
    with pytest.raises(ExperimentError, match="rows .* above the limit"):
        compare(["untreated"], replicates=5000, days=60, overrides=TINY, sample_hours=0.01, progress=False,
                figures=False, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_huge_sweep_grid_is_refused_before_it_is_built(tmp_path, capsys):
    """Defect 2 for sweeps: 10^10 grid points are refused by count, not allocated."""
    out = tmp_path / "sweep"
    argv = ["sweep", "checkpoint_blockade", "--param", "checkpoint_blockade.dose=1:10:100000",
            "--param", "checkpoint_blockade.start_day=0:5:100000", "--lattice-size", "30", "--days", "30",
            "--no-progress", "--out", str(out)]
    assert main(argv) == 2
    assert "10,000,000,000 grid points, above the limit of 100,000" in capsys.readouterr().err
    assert not out.exists()
