"""Marrow lineages: the healthy steady state is an exact fixed point, which the step may skip."""

from __future__ import annotations

import numpy as np

from model.biology.marrow import MarrowLineage


def _substeps(lineage: MarrowLineage, dt: float) -> np.ndarray:
    """The Friberg sub-steps written out (what ``step`` runs when it does not skip)."""
    state = lineage.state.copy()
    n_sub = max(1, int(np.ceil(dt * lineage.k_transit / 0.1)))
    h, k = dt / n_sub, lineage.k_transit
    for _ in range(n_sub):
        prol, t1, t2, t3, circ = state
        feedback = (1.0 / max(circ, 1e-6)) ** lineage.gamma
        d = np.array([k * prol * feedback - k * prol, k * (prol - t1), k * (t1 - t2), k * (t2 - t3), k * (t3 - circ)])
        state = np.maximum(state + h * d, 0.0)
    return state


def test_baseline_is_a_fixed_point_bit_for_bit():
    for mtt, gamma in ((120.0, 0.16), (7.3, 0.9), (300.0, 0.0)):
        lineage = MarrowLineage(mtt, gamma)
        expected = _substeps(lineage, 0.5)
        lineage.step(0.5)
        assert np.array_equal(lineage.state, expected) and lineage.state.tolist() == [1.0] * 5


def test_perturbed_lineage_still_steps():
    lineage = MarrowLineage(120.0, 0.16)
    lineage.step(0.5, direct_loss=0.2)
    after_loss = lineage.state.copy()
    expected = _substeps(lineage, 0.5)
    lineage.step(0.5)
    assert np.array_equal(lineage.state, expected) and not np.array_equal(lineage.state, after_loss)
