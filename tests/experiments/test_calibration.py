"""`tumor-immune calibrate`: recovery of known parameters, outputs, shipped targets, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments import ExperimentError
from experiments.calibration import calibrate, particle_specs, plan_calibration, summarize
from experiments.cli import main as cli_main
from experiments.runner import execute_run
from experiments.targets import Target, TargetSet, load_targets, shipped_targets
from model import load_scenario

TINY = {"lattice.width_sites": 24, "lattice.height_sites": 24, "tumor.initial_radius_sites": 4.0,
        "lattice.dt_hours": 1.0}
PRIOR = {"tumor.division_rate_per_hour": {"lo": 0.01, "hi": 0.08}}
TRUTH = 0.04


def _set(observed: float, sd: float) -> TargetSet:
    row = Target("growth", "final_tumor_cells", observed, sd, "synthetic: simulated at the known value", "untreated")
    return TargetSet("recovery", None, [row], days=2, replicates=2, overrides=dict(TINY), priors=dict(PRIOR))


def test_recovers_a_known_parameter_inside_the_90pct_interval(tmp_path):
    plan = plan_calibration([_set(1.0, 1.0)], seed=1)
    specs = particle_specs(plan, plan.problem.to_unit([[TRUTH]])[0], tag="truth")
    observed = summarize(plan, specs, {s.run_id: execute_run(s) for s in specs})["recovery.growth"]
    res = calibrate([_set(observed, max(4.0, 0.08 * observed))], out=tmp_path / "c", workers=1,
                    population=20, generations=2, seed=1, predictive_draws=4)
    lo, hi = res.interval("tumor.division_rate_per_hour", 0.9)
    assert lo <= TRUTH <= hi
    assert hi - lo < 0.5 * (0.08 - 0.01), "the data narrowed the prior"
    assert list(res.populations["t"]) == [0, 1]
    assert res.populations["epsilon"].iloc[1] <= res.populations["epsilon"].iloc[0]
    post = pd.read_parquet(tmp_path / "c/posterior.parquet")
    assert len(post) == 20 and abs(post["weight"].sum() - 1) < 1e-6
    # the posterior-median profile is a scenario file compare/cohort accept
    sc = load_scenario(tmp_path / "c/posterior_median.toml")
    assert sc.parameters().tumor.division_rate_per_hour == pytest.approx(res.median["tumor.division_rate_per_hour"])
    for fig in ("posterior_marginals", "posterior_pairs", "predictive_check", "epsilon"):
        assert (tmp_path / "c/figures" / f"{fig}.png").exists()
    pred = pd.read_parquet(tmp_path / "c/predictive.parquet")
    assert pred.loc[0, "sim_q05"] <= pred.loc[0, "sim_q95"]


def test_serial_calibration_is_reproducible(tmp_path):
    kw = dict(workers=1, population=8, generations=1, seed=4, predictive_draws=2, figures=False)
    a = calibrate([_set(60.0, 10.0)], out=tmp_path / "a", **kw)
    b = calibrate([_set(60.0, 10.0)], out=tmp_path / "b", **kw)
    pd.testing.assert_frame_equal(a.posterior, b.posterior)


def test_particle_statistics_do_not_depend_on_the_worker():
    plan = plan_calibration([_set(60.0, 10.0)], seed=2)
    specs = particle_specs(plan, [0.3])
    one = summarize(plan, specs, {s.run_id: execute_run(s) for s in specs})
    two = summarize(plan, specs, {s.run_id: execute_run(s) for s in reversed(specs)})
    assert one == two


def test_shipped_targets_load_with_sources_and_priors():
    files = shipped_targets()
    assert {"ctl_killing", "tumor_growth", "clinical_response", "chemo_marrow"} <= set(files)
    for path in files.values():
        ts = load_targets(path)
        assert ts.targets and all(t.source.strip() for t in ts.targets)
        assert all(u.get("source") and u.get("reason") for u in ts.unmapped)
        assert plan_calibration([path]).problem.dim >= 1


def _write(tmp_path, body: str):
    p = tmp_path / "t.toml"
    p.write_text('scenario = "untreated"\n' + body)
    return p


ROW = '[[target]]\nid = "a"\nstatistic = "final_tumor_cells"\nobserved = 10\nuncertainty = 2\nsource = "x"\n'


@pytest.mark.parametrize("body, message", [
    (ROW.replace("final_tumor_cells", "tumour_cells"), "unknown statistic in .*'tumour_cells'"),
    (ROW.replace("uncertainty = 2", "uncertainty = 0"), "uncertainty = 0 must be > 0"),
    (ROW.replace('source = "x"', 'source = " "'), "'source' must name"),
    ("colour = 1\n" + ROW, "unknown key"),
    ('[priors]\n"cd8.kill_rate_per_hour" = { lo = 2.0, hi = 1.0 }\n' + ROW, "empty range"),
    ('[priors]\n"cd8.nope" = {}\n' + ROW, "unknown parameter 'cd8.nope'"),
    ("", "no \\[\\[target\\]\\] rows"),
])
def test_bad_targets_are_named_before_anything_runs(tmp_path, body, message):
    path = _write(tmp_path, body)
    out = tmp_path / "never"
    with pytest.raises(ExperimentError, match=message):
        calibrate([path], ["tumor.division_rate_per_hour"] if "priors" not in body else [], out=out, workers=1)
    assert not out.exists()


def test_cli_dry_run_and_bad_population(tmp_path, capsys):
    path = shipped_targets()["ctl_killing"]
    assert cli_main(["calibrate", str(path), "--population", "10", "--generations", "3", "--dry-run"]) == 0
    assert "2 runs per particle" in capsys.readouterr().out
    rc = cli_main(["calibrate", str(path), "--population", "0", "--out", str(tmp_path / "x")])
    assert rc == 2 and "population" in capsys.readouterr().err and not (tmp_path / "x").exists()
