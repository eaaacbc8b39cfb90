"""The sizing behind window_burden (experiments/validation/window_burden_exploration.py): the power
simulation resamples pilot runs and judges them with the claim's own judge."""

from __future__ import annotations

import json

import numpy as np

from experiments.validation.window_burden_exploration import PILOT_FILE, simulate_power


def _pilot(cv: float, n: int = 40, seed: int = 3) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {str(w): list(np.abs(600.0 * (1 + cv * rng.standard_normal(n)))) for w in (60, 100, 200)}


def test_power_rises_with_runs_and_falls_off_the_margin():
    runs = _pilot(0.6)
    small, _ = simulate_power(100, pilot_runs=runs, repeats=200)
    large, roots = simulate_power(1500, pilot_runs=runs, repeats=200)
    assert small < 0.2 < 0.8 < large and roots > 0.8
    outside, _ = simulate_power(1500, ratio=0.85, pilot_runs=runs, repeats=200)
    assert outside < 0.05  # a 15% difference is not passed as equivalent


def test_the_committed_pilot_has_every_window():
    pilot = json.loads(PILOT_FILE.read_text())
    assert sorted(pilot, key=int) == ["60", "100", "200"]
    assert all(len(v) == 40 and min(v) >= 0 for v in pilot.values())


def test_spread_widens_the_runs_and_lowers_the_power():
    runs = _pilot(0.5)
    base, _ = simulate_power(900, pilot_runs=runs, repeats=200)
    wider, _ = simulate_power(900, pilot_runs=runs, repeats=200, spread=1.5)
    assert wider < base - 0.1
