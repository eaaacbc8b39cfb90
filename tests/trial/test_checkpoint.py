"""Checkpoint/restore: a restored model continues bit-identically to the uninterrupted one."""

import numpy as np
import pytest

from model import CheckpointError, TumorImmuneModel, checkpoint, make_treatment, restore


def _model(seed: int) -> TumorImmuneModel:
    treatments = [make_treatment({"type": "chemotherapy", "start_day": 1.0}),
                  make_treatment({"type": "checkpoint_blockade", "start_day": 0.5, "interval_days": 1.0, "doses": 3})]
    return TumorImmuneModel(rng=seed, treatments=treatments, lattice__width_sites=30, lattice__height_sites=30,
                            tumor__initial_radius_sites=8.0)  # 5 sites: cleared by day 2 with the fitted CD8 killing


def _state(m: TumorImmuneModel) -> tuple:
    return (m.datacollector.get_model_vars_dataframe(), m.cell_type_image().copy(),
            {k: f.values.copy() for k, f in m.fields.items()}, m.rng.random(), m.random.random(), m.bone.rng.random(),
            m.lung.rng.random())


def test_restored_model_continues_bit_identically():
    a = _model(7)
    a.run_days(1.0)  # mid-treatment: drug concentrations and marrow are not at rest
    blob = checkpoint(a)
    b = restore(blob)
    a.run_days(1.5)
    b.run_days(1.5)
    sa, sb = _state(a), _state(b)
    assert sa[0].equals(sb[0])
    assert np.array_equal(sa[1], sb[1])
    for k in sa[2]:
        assert np.array_equal(sa[2][k], sb[2][k])
    assert sa[3:] == sb[3:]  # all four random streams were captured


def test_a_row_filter_is_not_part_of_the_checkpoint():
    a = _model(9)
    a.collect_filter = lambda m: m.steps % 2 == 0  # a lambda does not pickle: it must be left out
    a.run_days(0.5)
    b = restore(checkpoint(a))
    assert a.collect_filter is not None and b.collect_filter is None
    n = len(b.datacollector.get_model_vars_dataframe())
    b.run_days(0.5)
    assert len(b.datacollector.get_model_vars_dataframe()) == n + 24  # every step again


def test_model_methods_fork_like_the_functions():
    a = _model(11)
    a.run_days(0.5)
    b = TumorImmuneModel.restore(a.checkpoint())
    a.run_days(1.0)
    b.run_days(1.0)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())


def test_checkpoint_leaves_the_model_running_unchanged():
    a, b = _model(3), _model(3)
    a.run_days(0.5)
    b.run_days(0.5)
    checkpoint(a)
    a.run_days(1.0)
    b.run_days(1.0)
    assert a.datacollector.get_model_vars_dataframe().equals(b.datacollector.get_model_vars_dataframe())


def test_forks_diverge_only_by_what_is_changed():
    a = _model(5)
    a.run_days(0.5)
    blob = checkpoint(a)
    b, c = restore(blob), restore(blob)
    b.run_days(0.5)
    c.run_days(0.5)
    assert np.array_equal(b.cell_type_image(), c.cell_type_image())
    c.rng.random()  # perturb one fork's stream: the forks must now differ
    b.run_days(1.0)
    c.run_days(1.0)
    assert not np.array_equal(b.cell_type_image(), c.cell_type_image())


def test_bad_blobs_are_named_errors():
    with pytest.raises(CheckpointError, match="not a tumor-immune model checkpoint"):
        restore(b"hello")
    with pytest.raises(CheckpointError, match="expected bytes"):
        restore("hello")  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match="expected a TumorImmuneModel"):
        checkpoint(object())  # type: ignore[arg-type]
