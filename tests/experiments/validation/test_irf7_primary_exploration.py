"""The sizing of irf7_primary_growth (experiments/validation/irf7_primary_exploration.py)."""

from __future__ import annotations

from experiments.validation.irf7_primary_exploration import PILOT_CV, PILOT_SD_LOG_PAIR, main, simulate_power


def test_power_rises_with_pairs_and_falls_off_the_margin():
    assert 0 < PILOT_CV < 1 and 0 < PILOT_SD_LOG_PAIR < 2
    small, large = simulate_power(40, repeats=60)[0], simulate_power(400, repeats=60)[0]
    assert small < large and large > 0.6
    assert simulate_power(400, ratio=1.3, repeats=60)[0] < 0.1


def test_command_line_prints_the_power_table(capsys):
    assert main(["--power", "50"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("50 ratio 1: per-root ") and "| ratio 1.25:" in line
