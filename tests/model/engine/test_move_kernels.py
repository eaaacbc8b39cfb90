"""The fused walk kernel equals the chain of calls it replaced: same moves, same draws, same stream."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.kernels import bit_stream
from model.engine.lattice import Lattice, step_walkers
from model.engine.move_kernels import walk_rows
from model.engine.population import Population
from model.engine.rule_kernels import draw_hops

_NONE_F = np.zeros(0)
_NONE_B = np.zeros(0, dtype=bool)


def _population(lattice, setup, n):
    pop = Population({"exhausted": np.bool_}, lattice.n_sites, capacity=8)
    sites = setup.choice(lattice.n_sites, n, replace=False)
    pop.add_many(sites, {"exhausted": setup.random(n) < 0.3})
    occupied = np.zeros(lattice.n_sites, dtype=bool)
    occupied[sites] = True
    return pop, occupied


@pytest.mark.parametrize("chemotaxis", [False, True])
@pytest.mark.parametrize("halve", [False, True])
@pytest.mark.parametrize("crowded", [0.02, 0.3])
def test_walk_rows_equals_hops_then_step_walkers_then_move_many(chemotaxis, halve, crowded):
    lattice = Lattice(40, 30)
    setup = np.random.default_rng(int(crowded * 100) + 2 * chemotaxis + halve)
    for trial in range(5):
        n = int(crowded * lattice.n_sites)
        pops = [_population(lattice, np.random.default_rng(trial), n) for _ in range(2)]
        rows = np.flatnonzero(setup.random(n) < 0.7)
        mean = setup.uniform(0.0, 4.0)
        base = float(np.floor(mean))
        attract, extra = setup.random(lattice.n_sites), setup.random(lattice.n_sites) * 1e-3
        stop_on = setup.random(lattice.n_sites) < 0.1 if chemotaxis else None
        ours, ref = np.random.default_rng(trial), np.random.default_rng(trial)
        # ours: one compiled call
        (pop, occ), (ref_pop, ref_occ) = pops
        got = walk_rows(bit_stream(ours), lattice.neighbours, occ, pop.columns["site"], pop.row_at, rows, base,
                        float(mean - base), pop.columns["exhausted"] if halve else _NONE_B, 0.6, chemotaxis,
                        attract if chemotaxis else _NONE_F, _NONE_B if stop_on is None else stop_on,
                        lattice.claim_scratch, extra if chemotaxis else _NONE_F)
        # reference: the calls it replaced
        hops = draw_hops(bit_stream(ref), rows.size, base, float(mean - base))
        if halve:
            hops[ref_pop["exhausted"][rows]] //= 2
        kw = dict(attractant=(attract, extra), bias=0.6, stop_on=stop_on) if chemotaxis else {}
        want = step_walkers(lattice, ref_occ, ref_pop["site"][rows], hops, ref, **kw)
        ref_pop.move_many(rows, want)
        assert np.array_equal(got, want)
        assert np.array_equal(occ, ref_occ) and np.array_equal(pop.row_at, ref_pop.row_at)
        assert np.array_equal(pop.columns["site"], ref_pop.columns["site"])
        assert ours.bit_generator.state == ref.bit_generator.state
        assert not lattice.claim_scratch.any()
