"""Shared colony mechanics: binomial births and deaths, extinction, the first detection."""

from __future__ import annotations

import numpy as np
import pytest

from model import TumorImmuneModel
from model.biology.metastatic_colonies import Colonies

SEEDING = dict(lattice__width_sites=40, lattice__height_sites=40, tumor__dissemination_rate_per_hour=0.05,
               tumor__seeding_probability=0.5, lung__seeding_probability=0.5)


def test_clusters_without_deaths_only_grow_and_the_first_detection_is_kept():
    c = Colonies(np.random.default_rng(0))
    c.add_clusters(3)
    hours = 0.0
    while not c.metastasis:
        hours += 1.0
        c.advance(0.5, 0.0, 1.0, 20, hours)
    first = c.first_metastasis_hours
    assert c.clusters == 3 and c.cells >= 20 and c.cleared == 0
    c.advance(0.5, 0.0, 1.0, 20, hours + 1.0)
    assert c.first_metastasis_hours == first == hours


def test_a_per_cluster_kill_rate_clears_only_the_clusters_it_targets():
    c = Colonies(np.random.default_rng(1))
    c.add_clusters(200)
    kill = np.r_[np.full(100, 50.0), np.zeros(100)]  # certain death in one hour vs none
    alive = c.advance(0.0, kill, 1.0, 10, 1.0)
    assert alive[:100].sum() == 0 and alive[100:].all()
    assert c.clusters == 100 and c.cleared == 100 and c.cells == 100
    assert not c.metastasis


@pytest.mark.parametrize("organ, other", [("bone", "lung"), ("lung", "bone")])
def test_an_organ_only_change_leaves_the_primary_and_the_other_organ_unchanged(organ, other):
    # each organ has its own spawned stream: a faster division rate there must change that organ's
    # course and nothing else (the bone once drew from model.rng and moved the primary's claims)
    a = TumorImmuneModel(rng=0, **SEEDING)
    b = TumorImmuneModel(rng=0, **{f"{organ}__division_rate_per_hour": 0.2}, **SEEDING)
    a.run_days(3.0)
    b.run_days(3.0)
    da, db = a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    changed = [c for c in da.columns if c.startswith(f"{organ}_")]
    assert getattr(b, organ).cells > getattr(a, organ).cells > 0
    assert not da[changed].equals(db[changed])
    assert da.drop(columns=changed).equals(db.drop(columns=changed))
    assert a.rng.random() == b.rng.random()
    assert getattr(a, other).rng.random() == getattr(b, other).rng.random()
