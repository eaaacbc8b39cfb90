"""Tissue invariants: occupancy layers, column stores and Mesa agents agree.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations


import numpy as np
import pytest

from model import CD8TCell, Neutrophil, TumorCell, TumorImmuneModel
from model.biology.cells import IMMUNE_TYPES

from sim_builders import place, quiet_model, tumor


# =========================================================================== layer invariants


def check_layer_invariants(model) -> None:
    lat = model.lattice
    all_agents = set()
    immune_sites = []
    for cls, pop in model.populations.items():
        n = len(pop)
        sites = pop["site"]
        # population bookkeeping
        np.testing.assert_array_equal(pop.row_at[sites], np.arange(n))
        assert np.count_nonzero(pop.row_at >= 0) == n
        agents = pop.agents[:n]
        assert all(a.row == i and isinstance(a, cls) for i, a in enumerate(agents))
        # columns agree with Mesa's cell
        xs, ys = lat.xy(sites)
        for a, s, x, y in zip(agents, sites.tolist(), xs.tolist(), ys.tolist()):
            assert a.site == s
            assert a.cell is model.grid_cells[s]
            assert a.cell.coordinate == (x, y)
            assert a in a.cell.agents
        all_agents.update(agents.tolist())
        if cls is TumorCell:
            assert np.unique(sites).size == n, "two tumor cells on one site"
            mask = np.zeros(lat.n_sites, dtype=bool)
            mask[sites] = True
            np.testing.assert_array_equal(mask, model.tumor_present)
        else:
            immune_sites.append(sites)
    imm = np.concatenate(immune_sites)
    assert np.unique(imm).size == imm.size, "two immune cells on one site"
    mask = np.zeros(lat.n_sites, dtype=bool)
    mask[imm] = True
    np.testing.assert_array_equal(mask, model.immune_occupied)
    # Mesa's own view: every agent is registered once, every grid cell holds <= 1 per layer
    assert set(model.agents) == all_agents and len(model.agents) == len(all_agents)
    for cell in model.grid.all_cells:
        agents = cell.agents
        assert sum(isinstance(a, TumorCell) for a in agents) <= 1
        assert sum(isinstance(a, IMMUNE_TYPES) for a in agents) <= 1


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {  # a busy micro-environment: lots of immune traffic, division, dissemination
            "cd8.recruitment_per_vessel_per_hour": 0.1,
            "treg.recruitment_per_vessel_per_hour": 0.05,
            "neutrophil.recruitment_per_vessel_per_hour": 0.1,
            "macrophage.recruitment_per_vessel_per_hour": 0.05,
            "tumor.division_rate_per_hour": 0.1,
            "tumor.dissemination_rate_per_hour": 0.05,
            "lattice.vessel_fraction": 0.05,
        },
    ],
    ids=["default", "busy"],
)
def test_layer_invariants_after_five_days(overrides):
    # a non-square lattice catches any x/y mix-up between flat sites and Mesa coordinates
    model_kw = {"lattice__width_sites": 50, "lattice__height_sites": 70}
    model_kw.update({k.replace(".", "__"): v for k, v in overrides.items()})
    from model import TumorImmuneModel

    model = TumorImmuneModel(rng=5, **model_kw)
    model.run_days(5)
    assert model.tumor_cell_count > 0
    if overrides:
        assert all(len(model.populations[cls]) > 0 for cls in IMMUNE_TYPES), "the busy set-up must exercise every type"
    check_layer_invariants(model)
    # fields are Mesa property layers shared with the numpy arrays
    site = int(model.populations[TumorCell]["site"][0])
    cell = model.grid_cells[site]
    for name, f in model.fields.items():
        assert np.shares_memory(getattr(model.grid, name).data, f.values)
        assert getattr(cell, name) == f.values.ravel()[site]


def test_refused_placement_leaves_the_model_unchanged():
    """Placing a second cell of the same layer on a site raises and registers nothing."""
    model = quiet_model(0, 10, 10)
    first = tumor(model, 3, 3)
    place(model, CD8TCell, 3, 3)  # the immune layer is separate: allowed
    with pytest.raises(RuntimeError, match="already holds a tumor cell"):
        tumor(model, 3, 3)
    with pytest.raises(RuntimeError, match="already holds a immune cell|already holds an immune cell"):
        place(model, Neutrophil, 3, 3)
    pop = model.populations[TumorCell]
    assert len(pop) == 1 and len(model.agents) == 2
    assert pop.agents[pop.row_at[model.lattice.site(3, 3)]] is first
    check_layer_invariants(model)


# --------------------------------------------------------------------------- hypoxia and necrosis


# --------------------------------------------------------------------------- sources


def test_refused_bulk_placement_claims_nothing():
    """``create_many`` onto a held site or onto one site twice raises and claims no site."""
    model = quiet_model(0, 10, 10)
    tumor(model, 3, 3)
    before = model.tumor_present.copy()
    held, twice = model.lattice.site(3, 3), model.lattice.site(5, 5)
    with pytest.raises(RuntimeError, match="already holds a tumor cell"):
        TumorCell.create_many(model, np.array([twice + 1, held, twice]))
    with pytest.raises(RuntimeError, match="two new tumor cells for one site"):
        TumorCell.create_many(model, np.array([twice + 1, twice, twice]))
    np.testing.assert_array_equal(model.tumor_present, before)
    assert len(model.populations[TumorCell]) == 1
    check_layer_invariants(model)


def test_clear_sources_zeroes_every_secreted_site():
    """Only the secreted sites are zeroed (or the whole source, when many were written); either
    way every source is zero after the clear, even if the site array passed was a view that
    changed in between."""
    model = quiet_model(0, 20, 20)
    tissue = model.tissue
    n = model.lattice.n_sites
    live = np.array([3, 7, 11])
    tissue.secrete("cytokine", live, 2.0)
    tissue.secrete("cytokine", live[:2], 1.0)  # a second secretion at the same sites adds up
    live[:] = [0, 1, 2]  # a column view moved on after the secretion
    mask = np.zeros(n, dtype=bool)
    mask[[5, 9]] = True
    tissue.secrete("osm", mask, 0.5)  # a bool mask of sites
    tissue.secrete("interferon", np.arange(0, n, 2), 1.0)  # half the lattice: a full fill
    np.testing.assert_array_equal(np.flatnonzero(tissue.sources["cytokine"]), [3, 7, 11])
    assert tissue.sources["cytokine"][3] == 3.0 and tissue.sources["cytokine"][11] == 2.0
    np.testing.assert_array_equal(np.flatnonzero(tissue.sources["osm"]), [5, 9])
    assert np.count_nonzero(tissue.sources["interferon"]) == n // 2
    tissue.clear_sources()
    for name, src in tissue.sources.items():
        assert not src.any(), name
    tissue.secrete("interferon", np.array([4]), 1.0)  # after a full fill, recording starts again
    tissue.clear_sources()
    assert not tissue.sources["interferon"].any()


# --------------------------------------------------------------------------- bulk removal


def _removal_state(model):
    """Everything one-by-one removal leaves behind: columns (spare capacity included), row
    lookups, agent rows and order, Mesa's agent sets and the occupancy layers."""
    state = [model.tumor_present.copy(), model.immune_occupied.copy(), [a.unique_id for a in model.agents]]
    for cls, pop in model.populations.items():
        state += [pop.n, pop.row_at.copy(), {k: c.copy() for k, c in pop.columns.items()},
                  [None if a is None else (a.unique_id, a.row) for a in pop.agents],
                  [a.unique_id for a in model.agents_by_type.get(cls, [])]]
    return state


def _assert_same_state(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, dict):
            assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y


@pytest.mark.parametrize("seed", range(6))
def test_tissue_kill_of_a_few_ends_as_removing_one_by_one(seed):
    """One to three rows, in any order (``Tissue.kill``'s path without numpy): the end state equals
    ``agent.remove()`` on each in descending row order."""
    rng = np.random.default_rng(seed)
    twins = [TumorImmuneModel(rng=seed, lattice__width_sites=30, lattice__height_sites=30) for _ in range(2)]
    for model in twins:
        model.run_days(1)
    for k in (1, 2, 3, 3, 2, 1):
        for cls in (TumorCell, CD8TCell):
            n = len(twins[0].populations[cls])
            if n < k:
                continue
            rows = rng.choice(n, size=k, replace=False)  # unsorted
            twins[0].tissue.kill(cls, rows)
            pop = twins[1].populations[cls]
            for agent in pop.agents[np.sort(rows)[::-1]]:
                agent.remove()
            _assert_same_state(_removal_state(twins[0]), _removal_state(twins[1]))
    check_layer_invariants(twins[0])


@pytest.mark.parametrize("seed", range(12))
def test_tissue_kill_in_bulk_ends_as_removing_one_by_one(seed):
    """``Tissue.kill`` removes a type's agents in bulk (``LatticeCell.remove_agents``); the end state
    equals ``agent.remove()`` on each in descending row order, stale capacity values included."""
    rng = np.random.default_rng(seed)
    twins = [TumorImmuneModel(rng=seed, lattice__width_sites=30, lattice__height_sites=30) for _ in range(2)]
    for model in twins:
        model.run_days(1)
    for _ in range(4):
        for cls in (TumorCell, CD8TCell):
            n = len(twins[0].populations[cls])
            if n == 0:
                continue
            rows = rng.choice(n, size=int(rng.integers(1, min(n, 40) + 1)), replace=False)
            twins[0].tissue.kill(cls, rows)
            pop = twins[1].populations[cls]
            for agent in pop.agents[np.sort(rows)[::-1]]:
                agent.remove()
            _assert_same_state(_removal_state(twins[0]), _removal_state(twins[1]))
        for model in twins:
            model.step()
        check_layer_invariants(twins[0])
