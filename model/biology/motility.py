"""How cells move: hops per step, bulk moves kept in step with Mesa's grid, myeloid homing."""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.lattice import step_walkers
from ..engine.rule_kernels import draw_hops

__all__ = ["hops_per_step", "sync_moves", "home_to_tumor", "walk"]


def hops_per_step(model: mesa.Model, speed_um_per_min: float, n: int) -> np.ndarray:
    """Lattice hops for each of ``n`` cells: mean speed*dt/site, randomised to integers."""
    mean = speed_um_per_min * 60.0 * model.dt / model.p.lattice.site_size_um
    base = np.floor(mean)
    # (base + (rng.random(n) < mean - base)).astype(np.int64), drawn in one compiled call
    return draw_hops(bit_stream(model.rng), int(n), float(base), float(mean - base))


def sync_moves(model: mesa.Model, cls: type, rows: np.ndarray, new_sites: np.ndarray) -> None:
    """Record bulk moves of ``cls`` cells in their columns (Mesa's ``agent.cell`` reads the site column)."""
    # every walker, moved or not: recording a stay is a no-op (the compiled move_many), and
    # cheaper than selecting the moved ones first
    model.tissue.move_rows(cls, rows, new_sites)


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
