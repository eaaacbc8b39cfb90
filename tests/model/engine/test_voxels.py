"""Fields on voxels (``lattice.field_voxel_sites``): mass is kept, a uniform problem is solved
exactly, a smooth one close to the per-site field, writes into the values are not lost, and
the model runs reproducibly with them."""

from __future__ import annotations

import numpy as np
import pytest

from model import ParameterError, TumorImmuneModel
from model.engine.fields import DiffusionField
from model.engine.voxels import VoxelField

D, SITE = 1000.0, 20.0  # um^2/min, um: the model's default diffusion and site


def test_voxel_sites_must_divide_the_lattice():
    with pytest.raises(ValueError, match="field 'cyt'.*voxel_sites = 3"):
        VoxelField("cyt", (10, 12), SITE, D, 0.1, voxel_sites=3)
    with pytest.raises(ValueError, match="voxel_sites = 1 must be >= 2"):
        VoxelField("cyt", (10, 12), SITE, D, 0.1, voxel_sites=1)
    with pytest.raises(ValueError, match="storage"):
        VoxelField("cyt", (10, 12), SITE, D, 0.1, storage=np.zeros((10, 10)), voxel_sites=2)


@pytest.mark.parametrize("k", [2, 4])
def test_mass_of_a_point_source_is_kept_without_decay(k):
    f = VoxelField("x", (40, 32), SITE, D, 0.0, voxel_sites=k)
    src = np.zeros((40, 32))
    src[7, 11] = 3.0
    for i in range(10):
        # the indexed source (a repeated site, as two secretions into one site give) and the full one
        f.step(0.5, src, None, np.array([7 * 32 + 11, 7 * 32 + 11]) if i % 2 else None)
    assert f.total() == pytest.approx(10 * 0.5 * 3.0, rel=1e-12)
    assert f.values.min() >= 0.0


def test_uniform_problem_equals_the_per_site_field():
    shape = (30, 20)
    src = np.full(shape, 0.7)
    v = VoxelField("x", shape, SITE, D, 0.4, voxel_sites=2)
    f = DiffusionField("x", shape, SITE, D, 0.4)
    for _ in range(8):
        v.step(0.5, src)
        f.step(0.5, src)
    np.testing.assert_allclose(v.values, f.values, rtol=1e-12)


def test_smooth_field_is_close_to_the_per_site_field():
    """A Gaussian bump 8 sites wide (the fields' diffusion lengths are 11-17 sites) after 6 h."""
    n = 64
    x = np.arange(n) - 31.5
    bump = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 8.0**2))
    v = VoxelField("x", (n, n), SITE, D, 0.5, voxel_sites=2)
    f = DiffusionField("x", (n, n), SITE, D, 0.5)
    v.values[...] = bump
    f.values[...] = bump
    for _ in range(12):
        v.step(0.5)
        f.step(0.5)
    err = np.linalg.norm(v.values - f.values) / np.linalg.norm(f.values)
    assert 0 < err < 1e-4  # a piecewise-constant (repeated) voxel field is ~1e-2 off here
    assert v.total() == pytest.approx(f.total(), rel=1e-9)  # both keep mass x decay exactly


def test_written_values_are_taken_into_the_voxels():
    f = VoxelField("x", (20, 20), SITE, D, 0.0, voxel_sites=2)
    f.values[3, 4] = 8.0  # a user through the Mesa property layer
    f.step(0.5)
    assert f.total() == pytest.approx(8.0, rel=1e-12)
    assert f.values[3, 4] < 8.0 and f.values[2, 4] > 0.0  # resolved to voxels, then spread
    f.add(1.0)
    f.step(0.5)
    assert f.total() == pytest.approx(8.0 + 400.0, rel=1e-12)


def test_a_write_changes_only_the_voxels_it_touched():
    rng = np.random.default_rng(4)
    f = VoxelField("x", (24, 24), SITE, D, 0.3, voxel_sites=2)
    f.step(0.5, rng.random((24, 24)))
    before = f.voxels.values.copy()
    f.values[20, 3] += 5.0
    f.add(0.25)  # a uniform add moves every voxel by exactly that amount
    f.step(0.0)  # dt 0: only the write is taken in
    changed = np.argwhere(~np.isclose(f.voxels.values, before + 0.25, rtol=0, atol=1e-12))
    assert changed.tolist() == [[10, 1]]
    assert f.voxels.values[10, 1] == pytest.approx(before[10, 1] + 0.25 + 5.0 / 4, rel=1e-12)


def test_storage_values_are_kept_at_construction():
    store = np.full((8, 8), 3.0)
    f = VoxelField("x", (8, 8), SITE, D, 0.0, storage=store, voxel_sites=2)
    assert f.values is store and f.total() == pytest.approx(192.0, rel=1e-14)


def test_uptake_applies_to_the_voxels_fraction_in_the_mask():
    shape = (20, 20)
    mask = np.zeros(shape, dtype=bool)
    mask[:10] = True
    half = VoxelField("x", shape, SITE, D, 0.0, uptake_per_hour=1.0, voxel_sites=2)
    none = VoxelField("x", shape, SITE, D, 0.0, uptake_per_hour=1.0, voxel_sites=2)
    for f in (half, none):
        f.values[...] = 1.0
        f.step(0.5, None, mask if f is half else np.zeros(shape, dtype=bool))
    assert none.total() == pytest.approx(400.0, rel=1e-9)
    assert 0.6 * 400 < half.total() < 0.9 * 400  # about half the sites take up for half an hour
    assert half.values[:10].mean() < half.values[10:].mean()


def test_single_precision_voxels_agree_with_double():
    src = np.zeros((40, 40))
    src[10:20, 5:30] = 1.0
    a = VoxelField("x", (40, 40), SITE, D, 0.5, voxel_sites=2)
    b = VoxelField("x", (40, 40), SITE, D, 0.5, voxel_sites=2, single_precision=True)
    for _ in range(5):
        a.step(0.5, src)
        b.step(0.5, src)
    assert b.voxels.transform_dtype == np.float32
    np.testing.assert_allclose(b.values, a.values, rtol=1e-5, atol=1e-6 * a.max())


def _run(**overrides):
    m = TumorImmuneModel(rng=5, lattice__width_sites=40, lattice__height_sites=40, **overrides)
    for _ in range(24):
        m.step()
    return m


def test_model_on_voxels_is_reproducible_and_differs_from_per_site_fields():
    a, b = _run(lattice__field_voxel_sites=2), _run(lattice__field_voxel_sites=2)
    assert all(isinstance(f, VoxelField) for f in a.fields.values())
    assert a.grid.cytokine.data is a.fields["cytokine"].values  # the Mesa property layer is the field
    for name in a.fields:
        np.testing.assert_array_equal(a.fields[name].values, b.fields[name].values)
    per_site = _run()
    assert not np.array_equal(per_site.fields["cytokine"].values, a.fields["cytokine"].values)
    restored = TumorImmuneModel.restore(a.checkpoint())  # a checkpoint carries the voxels
    restored.step()
    a.step()
    for name in a.fields:
        np.testing.assert_array_equal(restored.fields[name].values, a.fields[name].values)


def test_model_refuses_voxels_that_do_not_divide_the_lattice():
    with pytest.raises(ParameterError, match=r"lattice.field_voxel_sites = 3 must divide lattice.width_sites \(40\)"):
        TumorImmuneModel(lattice__width_sites=40, lattice__height_sites=40, lattice__field_voxel_sites=3)
    with pytest.raises(ParameterError, match="lattice.field_voxel_sites"):
        TumorImmuneModel(lattice__field_voxel_sites=0)
