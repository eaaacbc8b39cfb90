"""IRF7 and type-I interferon.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import numpy as np
import pytest

from model import Macrophage, Neutrophil, TumorCell
from model.biology.interferon_irf7 import interferon_signal

from sim_builders import assert_binomial, place, quiet_model, tumor


# =========================================================================== IRF7 / type-I interferon


def irf7_model(seed: int, irf7_intact: bool, stressor: type | None):
    # an M1 macrophage that neither kills, secretes interferon itself nor repolarises is a pure
    # cytotoxic-stress signal; a neutrophil is contact without cytotoxic stress
    model = quiet_model(seed, 20, 20, {
        "neutrophil.half_life_hours": 500.0,
        "macrophage.m1_interferon_secretion_per_hour": 0.0,
        "macrophage.m1_kill_rate_per_hour": 0.0,
        "macrophage.m2_polarization_rate_per_hour": 0.0,
    })
    for x in range(9, 12):
        for y in range(9, 12):
            tumor(model, x, y, irf7_intact=irf7_intact)
    if stressor is Macrophage:
        place(model, Macrophage, 12, 10, polarization=1)  # touches the block, so it stays put
    elif stressor is Neutrophil:
        place(model, Neutrophil, 12, 10)
    for _ in range(4):
        model.step()
    return model


@pytest.mark.parametrize("seed", range(3))
def test_silenced_irf7_makes_no_type1_interferon(seed):
    silenced = irf7_model(seed, irf7_intact=False, stressor=Macrophage)
    assert silenced.fields["interferon"].max() == 0.0
    intact = irf7_model(seed, irf7_intact=True, stressor=Macrophage)
    assert intact.fields["interferon"].max() > 0.0
    unstressed = irf7_model(seed, irf7_intact=True, stressor=None)
    assert unstressed.fields["interferon"].max() == 0.0, "IRF7 interferon needs immune stress"
    bystander = irf7_model(seed, irf7_intact=True, stressor=Neutrophil)
    assert bystander.fields["interferon"].max() == 0.0, "only cytotoxic contact (CD8, M1) stresses tumor cells"


def test_irf7_silenced_fraction_sets_initial_tumor():
    model = quiet_model(0, 60, 60, {"tumor.initial_radius_sites": 20.0, "tumor.irf7_silenced_fraction": 0.3},
                        keep_tumor=True)
    intact = model.populations[TumorCell]["irf7_intact"]
    assert_binomial(int((~intact).sum()), intact.size, 0.3, what="silenced fraction")


def test_interferon_signal_at_sites_equals_the_lattice_sum_there():
    """``interferon_signal(model, sites)`` gives the lattice-wide sum's values at ``sites``, bit for bit."""
    model = quiet_model(2, 15, 15)
    rng = np.random.default_rng(0)
    for name in ("interferon", "ifn_gamma"):
        model.fields[name].values[...] = rng.random(model.fields[name].shape)
    full = interferon_signal(model)
    sites = np.array([0, 17, 17, 224, 5])
    np.testing.assert_array_equal(interferon_signal(model, sites), full[sites])
    assert interferon_signal(model, np.array([], dtype=np.int64)).size == 0
    np.testing.assert_array_equal(full, model.fields["interferon"].values.ravel() + model.fields["ifn_gamma"].values.ravel())
