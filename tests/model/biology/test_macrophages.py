"""Macrophage polarisation.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import numpy as np
import pytest

from model import Macrophage, RegulatoryTCell
from model.biology import growth, macrophages, treg
from model.biology.cells import M0, M1, M2

from sim_builders import assert_binomial, fill_field, hill1, p_step, place, quiet_model


# =========================================================================== macrophages


@pytest.mark.parametrize("signal,target", [("ifn_gamma", M1), ("cytokine", M2), ("osm", M2)])
def test_macrophage_polarization(signal, target):
    """Interferon polarises M0 -> M1; the suppressive cytokine (or OSM) M0 -> M2."""
    rate = 1.0
    hits = trials = 0
    for seed in range(10):
        model = quiet_model(seed, 30, 30, {"macrophage.m1_polarization_rate_per_hour": rate,
                                           "macrophage.m2_polarization_rate_per_hour": rate})
        for s in model.rng.choice(900, size=100, replace=False).tolist():
            Macrophage(model, s)
        fill_field(model, signal, 1e6)
        model.step()
        pol = model.populations[Macrophage]["polarization"]
        assert not np.any(pol == (M2 if target == M1 else M1)), "polarised the wrong way"
        hits += int((pol == target).sum())
        trials += 100
    assert_binomial(hits, trials, p_step(rate * hill1(1e6), model.dt), what=f"{signal} -> M{target}")


def test_macrophages_stay_m0_without_signals():
    model = quiet_model(0, 30, 30)
    for s in range(0, 900, 9):
        Macrophage(model, s)
    for _ in range(10):
        model.step()
    assert np.all(model.populations[Macrophage]["polarization"] == M0)
    assert Macrophage(model, 4).phenotype == "M0"


def test_contact_maps_are_bool_and_read_like_float_maps():
    """The Treg suppression and M2 support maps are bool (no lattice-wide float copy); the
    hazards read from them equal those read from the same map as float 0/1."""
    model = quiet_model(1, 12, 12, {"treg.suppression_radius_sites": 2, "tumor.m2_division_boost_max": 0.5})
    place(model, RegulatoryTCell, 3, 3)
    place(model, Macrophage, 8, 8, polarization=M2)
    model.take_contact_maps()
    lat = model.lattice
    assert model.treg_near.dtype == bool and model.m2_near.dtype == bool
    near_treg = {(x, y) for x in range(1, 6) for y in range(1, 6)}
    near_m2 = {(x, y) for x in range(7, 10) for y in range(7, 10)}
    for x in range(12):
        for y in range(12):
            assert model.treg_near[lat.site(x, y)] == ((x, y) in near_treg)
            assert model.m2_near[lat.site(x, y)] == ((x, y) in near_m2)
    sites = np.arange(lat.n_sites)
    factor, rate = treg.suppression_factor(model, sites), growth.division_rate_per_hour(model, sites)
    model.treg_near, model.m2_near = model.treg_near.astype(float), model.m2_near.astype(float)
    np.testing.assert_array_equal(factor, treg.suppression_factor(model, sites))
    np.testing.assert_array_equal(rate, growth.division_rate_per_hour(model, sites))
    assert macrophages.m2_support_map(model).dtype == bool
