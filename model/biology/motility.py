"""How cells move: hops per step, bulk moves kept in step with Mesa's grid, myeloid homing."""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.lattice import step_walkers

__all__ = ["hops_per_step", "sync_moves", "home_to_tumor", "walk"]


def hops_per_step(model: mesa.Model, speed_um_per_min: float, n: int) -> np.ndarray:
    """Lattice hops for each of ``n`` cells: mean speed*dt/site, randomised to integers."""
    mean = speed_um_per_min * 60.0 * model.dt / model.p.lattice.site_size_um
    base = np.floor(mean)
    return (base + (model.rng.random(n) < mean - base)).astype(np.int64)


def sync_moves(model: mesa.Model, cls: type, rows: np.ndarray, new_sites: np.ndarray) -> None:
    """Record bulk moves of ``cls`` cells in their columns (Mesa's ``agent.cell`` reads the site column)."""
    pop = model.populations[cls]
    moved = np.flatnonzero(new_sites != pop["site"][rows])
    model.tissue.move_rows(cls, rows[moved], new_sites[moved])


def home_to_tumor(model: mesa.Model, cls: type, speed_um_per_min: float) -> None:
    """Myeloid homing: cells not touching the tumor crawl, half their moves up the
    cytokine gradient (choice), and stop when they reach tumor contact."""
    pop = model.populations[cls]
    walkers = np.flatnonzero(~model.tumor_contact[pop["site"]])
    if walkers.size == 0:
        return
    walk(
        model,
        cls,
        walkers,
        hops_per_step(model, speed_um_per_min, walkers.size),
        attractant=model.fields["cytokine"].values.ravel(),
        bias=0.5,
        stop_on=model.tumor_contact,
    )


def walk(model: mesa.Model, cls: type, rows: np.ndarray, hops: np.ndarray, **kw) -> None:
    """Move ``cls`` cells in ``rows`` by up to ``hops`` lattice hops (see ``step_walkers`` for ``kw``)."""
    pop = model.populations[cls]
    new_sites = step_walkers(model.lattice, model.immune_occupied, pop["site"][rows], hops, model.rng, **kw)
    sync_moves(model, cls, rows, new_sites)
