"""The compiled Moore dilation is the numpy separable dilation (and scipy's maximum filter)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from model.engine.map_kernels import dilate_moore


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (2, 2), (2, 3), (37, 23), (100, 100), (64, 257)])
@pytest.mark.parametrize("p", [0.0, 0.02, 0.3, 1.0])
def test_dilate_moore_is_a_3x3_maximum_filter(shape, p):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    mask = rng.random(shape) < p
    want = ndimage.maximum_filter(mask, size=3, mode="constant", cval=False)
    got = dilate_moore(mask)
    assert got.dtype == np.bool_ and got.shape == shape
    assert np.array_equal(got, want)
    assert not np.shares_memory(got, mask)
