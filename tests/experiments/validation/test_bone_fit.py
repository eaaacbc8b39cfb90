"""The bone niche's C9 fit: closed form vs the niche's own step, and the fitted default."""

from dataclasses import replace

import pytest

from experiments.validation.bone_fit import (C9_RATIOS, colony_probability, colony_ratio, fit_surveillance,
                                             simulate_colony_probability)
from model.biology.bone_niche import surveillance_rate
from model.engine.parameters import BoneParameters
from sim_builders import assert_binomial


@pytest.mark.parametrize("irf7_intact", [True, False])
def test_closed_form_matches_the_stochastic_niche(irf7_intact):
    p = BoneParameters()
    n = 6000
    sim = simulate_colony_probability(p, irf7_intact, n, seed=3)
    ifn = p.irf7_type1_ifn if irf7_intact else 0.0
    death = float(surveillance_rate(p, ifn))
    expected = colony_probability(p.division_rate_per_hour, death, 20 * 24.0, p.detection_cells)
    assert_binomial(round(sim * n), n, expected, what=f"colonies, irf7_intact={irf7_intact}")


def test_closed_form_limits():
    assert colony_probability(0.03, 0.03, 480.0, 1) == pytest.approx(1 / (1 + 0.03 * 480.0), rel=1e-6)
    assert colony_probability(0.03, 0.0, 480.0, 1) == pytest.approx(1.0)  # pure birth never dies out
    assert colony_probability(0.0, 0.05, 480.0, 1) == pytest.approx(0.0, abs=1e-9)


def test_fit_meets_c9_and_the_default_is_the_fit():
    fit = fit_surveillance()
    x = fit["surveillance_ifn_max_per_hour"]
    p = BoneParameters()
    assert colony_ratio(replace(p, surveillance_ifn_max_per_hour=x)) == pytest.approx(fit["target_ratio"], rel=1e-6)
    lo, hi = fit["interval"]
    assert lo < x < hi
    # more IFN-driven surveillance, fewer colonies: the clone with the smaller ratio needs the larger rate
    assert colony_ratio(replace(p, surveillance_ifn_max_per_hour=hi)) == pytest.approx(min(C9_RATIOS), rel=1e-6)
    assert lo <= p.surveillance_ifn_max_per_hour <= hi
