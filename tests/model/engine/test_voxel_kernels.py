"""The voxel passes: block means are numpy's reshape means, the interpolation is bilinear
between voxel centres with flat walls, keeps mass, and its check finds any changed site."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.voxel_kernels import (
    axis_weights,
    block_mean_at_sites,
    block_mean_into,
    interpolate_into,
    matches_interpolation,
)


def _reshape_mean(fine, k):
    w, h = fine.shape
    return fine.reshape(w // k, k, h // k, k).mean(axis=(1, 3))


@pytest.mark.parametrize("k,shape", [(2, (8, 6)), (3, (9, 12)), (4, (16, 8))])
def test_block_mean_is_the_reshape_mean(k, shape):
    fine = np.random.default_rng(k).random(shape)
    out = np.empty((shape[0] // k, shape[1] // k))
    assert block_mean_into(fine, k, out)
    np.testing.assert_allclose(out, _reshape_mean(fine, k), rtol=1e-14)
    assert not block_mean_into(np.zeros(shape), k, out) and not out.any()
    mask = fine > 0.5
    block_mean_into(mask.view(np.uint8), k, out)
    np.testing.assert_allclose(out, _reshape_mean(mask.astype(float), k), rtol=1e-14)


def test_block_mean_at_sites_reads_each_voxel_once_with_repeated_sites():
    rng = np.random.default_rng(3)
    fine = np.zeros((12, 10))
    sites = rng.integers(0, fine.size, size=15)
    fine.reshape(-1)[sites] = rng.random(15)
    want = np.empty((6, 5))
    block_mean_into(fine, 2, want)
    out = np.full((6, 5), 7.0)  # stale values must be cleared
    assert block_mean_at_sites(fine, np.concatenate([sites, sites[:5]]), 2, out)
    np.testing.assert_array_equal(out, want)


def _bilinear(coarse, k, n_fine, m_fine):
    """Reference: separable linear interpolation at site centres, clamped (flat) at the walls."""
    xs = np.clip((np.arange(n_fine) + 0.5) / k - 0.5, 0, coarse.shape[0] - 1)
    ys = np.clip((np.arange(m_fine) + 0.5) / k - 0.5, 0, coarse.shape[1] - 1)
    rows = np.array([np.interp(xs, np.arange(coarse.shape[0]), coarse[:, j]) for j in range(coarse.shape[1])]).T
    return np.array([np.interp(ys, np.arange(coarse.shape[1]), r) for r in rows])


@pytest.mark.parametrize("k", [2, 3, 4])
def test_interpolation_is_bilinear_and_keeps_mass(k):
    rng = np.random.default_rng(k)
    coarse = rng.random((5, 7))
    fine = np.empty((5 * k, 7 * k))
    weights = (*axis_weights(5 * k, k), *axis_weights(7 * k, k))
    assert interpolate_into(coarse, *weights, fine) == 0
    np.testing.assert_allclose(fine, _bilinear(coarse, k, 5 * k, 7 * k), rtol=1e-12)
    assert fine.sum() == pytest.approx(k * k * coarse.sum(), rel=1e-13)
    flat = np.full((5, 7), 2.5)
    interpolate_into(flat, *weights, fine)
    np.testing.assert_allclose(fine, 2.5, rtol=1e-15)


def test_matches_interpolation_finds_any_written_site():
    rng = np.random.default_rng(9)
    coarse = rng.random((6, 4))
    fine = np.empty((12, 8))
    weights = (*axis_weights(12, 2), *axis_weights(8, 2))
    interpolate_into(coarse, *weights, fine)
    assert matches_interpolation(coarse, *weights, fine)
    for i, j in [(0, 0), (11, 7), (5, 3)]:
        changed = fine.copy()
        changed[i, j] = np.nextafter(changed[i, j], 10.0)
        assert not matches_interpolation(coarse, *weights, changed)


def test_interpolation_counts_non_finite_voxels():
    coarse = np.ones((3, 3))
    coarse[1, 2] = np.nan
    coarse[0, 0] = np.inf
    fine = np.empty((6, 6))
    assert interpolate_into(coarse, *axis_weights(6, 2), *axis_weights(6, 2), fine) == 2
