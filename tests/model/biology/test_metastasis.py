"""Dissemination and metastatic seeding.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import pytest


from sim_builders import assert_binomial, fill_field, hill1, p_step, quiet_model


# =========================================================================== dissemination / seeding


def vessel_tumor_model(seed: int, overrides: dict, osm: float = 0.0, interferon: float = 0.0):
    """A 30 x 30 lattice packed with tumor, 20 % vessel sites (180), no division."""
    model = quiet_model(seed, 30, 30, {"lattice.vessel_fraction": 0.2, "tumor.initial_radius_sites": 100.0,
                                       **overrides}, keep_tumor=True)
    fill_field(model, "osm", osm)
    fill_field(model, "interferon", interferon)
    return model


@pytest.mark.parametrize("osm", [0.0, 1e6])
def test_dissemination_from_vessel_sites_rises_with_osm(osm):
    rate, boost = 0.2, 3.0
    left = trials = 0
    for seed in range(6):
        model = vessel_tumor_model(seed, {"tumor.dissemination_rate_per_hour": rate,
                                          "tumor.osm_invasion_boost_max": boost}, osm=osm)
        n_vessels = model.vessel_sites.size
        assert n_vessels == 180 and model.tumor_present[model.vessel_sites].all()
        model.step()
        gone = model.counters["disseminated_cells"]
        assert model.tumor_cell_count == 900 - gone
        assert model.tumor_present[~model.is_vessel].all(), "only cells on vessel sites may leave"
        assert (~model.tumor_present[model.vessel_sites]).sum() == gone
        left += gone
        trials += n_vessels
    assert_binomial(left, trials, p_step(rate * (1 + boost * hill1(osm)), model.dt), what=f"OSM {osm}")


IFN_SEED_MAX, OSM_SEED_MAX = 0.9, 1.0
SEEDING_CASES = {
    # name: (seeding_probability, osm, interferon, expected seeding probability)
    "baseline": (1.0, 0.0, 0.0, 1.0),
    "interferon blocks seeding": (1.0, 0.0, 1e6, 1.0 * (1 - IFN_SEED_MAX * hill1(1e6))),
    "interferon at EC50": (0.5, 0.0, 1.0, 0.5 * (1 - IFN_SEED_MAX * 0.5)),
    "OSM raises seeding": (0.2, 1e6, 0.0, 0.2 * (1 + OSM_SEED_MAX * hill1(1e6))),
}


@pytest.mark.parametrize("case", list(SEEDING_CASES))
def test_seeding_probability_falls_with_interferon_rises_with_osm(case):
    p_seed, osm, ifn, expected = SEEDING_CASES[case]
    seeds = disseminated = 0
    for seed in range(10):
        model = vessel_tumor_model(seed, {"tumor.dissemination_rate_per_hour": 1.0, "tumor.seeding_probability": p_seed,
                                          "tumor.interferon_seeding_inhibition_max": IFN_SEED_MAX,
                                          "tumor.osm_seeding_boost_max": OSM_SEED_MAX}, osm=osm, interferon=ifn)
        model.step()
        seeds += model.counters["metastatic_seeds"]
        disseminated += model.counters["disseminated_cells"]
    assert disseminated > 500
    assert_binomial(seeds, disseminated, expected, what=case)


def test_no_dissemination_without_vessels():
    model = quiet_model(0, 20, 20, {"tumor.initial_radius_sites": 100.0, "tumor.dissemination_rate_per_hour": 1.0},
                        keep_tumor=True)
    for _ in range(10):
        model.step()
    assert model.counters["disseminated_cells"] == 0
