"""Hypoxia and necrosis beyond the oxygen limit.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import numpy as np
from scipy import stats

from model import TumorCell, TumorImmuneModel
from model.biology.growth import division_rate_per_hour
from model.scenarios import PROFILES

from sim_builders import assert_binomial, p_step, quiet_model


def packed_tumor_with_vessels(seed: int, overrides: dict | None = None):
    """40 x 30 sites (not square, so a transposed distance map would show) packed with
    non-dividing tumor cells, 1% vessel sites."""
    return quiet_model(seed, 40, 30, {"lattice.vessel_fraction": 0.01, "tumor.initial_radius_sites": 100.0,
                                      "tumor.hypoxia_distance_um": 100.0, **(overrides or {})}, keep_tumor=True)


def test_hypoxic_sites_lie_beyond_the_oxygen_limit():
    """Hypoxic = farther than hypoxia_distance_um from every vessel (brute-force Euclidean check)."""
    model = packed_tumor_with_vessels(0)
    x, y = model.lattice.xy(np.arange(model.lattice.n_sites))
    vx, vy = model.lattice.xy(model.vessel_sites)
    nearest_um = np.hypot(x[:, None] - vx[None, :], y[:, None] - vy[None, :]).min(axis=1) * 20.0
    np.testing.assert_array_equal(model.hypoxic, nearest_um > 100.0)
    assert 0.1 < model.hypoxic.mean() < 0.9  # both kinds of site exist in this test
    no_vessels = quiet_model(0, 10, 10)
    assert no_vessels.hypoxic.all(), "a window without vessels has no blood supply"


def test_necrosis_kills_only_cells_beyond_the_oxygen_limit_at_its_rate():
    rate = 0.2
    deaths = trials = 0
    for seed in range(4):
        model = packed_tumor_with_vessels(seed, {"tumor.necrosis_rate_per_hour": rate})
        pop = model.populations[TumorCell]
        before = set(pop["site"].tolist())
        starving = int(model.hypoxic[pop["site"]].sum())
        model.step()
        gone = np.array(sorted(before - set(pop["site"].tolist())), dtype=np.int64)
        assert model.hypoxic[gone].all(), "a cell near a vessel died of necrosis"
        assert model.counters["tumor_deaths_necrosis"] == gone.size
        deaths += gone.size
        trials += starving
    assert_binomial(deaths, trials, p_step(rate, model.dt), what="necrosis per step")


def test_hypoxic_cells_divide_at_the_reduced_rate():
    model = packed_tumor_with_vessels(0, {"tumor.division_rate_per_hour": 0.04, "tumor.hypoxic_division_factor": 0.25})
    model.m2_near = None
    sites = np.arange(model.lattice.n_sites)
    rate = division_rate_per_hour(model, sites)
    np.testing.assert_allclose(rate, np.where(model.hypoxic, 0.01, 0.04))


def test_hypoxia_is_off_by_default_and_leaves_runs_unchanged():
    """With the default factor 1 and necrosis rate 0, the oxygen limit changes nothing, not even the random stream."""
    frames = []
    for distance in (150.0, 20.0):
        model = quiet_model(3, 30, 30, {"lattice.vessel_fraction": 0.02, "tumor.initial_radius_sites": 6.0,
                                        "tumor.division_rate_per_hour": 0.05, "tumor.hypoxia_distance_um": distance},
                            keep_tumor=True)
        for _ in range(48):
            model.step()
        frames.append(model.datacollector.get_model_vars_dataframe())
    assert frames[0].equals(frames[1])
    assert frames[0]["kills_necrosis"].max() == 0


def test_poorly_vascularised_profile_grows_a_necrotic_core():
    """The profile turns the mechanism on: necrotic deaths in every run, and a smaller tumor
    than the same seeds without it (paired difference, 95% CI below zero)."""
    # no immune influx in either arm: with recruitment at tumor-inflamed vessels (issue 12) half the vessels
    # also means half the T-cells, which would mix immune escape into a test of the necrotic core
    geometry = {"lattice__width_sites": 60, "lattice__height_sites": 60, "tumor__initial_radius_sites": 8.0,
                "host__immune_health": 0.0}
    profile = {k.replace(".", "__"): v for k, v in PROFILES["poorly_vascularised"].overrides.items()}
    diffs = []
    for seed in range(6):
        runs = []
        for over in ({}, profile):
            model = TumorImmuneModel(rng=seed, **geometry, **over)
            model.run_days(6)
            runs.append(model)
        assert runs[0].counters["tumor_deaths_necrosis"] == 0
        assert runs[1].counters["tumor_deaths_necrosis"] > 0
        diffs.append(runs[1].tumor_cell_count - runs[0].tumor_cell_count)
    ci = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert ci.high < 0, f"tumor size difference {np.mean(diffs):.0f} cells, 95% CI [{ci.low:.0f}, {ci.high:.0f}]"
