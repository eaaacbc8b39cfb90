"""Field numerics against analytic solutions (experiments/validation/numerics.py)."""

from __future__ import annotations

import pytest

from experiments.validation import numerics as vn
from experiments.validation.core import TEST


def test_point_source_matches_2d_gaussian():
    c = vn.point_source(TEST)
    # lattice heat kernel vs continuum Gaussian: Edgeworth correction ~ 1/(8 D t) = 0.25% at D t = 50
    assert c.value < 5e-3, c.extra
    assert c.extra["variance_per_axis"] == pytest.approx(c.extra["expected_variance"], rel=1e-9)
    assert c.extra["mass_error"] < 1e-12
    errs = list(c.extra["errors_by_Dt"].values())
    assert errs == sorted(errs, reverse=True), "error must shrink as the kernel widens"


def test_steady_point_source_matches_k0_profile():
    c = vn.steady_point_source(TEST)
    assert c.value < 0.03, c.extra
    assert c.extra["mass_balance_error"] < 1e-6  # total = q / k at steady state


def test_uniform_source_relaxes_to_source_over_decay():
    c = vn.uniform_source(TEST)
    assert c.value < 1e-9
    assert c.extra["steady_value"] == pytest.approx(c.extra["s_over_k"], rel=1e-3)
    assert c.extra["spatial_spread"] < 1e-9


def test_no_flux_walls_conserve_mass():
    c = vn.mass_conservation(TEST)
    assert c.extra["drift_without_source"] < 1e-10
    assert c.extra["corner_source_balance_error"] < 1e-10


def test_lattice_refinement_is_second_order():
    c = vn.lattice_refinement(TEST)
    assert 1.8 <= c.value <= 2.2, c.extra
    assert all(1.8 <= o <= 2.2 for o in c.extra["pairwise_orders"])


def test_time_step_halving_converges_first_order():
    c = vn.time_step_halving(TEST)
    assert 0.8 <= c.value <= 1.3, c.extra
    errs = c.extra["relative_l2_error"]
    assert all(b < a for a, b in zip(errs, errs[1:])), "error must fall each time dt is halved"
    # halving dt roughly halves the error in the asymptotic range
    assert 0.35 <= errs[-1] / errs[-2] <= 0.65


def test_field_sensed_at_uptake_sites_does_not_depend_on_dt():
    c = vn.uptake_sensing_dt(TEST)
    assert c.value < 0.10, c.notes
    # the failure mode this guards against: Lie splitting reads tumor sites at their post-uptake minimum
    assert c.extra["lie_split_dt_0.5"][0] < -0.3
