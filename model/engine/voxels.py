"""A diffusing field solved on voxels of k x k sites (opt-in: ``lattice.field_voxel_sites``).

The field's equation is the one of :class:`.fields.DiffusionField`, solved exactly on a
coarser mesh whose spacing is ``k`` sites: as in PhysiCell's BioFVM, where the diffusion
mesh (20 um voxels by default) is set apart from the cells. On 1000 x 1000 sites a 2 x 2
voxel makes each transform work on a quarter of the points. It changes results (the
concentration is resolved to ``k`` sites instead of one), so it is opt-in; its accuracy is
measured by ``benchmarks/bench_field_modes.py`` and judged by the claim ``voxel_fields``
(:mod:`experiments.validation.voxel_claim`).

Coupling to the lattice, each step:

* the per-site source is averaged over each voxel (mass is kept: a voxel's mean times its
  ``k^2`` sites is the sum of its sites' sources);
* the voxel values are interpolated (bilinear, between voxel centres, flat at the walls) onto
  every site: ``values`` stays the per-site array the Mesa property layer, the cells and the
  data collector read. Interpolated, not repeated, because T-cells and macrophages climb the
  gradients between neighbouring sites: a piecewise-constant field would have none inside a
  voxel and steps at its edges. The interpolation keeps the field's mass (each voxel's weights
  over the sites sum to ``k^2``);
* anything written into the per-site values since the last step (a user or a test through the
  property layer; doses enter as sources) is found by comparing them with the interpolation
  and averaged into the voxels before the step: nothing written is lost, but it is resolved
  to voxels.
"""

from __future__ import annotations

import numpy as np

from .fields import DiffusionField, FieldValues
from .voxel_kernels import axis_weights, block_mean_at_sites, block_mean_into, interpolate_into, matches_interpolation

__all__ = ["VoxelField"]


class VoxelField(FieldValues):
    """A :class:`.fields.DiffusionField` on voxels of ``voxel_sites`` x ``voxel_sites`` sites, with
    the same public methods (:class:`.fields.FieldValues`), whose ``values`` are per site.

    Args:
        name, shape, site_size_um, diffusion_um2_per_min, decay_per_hour, uptake_per_hour,
        storage, single_precision: as for :class:`.fields.DiffusionField` (``shape`` and
            ``storage`` per site).
        voxel_sites: voxel edge in sites (>= 2); both sides of ``shape`` must be multiples of it.
    """

    def __init__(
        self,
        name: str,
        shape: tuple[int, int],
        site_size_um: float,
        diffusion_um2_per_min: float,
        decay_per_hour: float,
        uptake_per_hour: float = 0.0,
        storage: np.ndarray | None = None,
        single_precision: bool = False,
        voxel_sites: int = 2,
    ) -> None:
        k = int(voxel_sites)
        shape = tuple(int(s) for s in shape)
        if k < 2 or shape[0] % k or shape[1] % k:
            raise ValueError(f"field '{name}': voxel_sites = {voxel_sites!r} must be >= 2 and divide "
                             f"both sides of the lattice {shape}")
        self.name = name
        self.shape = shape
        self.voxel_sites = k
        self.values = storage if storage is not None else np.zeros(shape, dtype=float)
        if self.values.shape != shape or self.values.dtype != np.float64:
            raise ValueError(f"field '{name}': storage must be a float64 array of shape {shape}")
        # the voxels' own field: spacing k sites, so its diffusion per voxel^2 is D / k^2
        self.voxels = DiffusionField(name, (shape[0] // k, shape[1] // k), site_size_um * k, diffusion_um2_per_min,
                                     decay_per_hour, uptake_per_hour, single_precision=single_precision)
        self.site_size_um = float(site_size_um)
        self.decay_per_hour = self.voxels.decay_per_hour
        self.uptake_per_hour = self.voxels.uptake_per_hour
        self.transform_dtype = self.voxels.transform_dtype
        self._source = np.zeros(self.voxels.shape)
        self._uptake = np.zeros(self.voxels.shape)
        self._stepped_finite: bool | None = None
        # per axis: the two voxels each site lies between, and the weight of the second
        self._weights = (*axis_weights(shape[0], k), *axis_weights(shape[1], k))
        block_mean_into(self.values, k, self.voxels.values)  # what the storage holds already
        interpolate_into(self.voxels.values, *self._weights, self.values)

    def _take_written_values(self) -> None:
        """Add to the voxels the per-voxel mean of whatever was written into the per-site values since
        the last step. Only the difference from the interpolation is averaged in: averaging the whole
        interpolated field would not give the voxel values back (it would smooth the field once more),
        so untouched voxels stay exactly as they were and a uniform ``add`` is exact."""
        if matches_interpolation(self.voxels.values, *self._weights, self.values):
            return
        interpolated = np.empty_like(self.values)
        interpolate_into(self.voxels.values, *self._weights, interpolated)
        delta = np.empty(self.voxels.shape)
        block_mean_into(self.values - interpolated, self.voxel_sites, delta)
        np.maximum(self.voxels.values + delta, 0.0, out=self.voxels.values)

    def step(
        self,
        dt_hours: float,
        source_per_hour: np.ndarray | None = None,
        uptake_mask: np.ndarray | None = None,
        source_sites: np.ndarray | None = None,
    ) -> None:
        """:meth:`.fields.DiffusionField.step` on the voxels: the per-site source (read only at
        ``source_sites`` when given) and the uptake mask are averaged over each voxel (the
        uptake then applies to the fraction of the voxel's sites in the mask), and the result
        is interpolated onto every site."""
        self._take_written_values()
        k = self.voxel_sites
        source = None
        if source_per_hour is not None:
            fine = np.asarray(source_per_hour, dtype=float).reshape(self.shape)
            if source_sites is None:
                has_source = block_mean_into(fine, k, self._source)
            else:
                has_source = block_mean_at_sites(fine, np.asarray(source_sites, dtype=np.int64), k, self._source)
            source = self._source if has_source else None
        uptake = None
        if uptake_mask is not None and self.uptake_per_hour > 0:
            mask = np.asarray(uptake_mask).reshape(self.shape)
            block_mean_into(mask.view(np.uint8) if mask.dtype == bool else mask, k, self._uptake)
            uptake = self._uptake
        self.voxels.step(dt_hours, source, uptake)
        self._stepped_finite = interpolate_into(self.voxels.values, *self._weights, self.values) == 0

    def max_after_step(self) -> float:
        """:meth:`max` (named as :meth:`.fields.DiffusionField.max_after_step`, which the model calls)."""
        return self.max()

    def __repr__(self) -> str:
        return f"VoxelField({self.name!r}, shape={self.shape}, voxel_sites={self.voxel_sites}, mean={self.mean():.3g})"
