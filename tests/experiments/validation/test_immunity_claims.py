"""The statistics behind the issue-12 claims (experiments/validation/immunity.py): fast, no simulations."""

from __future__ import annotations

import numpy as np

from experiments.validation.immunity import (
    BONE_ARMS,
    holm,
    ratio_ci_paired,
    replicate_seeds,
    risk_difference_ci,
    risk_ratio_ci,
)


def test_risk_ratio_interval_excludes_one_only_for_a_clear_reduction():
    r, lo, hi, _ = risk_ratio_ci(2, 20, 12, 20)
    assert r < 0.5 and hi < 1.0
    r, lo, hi, _ = risk_ratio_ci(10, 20, 12, 20)
    assert lo < 1.0 < hi


def test_risk_difference_interval_can_fail_on_both_sides():
    assert risk_difference_ci(15, 20, 2, 20)[1] > 0
    assert risk_difference_ci(2, 20, 15, 20)[2] < 0
    d, lo, hi = risk_difference_ci(5, 20, 5, 20)
    assert d == 0 and lo < 0 < hi


def test_paired_ratio_of_a_known_ratio():
    b = np.array([100.0, 200.0, 150.0, 120.0])
    r, lo, hi, _ = ratio_ci_paired(2 * b * np.array([1.01, 0.99, 1.0, 1.0]), b)
    assert lo < 2.0 < hi and abs(r - 2.0) < 0.02


def test_holm_and_seeds():
    assert holm([0.001, 0.04, 0.03]) == [True, False, False]
    assert holm([0.001, 0.02, 0.03]) == [True, True, True]
    assert len(set(replicate_seeds(1, 6))) == 6 and replicate_seeds(1, 3) == replicate_seeds(1, 6)[:3]
    assert {"intact", "silenced", "silenced_interferon", "silenced_restoration"} <= set(BONE_ARMS)
