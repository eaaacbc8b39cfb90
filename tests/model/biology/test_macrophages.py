"""Macrophage polarisation.

Stochastic rules are checked statistically: many independent trials (several
fixed seeds, and several isolated copies of the set-up per model), and the
expected per-step probability ``1 - exp(-rate * dt)`` must lie inside the exact
99 % binomial confidence interval of the observed fraction. Each set-up is
isolated from the others on the lattice (no shared neighbours), so the trials
are independent Bernoulli draws.
"""

from __future__ import annotations


import numpy as np
import pytest

from model import Macrophage
from model.biology.cells import M0, M1, M2

from sim_builders import assert_binomial, fill_field, hill1, p_step, quiet_model


# =========================================================================== macrophages


@pytest.mark.parametrize("signal,target", [("interferon", M1), ("cytokine", M2), ("osm", M2)])
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
