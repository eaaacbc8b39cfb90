"""A tiny trial end to end: forked twin arms, one atomic file per patient, resume, report."""

import json
import tomllib

import pytest

from experiments.runner import ExperimentError
from experiments.trial.design import SHIPPED_DESIGNS, design_from_dict
from experiments.trial.driver import patient_path
from experiments.trial.run import run_trial


def _tiny(**trial) -> object:
    d = tomllib.loads((SHIPPED_DESIGNS / "impassion130_like.toml").read_text())
    d["trial"].update(patients=3, **trial)
    d["window"] = {"lattice_sites": 20, "initial_radius_sites": 3.0, "baseline_days": 1.0, "days": 2.0}
    for arm in d["arm"]:
        for t in arm["treatments"]:
            t.update(interval_days=1.0)  # both doses inside the 2-day window
    d["arm"].append({"name": "sham", "treatments": []})
    d["biomarker"]["cutoff"] = 0.0  # everyone positive: the tiny trial has three patients
    return design_from_dict(d)


def test_tiny_trial_resumes_without_redoing_patients(tmp_path):
    design = _tiny()
    res = run_trial(design, tmp_path / "t", workers=1, plots=False)
    recs = [json.loads(patient_path(res.out_dir, i).read_text()) for i in range(3)]
    for r in recs:
        # every arm is forked from the same baseline: an arm without treatment IS the untreated twin
        assert r["arms"]["sham"] == r["arms"]["untreated_twin"]
        assert r["arms"]["chemo"]["n_start"] == r["arms"]["untreated_twin"]["n_start"]
    assert any(r["arms"]["chemo"]["n_end"] != r["arms"]["untreated_twin"]["n_end"] for r in recs)
    assert set(res.courses["arm"]) == {"chemo", "chemo_atezolizumab", "sham"}
    assert (res.out_dir / "report.md").read_text().startswith("# Virtual trial: impassion130_like")

    kept = patient_path(res.out_dir, 0).stat().st_mtime_ns
    before = patient_path(res.out_dir, 1).read_text()
    patient_path(res.out_dir, 1).unlink()  # as if interrupted before patient 1 finished
    res2 = run_trial(design, tmp_path / "t", workers=1, plots=False)
    assert patient_path(res.out_dir, 0).stat().st_mtime_ns == kept  # not redone
    redone = json.loads(patient_path(res.out_dir, 1).read_text())
    old = json.loads(before)
    assert redone["arms"] == old["arms"] and redone["biomarker"] == old["biomarker"]  # same patient, same stream
    assert res2.table.equals(res.table)


def test_other_trial_in_the_same_folder_is_refused(tmp_path):
    run_trial(_tiny(), tmp_path / "t", patients=1, workers=1, plots=False)
    with pytest.raises(ExperimentError, match="different experiment"):
        run_trial(_tiny(seed=5), tmp_path / "t", workers=1, plots=False)


def test_dask_gives_the_same_patients_as_serial(tmp_path):
    from distributed import Client  # the "distributed" extra is part of the test dependencies

    design = _tiny()
    serial = run_trial(design, tmp_path / "s", patients=1, workers=1, plots=False)
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        dask = run_trial(design, tmp_path / "d", patients=1, scheduler=client, plots=False)
    a = json.loads(patient_path(serial.out_dir, 0).read_text())
    b = json.loads(patient_path(dask.out_dir, 0).read_text())
    assert a["arms"] == b["arms"] and a["biomarker"] == b["biomarker"]
