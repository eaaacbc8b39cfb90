"""Compiled kernels equal the numpy code they replace, on random inputs, and draw the same stream."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import fft, ndimage

from model.engine import fields as fields_module
from model.engine.kernels import (
    add_at_sites,
    bit_stream,
    choice_per_row,
    clip_into,
    copy_any_nonzero,
    nor_into,
    scatter_any_nonzero,
    permutation,
    pick_marked,
    uniform_fill,
    walk_candidates,
    walk_resolve,
)
from model.engine.lattice import Lattice, dilate, random_choice_per_row, step_walkers


def _pair(seed):
    """Two generators in the same state, part-way through a buffered 32-bit draw."""
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    a.integers(0, 5, size=3)
    b.integers(0, 5, size=3)
    return a, b


@pytest.mark.parametrize("n", [0, 1, 2, 7, 100, 5000])
def test_drawing_kernels_equal_numpy_and_leave_the_same_state(n):
    for seed in range(5):
        ours, ref = _pair(seed)
        gen = bit_stream(ours)
        scores = np.empty((n, 8))
        uniform_fill(gen, scores)
        perm = permutation(gen, n)
        mask = np.random.default_rng(seed + 99).random((n, 5)) < 0.4
        choice = choice_per_row(gen, mask)
        assert np.array_equal(scores, ref.random((n, 8)))
        assert np.array_equal(perm, ref.permutation(n))
        score = ref.random(mask.shape)
        score[~mask] = -1.0
        assert np.array_equal(choice, score.argmax(axis=1))
        assert ours.bit_generator.state == ref.bit_generator.state
        assert np.array_equal(ours.random(4), ref.random(4))


@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox, np.random.SFC64, np.random.PCG64DXSM])
def test_drawing_kernels_follow_any_numpy_bit_generator(bit_generator):
    ours, ref = np.random.Generator(bit_generator(5)), np.random.Generator(bit_generator(5))
    gen = bit_stream(ours)
    scores = np.empty((300, 8))
    uniform_fill(gen, scores)
    assert np.array_equal(scores, ref.random((300, 8)))
    assert np.array_equal(permutation(gen, 1000), ref.permutation(1000))
    # the same state afterwards, 32-bit buffer included (state dicts hold arrays for some)
    assert np.array_equal(ours.integers(0, 7, 50), ref.integers(0, 7, 50))
    assert np.array_equal(ours.random(50), ref.random(50))


def test_bit_stream_follows_the_generator_object():
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert bit_stream(a) is bit_stream(a)
    assert not np.array_equal(bit_stream(a), bit_stream(b))  # each generator its own state


def test_pick_marked_equals_the_numpy_rule_and_draws_for_every_entry():
    ours, ref = _pair(5)
    gen = bit_stream(ours)
    for marks in (np.array([False, True, False, True, True, False, False, True, False]),
                  np.zeros(8, dtype=bool), np.ones(3, dtype=bool)):
        score = ref.random(marks.size)
        score[~marks] = -1.0
        assert pick_marked(gen, marks) == score.argmax()
    assert ours.bit_generator.state == ref.bit_generator.state


def test_random_choice_per_row_equals_the_numpy_rule():
    ours, ref = _pair(3)
    mask = np.random.default_rng(0).random((300, 8)) < 0.3
    mask[:, 0] |= ~mask.any(axis=1)
    score = ref.random(mask.shape)
    score[~mask] = -1.0
    assert np.array_equal(random_choice_per_row(mask, ours), score.argmax(axis=1))
    assert ours.bit_generator.state == ref.bit_generator.state


def _walk_reference(lattice, occupied, sites, substeps, rng, attractant=None, bias=0.0, stop_on=None):
    """The per-round walk with numpy draws (the code ``walk_rounds`` replaced)."""
    sites = np.array(sites, dtype=np.int64)
    substeps = np.asarray(substeps, dtype=np.int64)
    stopped = np.zeros(sites.size, dtype=bool)
    chemotaxis = attractant is not None and bias > 0
    attract = np.ascontiguousarray(attractant, dtype=np.float64) if chemotaxis else np.zeros(0)
    stop = stop_on if stop_on is not None else np.zeros(0, dtype=bool)
    for hop in range(int(substeps.max(initial=0))):
        act = walk_candidates(lattice.neighbours, occupied, sites, substeps, stopped, hop)
        if act.size == 0:
            break
        score = rng.random((act.size, 8))
        chemo = rng.random(act.size) < bias if chemotaxis else np.zeros(0, dtype=bool)
        order = rng.permutation(act.size)
        walk_resolve(lattice.neighbours, occupied, sites, stopped, act, score, chemo, attract, order, stop,
                     lattice.claim_scratch, np.zeros(0))
    return sites


@pytest.mark.parametrize("chemotaxis", [False, True])
@pytest.mark.parametrize("crowded", [0.02, 0.5])
def test_step_walkers_equals_the_per_round_numpy_walk(chemotaxis, crowded):
    lattice = Lattice(40, 30)
    setup = np.random.default_rng(7)
    for trial in range(5):
        n = int(crowded * lattice.n_sites)
        start = setup.choice(lattice.n_sites, n, replace=False)
        occupied = np.zeros(lattice.n_sites, dtype=bool)
        occupied[start] = True
        substeps = setup.integers(0, 6, n)
        kw = {}
        if chemotaxis:
            kw = dict(attractant=setup.random(lattice.n_sites), bias=0.6, stop_on=setup.random(lattice.n_sites) < 0.1)
        ours, ref = _pair(trial)
        occ_ours, occ_ref = occupied.copy(), occupied.copy()
        got = step_walkers(lattice, occ_ours, start, substeps, ours, **kw)
        want = _walk_reference(lattice, occ_ref, start, substeps, ref, **kw)
        assert np.array_equal(got, want)
        assert np.array_equal(occ_ours, occ_ref)
        assert ours.bit_generator.state == ref.bit_generator.state
        assert not lattice.claim_scratch.any()


def test_step_walkers_with_an_attractant_pair_equals_their_sum():
    """``attractant=(a, b)`` walks exactly as ``attractant=a + b`` (same moves, same draws)."""
    lattice = Lattice(40, 30)
    setup = np.random.default_rng(11)
    for trial in range(4):
        n = int(0.1 * lattice.n_sites)
        start = setup.choice(lattice.n_sites, n, replace=False)
        occupied = np.zeros(lattice.n_sites, dtype=bool)
        occupied[start] = True
        substeps = setup.integers(0, 6, n)
        a, b = setup.random(lattice.n_sites) * 1e-3, setup.random(lattice.n_sites) * 0.7
        ours, ref = _pair(trial)
        occ_ours, occ_ref = occupied.copy(), occupied.copy()
        got = step_walkers(lattice, occ_ours, start, substeps, ours, attractant=(a, b), bias=0.8)
        want = step_walkers(lattice, occ_ref, start, substeps, ref, attractant=a + b, bias=0.8)
        assert np.array_equal(got, want) and np.array_equal(occ_ours, occ_ref)
        assert ours.bit_generator.state == ref.bit_generator.state


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_dilate_equals_a_square_maximum_filter(radius):
    rng = np.random.default_rng(radius)
    for shape, p in (((37, 23), 0.05), ((5, 64), 0.3), ((1, 9), 0.2), ((50, 50), 0.0)):
        mask = rng.random(shape) < p
        want = ndimage.maximum_filter(mask, size=2 * radius + 1, mode="constant", cval=False)
        assert np.array_equal(dilate(mask, radius), want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (3, 8), (64, 50), (101, 97)])
def test_in_place_transforms_equal_scipy_fft(dtype, shape):
    a = np.random.default_rng(0).random(shape).astype(dtype)
    want_forward = fft.dctn(a, type=2, norm="ortho", workers=1)
    want_backward = fft.idctn(a, type=2, norm="ortho", workers=1)
    buf = a.copy()
    out = fields_module.dct_in_place(buf)
    assert out.dtype == dtype and np.array_equal(out, want_forward)
    buf = a.copy()
    assert np.array_equal(fields_module.idct_in_place(buf), want_backward)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_into_clips_copies_and_counts_non_finite(dtype):
    u = np.array([[1.5, -2.0, 0.0], [-0.0, np.nan, np.inf], [-np.inf, 3.0, -1e-300]], dtype=dtype)
    out = np.full(u.shape, 7.0)
    want = np.maximum(u, 0.0)
    n = clip_into(u, out)
    assert n == 2  # nan and +inf; -inf is clipped to 0
    np.testing.assert_array_equal(u, want)
    np.testing.assert_array_equal(out, want.astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_copy_any_nonzero_copies_as_copyto_and_finds_non_zero(dtype):
    rng = np.random.default_rng(4)
    for src in (np.zeros((5, 4)), np.full((5, 4), -0.0), rng.random((5, 4)) * 1e-40, rng.standard_normal((30, 20)) * 1e39):
        for k in (None, 7, 19):
            a = src.copy()
            if k is not None:
                a.flat[k] = np.nan if k == 19 else 3.3
            want = np.empty(a.shape, dtype=dtype)
            with np.errstate(over="ignore"):  # 1e39 overflows float32 to inf, in both
                np.copyto(want, a, casting="same_kind")
            got = np.full(a.shape, 9.0, dtype=dtype)
            assert copy_any_nonzero(a, got) == bool(np.any(a != 0))
            assert got.tobytes() == want.tobytes()


def test_add_at_sites_is_numpy_fancy_add_and_refuses_outside_sites():
    rng = np.random.default_rng(8)
    for n_sites in (0, 1, 50, 3000):
        flat = rng.random(400) * 10.0 ** rng.integers(-5, 5, size=400)
        sites = rng.integers(0, 400, size=n_sites).astype(np.int64)  # repeats included
        for amount in (0.1, 1e-17, 3.0e5):
            want = flat.copy()
            want[sites] += amount
            got = flat.copy()
            assert add_at_sites(got, sites, amount)
            assert got.tobytes() == want.tobytes()
    flat = np.zeros(10)
    for bad in ([3, 10], [-1, 2]):
        assert not add_at_sites(flat, np.array(bad, dtype=np.int64), 1.0)
        assert not flat.any()


def test_nor_into_is_logical_not_of_or():
    rng = np.random.default_rng(2)
    for n in (0, 1, 17, 10_000):
        a, b = rng.random(n) < 0.3, rng.random(n) < 0.5
        out = rng.random(n) < 0.5
        nor_into(a, b, out)
        assert np.array_equal(out, np.logical_not(a | b))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scatter_any_nonzero_is_the_full_copy_of_a_source_zero_elsewhere(dtype):
    rng = np.random.default_rng(9)
    for k in (0, 1, 40):
        src = np.zeros(500)
        sites = rng.choice(500, size=k, replace=False).astype(np.int64)
        src[sites] = rng.standard_normal(k) * (1.0 if k != 1 else 0.0)
        want = np.empty(500, dtype=dtype)
        np.copyto(want, src, casting="same_kind")
        got = np.full(500, 5.0, dtype=dtype)
        assert scatter_any_nonzero(src, sites, got) == bool(np.any(src != 0))
        assert got.tobytes() == want.tobytes()
