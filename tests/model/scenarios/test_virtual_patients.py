"""Virtual patients: reproducible draws, allowed ranges, documented spreads, variable response."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from model import Parameters, ScenarioError, TherapyScenario, get_scenario, load_scenario, sample_virtual_patient
from model.scenarios import PATIENT_VARIABILITY


def ranges(p: Parameters) -> dict[str, tuple[float, float]]:
    return {name: rng for name, _, _, rng, _ in p.leaves()}


def test_same_seed_same_patient_different_seed_different_patient():
    base = get_scenario("hot_untreated").parameters()
    a = sample_virtual_patient(base, np.random.default_rng(11))
    b = sample_virtual_patient(base, np.random.default_rng(11))
    c = sample_virtual_patient(base, np.random.default_rng(12))
    assert a == b
    assert sample_virtual_patient(base, 11) == a, "an integer seed means default_rng(seed)"
    assert set(a) == set(PATIENT_VARIABILITY)
    assert all(a[k] != c[k] for k in a)


def test_draws_stay_in_allowed_ranges_even_with_huge_spreads():
    base = Parameters()
    allowed = ranges(base)
    wide = {name: (dist, 25.0) for name, (dist, _) in PATIENT_VARIABILITY.items()}
    rng = np.random.default_rng(0)
    for _ in range(300):
        draw = sample_virtual_patient(base, rng, wide)
        for name, value in draw.items():
            lo, hi = allowed[name]
            assert lo <= value <= hi, (name, value)
        Parameters().replace(draw)  # every draw is a valid parameter set


def test_spreads_match_the_documented_distributions():
    """log(value / base) ~ N(0, sd) for lognormal entries; value - base ~ N(0, sd) for normal ones."""
    base = Parameters()
    flat = base.to_dict()
    rng = np.random.default_rng(5)
    n = 1500
    draws = [sample_virtual_patient(base, rng) for _ in range(n)]
    for name, (dist, sd) in PATIENT_VARIABILITY.items():
        v = np.array([d[name] for d in draws])
        lo, hi = ranges(base)[name]
        inside = (v > lo) & (v < hi)  # unclipped draws
        assert inside.mean() > 0.97, name
        x = np.log(v[inside] / flat[name]) if dist == "lognormal" else v[inside] - flat[name]
        # location: within a 99.9 % band of 0; scale: chi-square 99.9 % band around sd
        assert abs(x.mean()) < 3.3 * sd / math.sqrt(x.size), (name, x.mean())
        k = x.size - 1
        lo_sd = sd * math.sqrt(stats.chi2.ppf(0.0005, k) / k)
        hi_sd = sd * math.sqrt(stats.chi2.ppf(0.9995, k) / k)
        assert lo_sd * 0.97 <= x.std(ddof=1) <= hi_sd * 1.03, (name, x.std(ddof=1), sd)


def test_with_virtual_patient_round_trips_and_keeps_the_scenario(tmp_path):
    sc = get_scenario("chemo_plus_checkpoint")
    patient = sc.with_virtual_patient(rng=3, name="patient_3")
    assert patient.name == "patient_3" and patient.treatments == sc.treatments and patient.profile == sc.profile
    assert set(patient.overrides) == set(PATIENT_VARIABILITY)
    assert patient == sc.with_virtual_patient(rng=3, name="patient_3")
    assert patient.parameters() != sc.parameters()
    assert load_scenario(patient.save(tmp_path / "p.toml")) == patient


def test_draws_are_centred_on_the_scenario_profile():
    """A patient of a hot scenario varies around the hot profile's values, not the defaults."""
    sc = get_scenario("hot_untreated")
    hot = sc.parameters().tumor.pd_l1_baseline
    values = [sc.with_virtual_patient(rng=s).parameters().tumor.pd_l1_baseline for s in range(400)]
    assert np.median(values) == pytest.approx(hot, rel=0.1)


def test_bad_variability_is_reported():
    base = Parameters()
    with pytest.raises(ScenarioError, match=r"unknown parameter 'tumor\.divison_rate_per_hour'.*did you mean"):
        sample_virtual_patient(base, 0, {"tumor.divison_rate_per_hour": ("lognormal", 0.3)})
    with pytest.raises(ScenarioError, match="'uniform' must be 'lognormal' or 'normal'"):
        sample_virtual_patient(base, 0, {"tumor.division_rate_per_hour": ("uniform", 0.3)})
    with pytest.raises(ScenarioError, match="spread = -1 must be a number >= 0"):
        sample_virtual_patient(base, 0, {"tumor.division_rate_per_hour": ("normal", -1)})


def test_a_cohort_shows_variable_response():
    """Final burden varies more between patients (one seed each) than between seeds of one patient.

    One-sided F-test on log tumor cells after 6 days of anti-PD-1, 16 patients vs 16 seeds (8 each
    before issue 12; with the fitted CD8 killing the seed-to-seed spread grew and 8 + 8 gave
    F = 3.89, p = 0.047: resized post hoc, 2026-11-30, recorded in docs/validation.md).
    """
    sc = TherapyScenario("cohort", treatments=({"type": "checkpoint_blockade", "start_day": 1, "doses": 1},),
                         duration_days=6.0, overrides={"lattice.width_sites": 50, "lattice.height_sites": 50})

    def response(scenario, seed):
        model = scenario.make_model(rng=seed)
        model.run_days(scenario.duration_days)
        return math.log(model.tumor_cell_count)

    between = np.array([response(sc.with_virtual_patient(rng=100 + p), 0) for p in range(16)])
    within = np.array([response(sc, seed) for seed in range(16)])
    f = between.var(ddof=1) / within.var(ddof=1)
    p = stats.f.sf(f, between.size - 1, within.size - 1)
    assert p < 0.01, f"between-patient / within-patient variance = {f:.2f} (p = {p:.3g})"
