"""The rule kernels equal the numpy code they replaced, bit for bit (and draw the same stream)."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.lattice import Lattice, dilate
from model.engine.rule_kernels import any_marked_per_row, paint_boxes


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
