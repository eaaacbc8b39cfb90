"""Issue 12 mechanisms: inflamed-vessel entry, debris, multi-hit killing, post-kill arrest, IFN split, bone niche.

Fast unit checks of each rule; the population-level claims (immune control,
window equivalence, bone metastasis) are judged by ``tumor-immune validate``
(``experiments/validation/immunity.py``).
"""

from __future__ import annotations

import numpy as np

from experiments.validation.bone_fit import colony_probability
from model import CD8TCell, TumorCell
from model.biology.bone_niche import BoneNiche, surveillance_rate
from model.biology.cd8 import sticky_targets
from model.biology.inflamed_vessels import inflamed_vessel_sites, vessel_neighbourhoods
from model.engine.parameters import Parameters

from sim_builders import assert_binomial, quiet_model


def test_only_vessels_near_the_tumor_are_inflamed():
    vessels = np.array([0 * 20 + 0, 10 * 20 + 10, 19 * 20 + 19])
    nbh = vessel_neighbourhoods(20, 20, vessels, 2.0)
    tumor = np.zeros(400, dtype=bool)
    tumor[11 * 20 + 11] = True  # diagonal neighbour of the middle vessel (distance sqrt 2)
    assert inflamed_vessel_sites(vessels, nbh, tumor).tolist() == [10 * 20 + 10]


def test_immune_cells_enter_only_at_vessels_near_the_tumor():
    over = {"lattice.vessel_fraction": 0.002, "neutrophil.recruitment_per_vessel_per_hour": 10.0,
            "neutrophil.tumor_recruitment_ec50": 1.0}
    m = quiet_model(3, 40, 40, over)
    xy = np.stack(np.divmod(m.vessel_sites, 40), axis=1)
    radius = m.p.tumor.vessel_inflammation_distance_um / m.p.lattice.site_size_um
    far = next(s for s in range(1600) if np.hypot(*(xy - np.divmod(s, 40)).T).min() > radius + 1)
    TumorCell(m, far, antigenicity=1.0, irf7_intact=True, clone=0, born_hours=0.0)
    m.step()
    assert m.entry_sites.size == 0 and m.counters["recruited_Neutrophil"] == 0
    near = int(m.vessel_sites[0])
    TumorCell(m, near, antigenicity=1.0, irf7_intact=True, clone=0, born_hours=0.0)
    m.step()
    assert m.entry_sites.tolist() == [near] and m.counters["recruited_Neutrophil"] >= 1


def _one_on_one(overrides: dict) -> tuple:
    m = quiet_model(0, 10, 10, {"cd8.kill_rate_per_hour": 60.0, "cd8.hit_repair_per_hour": 0.0,
                                "tumor.pd_l1_baseline": 0.0, **overrides})
    TumorCell(m, m.lattice.site(5, 5), antigenicity=1.0, irf7_intact=True, clone=0, born_hours=0.0)
    t = CD8TCell(m, m.lattice.site(4, 5))
    return m, t


def test_the_target_dies_at_the_step_its_hits_reach_three():
    """Hits per step are Poisson counts (mean 0.5 here): the target lives while fewer than 3 hits have
    landed and dies at the step the count reaches 3, never before (no repair)."""
    for seed_shift in range(5):
        m, _ = _one_on_one({"cd8.hits_to_kill": 3, "cd8.kill_rate_per_hour": 1.0})
        m.rng = np.random.default_rng(100 + seed_shift)
        for _ in range(200):
            m.step()
            if m.counters["cd8_hits"] < 3:
                assert m.tumor_cell_count == 1
            else:
                assert m.tumor_cell_count == 0
                break
        assert m.tumor_cell_count == 0, "no kill in 100 h at 1 hit/h"


def test_a_killed_cell_leaves_debris_that_blocks_division_until_cleared():
    m, _ = _one_on_one({"cd8.hits_to_kill": 1, "tumor.debris_clearance_hours": 1e3})
    m.step()
    site = m.lattice.site(5, 5)
    assert m.tumor_cell_count == 0 and m.tissue.debris[site]
    assert not m.tissue.free_for_tumor(np.array([site]))[0]
    m2, _ = _one_on_one({"cd8.hits_to_kill": 1, "tumor.debris_clearance_hours": 0.01})
    m2.step()
    m2.step()
    assert not m2.tissue.debris.any(), "debris with a 0.01 h clearance time is gone after one step"


def test_a_ctl_stays_on_its_dead_target_for_the_arrest_time():
    m, t = _one_on_one({"cd8.hits_to_kill": 1, "cd8.post_kill_arrest_hours": 2.0, "cd8.speed_um_per_min": 30.0})
    start = t.site
    m.step()
    assert m.tumor_cell_count == 0 and t.kills == 1
    for _ in range(int(2.0 / m.dt) - 1):
        m.step()
        assert t.site == start, "an arrested CTL does not crawl"
    m.step()
    m.step()
    assert t.site != start, "after the arrest the CTL crawls again"


def test_an_engaged_ctl_makes_ifn_gamma_not_type1_ifn():
    m = quiet_model(0, 10, 10, {"cd8.kill_rate_per_hour": 0.0, "tumor.pd_l1_baseline": 0.0})
    TumorCell(m, m.lattice.site(5, 5), antigenicity=1.0, irf7_intact=False, clone=0, born_hours=0.0)
    CD8TCell(m, m.lattice.site(4, 5))
    m.step()
    assert m.fields["ifn_gamma"].max() > 0.0
    assert m.fields["interferon"].max() == 0.0, "type-I IFN comes from IRF7-intact tumor cells and dosing only"
    p = Parameters().fields
    assert p.interferon.decay_per_hour != p.ifn_gamma.decay_per_hour, "each interferon has its own sourced decay"


def test_bone_surveillance_thins_irf7_intact_clusters_only_in_a_healthy_host():
    # the C9 fit (experiments/validation/bone_fit.py) makes IRF7-competent clusters grow more slowly
    # and die out more often, not vanish: each arm's survivors must match the linear birth-death law
    p = Parameters().bone
    out = {}
    for health in (1.0, 0.0):
        for irf7 in (True, False):
            niche = BoneNiche(np.random.default_rng([1, int(health), int(irf7)]))
            niche.seed(np.full(400, irf7))
            for step in range(400):
                niche.step(p, 0.5, health, 0.0, step * 0.5)
            out[(health, irf7)] = niche.clusters
    for irf7 in (True, False):
        ifn = p.irf7_type1_ifn if irf7 else 0.0
        death = float(surveillance_rate(p, ifn))
        expected = colony_probability(p.division_rate_per_hour, death, 200.0, 1)
        assert_binomial(out[(1.0, irf7)], 400, expected, what=f"surviving clusters, irf7_intact={irf7}")
    assert out[(1.0, True)] < 0.6 * out[(1.0, False)]
    assert out[(0.0, True)] == out[(0.0, False)] == 400  # no NK/CD8 surveillance: nothing clears a cluster


def test_bone_metastasis_day_is_the_first_detection():
    p = Parameters().bone.__class__(detection_cells=2, division_rate_per_hour=1.0, surveillance_basal_per_hour=0.0,
                                    surveillance_ifn_max_per_hour=0.0)
    niche = BoneNiche(np.random.default_rng(0))
    assert not niche.metastasis
    niche.seed(np.array([False]))
    hours = 0.0
    while not niche.metastasis and hours < 100:
        hours += 0.5
        niche.step(p, 0.5, 1.0, 0.0, hours)
    assert niche.metastasis and niche.first_metastasis_hours == hours


def test_a_radius_beyond_the_lattice_is_clipped_not_allocated():
    """A distance of 1e5 um (2 m) must not build a 5000-site disk per vessel: beyond the lattice's
    diagonal every vessel already sees every site (the Kuznetsov check once asked for 26 GiB)."""
    vessels = np.array([0, 37, 99])
    huge = vessel_neighbourhoods(10, 10, vessels, 5000.0)
    diag = vessel_neighbourhoods(10, 10, vessels, float(np.hypot(10, 10)))
    assert huge.shape == diag.shape
    assert all(set(row[row >= 0]) == set(range(100)) for row in huge)


def test_a_t_cell_keeps_hitting_its_target_while_it_stays_adjacent():
    from_rng = np.random.default_rng(3)
    neighbours = np.array([[5, 6, 7], [5, 6, 7], [8, 9, 10]])
    is_target = np.array([[True, True, False], [True, False, True], [False, True, True]])
    stored = np.array([6, 6, 42])  # row 0: 6 still adjacent and a tumor; row 1: 6 not a tumor any more; row 2: never set
    picks = np.array([sticky_targets(stored, neighbours, is_target, from_rng) for _ in range(200)])
    assert (picks[:, 0] == 6).all()
    assert set(picks[:, 1]) == {5, 7}
    assert set(picks[:, 2]) == {9, 10}
    # the same number of random draws whatever is kept: the stream does not depend on the targets
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    sticky_targets(stored, neighbours, is_target, a)
    sticky_targets(np.array([-1, -1, -1]), neighbours, is_target, b)
    assert a.random() == b.random()

