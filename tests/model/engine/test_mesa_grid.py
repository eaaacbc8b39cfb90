"""The lazily built Mesa grid: cells on demand, live agent views, and pickling (checkpoints)."""

from model import TumorCell, TumorImmuneModel

SMALL = {"lattice__width_sites": 30, "lattice__height_sites": 30}


def test_cells_are_built_on_demand_and_agree_with_the_agents():
    m = TumorImmuneModel(rng=3, **SMALL)
    assert m.grid.n_built() < 30 * 30  # nothing forced every cell into existence
    a = next(iter(m.agents_by_type[TumorCell]))
    assert a in a.cell.agents and not a.cell.empty


def test_a_pickled_grid_rebuilds_its_cells_and_layer_accessors():
    m = TumorImmuneModel(rng=3, **SMALL)
    m.run_days(0.5)
    before = {a.unique_id: a.cell.coordinate for a in m.agents_by_type[TumorCell]}
    r = TumorImmuneModel.restore(m.checkpoint())  # a pickle of the whole model
    after = {a.unique_id: a.cell.coordinate for a in r.agents_by_type[TumorCell]}
    assert after == before
    a = next(iter(r.agents_by_type[TumorCell]))
    assert a in a.cell.agents and not a.cell.empty
    assert len(a.cell.connections) in (3, 5, 8)  # neighbours rebuilt lazily in the restored grid
    free = [c for c in r.grid.all_cells if c.is_empty]
    assert free and all(c.empty for c in free)


def test_the_empty_layer_is_neither_layer_occupied_after_steps_and_a_restore():
    m = TumorImmuneModel(rng=4, **SMALL)
    m.run_days(0.5)
    for model in (m, TumorImmuneModel.restore(m.checkpoint())):
        model.step()
        empty = model.grid.empty.data
        assert (empty.ravel() == ~(model.tumor_present | model.immune_occupied)).all()
