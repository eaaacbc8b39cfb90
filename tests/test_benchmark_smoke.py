"""The benchmark script still runs (tiny sizes, in-process); it is not a timed test."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_core.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_core", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quarter_radius_covers_a_quarter(bench):
    r = bench.quarter_radius(200, 200)
    assert math.pi * r**2 == pytest.approx(0.25 * 200 * 200)


def test_model_case_reports_all_columns(bench):
    row = bench.bench_model(40, 0.25)
    for key in ("setup_s", "grid_build_s", "s_per_day", "cpu_s_per_day", "agent_steps_per_s", "peak_rss_mib"):
        assert row[key] > 0, key
    assert row["steps"] == 12 and row["tumor_start"] == pytest.approx(0.25 * 40 * 40, rel=0.05)
    assert bench.fmt_row(row).startswith("model 40^2")


def test_model_case_takes_the_field_modes(bench):
    row = bench.bench_model(40, 0.1, field_bits=32, field_every=2, field_voxel=2)
    assert row["case"] == "model 40^2 f32 every2 voxel2" and row["cpu_s_per_day"] > 0


@pytest.mark.parametrize("scan_first", [False, True])
def test_plain_mesa_baseline_runs(bench, scan_first):
    row = bench.bench_baseline(30, 0.1, n_tcells=5, scan_first=scan_first)
    assert row["agent_steps_per_s"] > 0 and row["immune_end"] <= 5 and row["tumor_start"] > 0


BENCH_DIR = BENCH.parent


def _run_script(name: str, *args: str) -> str:
    """Run one benchmark script in a fresh interpreter (they patch modules for timing)."""
    root = BENCH_DIR.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, str(BENCH_DIR / name), *args], check=True, capture_output=True,
                         text=True, cwd=root, env=env, timeout=600)
    return out.stdout


def test_phase_split_script_runs():
    out = _run_script("bench_phases.py", "--sizes", "40", "--days", "0.1", "--quiescent")
    for label in ("fields", "tumor: division", "CD8 T-cells", "= step", "Q 40^2"):
        assert label in out, label


def test_phase_split_script_takes_the_field_modes():
    out = _run_script("bench_phases.py", "--sizes", "40", "--days", "0.1", "--field-bits", "32", "--field-voxel", "2")
    assert "float32 field transforms, fields on 2^2-site voxels" in out and "= step" in out


def test_field_modes_script_reports_each_mode_against_the_exact_one(tmp_path):
    out = _run_script("bench_field_modes.py", "--size", "20", "--days", "0.1", "--seeds", "2",
                      "--modes", "32x1,64x1v2", "--json", str(tmp_path / "m.json"))
    res = json.loads((tmp_path / "m.json").read_text())
    assert list(res["modes"]) == ["64x1", "32x1", "64x1v2"]
    exact = res["modes"]["64x1"]
    assert all(e == 0 for e in exact["field_rel_l2_after_1h"].values() if e == e)  # NaN: a field with no mass yet
    assert all(r[0] == 1.0 for r in exact["outcome_ratio_gmean_ci95"].values() if r[0] == r[0])
    assert 0 < res["modes"]["64x1v2"]["field_rel_l2_after_1h"]["cytokine"] < 0.1
    assert "64x1v2" in out


def test_field_modes_script_refuses_a_malformed_mode():
    out = subprocess.run([sys.executable, str(BENCH_DIR / "bench_field_modes.py"), "--modes", "16x1"],
                         capture_output=True, text=True, cwd=BENCH_DIR.parent)
    assert out.returncode != 0 and "--modes: '16x1' is not BITSxK[vV]" in out.stderr


def test_hal_comparable_script_runs():
    out = _run_script("bench_hal.py", "--ticks", "5")
    assert "HAL-like, bulk engine" in out and "model, no immune influx" in out


def test_hal_checkout_that_is_not_one_fails_before_anything_runs(tmp_path):
    out = subprocess.run([sys.executable, str(BENCH_DIR / "bench_hal.py"), "--ticks", "5", "--hal-checkout", str(tmp_path)],
                         capture_output=True, text=True, cwd=BENCH_DIR.parent, timeout=600)
    assert out.returncode == 1 and out.stdout == ""
    assert "--hal-checkout" in out.stderr and "not a MathOnco/HAL checkout" in out.stderr


def test_ensemble_ratio_against_another_checkout_runs():
    # this checkout against itself: the same code, so the ratio is near 1
    out = _run_script("bench_ensemble.py", "--against", str(BENCH_DIR.parent), "--rounds", "1", "--cpu-runs", "1",
                      "--days", "0.25")
    assert "round 1:" in out and "mean of 1 rounds" in out and "target >= 3x" in out


def test_ensemble_script_runs():
    out = _run_script("bench_ensemble.py", "--runs", "2", "--workers", "2", "--days", "0.5")
    assert "runs/hour" in out


def test_ensemble_script_takes_overrides_and_refuses_a_bad_one():
    out = _run_script("bench_ensemble.py", "--runs", "1", "--workers", "1", "--days", "0.25", "--cpu-runs", "1",
                      "--set", "lattice.field_voxel_sites=2", "--set", "lattice.field_precision_bits=32")
    assert "lattice.field_voxel_sites=2 lattice.field_precision_bits=32" in out and "runs/hour" in out
    bad = subprocess.run([sys.executable, str(BENCH_DIR / "run_cost.py"), "--runs", "1", "--days", "0.1",
                          "--set", "lattice.field_voxel_sites"], capture_output=True, text=True, cwd=BENCH_DIR.parent)
    assert bad.returncode != 0 and "expected KEY=NUMBER" in bad.stderr
