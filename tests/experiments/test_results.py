"""Result objects and reopening a finished experiment with load_results."""

from __future__ import annotations

import pytest
from pandas.testing import assert_frame_equal

from experiments import ComparisonResult, ExperimentError, SweepResult, compare, load_results, sweep
from exp_settings import SMALL

KW = dict(days=2, seed=2, overrides=SMALL, progress=False, figures=False, workers=1)


def test_load_results_reopens_a_comparison(tmp_path):
    res = compare(["untreated", "chemotherapy"], replicates=1, out=tmp_path / "c", snapshot_days=[0, 2], **KW)
    back = load_results(tmp_path / "c")
    assert isinstance(back, ComparisonResult) and back.kind == "compare"
    for name in ("timeseries", "outcomes", "statistics"):
        assert_frame_equal(getattr(back, name), getattr(res, name))
    assert back.report == res.report + "\n" and set(back.snapshots) == set(res.snapshots) == {"untreated__r000",
                                                                                      "chemotherapy__r000"}
    assert "2 runs" in repr(back) and "untreated" in repr(back)


def test_load_results_reopens_a_sweep(tmp_path):
    res = sweep("chemotherapy", ["chemotherapy.dose=0.5,1"], replicates=1, out=tmp_path / "s", snapshot_days=[],
                **KW)
    back = load_results(tmp_path / "s")
    assert isinstance(back, SweepResult) and back.parameters == ["chemotherapy.dose"]
    assert_frame_equal(back.surface, res.surface)


def test_load_results_refuses_other_directories(tmp_path):
    with pytest.raises(ExperimentError, match="holds no manifest.json"):
        load_results(tmp_path)
    lattice = {k: v for k, v in SMALL.items() if k.startswith("lattice.")}
    compare(["untreated"], replicates=1, out=tmp_path / "x", snapshot_days=[], **{**KW, "overrides": lattice})
    (tmp_path / "x" / "statistics.parquet").unlink()
    with pytest.raises(ExperimentError, match="is not finished"):
        load_results(tmp_path / "x")
