"""Loaded by the fork server before it forks workers (see :func:`experiments.workers.mp_context`).

Importing this module runs a tiny model for a few steps, so the compiled (numba) kernels
are loaded from the on-disk cache once, in the fork server; every worker forked from it
starts with them instead of loading them on its first run (~0.35 s CPU per worker). The
warm-up model is thrown away and its random stream is its own: runs are unchanged.
"""

from __future__ import annotations

from model import TumorImmuneModel

__all__ = ["warm_kernels", "WARMED"]

_SIZE = 30
_STEPS = 96


def warm_kernels() -> bool:
    """Step a small default model (tumor, immune influx, all fields); True when it ran."""
    try:
        model = TumorImmuneModel(rng=0, lattice__width_sites=_SIZE, lattice__height_sites=_SIZE)
        for _ in range(_STEPS):
            model.step()
    except Exception:  # a warm-up must never stop the fork server: workers then load kernels lazily
        return False
    return True


WARMED = warm_kernels()
