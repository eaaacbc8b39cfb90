"""The compiled division hazard equals the numpy expressions it replaced, factor by factor."""

from __future__ import annotations

import numpy as np
import pytest

from model import TumorImmuneModel
from model.biology import growth


def _numpy_rate(model, sites):
    """growth.division_rate_per_hour as numpy computed it before the kernel (the reference)."""
    tp = model.p.tumor
    osm = model.fields["osm"].values.ravel()[sites] * (1.0 - model.modifiers.osm_neutralization)
    ifn = model.fields["ifn_gamma"].values.ravel()[sites]
    rate = np.full(sites.size, tp.division_rate_per_hour * model.modifiers.proliferation_factor)
    rate *= 1.0 + tp.osm_division_boost_max * (np.maximum(osm, 0.0) / (np.maximum(osm, 0.0) + 1.0))
    rate *= 1.0 - tp.interferon_division_inhibition_max * (np.maximum(ifn, 0.0) / (np.maximum(ifn, 0.0) + 1.0))
    if tp.m2_division_boost_max > 0 and model.m2_near is not None:
        rate *= 1.0 + tp.m2_division_boost_max * model.m2_near[sites]
    if tp.hypoxic_division_factor < 1.0:
        rate *= np.where(model.hypoxic[sites], tp.hypoxic_division_factor, 1.0)
    return rate


@pytest.mark.parametrize("overrides", [
    {},
    {"tumor.hypoxic_division_factor": 0.3, "tumor.m2_division_boost_max": 0.0},
    {"tumor.m2_division_boost_max": 0.7},
])
@pytest.mark.parametrize("m2_map", ["none", "bool", "float"])
def test_division_rate_kernel_equals_numpy(overrides, m2_map):
    model = TumorImmuneModel(rng=4, lattice__width_sites=40, lattice__height_sites=30,
                             **{k.replace(".", "__"): v for k, v in overrides.items()})
    model.run_days(2)
    rng = np.random.default_rng(1)
    n = model.lattice.n_sites
    model.fields["osm"].values[...] = rng.random(model.fields["osm"].shape) * 3.0
    model.fields["ifn_gamma"].values.ravel()[: n // 3] = -0.0  # a tie at zero and negative zero
    model.modifiers.osm_neutralization = 0.25
    model.modifiers.proliferation_factor = 0.8
    model.hypoxic = rng.random(n) < 0.3
    model.m2_near = {"none": None, "bool": rng.random(n) < 0.2, "float": rng.random(n)}[m2_map]
    sites = rng.choice(n, size=200, replace=False)
    got = growth.division_rate_per_hour(model, sites)
    want = _numpy_rate(model, sites)
    assert got.dtype == np.float64 and got.tobytes() == want.tobytes()
