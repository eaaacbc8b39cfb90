"""Well-mixed limit of the agent model vs the Kuznetsov et al. (1994) ODE."""

from __future__ import annotations

import pytest

from experiments.validation import kuznetsov as vk
from experiments.validation.core import TEST


def test_literature_ode_has_escape_dormancy_elimination():
    regimes = vk.literature_regimes()
    assert [regimes[s]["from_small"] for s in sorted(regimes)] == ["escape", "dormancy", "dormancy", "elimination"]
    # bistability at the published supply s = 1.3e4 cells/day: a large tumor escapes
    assert regimes[1.3e4]["from_large"] == "escape"
    eq = vk.kuznetsov_equilibria(vk.KUZNETSOV)
    stable = sorted(e["T"] for e in eq if e["stable"] and e["T"] > 0)
    cap = 1 / vk.KUZNETSOV["b"]
    assert len(stable) == 2
    assert stable[0] < 0.05 * cap < 0.8 * cap < stable[1]  # dormant and escape states
    # elimination threshold: the tumor-free state is stable exactly when n s / d > a
    s_star = vk.KUZNETSOV["a"] * vk.KUZNETSOV["d"] / vk.KUZNETSOV["n"]
    assert not [e for e in vk.kuznetsov_equilibria(dict(vk.KUZNETSOV, s=0.99 * s_star)) if e["T"] == 0][0]["stable"]
    assert [e for e in vk.kuznetsov_equilibria(dict(vk.KUZNETSOV, s=1.01 * s_star)) if e["T"] == 0][0]["stable"]


@pytest.fixture(scope="module")
def kuznetsov_checks(shared):
    agent = vk.run_agent_levels(TEST, lambda rate: shared(f"kuznetsov-level-{rate:g}", lambda: vk.run_level(TEST, rate)))
    return {c.id: c for c in vk.analyse(TEST, agent)}


@pytest.mark.slow
def test_agent_model_shows_the_regimes_in_order(kuznetsov_checks):
    c = kuznetsov_checks["kuznetsov.agent_regimes"]
    p_elim = c.extra["p_elimination"]
    frac = c.extra["final_burden_fraction_of_sites"]
    assert p_elim[0] == 0.0 and p_elim[1] <= 0.5, c.extra  # no / weak influx: escape
    assert p_elim[-1] == 1.0, c.extra  # strong influx: elimination
    assert all(b <= a + 0.05 for a, b in zip(frac, frac[1:])), "burden must fall as influx rises"
    assert frac[0] > 0.9  # escape fills the window


@pytest.mark.slow
def test_mapped_ode_reproduces_regimes_and_threshold(kuznetsov_checks):
    c = kuznetsov_checks["kuznetsov.mapped_ode"]
    regimes = list(c.extra["ode_regimes_contact_saturating"].values())
    assert regimes[0] == "escape" and regimes[-1] == "elimination"
    assert 0.5 <= c.value <= 2.0, c.notes
    # immune-free growth: fitted capacity is the window, fitted rate below the division rate (rim growth)
    assert abs(c.extra["K_fit_cells"] / (vk.WIDTH**2) - 1) < 0.06
    assert c.extra["a_fit_per_hour"] < 0.03
    # without immunity and with elimination the mapped ODE tracks the agent mean closely
    rmse = c.extra["rmse_over_sites_contact_saturating"]
    assert rmse["0"] < 0.05 and list(rmse.values())[-1] < 0.05
