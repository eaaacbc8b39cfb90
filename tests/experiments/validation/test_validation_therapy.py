"""Therapy references: chemotherapy nadir/recovery, radiotherapy LQ law, virtual cohort."""

from __future__ import annotations

import pytest

from experiments.validation import therapy as vt
from experiments.validation.core import TEST
from model import TREATMENTS


@pytest.fixture(scope="module")
def chemo(shared):
    return {c.id: c for c in shared("therapy-chemo", lambda: vt.chemotherapy(TEST))}


@pytest.mark.slow
def test_chemotherapy_neutrophil_nadir_and_recovery(chemo):
    c = chemo["therapy.chemo_nadir_recovery"]
    assert 10.0 <= c.value <= 14.0, c.notes  # clinical nadir day 10-14 (Furuya 2019)
    assert c.extra["nadir_level"] < 0.5
    assert c.extra["level_at_day_21"] >= 0.5  # recovered for the next cycle
    assert c.extra["day_back_to_90pct"] < 28
    assert c.extra["lymphoid_nadir_day"] > c.value  # lymphocytes dip later


@pytest.mark.slow
def test_chemotherapy_lowers_immune_recruitment(chemo):
    c = chemo["therapy.chemo_lowers_recruitment"]
    lo, hi = c.ci
    assert hi < 0, c.notes
    assert c.extra["neutrophils_recruited_chemo"] < 0.5 * c.extra["neutrophils_recruited_control"]


def test_radiotherapy_follows_linear_quadratic_law():
    lq, frac = vt.radiotherapy_lq(TEST)
    assert lq.passed, lq.notes  # LQ inside every dose's exact binomial CI; alpha, beta recovered
    lo, hi = lq.ci
    rt = TREATMENTS["radiotherapy"]()
    assert lo <= rt.alpha_per_gy <= hi
    b_lo, b_hi = lq.extra["beta_fit_ci"]
    assert b_lo <= rt.beta_per_gy2 <= b_hi
    assert abs(frac.value - frac.extra["expected"]) < 0.02
    assert frac.value > frac.extra["single_10gy"]  # fractionation spares cells
    assert frac.extra["lymphocytes_killed_by_2gy"] == pytest.approx(frac.extra["lymphocytes_expected"], abs=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["triple_negative", "pdl1_high"])
def test_virtual_cohort_response_rate_is_clinically_plausible(shared, which):
    c = shared(f"therapy-cohort-{which}", lambda: vt.cohort(TEST, which=which))[0]
    lo, hi = c.ci
    # the trial's response rate (the fitted target, KEYNOTE-086 A or B) inside the model's 95% CI
    assert lo <= vt.COHORTS[which]["target"] <= hi, c.notes
    assert c.passed
    assert c.extra["patients"] == TEST.cohort_patients
    # anti-PD-1 never makes the paired patient worse on average, and responders are at least as many
    assert c.extra["median_final_ratio_treated_over_untreated"] <= 1.02
    assert c.value >= c.extra["orr_untreated"]
