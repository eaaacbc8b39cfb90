"""The dt exploration's power simulation judges synthetic runs with dt_immune_rates' own judge."""

from experiments.validation.dt_claim import DT_RATE_METRICS, DT_VALUES
from experiments.validation.dt_exploration import RATE_PILOT_CVS, simulate_rate_power


def test_rate_power_rises_with_runs_and_vanishes_outside_the_margin():
    small, large = simulate_rate_power(10, repeats=60), simulate_rate_power(80, repeats=60)
    assert large[0] > small[0] + 0.4 and large[0] > 0.85
    assert large[1] >= large[0] - 0.1  # >= 4 of 5 roots at per-root power ~0.9
    assert simulate_rate_power(80, ratio_at_half_hour=0.75, repeats=60)[0] == 0.0  # outside [0.85, 1.15]
    assert set(RATE_PILOT_CVS) == set(DT_RATE_METRICS)
    assert all(set(v) == set(DT_VALUES) for v in RATE_PILOT_CVS.values())
