"""Read-outs: exact CIs, Cox HR on data with a known HR, equivalence checks fail on both sides."""

import numpy as np
import pandas as pd
import pytest

from experiments.trial.checks import check_table
from experiments.trial.readouts import arm_readout, exact_ci, hazard_ratio


def test_exact_ci_matches_clopper_pearson():
    lo, hi = exact_ci(18, 84)  # KEYNOTE-086 B: 21.4% (published 13.9-31.4 is a different method)
    assert lo == pytest.approx(0.1322, abs=2e-3) and hi == pytest.approx(0.3170, abs=2e-3)
    assert exact_ci(0, 10)[0] == 0.0


def _surv(n, rate, rng):
    t = rng.exponential(1 / rate, n)
    return np.minimum(t, 24.0), t < 24.0


def test_cox_hazard_ratio_recovers_known_ratio():
    rng = np.random.default_rng(3)
    ta, ea = _surv(600, 0.05, rng)
    tb, eb = _surv(600, 0.10, rng)
    rows = pd.DataFrame({"pfs_months": np.r_[ta, tb], "pfs_event": np.r_[ea, eb],
                         "arm": ["new"] * 600 + ["ref"] * 600})
    hr, lo, hi = hazard_ratio(rows, "new", "ref")
    assert 0.4 < hr < 0.62 and lo < 0.5 < hi


def _table(orr, cr, n=40):
    rows = pd.DataFrame({"best_response": ["CR"] * cr + ["PR"] * (orr - cr) + ["PD"] * (n - orr),
                         "disease_control": [True] * orr + [False] * (n - orr),
                         "pfs_months": np.linspace(1, 12, n), "pfs_event": [True] * n,
                         "dor_months": [3.0] * n, "dor_event": [True] * n})
    r = arm_readout(rows, "a")
    r.update(role="calibration", target_orr=0.33, target_cr_rate=0.01)
    return check_table(pd.DataFrame([r])).set_index("quantity")["passed"]


def test_checks_fail_on_both_sides():
    assert _table(13, 0)["orr"]  # 32.5%
    assert not _table(2, 0)["orr"]  # too few
    assert not _table(30, 0)["orr"]  # too many
    assert _table(13, 1)["cr_share_of_responders"]
    assert not _table(13, 10)["cr_share_of_responders"]  # mostly complete: not what trials see
    assert not _table(0, 0)["cr_share_of_responders"]  # zero responders cannot pass an ORR target >= 10%


def test_fast_km_median_matches_lifelines():
    from experiments.trial.readouts import km_fit, km_median
    rng = np.random.default_rng(8)
    t = np.round(rng.exponential(5.0, 200), 1)
    e = rng.random(200) < 0.8
    assert km_median(t, e) == pytest.approx(km_fit(pd.Series(t), pd.Series(e), "x").median_survival_time_)
