"""The window claim's power simulation judges synthetic runs with window_rates' own judge."""

from experiments.validation.window_claim import RATE_WINDOWS, WINDOW_RATE_METRICS
from experiments.validation.window_exploration import PILOT_CVS, simulate_power


def test_power_rises_with_runs_and_vanishes_outside_the_margin():
    small, large = simulate_power(20, repeats=40), simulate_power(300, repeats=40)
    assert large[0] > small[0] + 0.5 and large[0] > 0.9
    assert simulate_power(300, ratio=0.8, repeats=40)[0] == 0.0  # outside [0.9, 1.1]
    assert set(PILOT_CVS) == set(WINDOW_RATE_METRICS)
    assert all(set(v) == set(RATE_WINDOWS) for v in PILOT_CVS.values())
