"""The compiled map kernels: the Moore dilation is the numpy separable dilation (and scipy's
maximum filter); claiming sites is numpy's all-or-none claim."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from model.engine.map_kernels import claim_sites, dilate_moore


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


def _numpy_claim(occupied, sites):
    """``Tissue.occupy_many``'s numpy form: the first held site, else a repeat, else claim all."""
    held = sites[occupied[sites]]
    if held.size:
        return 1, int(held[0])
    if np.unique(sites).size != sites.size:
        return 2, None
    occupied[sites] = True
    return 0, 0


@pytest.mark.parametrize("seed", range(40))
def test_claim_sites_claims_all_or_none_as_numpy(seed):
    rng = np.random.default_rng(seed)
    occupied = rng.random(50) < rng.random()
    sites = rng.integers(0, 50, size=int(rng.integers(0, 12)))
    if seed % 3 == 0:  # mostly free, distinct sites: the usual call
        sites = rng.permutation(np.flatnonzero(~occupied))[: sites.size]
    want_layer = occupied.copy()
    want = _numpy_claim(want_layer, sites)
    got = claim_sites(occupied, sites)
    assert got[0] == want[0]
    if want[0] == 1:
        assert got[1] == want[1]
    np.testing.assert_array_equal(occupied, want_layer)  # nothing claimed unless all were


def test_claim_sites_leaves_out_of_range_sites_to_numpy():
    occupied = np.zeros(5, dtype=bool)
    for sites in (np.array([1, 5]), np.array([-1, 2])):
        assert claim_sites(occupied, sites)[0] == 3
        assert not occupied.any()
