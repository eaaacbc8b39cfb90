"""Biology from the literature: each claim an effect direction with a 95% CI over replicates.

Every arm is simulated once per test session (cached per arm, shared between
xdist workers) with the same replicate seeds, so comparisons are paired.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from experiments.validation import biology as vb
from experiments.validation.core import TEST

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def arms(shared):
    def get(*names):
        return {n: shared(f"bio-arm-{n}", lambda n=n: vb.run_arms(TEST, [n])[n]) for n in names}

    return get


def check(data, cid):
    found = {c.id: c for c in vb.analyse(TEST, data)}
    return found[cid]


def assert_direction(c, direction):
    lo, hi = c.ci
    if direction > 0:
        assert lo > 0, f"{c.id}: {c.value_text()} -- {c.notes}"
    else:
        assert hi < 0, f"{c.id}: {c.value_text()} -- {c.notes}"


# --------------------------------------------------------------------------- killing


@pytest.fixture(scope="module")
def assay(shared):
    return {c.id: c for c in vb.assay_checks(shared("bio-assay", lambda: vb.suppression_assay(TEST)))}


def test_cytokine_reduces_killing_in_suppression_assay(assay):
    c = assay["bio.cytokine_suppresses_killing"]
    assert_direction(c, -1)
    assert -0.40 < c.extra["relative_change"] < -0.05  # Emax 0.5 x hill(~1 EC50) ~ -25%


def test_tregs_reduce_killing_in_suppression_assay(assay):
    assert_direction(assay["bio.tregs_suppress_killing"], -1)


def test_treg_depletion_restores_killing_in_suppression_assay(assay):
    assert_direction(assay["bio.treg_depletion_increases_killing"], +1)


def test_cytokine_takes_a_share_of_killing_capacity_in_tissue(arms):
    c = check(arms("default"), "bio.cytokine_suppression_in_tissue")
    assert c.ci[0] > 0.01, c.notes


def test_tregs_take_a_share_of_killing_capacity_in_tissue(arms):
    c = check(arms("default"), "bio.treg_suppression_in_tissue")
    assert c.ci[0] > 0.01, c.notes


# --------------------------------------------------------------------------- immunoediting


@pytest.mark.xfail(strict=True, reason="issue 12 (2026-11-30): T-cells hit the already-edited rim, so the hits' "
                   "antigenicity is below the whole tumor's mean (-0.012, 95% CI low -0.030) while the tumor mean falls "
                   "by 0.17; the per-hit criterion against the whole-tumor mean is kept and reported as failing "
                   "(docs/validation.md)")
def test_immune_pressure_selects_low_antigen_clones(arms):
    c = check(arms("hot"), "bio.immunoediting_selection")
    assert c.ci[0] > 0, c.notes
    # the population-level consequence (mean antigenicity vs a SCID-like host) is a few hundredths, the size of
    # founder-clone drift, and needs the full report's 36 long runs per arm (docs/validation.md)


# --------------------------------------------------------------------------- oncostatin M


def test_activated_neutrophils_make_osm(arms):
    c = check(arms("default", "rich"), "bio.neutrophils_make_osm")
    assert c.ci[0] > 0, c.notes
    assert c.extra["r2"] > 0.5
    assert abs(c.extra["intercept"]) < 0.05


def test_osm_raises_growth_and_dissemination(arms):
    data = arms("rich", "rich_no_osm")
    assert_direction(check(data, "bio.osm_raises_growth"), +1)
    assert_direction(check(data, "bio.osm_raises_dissemination"), +1)


def test_anti_osm_reduces_growth_and_dissemination(arms):
    data = arms("rich", "rich_anti_osm")
    assert_direction(check(data, "bio.anti_osm_reduces_growth"), -1)
    assert_direction(check(data, "bio.anti_osm_reduces_dissemination"), -1)


# --------------------------------------------------------------------------- IRF7 / interferon


def test_irf7_silencing_raises_metastatic_seeding(arms):
    c = check(arms("default", "irf7_silenced"), "bio.irf7_silencing_raises_seeding")
    assert_direction(c, +1)


@pytest.mark.xfail(strict=True, reason=(
    "fourth session, 2026-11-30: after the bone niche's C9 fit moved the random stream, the +-20% "
    "equivalence is not established: 40 paired replicates give +5.9% (95% CI -11.6% to +23.4%), 80 "
    "give +8.4% (-4.4% to +21.2%); the criterion is kept and reported as failing (docs/validation.md)"))
def test_irf7_silencing_leaves_primary_growth_unchanged(shared):
    """Bidwell et al. 2012: primary growth largely unchanged (95% CI of the change inside +-20%).

    40 paired replicates, not the arms' 8: with the fitted CD8 killing the 18-day burden varies so
    much between seeds (CI -34% to +36% at 8) that +-20% cannot be resolved there (post hoc,
    2026-11-30; 32 replicates gave -1.5%, CI -18% to +15%). After the C9 fit (fourth session) the
    interval leaves the margin at 40 and at 80 replicates (xfail reason); the size stays 40, and a
    pass (a strict-xfail failure) means the claim needs re-reading. The question is answered over
    five roots by the claim ``irf7_primary_growth`` (400 pairs per root; holds, eighth session)."""
    budget = replace(TEST, replicates=40)
    data = shared("bio-irf7-primary-40", lambda: vb.run_arms(budget, ["default", "irf7_silenced"]))
    c = {c.id: c for c in vb.analyse(budget, data)}["bio.irf7_silencing_raises_seeding"]
    lo, hi = c.extra["primary_tumor_change_ci"]
    assert lo > -0.2 and hi < 0.2, c.notes


def test_interferon_dosing_lowers_seeding(arms):
    assert_direction(check(arms("irf7_silenced", "irf7_silenced_ifn"), "bio.interferon_lowers_seeding"), -1)


def test_irf7_restoration_lowers_seeding(arms):
    assert_direction(check(arms("irf7_silenced", "irf7_silenced_restored"), "bio.irf7_restoration_lowers_seeding"), -1)


# --------------------------------------------------------------------------- checkpoint blockade


def test_checkpoint_blockade_benefits_hot_more_than_cold(arms):
    c = check(arms("hot", "hot_cpb", "cold", "cold_cpb"), "bio.checkpoint_hot_vs_cold")
    assert c.ci[0] > 0, c.notes


# --------------------------------------------------------------------------- read-outs


def test_expected_events_match_counted_events(arms):
    data = arms("default", "rich", "irf7_silenced")
    c = check(data, "bio.expected_vs_counted_events")
    assert c.passed, c.notes
