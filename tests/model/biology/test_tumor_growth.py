"""Tumor growth: division rate, contact inhibition, immunoediting.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import numpy as np
import pytest

from model import TumorCell
from model.biology.growth import division_rate_per_hour

from sim_builders import assert_binomial, fill_field, hill1, p_step, quiet_model, tumor


# =========================================================================== tumor growth


def isolated_tumor_model(seed: int, overrides: dict, osm: float = 0.0):
    """100 tumor cells 3 sites apart on 30 x 30: every cell has 8 free neighbours nobody else can claim."""
    model = quiet_model(seed, 30, 30, overrides)
    for x in range(1, 30, 3):
        for y in range(1, 30, 3):
            tumor(model, x, y)
    fill_field(model, "osm", osm)
    return model


def test_division_rate_formula_with_osm_interferon_and_m2():
    model = quiet_model(0, 10, 10, {"tumor.division_rate_per_hour": 0.04, "tumor.osm_division_boost_max": 0.6,
                                    "tumor.interferon_division_inhibition_max": 0.3,
                                    "tumor.m2_division_boost_max": 0.3})
    sites = model.lattice.site(np.array([1, 2, 3, 4]), np.array([1, 1, 1, 1]))
    model.fields["osm"].values[2, 1] = 1.0  # hill = 0.5
    model.fields["osm"].values[4, 1] = 3.0  # hill = 0.75
    model.fields["ifn_gamma"].values[3, 1] = 1.0  # IFN-gamma is the cytostatic interferon
    rate = division_rate_per_hour(model, sites)
    np.testing.assert_allclose(rate, [0.04, 0.04 * 1.3, 0.04 * 0.85, 0.04 * 1.45])
    assert rate[1] > rate[0] and rate[3] > rate[1], "OSM must raise the division rate"
    model.m2_near = np.zeros(model.lattice.n_sites)
    model.m2_near[sites[0]] = 1.0
    assert division_rate_per_hour(model, sites[:1])[0] == pytest.approx(0.04 * 1.3)


@pytest.mark.parametrize("osm", [0.0, 1.0])
def test_division_happens_at_rate_raised_by_osm(osm):
    """Free cells divide with probability 1 - exp(-r dt), r = r0 (1 + boost * hill(OSM))."""
    base, boost = 0.4, 2.0
    divisions = trials = 0
    for seed in range(10):
        model = isolated_tumor_model(seed, {"tumor.division_rate_per_hour": base,
                                            "tumor.osm_division_boost_max": boost}, osm=osm)
        n0 = model.tumor_cell_count
        model.step()
        assert model.tumor_cell_count - n0 == model.counters["divisions"]
        divisions += model.counters["divisions"]
        trials += n0
    assert_binomial(divisions, trials, p_step(base * (1 + boost * hill1(osm)), model.dt), what=f"OSM {osm}")


def test_contact_inhibition_full_lattice_never_divides():
    model = quiet_model(0, 8, 8, {"tumor.initial_radius_sites": 100.0, "tumor.division_rate_per_hour": 1.0},
                        keep_tumor=True)
    assert model.tumor_cell_count == 64
    for _ in range(20):
        model.step()
    assert model.counters["divisions"] == 0 and model.tumor_cell_count == 64


def test_contact_inhibition_only_the_free_site_is_used():
    """With one empty corner, exactly one division can ever happen, and the daughter lands in the corner."""
    model = quiet_model(1, 8, 8, {"tumor.initial_radius_sites": 100.0, "tumor.division_rate_per_hour": 1.0},
                        keep_tumor=True)
    pop = model.populations[TumorCell]
    pop.agents[pop.row_at[model.lattice.site(0, 0)]].remove()
    for _ in range(40):
        model.step()
    assert model.counters["divisions"] == 1 and model.tumor_cell_count == 64
    corner = pop.agents[pop.row_at[model.lattice.site(0, 0)]]
    assert corner.born_hours > 0


def test_fully_surrounded_cell_never_divides_while_others_do():
    """The centre of a 3 x 3 block is surrounded; its neighbours' daughters never come from it."""
    for seed in range(5):
        model = quiet_model(seed, 20, 20, {"tumor.division_rate_per_hour": 1.0, "tumor.mutation_probability": 0.0})
        for x in range(9, 12):
            for y in range(9, 12):
                tumor(model, x, y, antigenicity=0.9 if (x, y) != (10, 10) else 0.123)
        model.step()
        assert model.counters["divisions"] > 0
        antigen = model.populations[TumorCell]["antigenicity"]
        assert np.count_nonzero(antigen == 0.123) == 1, "the surrounded centre cell divided"


# =========================================================================== immunoediting


def first_division(seed: int, mutation_probability: float):
    model = quiet_model(seed, 20, 20, {"tumor.division_rate_per_hour": 1.0,
                                       "tumor.mutation_probability": mutation_probability,
                                       "tumor.antigen_loss_fraction": 0.5})
    parent = tumor(model, 10, 10, antigenicity=0.8)
    for _ in range(100):
        model.step()
        if model.counters["divisions"]:
            break
    assert model.counters["divisions"] == 1
    (daughter,) = [a for a in model.populations[TumorCell].agents[:2] if a is not parent]
    return parent, daughter


@pytest.mark.parametrize("seed", range(3))
def test_antigen_loss_on_division(seed):
    parent, daughter = first_division(seed, 1.0)
    assert parent.antigenicity == 0.8 and parent.clone == 0
    assert daughter.antigenicity == pytest.approx(0.4) and daughter.clone >= 1
    parent, daughter = first_division(seed, 0.0)
    assert daughter.antigenicity == 0.8 and daughter.clone == 0


def test_mutation_frequency_per_division():
    p_mut = 0.3
    divisions = mutations = 0
    for seed in range(4):
        model = quiet_model(seed, 40, 40, {"tumor.division_rate_per_hour": 1.0, "tumor.mutation_probability": p_mut})
        tumor(model, 20, 20, antigenicity=0.8)
        for _ in range(30):
            model.step()
        divisions += model.counters["divisions"]
        # no cell dies here, so every mutation left exactly one new clone id behind
        mutations += np.unique(model.populations[TumorCell]["clone"]).size - 1
        # every antigenicity is 0.8 halved some whole number of times
        k = np.log2(0.8 / model.populations[TumorCell]["antigenicity"])
        np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert divisions > 800
    assert_binomial(mutations, divisions, p_mut, what="antigen-loss mutations per division")
