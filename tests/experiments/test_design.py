"""Bad input gets one clear message, before any run starts and before anything is written."""

from __future__ import annotations

import dataclasses

import pytest

import experiments.runner as runner
from experiments import ExperimentError, cohort, compare, sweep
from experiments.cli import main
from experiments.design import parse_overrides, parse_sweep_parameter, sweep_points
from model import ParameterError, get_scenario
from exp_settings import SMALL, SMALL_CLI

KW = dict(days=2, progress=False, figures=False, snapshot_days=[], workers=1)


def _cli_error(capsys, *args) -> str:
    assert main(list(args)) == 2
    return capsys.readouterr().err


def test_unknown_scenario_suggests_a_name(tmp_path, capsys, no_runs):
    out = tmp_path / "x"
    err = _cli_error(capsys, "compare", "untreated", "checkpoint_blokade", "--out", str(out), *SMALL_CLI)
    assert "unknown scenario 'checkpoint_blokade'; did you mean 'checkpoint_blockade'?" in err
    assert not out.exists()
    with pytest.raises(ParameterError, match="did you mean 'untreated'"):
        compare(["untreatd"], **KW)


def test_duplicate_scenarios(no_runs):
    with pytest.raises(ExperimentError, match="listed twice"):
        compare(["untreated", "untreated"], **KW)


@pytest.mark.parametrize("value", [0, -2, 1.5, True])
def test_replicates_must_be_positive_whole_numbers(value, no_runs):
    with pytest.raises(ExperimentError, match=r"replicates = .* must be a whole number >= 1"):
        compare(["untreated"], replicates=value, **KW)


def test_counts_in_cli_and_cohort(capsys, tmp_path, no_runs):
    assert "replicates = 0 must be a whole number >= 1" in _cli_error(
        capsys, "compare", "untreated", "--replicates", "0", "--out", str(tmp_path / "r"))
    with pytest.raises(ExperimentError, match="patients = 0"):
        cohort(["untreated"], patients=0, **KW)
    with pytest.raises(ExperimentError, match="workers = 0"):
        compare(["untreated"], **{**KW, "workers": 0})
    assert not (tmp_path / "r").exists()


def test_unwritable_output_directory(tmp_path, capsys, no_runs):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    err = _cli_error(capsys, "compare", "untreated", "--out", str(blocker / "sub"), *SMALL_CLI)
    assert "is not writable" in err and str(blocker / "sub") in err
    with pytest.raises(ExperimentError, match="exists and is a file"):
        compare(["untreated"], out=blocker, **KW)


def test_out_dir_of_a_different_experiment_is_refused(tmp_path, monkeypatch, capsys):
    out = tmp_path / "exp"
    compare(["untreated"], replicates=1, out=out, overrides=SMALL_lattice(), **KW)
    before = sorted(p.name for p in (out / "runs").iterdir())
    manifest = (out / "manifest.json").read_text()
    monkeypatch.setattr(runner, "execute_run", lambda *_: (_ for _ in ()).throw(AssertionError("ran")))
    with pytest.raises(ExperimentError, match=r"holds a different experiment \(differs in: replicates: 1 -> 2"):
        compare(["untreated"], replicates=2, out=out, overrides=SMALL_lattice(), **KW)
    with pytest.raises(ExperimentError, match="different experiment.*seed"):
        compare(["untreated"], replicates=1, seed=9, out=out, overrides=SMALL_lattice(), **KW)
    err = _cli_error(capsys, "compare", "untreated", "anti_osm", "--replicates", "1", "--out", str(out), *SMALL_CLI)
    assert "holds a different experiment" in err and "choose a new --out" in err
    assert sorted(p.name for p in (out / "runs").iterdir()) == before
    assert (out / "manifest.json").read_text() == manifest


def SMALL_lattice():
    return {k: v for k, v in SMALL.items() if k.startswith("lattice.")}


def test_non_empty_directory_without_manifest(tmp_path, no_runs):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExperimentError, match="not empty and holds no manifest.json"):
        compare(["untreated"], out=tmp_path, **KW)


def test_bad_overrides(capsys, tmp_path, no_runs):
    err = _cli_error(capsys, "compare", "untreated", "--set", "tumor.divison_rate_per_hour=0.1", "--out", str(tmp_path / "o"))
    assert "did you mean 'tumor.division_rate_per_hour'" in err
    err = _cli_error(capsys, "compare", "untreated", "--set", "tumor.division_rate_per_hour=7", "--out", str(tmp_path / "o"))
    assert "tumor.division_rate_per_hour = 7 is outside the allowed range" in err
    err = _cli_error(capsys, "compare", "untreated", "--set", "lattice.width_sites", "--out", str(tmp_path / "o"))
    assert "expected KEY=VALUE" in err
    with pytest.raises(ExperimentError, match="none of the scenarios .* has that treatment"):
        compare(["untreated"], overrides={"checkpoint_blockade.dose": 5}, **KW)
    with pytest.raises(ExperimentError, match="unknown field 'dos'; did you mean 'dose'"):
        compare(["checkpoint_blockade"], overrides={"checkpoint_blockade.dos": 5}, **{**KW, "days": 30})
    assert not (tmp_path / "o").exists()


def test_schedule_that_cannot_fit_the_run(no_runs):
    with pytest.raises(ExperimentError, match="'checkpoint_blockade' starts on day 5, not before the end of the run"):
        compare(["checkpoint_blockade"], **KW)


def test_bad_sweep_input(no_runs):
    KW = {**globals()["KW"], "days": 5}
    with pytest.raises(ExperimentError, match="did you mean 'chemotherapy.dose'"):
        sweep("chemotherapy", {"chemotherapy.dos": [1, 2]}, **KW)
    with pytest.raises(ExperimentError, match="has no anti_osm treatment"):
        sweep("chemotherapy", {"anti_osm.dose": [1, 2]}, **KW)
    with pytest.raises(ExperimentError, match="did you mean 'tumor.division_rate_per_hour'"):
        sweep("untreated", {"tumor.division_rate": [0.1]}, **KW)
    with pytest.raises(ExperimentError, match="unknown response outcome 'final_tumour_cells'; did you mean 'final_tumor_cells'"):
        sweep("untreated", {"tumor.division_rate_per_hour": [0.1]}, response="final_tumour_cells", **KW)
    with pytest.raises(ExperimentError, match="must be 'grid' or 'lhs'"):
        sweep("untreated", {"tumor.division_rate_per_hour": [0.1]}, design="random", **KW)
    with pytest.raises(ExperimentError, match="needs a range lo < hi"):
        sweep("untreated", {"tumor.division_rate_per_hour": [0.1]}, design="lhs", **KW)
    with pytest.raises(ExperimentError, match="sweep point 1"):
        sweep("untreated", {"tumor.division_rate_per_hour": [0.1, 5.0]}, **KW)


def test_bad_scheduler_and_snapshot_days(no_runs):
    with pytest.raises(ExperimentError, match="scheduler must be an address"):
        compare(["untreated"], scheduler=42, **KW)
    with pytest.raises(ExperimentError, match="snapshot day 5 is outside"):
        compare(["untreated"], **{**KW, "snapshot_days": [0, 5]})


def test_bad_figure_format(no_runs):
    with pytest.raises(ExperimentError, match="figure format.*jpeg.*not supported"):
        compare(["untreated"], **{**KW, "figures": "png,jpeg"})


def test_baseline_day_must_lie_inside_the_runs(no_runs, capsys):
    with pytest.raises(ExperimentError, match=r"baseline_day = 2 must be before the end of the shortest run \(2 days\)"):
        compare(["untreated"], baseline_day=2.0, **KW)
    with pytest.raises(ExperimentError, match="baseline_day = -1 must be a number of days >= 0"):
        cohort(["untreated"], patients=2, baseline_day=-1, **KW)
    err = _cli_error(capsys, "compare", "untreated", "--baseline-day", "9", *SMALL_CLI)
    assert "baseline_day = 9 must be before the end of the shortest run (3 days)" in err


def test_default_baseline_after_a_short_run_names_the_fix(no_runs):
    """Scenarios of different lengths: the untreated one ends before the other's first dose."""
    short = dataclasses.replace(get_scenario("untreated"), duration_days=4.0)
    long = dataclasses.replace(get_scenario("checkpoint_blockade"), duration_days=8.0)
    with pytest.raises(ExperimentError, match=r"default baseline_day \(the first dose, day 5\).*--baseline-day"):
        compare([short, long], **{**KW, "days": None})


# --------------------------------------------------------------------------- design helpers, directly


def test_parse_overrides_and_sweep_parameters():
    assert parse_overrides(["a.b=3", "c.d=true", "e.f='x'", "g.h=[1, 2]", "i.j=bare"]) == {
        "a.b": 3, "c.d": True, "e.f": "x", "g.h": [1, 2], "i.j": "bare"}
    assert parse_sweep_parameter("x.y=1:10:4") == ("x.y", (1.0, 10.0, 4))
    assert parse_sweep_parameter("x.y=1:10") == ("x.y", (1.0, 10.0))
    assert parse_sweep_parameter("x.y=1,2.5") == ("x.y", [1, 2.5])
    with pytest.raises(ExperimentError, match="--param 'x.y=1:2:0.5'"):
        parse_sweep_parameter("x.y=1:2:0.5")


def test_sweep_points_grid_lhs_and_whole_numbers():
    base = get_scenario("chemotherapy")
    grid = sweep_points({"chemotherapy.dose": (1.0, 3.0, 3), "chemotherapy.doses": [1, 2]}, "grid", None, 0, base)
    assert [(p["chemotherapy.dose"], p["chemotherapy.doses"]) for p in grid] == [
        (1.0, 1), (1.0, 2), (2.0, 1), (2.0, 2), (3.0, 1), (3.0, 2)]
    lhs = sweep_points({"chemotherapy.dose": (1.0, 3.0), "chemotherapy.doses": (1, 4)}, "lhs", 5, 7, base)
    assert len(lhs) == 5 and all(isinstance(p["chemotherapy.doses"], int) for p in lhs)
    assert sorted(int((p["chemotherapy.dose"] - 1.0) / 0.4) for p in lhs) == [0, 1, 2, 3, 4]  # one per stratum
    assert lhs == sweep_points({"chemotherapy.dose": (1.0, 3.0), "chemotherapy.doses": (1, 4)}, "lhs", 5, 7, base)
