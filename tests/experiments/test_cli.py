"""End-to-end runs of each subcommand on tiny lattices: files, columns, figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import sweep
from experiments.cli import main
from experiments.outcomes import HEADLINE_OUTCOMES

from exp_settings import SCENARIOS, SMALL_CLI

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _figure_ok(fig_dir: Path, name: str, svg: bool = True) -> None:
    png = fig_dir / f"{name}.png"
    assert png.read_bytes()[:8] == PNG_MAGIC, png
    if svg:
        assert b"<svg" in (fig_dir / f"{name}.svg").read_bytes()[:2000], name
    else:
        assert not (fig_dir / f"{name}.svg").exists()


def test_compare_end_to_end(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(
        ["compare", *SCENARIOS, "--replicates", "2", "--seed", "3", "--out", str(out), "--workers", "1",
         "--set", "chemotherapy.start_day=1", "--csv", "--snapshot-days", "0,3", *SMALL_CLI]
    )
    printed = capsys.readouterr().out
    assert rc == 0
    assert f"results in {out}" in printed and "Statistics" in printed and "final_tumor_cells" in printed

    # manifest: definitions, parameters, seeds, version, commit
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"package_version", "git_commit", "created_utc", "experiment", "runs"} <= set(manifest)
    exp = manifest["experiment"]
    assert exp["kind"] == "compare" and exp["seed"] == 3 and exp["replicates"] == 2
    assert exp["order"] == SCENARIOS
    chemo = exp["scenarios"]["chemotherapy"]
    assert chemo["parameters"]["lattice.width_sites"] == 40
    assert chemo["treatments"][0]["start_day"] == 1
    assert [r["spawn_key"] for r in manifest["runs"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]

    # tidy tables (+ CSV)
    for name in ("timeseries", "outcomes", "statistics"):
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").exists()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns[:3]) == ["run_id", "scenario", "replicate"]
    assert {"days", "tumor_cells", "cd8_t_cells", "interferon_mean", "chemotherapy_concentration"} <= set(ts.columns)
    assert not ts.duplicated(["run_id", "hours"]).any()
    assert ts.groupby("run_id").size().tolist() == [13] * 4  # 3 days every 6 h
    assert (ts.loc[ts["scenario"] == "untreated", "chemotherapy_concentration"] == 0).all()
    oc = pd.read_parquet(out / "outcomes.parquet")
    assert len(oc) == 4 and oc["run_id"].is_unique
    assert {"final_tumor_cells", "best_response_pct", "time_to_progression_days", "progressed",
            "disseminated_cells", "metastatic_seeds", "kills_cd8", "kills_chemotherapy",
            "final_cd8_t_cells", "final_regulatory_t_cells", "final_macrophages_m1"} <= set(oc.columns)
    assert (oc.loc[oc["scenario"] == "chemotherapy", "kills_chemotherapy"] > 0).all()
    st = pd.read_parquet(out / "statistics.parquet")
    assert {"outcome", "scenario", "n", "mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high",
            "cliffs_delta", "p_value", "reference"} <= set(st.columns)
    assert set(st["reference"]) == {"untreated"}
    assert (out / "report.txt").read_text().startswith("compare: 4 runs")

    # one file per run, snapshots of replicate 0
    assert sorted(p.stem for p in (out / "runs").glob("*.parquet")) == sorted(oc["run_id"])
    snaps = sorted(p.stem for p in (out / "snapshots").glob("*.npz"))
    assert snaps == ["chemotherapy__r000", "untreated__r000"]
    with np.load(out / "snapshots" / "untreated__r000.npz") as data:
        assert data["days"].tolist() == [0.0, 3.0]
        assert data["cells"].shape == (2, 40, 40) and data["interferon"].shape == (2, 40, 40)

    fig_dir = out / "figures"
    for name in ("tumor_burden", "immune_populations", "fields", "treatments", "outcomes",
                 "snapshots_untreated__r000", "snapshots_chemotherapy__r000"):
        _figure_ok(fig_dir, name)


def test_compare_in_the_fast_field_mode_and_refusal_before_writing(tmp_path, capsys):
    out = tmp_path / "fast"
    rc = main(["compare", "untreated", "--replicates", "1", "--out", str(out), "--workers", "1", "--no-figures",
               "--set", "lattice.field_voxel_sites=2", "--set", "lattice.field_precision_bits=32", *SMALL_CLI])
    assert rc == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment"]["scenarios"]["untreated"]["parameters"]["lattice.field_voxel_sites"] == 2
    assert pd.read_parquet(out / "timeseries.parquet")["cytokine_mean"].iloc[-1] > 0
    bad = tmp_path / "bad"
    rc = main(["compare", "untreated", "--replicates", "1", "--out", str(bad), "--workers", "1",
               "--set", "lattice.field_voxel_sites=3", *SMALL_CLI])
    assert rc != 0 and not bad.exists()
    assert "lattice.field_voxel_sites = 3 must divide lattice.width_sites" in capsys.readouterr().err
    rc = main(["compare", "untreated", "--replicates", "1", "--out", str(bad), "--workers", "1",
               "--set", "lattice.field_precision_bits=48", *SMALL_CLI])
    assert rc != 0 and not bad.exists()
    assert "lattice.field_precision_bits = 48 must be 32 or 64" in capsys.readouterr().err


def test_sweep_end_to_end(tmp_path, capsys):
    out = tmp_path / "sweep"
    rc = main(
        ["sweep", "chemotherapy", "--param", "chemotherapy.dose=2,10", "--param",
         "tumor.division_rate_per_hour=0.02:0.04:2", "--replicates", "1", "--workers", "1",
         "--set", "chemotherapy.start_day=1", "--response", "final_tumor_cells", "--response", "kills_chemotherapy",
         "--out", str(out), "--figure-formats", "png", *SMALL_CLI]
    )
    printed = capsys.readouterr().out
    assert rc == 0 and "Response surface (4 points" in printed
    surface = pd.read_parquet(out / "surface.parquet")
    assert len(surface) == 4
    assert {"point", "chemotherapy.dose", "tumor.division_rate_per_hour", "final_tumor_cells_mean",
            "final_tumor_cells_ci_low", "kills_chemotherapy_mean"} <= set(surface.columns)
    assert sorted(set(surface["chemotherapy.dose"])) == [2.0, 10.0]
    assert sorted(set(surface["tumor.division_rate_per_hour"])) == [0.02, 0.04]
    oc = pd.read_parquet(out / "outcomes.parquet")
    # more drug kills more
    by_dose = oc.groupby("chemotherapy.dose")["kills_chemotherapy"].mean()
    assert by_dose[10.0] > by_dose[2.0]
    _figure_ok(out / "figures", "response_surface_final_tumor_cells", svg=False)
    _figure_ok(out / "figures", "response_surface_kills_chemotherapy", svg=False)


def test_latin_hypercube_sweep_in_memory():
    res = sweep("chemotherapy", {"chemotherapy.dose": (1.0, 10.0), "chemotherapy.doses": (1, 2)}, design="lhs",
                samples=3, replicates=1, days=3, seed=2, workers=1, progress=False,
                overrides={"lattice.width_sites": 30, "lattice.height_sites": 30, "chemotherapy.start_day": 0.5,
                           "chemotherapy.interval_days": 1})
    assert res.out_dir is None and len(res.surface) == 3
    doses = res.surface["chemotherapy.dose"]
    assert ((doses >= 1) & (doses <= 10)).all()
    # Latin hypercube: one point in each third of the range
    assert sorted(np.floor((doses - 1) / 3).astype(int)) == [0, 1, 2]
    assert set(res.surface["chemotherapy.doses"]) <= {1, 2}  # whole-number field stays whole
    assert res.plot_response_surface() is not None


def test_cohort_end_to_end(tmp_path, capsys):
    out = tmp_path / "cohort"
    rc = main(["cohort", *SCENARIOS, "--patients", "3", "--workers", "1", "--seed", "4", "--out", str(out),
               "--set", "chemotherapy.start_day=1", "--figure-formats", "png", *SMALL_CLI])
    printed = capsys.readouterr().out
    assert rc == 0 and "responders" in printed and "Wilcoxon" in printed
    oc = pd.read_parquet(out / "outcomes.parquet")
    assert len(oc) == 6 and {"scenario", "patient", "best_response_pct", "response_category"} <= set(oc.columns)
    # the same virtual patient (same initial tumor) in both arms
    wide = oc.pivot(index="patient", columns="scenario", values="baseline_tumor_cells")
    assert (wide["untreated"] == wide["chemotherapy"]).all()
    summary = pd.read_parquet(out / "cohort_summary.parquet")
    assert list(summary["scenario"]) == SCENARIOS
    assert {"patients", "responders", "responder_fraction", "responder_ci_low", "responder_ci_high", "CR", "PR",
            "SD", "PD", "median_ttp_days", "logrank_p_vs_reference"} <= set(summary.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    draws = manifest["experiment"]["patient_parameters"]["untreated"]
    assert len(draws) == 3 and draws[0] != draws[1]
    st = pd.read_parquet(out / "statistics.parquet")
    assert set(st["test"].dropna()) == {"wilcoxon"}
    for name in ("waterfall", "kaplan_meier", "tumor_burden", "outcomes"):
        _figure_ok(out / "figures", name, svg=False)


def test_list(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "untreated" in text and "checkpoint_blockade" in text and "anti_osm" in text
    assert main(["list", "--outcomes", "--treatments", "--profiles", "--parameters"]) == 0
    text = capsys.readouterr().out
    for word in HEADLINE_OUTCOMES + ("interferon_dosing", "irf7_silenced", "tumor.division_rate_per_hour"):
        assert word in text


def test_python_dash_m_and_console_script():
    res = subprocess.run([sys.executable, "-m", "experiments", "list"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "untreated" in res.stdout
    script = shutil.which("tumor-immune") or str(Path(sys.executable).parent / "tumor-immune")
    if Path(script).exists():
        res = subprocess.run([script, "compare", "--help"], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0 and "--replicates" in res.stdout and "--scheduler" in res.stdout


def test_validate_calls_the_validation_module(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("experiments.validation")
    fake.main = lambda out_dir, quick: calls.append((out_dir, quick)) or 0
    monkeypatch.setitem(sys.modules, "experiments.validation", fake)
    assert main(["validate", "--out", str(tmp_path / "v"), "--quick"]) == 0
    assert calls == [(tmp_path / "v", True)]


def test_validate_passes_the_journal(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("experiments.validation")
    fake.main = lambda out_dir, quick, journal: calls.append((out_dir, quick, journal)) or 0
    monkeypatch.setitem(sys.modules, "experiments.validation", fake)
    assert main(["validate", "--out", str(tmp_path / "v"), "--journal", str(tmp_path / "j.jsonl")]) == 0
    assert calls == [(tmp_path / "v", False, tmp_path / "j.jsonl")]


def test_validate_without_the_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "experiments.validation", None)  # import fails
    assert main(["validate", "--quick"]) == 2
    assert "validation suite" in capsys.readouterr().err
