"""Growth without immunity: exponential phase, Eden-like front, carrying capacity."""

from __future__ import annotations

import pytest

from experiments.validation import growth as vg
from experiments.validation.core import TEST

pytestmark = pytest.mark.slow


def test_early_doubling_time_equals_ln2_over_division_rate(shared):
    c = shared("growth-exponential", lambda: vg.exponential_phase(TEST))
    expected = c.extra["expected_h"]
    lo, hi = c.ci
    assert lo <= expected <= hi, c.notes
    assert hi - lo < 0.1 * expected, "interval too wide to be a test"
    # counting every cell, contact inhibition lengthens it by a few percent only
    assert 0.0 <= c.extra["doubling_all_cells_h"] / expected - 1 < 0.10
    # dt independence: the dt = 0.25 h estimate lies inside the dt = 0.5 h interval and vice versa
    lo25, hi25 = c.extra["doubling_all_cells_dt_0.25_ci"]
    lo50, hi50 = c.extra["doubling_all_cells_ci"]
    assert lo25 <= c.extra["doubling_all_cells_h"] <= hi25 or lo50 <= c.extra["doubling_all_cells_dt_0.25_h"] <= hi50


def test_radius_grows_linearly_eden_like(shared):
    c = shared("growth-eden", lambda: vg.eden_front(TEST))
    lo, hi = c.extra["late_over_early_speed_ratio_ci"]
    assert 0.85 <= lo and hi <= 1.15, c.notes  # constant front speed
    assert c.extra["r2_linear_radius"] > 0.995
    assert c.extra["r2_linear_radius"] > c.extra["r2_exponential_count"]
    assert c.ci[0] > 0
    # the front advances about 1-3 sites per mean division time (rim-limited growth)
    assert 1.0 < c.extra["speed_sites_per_division_time"] < 3.0


def test_closed_window_fits_logistic_or_gompertz(shared):
    c = shared("growth-capacity", lambda: vg.carrying_capacity(TEST))
    sites = c.extra["sites"]
    assert abs(c.value / sites - 1) < 0.05, c.notes
    assert all(f["r2"] > 0.99 for f in c.extra["fits"].values())
