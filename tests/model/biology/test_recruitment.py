"""Recruitment places arrivals in bulk exactly as one constructor call per cell would."""

from __future__ import annotations

import numpy as np
import pytest

from model import TumorImmuneModel
from model.biology import recruitment
from model.biology.cells import CD8TCell, Neutrophil


def _model() -> TumorImmuneModel:
    m = TumorImmuneModel(rng=11, lattice__width_sites=40, lattice__height_sites=40)
    m.step()
    # more entry sites than one step's inflamed vessels, some of them taken
    m.entry_sites = np.arange(0, 1600, 7, dtype=np.int64)
    assert m.immune_occupied[m.entry_sites].sum() < m.entry_sites.size - 40
    return m


@pytest.mark.parametrize("cls, state", [(CD8TCell, {"car_t": True}), (Neutrophil, {})])
@pytest.mark.parametrize("n", [1, recruitment._BULK_FROM - 1, recruitment._BULK_FROM, 25])
def test_bulk_arrivals_equal_one_by_one(monkeypatch, cls, state, n):
    runs = []
    for bulk_from in (recruitment._BULK_FROM, 10**9):  # as shipped, and never in bulk
        monkeypatch.setattr(recruitment, "_BULK_FROM", bulk_from)
        m = _model()
        entered = recruitment.add_immune_cells(m, cls, n, **state)
        pop = m.populations[cls]
        runs.append((entered, {k: pop[k].copy() for k in pop.columns},
                     [(a.unique_id, a.row, a.site) for a in pop.agents[: len(pop)]],
                     m.immune_occupied.copy(), m.rng.bit_generator.state))
    assert runs[0][0] == runs[1][0] == n
    for k in runs[0][1]:
        assert np.array_equal(runs[0][1][k], runs[1][1][k]), k
    assert runs[0][2] == runs[1][2]
    assert np.array_equal(runs[0][3], runs[1][3])
    assert runs[0][4] == runs[1][4]
