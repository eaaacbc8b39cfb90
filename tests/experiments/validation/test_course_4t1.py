"""The C6 course criterion: what counts as a dip, and a verdict that can fail on both sides."""

import numpy as np

from experiments.validation import course_4t1 as c6
from experiments.validation.core import TEST


def test_a_regression_in_weeks_2_to_4_is_a_dip_and_steady_growth_is_not():
    days = np.arange(0, 36, dtype=float)
    growth = 500 * np.exp(0.05 * days)
    assert not c6.course_dips(days, growth)
    dip = growth.copy()
    dip[days >= 15] = growth[15] * np.exp(-0.05 * (days[days >= 15] - 15))  # peak on day 15, then falls
    assert c6.course_dips(days, dip)
    late = growth.copy()
    late[days >= 31] = growth[31] * 0.5  # a fall after a peak on day 30 is too late
    assert not c6.course_dips(days, late)
    shallow = growth.copy()
    shallow[days >= 15] = growth[15] * 0.85  # a 15% fall is noise, not regression
    assert not c6.course_dips(days, shallow)


def test_the_verdict_fails_on_either_side():
    def roots(comp, scid):
        return {r: {"competent": list(comp), "scid": list(scid)} for r in range(5)}

    assert c6.judge(roots([True] * 4, [False] * 4))["holds"]
    assert not c6.judge(roots([True, False, False, False], [False] * 4))["holds"]  # too few competent dips
    assert not c6.judge(roots([True] * 4, [True, False, False, False]))["holds"]  # SCID courses dip too


def test_wilson_interval_matches_known_values():
    lo, hi = c6.wilson(0, 20)
    assert lo == 0.0 and abs(hi - 0.161) < 0.001
    lo, hi = c6.wilson(10, 20)
    assert abs(lo - 0.299) < 0.001 and abs(hi - 0.701) < 0.001


def test_the_smoke_section_runs_and_is_never_a_verdict():
    (check,) = c6.section(TEST, quick=True)
    assert check.id == "imm.course_4t1" and 0.0 <= check.value <= 1.0
    assert not check.passed and "smoke size" in check.notes
