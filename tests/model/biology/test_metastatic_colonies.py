"""Shared colony mechanics: binomial births and deaths, extinction, the first detection."""

from __future__ import annotations

import numpy as np

from model.biology.metastatic_colonies import Colonies


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
