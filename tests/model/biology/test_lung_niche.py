"""The lung niche: first-pass lodging of disseminated cells, birth-death colonies, its own stream."""

from __future__ import annotations

import numpy as np

from experiments.validation.bone_fit import colony_probability
from model import TumorImmuneModel
from model.biology.lung_niche import LungNiche
from model.engine.parameters import Parameters
from sim_builders import assert_binomial

SEEDING = dict(lattice__width_sites=40, lattice__height_sites=40, tumor__dissemination_rate_per_hour=0.05,
               tumor__seeding_probability=0.5, lung__seeding_probability=0.5)


def test_each_circulating_cell_lodges_with_the_seeding_probability():
    niche = LungNiche(np.random.default_rng(4))
    seeds = sum(niche.lodge(50, 0.02) for _ in range(400))
    assert niche.clusters == seeds
    # 99.9%: at 99% this seed gave 453/20000 (two-sided p ~ 0.009), the 1% tail of an exact binomial draw
    assert_binomial(seeds, 50 * 400, 0.02, confidence=0.999, what="lung seeds per circulating cell")
    assert niche.lodge(0, 0.5) == 0


def test_lung_colonies_follow_the_birth_death_law_and_need_immunity_to_be_cleared():
    p = Parameters().lung
    out = {}
    for health in (1.0, 0.0):
        niche = LungNiche(np.random.default_rng([2, int(health)]))
        niche.lodge(400, 1.0)
        for step in range(240):
            niche.step(p, 0.5, health, (step + 1) * 0.5)
        out[health] = niche
    alive = colony_probability(p.division_rate_per_hour, p.surveillance_per_hour, 120.0, 1)
    assert_binomial(out[1.0].clusters, 400, alive, what="surviving lung clusters")
    assert out[1.0].cleared == 400 - out[1.0].clusters
    assert out[0.0].clusters == 400 and out[0.0].cleared == 0  # nothing clears a cluster without immunity


def test_the_model_seeds_the_lung_from_disseminated_cells_and_reports_it():
    m = TumorImmuneModel(rng=0, **SEEDING)
    m.run_days(4.0)
    assert m.counters["disseminated_cells"] > 0
    assert 0 < m.lung.clusters + m.lung.cleared <= m.counters["disseminated_cells"]
    df = m.datacollector.get_model_vars_dataframe()
    assert df["lung_tumor_cells"].iloc[-1] == m.lung.cells
    assert df["lung_clusters"].iloc[-1] == m.lung.clusters

