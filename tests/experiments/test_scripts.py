"""The ready-made question scripts run end to end (tiny lattice, one replicate)."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from experiments import checkpoint_blockade, script_options

TINY = ["--lattice-size", "30", "--days", "6", "--replicates", "1", "--workers", "1", "--no-progress", "--no-figures"]


@pytest.mark.parametrize(
    "script, extra, tables",
    [
        ("checkpoint_blockade", [], ["outcomes.parquet", "checkpoint_effects.csv"]),
        ("interferon_dosing", ["--doses", "1,10", "--start-days", "0,2"], ["compare/outcomes.parquet", "sweep/surface.parquet"]),
        ("osm_blockade", ["--doses", "1,10"], ["compare/outcomes.parquet", "dose_sweep/surface.parquet"]),
        ("chemo_immunity", [], ["outcomes.parquet", "statistics.parquet"]),
    ],
)
def test_question_script(script, extra, tables, tmp_path, capsys):
    mod = importlib.import_module(f"experiments.{script}")
    out = tmp_path / script
    assert mod.main([*TINY, "--out", str(out), *extra]) == 0
    printed = capsys.readouterr().out
    assert "full results" in printed
    for t in tables:
        path = out / t
        assert path.exists(), path
        df = pd.read_parquet(path) if t.endswith(".parquet") else pd.read_csv(path)
        assert len(df) > 0


def test_script_errors_are_clear(tmp_path, capsys):
    rc = script_options.run(checkpoint_blockade.main, ["--replicates", "0", "--out", str(tmp_path / "x")])
    assert rc == 2 and "replicates = 0" in capsys.readouterr().err
