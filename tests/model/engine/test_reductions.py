"""The compiled pairwise sum adds in numpy's order: ``a.sum()`` and ``a.mean()`` bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.reductions import EXACT_SUMS, array_mean, pairwise_sum


def test_this_numpy_sums_pairwise():
    assert EXACT_SUMS


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 15, 16, 127, 128, 129, 255, 256, 257, 1000, 8191, 8193, 10_000, 250_007])
def test_pairwise_sum_is_numpy_sum_and_mean(n):
    rng = np.random.default_rng(n)
    for scale in (1.0, 1e-300, 1e300):
        a = rng.standard_normal(n) * scale * 10.0 ** rng.integers(-6, 6, size=n)
        total = pairwise_sum(a)
        assert total == a.sum() and np.float64(total).tobytes() == a.sum().tobytes()
        assert total / n == a.mean()
    # as a 2D field flattens (what the summary's means read)
    side = int(np.sqrt(n)) or 1
    b = rng.random((side, side))
    assert pairwise_sum(b.reshape(-1)) == b.sum()


def test_pairwise_sum_of_zeros_empty_and_non_finite():
    assert pairwise_sum(np.zeros(0)) == 0.0
    for n in (3, 200):
        z = pairwise_sum(np.full(n, -0.0))
        assert z == 0.0 and not np.signbit(z) and not np.signbit(np.full(n, -0.0).sum())
        a = np.ones(n)
        a[n // 2] = np.nan
        assert np.isnan(pairwise_sum(a))
        a[n // 2] = np.inf
        assert pairwise_sum(a) == np.inf == a.sum()


@pytest.mark.parametrize("shape", [(1,), (7,), (129,), (100, 100), (37, 53), (1000,)])
def test_array_mean_is_numpy_mean(shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    for scale in (1.0, 1e-300, 1e300):
        a = rng.standard_normal(shape) * scale
        m = array_mean(a)
        assert type(m) is float and np.float64(m).tobytes() == np.float64(a.mean()).tobytes()
    a = np.full(shape, -0.0)
    assert np.float64(array_mean(a)).tobytes() == np.float64(a.mean()).tobytes()
