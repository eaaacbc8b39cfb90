"""The experiment skeleton: restartable (interrupted runs resume, finished runs are skipped), pluggable analyses."""

from __future__ import annotations

import pytest
from pandas.testing import assert_frame_equal

import experiments.runner as runner
from experiments import ExperimentInterrupted, compare
from experiments.cli import main
from experiments.driver import Analysis, Output, Plan, run_experiment
from experiments.results import ExperimentResult
from experiments.runner import RunSpec
from exp_settings import SCENARIOS, SMALL, SMALL_CLI

KW = dict(replicates=2, days=2, seed=5, overrides=SMALL, progress=False, figures=False, snapshot_days=[0, 2])


def _no_runs(*_a, **_k):
    raise AssertionError("a finished run was simulated again")


def test_resume_after_interruption(tmp_path, monkeypatch):
    out = tmp_path / "a"
    with pytest.raises(ExperimentInterrupted, match="re-run the same command"):
        compare(SCENARIOS, out=out, workers=1, stop_after=2, **KW)
    runs_dir = out / "runs"
    assert len(list(runs_dir.glob("*.parquet"))) == 2
    assert not (out / "outcomes.parquet").exists()
    # a write killed mid-way leaves only a temporary file, never a half-written run file
    (runs_dir / ".chemotherapy__r000.parquet.x1y2.tmp").write_bytes(b"half a parquet file")

    resumed = compare(SCENARIOS, out=out, workers=1, **KW)
    assert "2 already finished" in resumed.report
    assert not list(runs_dir.glob("*.tmp"))
    assert len(list(runs_dir.glob("*.parquet"))) == 4
    assert resumed.outcomes["run_id"].is_unique and len(resumed.outcomes) == 4
    assert not resumed.timeseries.duplicated(["run_id", "hours"]).any()

    fresh = compare(SCENARIOS, out=tmp_path / "b", workers=1, **KW)
    assert_frame_equal(resumed.timeseries, fresh.timeseries)
    assert_frame_equal(resumed.outcomes, fresh.outcomes)
    assert_frame_equal(resumed.statistics, fresh.statistics)

    # everything finished: re-running simulates nothing and gives the same tables
    monkeypatch.setattr(runner, "execute_run", _no_runs)
    again = compare(SCENARIOS, out=out, workers=1, **KW)
    assert_frame_equal(again.outcomes, fresh.outcomes)
    assert "4 already finished" in again.report


def test_missing_or_corrupt_run_files_are_redone(tmp_path):
    out = tmp_path / "c"
    first = compare(SCENARIOS, out=out, workers=1, **KW)
    (out / "runs" / "untreated__r001.parquet").unlink()
    (out / "runs" / "chemotherapy__r000.parquet").write_bytes(b"not parquet")
    (out / "snapshots" / "untreated__r000.npz").unlink()  # its run is redone so the snapshot comes back
    again = compare(SCENARIOS, out=out, workers=1, **KW)
    assert "1 already finished" in again.report
    assert_frame_equal(first.outcomes, again.outcomes)
    assert_frame_equal(first.timeseries, again.timeseries)
    assert (out / "snapshots" / "untreated__r000.npz").exists()


def test_cli_stop_and_resume_on_a_process_pool(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["compare", *SCENARIOS, "--replicates", "2", "--out", str(out), "--workers", "2", "--no-figures",
            "--set", "chemotherapy.start_day=1", *SMALL_CLI]
    assert main([*args, "--stop-after", "1"]) == 3
    assert "re-run the same command" in capsys.readouterr().err
    done = len(list((out / "runs").glob("*.parquet")))
    assert 1 <= done < 4
    assert main(args) == 0
    assert f"{done} already finished" in capsys.readouterr().out
    assert len(list((out / "runs").glob("*.parquet"))) == 4


# --------------------------------------------------------------------------- the skeleton with a new kind of experiment


def test_a_new_kind_of_experiment_plugs_into_the_skeleton(tmp_path):
    """Plan specs + an analysis: the driver runs, writes the named tables and the report."""
    scenario = {"name": "tiny", "duration_days": 1.0, "parameters": {k: v for k, v in SMALL.items()
                                                                   if k.startswith("lattice.")}}
    specs = [RunSpec(f"r{i}", {"scenario": "tiny", "replicate": i}, scenario, seed=1, spawn_key=(0, i))
             for i in range(2)]

    def analyse(x):
        table = x.outcomes[["run_id", "final_tumor_cells"]]
        result = ExperimentResult("custom", x.timeseries, x.outcomes, table, x.out_dir, x.manifest)
        return Analysis(result, {"finals": table}, lambda r, formats: [], "custom paragraph")

    res = run_experiment(Plan("custom", specs, {"kind": "custom"}, [], baseline_day=0.0),
                         Output(out=tmp_path / "k", workers=1, progress=False, figures=False), analyse)
    assert (tmp_path / "k" / "finals.parquet").exists() and (tmp_path / "k" / "report.txt").exists()
    assert res.manifest["experiment"]["baseline_day"] == 0.0 and len(res.outcomes) == 2
    assert "custom: 2 runs" in res.report and "custom paragraph" in res.report
