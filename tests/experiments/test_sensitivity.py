"""`tumor-immune sensitivity`: design, indices, noise share, outputs, resume, determinism, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import ExperimentError
from experiments.cli import main as cli_main
from experiments.sensitivity import plan_sensitivity, sensitivity

TINY = {"lattice.width_sites": 24, "lattice.height_sites": 24, "tumor.initial_radius_sites": 4.0,
        "lattice.dt_hours": 1.0}
PARAMS = ["tumor.division_rate_per_hour", "cd8.kill_rate_per_hour"]


def _kw(**extra):
    return dict(overrides=TINY, days=2, around=0.5, samples=3, replicates=2, seed=3,
                outcomes=["final_tumor_cells", "ts:cd8_t_cells:max"], **extra)


def test_morris_ranks_division_rate_first_and_writes_outputs(tmp_path):
    res = sensitivity("untreated", PARAMS, out=tmp_path / "s", workers=1, progress=False, **_kw())
    assert res.plan.n_runs == 3 * (2 + 1) * 2
    mu = res.indices.query("outcome == 'final_tumor_cells' and index == 'mu_star'").set_index("parameter")
    # growth in 2 days is set by the division rate, not by killing
    assert mu.loc["tumor.division_rate_per_hour", "value"] > mu.loc["cd8.kill_rate_per_hour", "value"]
    assert (mu["ci_low"] <= mu["value"]).all() and (mu["value"] <= mu["ci_high"]).all()
    share = res.noise.set_index("outcome")["noise_share"]
    assert 0 <= share["final_tumor_cells"] <= 1
    for f in ("samples", "runs", "indices", "noise", "problem"):
        assert not pd.read_parquet(tmp_path / "s" / f"{f}.parquet").empty
    assert (tmp_path / "s" / "figures" / "morris_final_tumor_cells.png").exists()
    assert "mu_star" in (tmp_path / "s" / "report.txt").read_text()


def test_serial_and_parallel_give_identical_samples_and_indices(tmp_path):
    a = sensitivity("untreated", PARAMS, out=tmp_path / "a", workers=1, progress=False, figures=False, **_kw())
    b = sensitivity("untreated", PARAMS, out=tmp_path / "b", workers=2, progress=False, figures=False, **_kw())
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a/samples.parquet"), pd.read_parquet(tmp_path / "b/samples.parquet"))
    pd.testing.assert_frame_equal(a.indices, b.indices)
    pd.testing.assert_frame_equal(a.runs, b.runs)


def test_resume_after_interruption_gives_the_same_indices(tmp_path):
    full = sensitivity("untreated", PARAMS, out=tmp_path / "full", workers=1, progress=False, figures=False, **_kw())
    with pytest.raises(Exception):
        sensitivity("untreated", PARAMS, out=tmp_path / "r", workers=1, progress=False, figures=False,
                    stop_after=5, **_kw())
    again = sensitivity("untreated", PARAMS, out=tmp_path / "r", workers=1, progress=False, figures=False, **_kw())
    pd.testing.assert_frame_equal(full.indices, again.indices)


def test_sobol_indices_have_confidence_intervals():
    res = sensitivity("untreated", PARAMS, out=None, workers=1, progress=False, figures=False,
                      **{**_kw(), "method": "sobol", "samples": 8, "replicates": 1, "outcomes": ["final_tumor_cells"]})
    assert res.plan.n_runs == 8 * (2 + 2)
    s = res.indices.set_index(["parameter", "index"])["value"]
    assert s[("tumor.division_rate_per_hour", "ST")] > s[("cd8.kill_rate_per_hour", "ST")]
    assert set(res.indices["index"]) == {"S1", "ST"}


def test_problem_file_and_log_scale(tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text('[parameters]\n"cd8.kill_rate_per_hour" = { lo = 0.05, hi = 5.0, scale = "log" }\n')
    plan = plan_sensitivity("untreated", problem_file=pf, **{**_kw(), "around": None})
    v = plan.values[:, 0]
    assert v.min() >= 0.05 - 1e-12 and v.max() <= 5.0 + 1e-9
    assert plan.problem.scales == ("log",)


def test_all_parameters_excludes_the_lattice_and_dry_run_counts(capsys):
    plan = plan_sensitivity("untreated", all_parameters=True, **{**_kw(), "samples": 2, "replicates": 1})
    assert not any(n.startswith("lattice.") for n in plan.problem.names)
    assert plan.n_runs == 2 * (plan.problem.dim + 1)
    rc = cli_main(["sensitivity", "untreated", "-p", PARAMS[0], "--around", "0.5", "--samples", "4",
                   "--replicates", "3", "--dry-run"])
    assert rc == 0 and "24 runs" in capsys.readouterr().out


@pytest.mark.parametrize("kw, message", [
    ({"parameters": ["tumor.no_such_rate"]}, "unknown parameter 'tumor.no_such_rate'"),
    ({"ranges": {"cd8.kill_rate_per_hour": {"lo": 1.0, "hi": 1.0}}}, "empty range"),
    ({"ranges": {"cd8.kill_rate_per_hour": {"lo": 0.1, "hi": 100.0}}}, "outside the declared limits"),
    ({"samples": 0}, "samples = 0"),
    ({"outcomes": ["tumour_size"]}, "unknown outcome 'tumour_size'"),
    ({"parameters": []}, "no parameters"),
])
def test_bad_input_is_named_before_anything_runs(tmp_path, kw, message):
    args = {**_kw(), "around": None}
    params = kw.pop("parameters", PARAMS if "ranges" not in kw else [])
    args.update(kw)
    out = tmp_path / "never"
    with pytest.raises(ExperimentError, match=message):
        sensitivity("untreated", params, out=out, workers=1, progress=False, **args)
    assert not out.exists()


def test_cli_reports_bad_input_with_exit_code_2(tmp_path, capsys):
    rc = cli_main(["sensitivity", "untreated", "-p", "cd8.kill_rate", "--out", str(tmp_path / "x")])
    assert rc == 2 and "cd8.kill_rate_per_hour" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_gp_emulator_reports_cross_validated_error_and_ranks_division_first():
    res = sensitivity("untreated", PARAMS, out=None, workers=1, progress=False, figures=False,
                      **{**_kw(), "method": "gp", "samples": 12, "replicates": 1, "outcomes": ["final_tumor_cells"]})
    assert res.plan.n_runs == 12
    idx = res.indices.set_index(["parameter", "index"])["value"]
    r2 = res.indices.query("index == 'emulator_cv_r2'")["value"]
    assert not r2.empty and (r2 <= 1.0).all()
    # the emulator must see what Morris and Sobol' see: growth is set by the division rate
    assert idx[("tumor.division_rate_per_hour", "ST")] > idx[("cd8.kill_rate_per_hour", "ST")]
