"""The rule kernels equal the numpy code they replaced, bit for bit (and draw the same stream)."""

from __future__ import annotations

import numpy as np
import pytest

from model import TumorImmuneModel
from model.biology.cd8 import mean_tumor_pd_l1, sticky_targets
from model.biology.cells import TumorCell
from model.engine.kernels import bit_stream
from model.engine.lattice import Lattice, dilate, random_choice_per_row
from model.engine.parameters import hill, rate_to_probability
from model.engine.rule_kernels import (
    any_marked_per_row,
    apply_hits,
    clear_flags_draws,
    cd8_hit_rates,
    contact_and_engaged,
    division_candidates,
    division_winners,
    draw_hops,
    indices_below,
    indices_below_all,
    m1_hits,
    move_rows,
    paint_boxes,
    pd_l1_mean,
    polarize,
    repair_draws,
    sticky_choice,
)


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (40, 33)])
@pytest.mark.parametrize("radius", [0, 1, 2, 3])
def test_paint_boxes_is_the_dilation_of_the_marked_sites(shape, radius):
    lat = Lattice(*shape)
    rng = np.random.default_rng(radius)
    for k in (0, 1, 5, lat.n_sites // 3):
        sites = rng.choice(lat.n_sites, size=min(k, lat.n_sites), replace=False)
        mask = np.zeros(lat.n_sites, dtype=bool)
        mask[sites] = True
        assert np.array_equal(paint_boxes(sites.astype(np.int64), *shape, radius), lat.dilate(mask, radius))
        assert np.array_equal(lat.dilate_sites(sites, radius), dilate(mask.reshape(shape), radius).ravel())


def test_any_marked_per_row_equals_the_padded_gather():
    rng = np.random.default_rng(4)
    flags = rng.random(500) < 0.05
    table = rng.integers(-1, 500, size=(60, 21))
    table[3] = -1  # a row wholly outside the walls
    expected = np.append(flags, False)[table].any(axis=1)
    assert np.array_equal(any_marked_per_row(table, flags), expected)
    assert not any_marked_per_row(table, np.zeros(500, dtype=bool)).any()


def _pair(seed):
    """Two generators in the same state, part-way through a buffered 32-bit draw."""
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    a.integers(0, 5, size=3)
    b.integers(0, 5, size=3)
    return a, b


def _same_state(a, b):
    return a.bit_generator.state == b.bit_generator.state and a.random() == b.random()


@pytest.mark.parametrize("n", [0, 1, 17, 400])
def test_indices_below_and_draw_hops_draw_as_numpy(n):
    ours, ref = _pair(n)
    flags = np.random.default_rng(1).random(n) < 0.3
    p = rate_to_probability(np.array([0.4, 0.05]), 0.5)
    got = indices_below(bit_stream(ours), flags, p[0], p[1])
    rate = np.where(flags, 0.4, 0.05)
    assert np.array_equal(got, np.flatnonzero(ref.random(n) < rate_to_probability(rate, 0.5)))
    mean = 2.7
    base = np.floor(mean)
    hops = draw_hops(bit_stream(ours), n, float(base), float(mean - base))
    assert hops.dtype == np.int64
    assert np.array_equal(hops, (base + (ref.random(n) < mean - base)).astype(np.int64))
    assert _same_state(ours, ref)


def test_move_rows_equals_the_numpy_bookkeeping():
    rng = np.random.default_rng(2)
    n_sites, n = 300, 80
    sites = rng.choice(n_sites, size=n, replace=False)
    row_at = np.full(n_sites, -1)
    row_at[sites] = np.arange(n)
    rows = np.sort(rng.choice(n, size=50, replace=False))
    # new sites: some stay, the rest swap into each other's or free sites (distinct)
    free = np.setdiff1d(np.arange(n_sites), sites)
    new = sites[rows].copy()
    new[::3] = rng.choice(free, size=new[::3].size, replace=False)
    new[1::3] = np.roll(new[1::3], 1)
    col_ref, at_ref = sites.copy(), row_at.copy()
    moved = np.flatnonzero(new != col_ref[rows])
    r, s = rows[moved], new[moved]
    old = col_ref[r]
    at_ref[old[at_ref[old] == r]] = -1
    col_ref[r] = s
    at_ref[s] = r
    col, at = sites.copy(), row_at.copy()
    move_rows(col, at, rows, new)
    assert np.array_equal(col, col_ref) and np.array_equal(at, at_ref)


def _cd8_reference(lat, tumor, sites, exhausted, arrested, hours, stored, rng):
    """step_cd8's numpy contact test and sticky target choice (before the kernels)."""
    nb = lat.neighbours[sites]
    has = nb >= 0
    has[has] = tumor[nb[has]]
    touching = has.any(axis=1) & ~exhausted
    rows = np.flatnonzero(touching & ~(arrested > hours))
    return has, touching, rows, sticky_targets(stored[rows], nb[rows], has[rows], rng)


def test_cd8_contact_and_sticky_targets_equal_numpy():
    lat = Lattice(30, 20)
    for seed in range(6):
        g = np.random.default_rng(seed)
        tumor = g.random(lat.n_sites) < 0.3
        sites = g.choice(lat.n_sites, size=120, replace=False)
        exhausted, arrested = g.random(120) < 0.2, g.random(120) * 10
        stored = np.where(g.random(120) < 0.5, lat.neighbours[sites, 3], 0)
        ours, ref = _pair(seed)
        has, touching, rows = contact_and_engaged(lat.neighbours, tumor, sites, exhausted, arrested, 5.0)
        target = sticky_choice(bit_stream(ours), stored, lat.neighbours, sites, has, rows)
        e_has, e_touching, e_rows, e_target = _cd8_reference(lat, tumor, sites, exhausted, arrested, 5.0, stored, ref)
        assert np.array_equal(has, e_has) and np.array_equal(touching, e_touching) and np.array_equal(rows, e_rows)
        assert np.array_equal(target, e_target) and _same_state(ours, ref)


@pytest.mark.parametrize("treg_map", ["none", "bool", "float"])
def test_cd8_hit_rates_equal_the_numpy_expressions(treg_map):
    g = np.random.default_rng(7)
    n_sites, n_tumor, n_cd8 = 400, 150, 60
    type1, gamma, cyt = (g.random(n_sites) * 3 for _ in range(3))
    type1[:20] = -0.0  # clipped round-off: np.maximum semantics must hold
    row_at = np.full(n_sites, -1)
    tumor_sites = g.choice(n_sites, size=n_tumor, replace=False)
    row_at[tumor_sites] = np.arange(n_tumor)
    antigen = g.random(n_tumor)
    sites, car_t = g.integers(0, n_sites, n_cd8), g.random(n_cd8) < 0.2
    rows = np.sort(g.choice(n_cd8, size=40, replace=False))
    target = g.choice(tumor_sites, size=40)
    near = {"none": None, "bool": g.random(n_sites) < 0.3, "float": (g.random(n_sites) < 0.3) * 1.0}[treg_map]
    kill, base, induced, ec50, block, inh, tmax, cmax, dt, exh, exh_f = 5.7, 0.1, 0.8, 0.5, 0.6, 0.7, 0.5, 0.4, 0.5, 0.02, 1.3
    lam, exhaust = cd8_hit_rates(rows, target, sites, car_t, antigen, row_at, type1, gamma, cyt,
                                 np.zeros(0) if near is None else near,
                                 np.array([kill, base, induced, ec50, block, inh, tmax, cmax, dt, exh, exh_f]))
    pd_l1 = np.minimum(base + induced * hill(type1[target] + gamma[target], ec50), 1.0) * block
    treg = 1.0 - tmax * (near[sites[rows]] if near is not None else 0.0)
    hit_rate = kill * np.where(car_t[rows], 1.0, antigen[row_at[target]]) * (1.0 - inh * pd_l1) * treg * (
        1.0 - cmax * hill(cyt[sites[rows]]))
    assert np.array_equal(lam, hit_rate * dt)
    assert np.array_equal(exhaust, exh * pd_l1 * exh_f)


def test_repair_draws_equal_numpy_binomial():
    used = 0
    for seed in range(150):
        g = np.random.default_rng(seed)
        hits = np.floor(g.random(200) * g.integers(1, 70)) * (g.random(200) < 0.5)
        hits[::7] += 0.5  # truncated to int as astype does (0.5 -> no trial)
        p = float(g.choice([0.0, 1e-9, 0.01, 0.22, 0.5, 0.6, 0.9, 1.0, g.random()]))
        ours, ref = _pair(seed + 1000)
        mine, expected = hits.copy(), hits.copy()
        if repair_draws(bit_stream(ours), mine, p):
            used += 1
            damaged = np.flatnonzero(expected > 0)
            expected[damaged] -= ref.binomial(expected[damaged].astype(np.int64), p)
            assert np.array_equal(mine, expected) and _same_state(ours, ref)
        else:  # a count beyond the inversion algorithm: nothing drawn, nothing changed
            assert np.array_equal(mine, hits) and _same_state(ours, ref)
    assert used > 100


def _divide_reference(lat, tumor, debris, site_col, p_max, rate_of, rng):
    """growth.divide's numpy choice of parents and targets (before the kernels)."""
    candidates = np.flatnonzero(rng.random(site_col.size) < p_max)
    sites = site_col[candidates]
    nb = lat.neighbours[sites, :8]
    free = nb >= 0
    free[free] = ~(tumor[nb[free]] | debris[nb[free]])
    has_space = free.any(axis=1)
    candidates, sites, nb, free = candidates[has_space], sites[has_space], nb[has_space], free[has_space]
    p_true = rate_of(sites)
    accept = rng.random(candidates.size) * p_max < p_true
    candidates, nb, free = candidates[accept], nb[accept], free[accept]
    target = nb[np.arange(candidates.size), random_choice_per_row(free, rng)]
    order = rng.permutation(candidates.size)
    _, first = np.unique(target[order], return_index=True)
    win = np.sort(order[first])
    return candidates[win], target[win]


@pytest.mark.parametrize("density", [0.05, 0.4, 0.9])
def test_division_kernels_choose_as_numpy(density):
    lat = Lattice(40, 30)
    for seed in range(5):
        g = np.random.default_rng(seed)
        tumor = g.random(lat.n_sites) < density
        tumor[g.choice(lat.n_sites, 3)] = True
        debris = ~tumor & (g.random(lat.n_sites) < 0.1)
        site_col = np.flatnonzero(tumor)
        g.shuffle(site_col)
        rate = g.random(lat.n_sites) * 0.6
        p_max = 0.6
        ours, ref = _pair(seed)
        gen = bit_stream(ours)
        rows, sites, free = division_candidates(gen, site_col.size, p_max, site_col, lat.neighbours, tumor, debris)
        parents, targets = division_winners(gen, rate[sites], p_max, rows, sites, free, lat.neighbours,
                                            lat.claim_scratch)
        e_parents, e_targets = _divide_reference(lat, tumor, debris, site_col, p_max, lambda s: rate[s], ref)
        assert np.array_equal(parents, e_parents) and np.array_equal(targets, e_targets)
        assert not lat.claim_scratch.any() and _same_state(ours, ref)


def test_macrophage_kernels_draw_as_numpy():
    lat = Lattice(30, 30)
    for seed in range(6):
        g = np.random.default_rng(seed)
        n = int(g.integers(0, 80))
        sites = g.choice(lat.n_sites, size=n, replace=False)
        tumor = g.random(lat.n_sites) < 0.3
        pol = g.integers(0, 3, n).astype(np.int8)
        to_m1, to_m2 = g.random(n) * 0.5, g.random(n) * 0.5
        ours, ref = _pair(seed)
        gen = bit_stream(ours)
        dead = indices_below_all(gen, n, 0.1)
        mine = pol.copy()
        polarize(gen, mine, to_m1, to_m2, 1, 2)
        m1, hit = m1_hits(gen, lat.neighbours, tumor, sites, mine, 1, 0.4)
        # step_macrophages' numpy form
        assert np.array_equal(dead, np.flatnonzero(ref.random(n) < 0.1))
        expected = pol.copy()
        go_m1 = (expected != 1) & (ref.random(n) < to_m1)
        go_m2 = (expected != 2) & ~go_m1 & (ref.random(n) < to_m2)
        expected[go_m1], expected[go_m2] = 1, 2
        assert np.array_equal(mine, expected)
        e_m1 = np.flatnonzero(expected == 1)
        nb = lat.neighbours[sites[e_m1]]
        has = nb >= 0
        has[has] = tumor[nb[has]]
        engaged = has.any(axis=1)
        e_hit = np.zeros(0, dtype=np.int64)
        if engaged.any():
            target = nb[engaged][np.arange(engaged.sum()), random_choice_per_row(has[engaged], ref)]
            e_hit = np.unique(target[ref.random(engaged.sum()) < 0.4])
        assert np.array_equal(m1, e_m1) and np.array_equal(hit, e_hit)
        assert _same_state(ours, ref)


@pytest.mark.parametrize("n", [1, 9, 130, 5000])
def test_pd_l1_mean_equals_the_numpy_expression_and_mean(n):
    rng = np.random.default_rng(n)
    type1, gamma = rng.random(6000) * 3.0, rng.random(6000) * 2.0 - 0.5  # negative sums clip to 0 in hill
    sites = rng.choice(6000, size=n, replace=False).astype(np.int64)
    for baseline, induced, ec50 in ((0.1, 0.8, 1.0), (0.5, 0.9, 0.05), (0.9, 0.5, 2.0)):
        want = np.minimum(baseline + induced * hill(type1[sites] + gamma[sites], ec50), 1.0).mean()
        got = pd_l1_mean(sites, type1, gamma, baseline, induced, ec50)
        assert np.float64(got).tobytes() == want.tobytes()


def test_mean_tumor_pd_l1_is_the_mean_of_tumor_pd_l1():
    m = TumorImmuneModel(rng=3, lattice__width_sites=30, lattice__height_sites=30)
    m.fields["interferon"].values[...] = np.random.default_rng(0).random(m.fields["interferon"].shape)
    sites = m.populations[TumorCell]["site"]
    assert sites.size and mean_tumor_pd_l1(m) == m.tumor_pd_l1(sites).mean()


@pytest.mark.parametrize("seed", range(6))
def test_apply_hits_equals_add_at_lethal_and_unique(seed):
    rng = np.random.default_rng(seed)
    n_tumor, n_sites = 60, 400
    row_at = np.full(n_sites, -1, dtype=np.int64)
    tumor_sites = rng.choice(n_sites, size=n_tumor, replace=False)
    row_at[tumor_sites] = np.arange(n_tumor)
    hits0 = rng.integers(0, 3, size=n_tumor).astype(np.float64)
    k = int(rng.integers(0, 40))
    target = rng.choice(tumor_sites[:15], size=k)  # shared targets: several T-cells on one cell
    rows = rng.permutation(50)[:k].astype(np.int64)
    n_hits = rng.poisson(rng.random(k) * 2.0)
    for hits_to_kill in (1.0, 3.0, 5.0):
        want_hits = hits0.copy()
        hit = n_hits > 0
        trow = row_at[target]
        np.add.at(want_hits, trow[hit], n_hits[hit].astype(np.float64))
        lethal = want_hits[trow[hit]] >= hits_to_kill
        want_t, first = np.unique(target[hit][lethal], return_index=True)
        got_hits = hits0.copy()
        total, t_hit, credited = apply_hits(got_hits, row_at, target, rows, n_hits, hits_to_kill)
        assert total == int(n_hits.sum())
        assert got_hits.tobytes() == want_hits.tobytes()
        assert np.array_equal(t_hit, want_t) and np.array_equal(credited, rows[hit][lethal][first])


@pytest.mark.parametrize("density", [0.0, 0.01, 0.3, 1.0])
def test_clear_flags_draws_equal_numpy(density):
    for seed in range(4):
        flags = np.random.default_rng(seed).random(2000) < density
        ours, ref = np.random.default_rng(seed), np.random.default_rng(seed)
        for p in (0.0, 0.2, 1.0):
            want = flags.copy()
            sites = np.flatnonzero(want)
            if sites.size:
                want[sites[ref.random(sites.size) < p]] = False
            got = flags.copy()
            clear_flags_draws(bit_stream(ours), got, p)
            assert np.array_equal(got, want)
            assert ours.bit_generator.state == ref.bit_generator.state
