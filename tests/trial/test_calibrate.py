"""Calibration pieces: the prior stays in its bounds; the ABC distance is zero at the targets and grows both ways."""

import numpy as np
import pandas as pd

from experiments.trial.calibrate import PRIOR, distance, sample_prior


def test_prior_draws_stay_in_bounds_and_cover_them():
    rng = np.random.default_rng(0)
    draws = pd.DataFrame([vars(sample_prior(rng)) for _ in range(400)])
    for k, (lo, hi, kind) in PRIOR.items():
        assert draws[k].between(lo, hi).all()
        mid = np.sqrt(lo * hi) if kind == "log" else (lo + hi) / 2
        assert 0.35 < (draws[k] < mid).mean() < 0.65  # log-uniform draws split at the geometric middle


def _tab(orr, pfs):
    return pd.DataFrame({"analysis": ["a"], "orr": [orr], "median_pfs_months": [pfs],
                         "target_orr": [0.3], "target_median_pfs_months": [5.0]})


def test_distance_is_zero_at_target_and_grows_both_ways():
    assert distance(_tab(0.3, 5.0)) == 0.0
    assert distance(_tab(0.2, 5.0)) > 0 and distance(_tab(0.4, 5.0)) > 0
    assert distance(_tab(0.3, 3.0)) > distance(_tab(0.3, 4.0)) > 0
    assert distance(_tab(0.3, float("nan"))) > 100  # never progressing is far from a 5-month median
