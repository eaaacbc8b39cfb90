"""Compiled passes between the lattice and a field's coarse voxels (:mod:`.voxels`).

A voxel is a ``k`` x ``k`` block of sites. Each pass reads or writes the fine array once,
where numpy's reshape-and-reduce forms make temporaries and several passes (on 1000 x 1000,
8 MB per float64 field and pass).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["block_mean_into", "block_mean_at_sites", "axis_weights", "interpolate_into", "matches_interpolation"]


@njit(cache=True, nogil=True)
def _voxel_mean(fine, bi, bj, k, inv):
    """Mean of ``fine`` over the ``k`` x ``k`` sites of voxel ``(bi, bj)`` (``inv`` = 1 / k^2, divided
    once by the caller: a division per voxel costs as much as the sum)."""
    s = 0.0
    for i in range(bi * k, bi * k + k):
        for j in range(bj * k, bj * k + k):
            s += fine[i, j]
    return s * inv


@njit(cache=True, nogil=True)
def block_mean_into(fine, k, out):
    """``out[I, J]`` = mean of ``fine`` over the sites of voxel ``(I, J)``; ``fine`` is 2D
    (any real or uint8 dtype) with both sides multiples of ``k``. Returns whether any mean
    is non-zero (NaN counts)."""
    any_nonzero = False
    inv = 1.0 / (k * k)
    for bi in range(out.shape[0]):
        for bj in range(out.shape[1]):
            v = _voxel_mean(fine, bi, bj, k, inv)
            out[bi, bj] = v
            any_nonzero |= v != 0.0
    return any_nonzero


@njit(cache=True, nogil=True)
def block_mean_at_sites(fine, sites, k, out):
    """:func:`block_mean_into` where ``fine`` (2D, both sides multiples of ``k``) is zero outside
    the flat ``sites`` (repeats allowed): ``out`` is zeroed and only the voxels holding one of
    ``sites`` are summed, each once. Returns whether any mean is non-zero (NaN counts)."""
    out[:, :] = 0.0
    h = fine.shape[1]
    done = np.zeros(out.shape, np.bool_)
    inv = 1.0 / (k * k)
    any_nonzero = False
    for s in sites:
        bi, bj = (s // h) // k, (s % h) // k
        if done[bi, bj]:
            continue
        done[bi, bj] = True
        v = _voxel_mean(fine, bi, bj, k, inv)
        out[bi, bj] = v
        any_nonzero |= v != 0.0
    return any_nonzero


def axis_weights(n_fine: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation from voxel centres along one axis of ``n_fine`` sites: for each site
    ``i`` the two voxels it lies between (clamped at the walls, i.e. a flat, no-flux edge) and the
    second one's weight (for ``k = 2``: 1/4 and 3/4). Every voxel's weights sum to ``k`` over
    the sites, so the interpolation keeps the field's mass."""
    n = n_fine // k
    x = (np.arange(n_fine) + 0.5) / k - 0.5  # site centre in voxel-centre coordinates
    lo = np.floor(x).astype(np.int64)
    w = x - lo
    return np.clip(lo, 0, n - 1), np.clip(lo + 1, 0, n - 1), w


@njit(cache=True, nogil=True)
def _row_between(coarse, a0, a1, wa, i, out):
    """The voxel rows ``a0[i]`` and ``a1[i]`` mixed with weight ``wa[i]``: site row ``i`` before
    the column interpolation (the rows first, so each site costs one mix)."""
    r0, r1, u = coarse[a0[i]], coarse[a1[i]], wa[i]
    for c in range(out.shape[0]):
        out[c] = (1.0 - u) * r0[c] + u * r1[c]


@njit(cache=True, nogil=True)
def interpolate_into(coarse, a0, a1, wa, b0, b1, wb, fine):
    """Bilinear interpolation of the voxel values ``coarse`` onto every site of ``fine``, with
    the per-axis indices and weights of :func:`axis_weights`; returns how many voxel values are
    NaN or inf."""
    n = 0
    for bi in range(coarse.shape[0]):
        for bj in range(coarse.shape[1]):
            v = coarse[bi, bj]
            n += (v - v) != 0.0
    row = np.empty(coarse.shape[1], coarse.dtype)
    for i in range(fine.shape[0]):
        _row_between(coarse, a0, a1, wa, i, row)
        out = fine[i]
        for j in range(fine.shape[1]):
            w = wb[j]
            out[j] = (1.0 - w) * row[b0[j]] + w * row[b1[j]]
    return n


@njit(cache=True, nogil=True)
def matches_interpolation(coarse, a0, a1, wa, b0, b1, wb, fine):
    """Whether ``fine`` is exactly what :func:`interpolate_into` writes from ``coarse`` (same
    arithmetic, so the same bits): a write into the fine values since shows as a difference."""
    row = np.empty(coarse.shape[1], coarse.dtype)
    for i in range(fine.shape[0]):
        _row_between(coarse, a0, a1, wa, i, row)
        have = fine[i]
        differ = False
        for j in range(fine.shape[1]):  # no early exit inside the row: the loop vectorises
            w = wb[j]
            differ |= have[j] != (1.0 - w) * row[b0[j]] + w * row[b1[j]]
        if differ:
            return False
    return True
