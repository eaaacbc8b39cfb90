"""How cells move: hops per step, bulk moves kept in step with Mesa's grid, myeloid homing."""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.kernels import bit_stream
from ..engine.lattice import step_walkers
from ..engine.move_kernels import walk_rows
from ..engine.rule_kernels import draw_hops

__all__ = ["hops_per_step", "sync_moves", "home_to_tumor", "walk", "crawl"]

_NO_FLOATS = np.zeros(0, dtype=np.float64)
_NO_FLAGS = np.zeros(0, dtype=np.bool_)


def hops_per_step(model: mesa.Model, speed_um_per_min: float, n: int) -> np.ndarray:
    """Lattice hops for each of ``n`` cells: mean speed*dt/site, randomised to integers."""
    mean = speed_um_per_min * 60.0 * model.dt / model.p.lattice.site_size_um
    base = np.floor(mean)
    # (base + (rng.random(n) < mean - base)).astype(np.int64), drawn in one compiled call
    return draw_hops(bit_stream(model.rng), int(n), float(base), float(mean - base))


def crawl(model: mesa.Model, cls: type, rows: np.ndarray, speed_um_per_min: float,
          attractant: np.ndarray | tuple[np.ndarray, np.ndarray] | None = None, bias: float = 0.0,
          stop_on: np.ndarray | None = None, halve: np.ndarray | None = None) -> None:
    """``walk(model, cls, rows, hops_per_step(model, speed_um_per_min, rows.size), ...)``, with the
    hops of rows flagged in the column ``halve`` halved first, in one compiled call
    (:func:`.move_kernels.walk_rows`: the same draws in the same order, the same moves)."""
    mean = speed_um_per_min * 60.0 * model.dt / model.p.lattice.site_size_um
    base = float(np.floor(mean))
    pop = model.populations[cls]
    chemotaxis = attractant is not None and bias > 0
    parts = attractant if isinstance(attractant, tuple) else (attractant, None)
    attract = np.ascontiguousarray(parts[0], dtype=np.float64) if chemotaxis else _NO_FLOATS
    extra = np.ascontiguousarray(parts[1], dtype=np.float64) if chemotaxis and parts[1] is not None else _NO_FLOATS
    walk_rows(bit_stream(model.rng), model.lattice.neighbours, model.immune_occupied, pop.columns["site"], pop.row_at,
              np.asarray(rows, dtype=np.int64), base, float(mean - base), _NO_FLAGS if halve is None else halve,
              float(bias), chemotaxis, attract, _NO_FLAGS if stop_on is None else stop_on, model.lattice.claim_scratch,
              extra)


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
    crawl(model, cls, walkers, speed_um_per_min, attractant=model.fields["cytokine"].values.ravel(), bias=0.5,
          stop_on=model.tumor_contact)


def walk(model: mesa.Model, cls: type, rows: np.ndarray, hops: np.ndarray, **kw) -> None:
    """Move ``cls`` cells in ``rows`` by up to ``hops`` lattice hops (see ``step_walkers`` for ``kw``)."""
    pop = model.populations[cls]
    new_sites = step_walkers(model.lattice, model.immune_occupied, pop["site"][rows], hops, model.rng, **kw)
    sync_moves(model, cls, rows, new_sites)
