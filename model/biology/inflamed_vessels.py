"""Tumor-inflamed vessels: where immune cells leave the blood.

Leukocytes extravasate at post-capillary venules whose endothelium the tumor
has activated (selectins, ICAM-1/VCAM-1, CXCL9/10 presentation); vessels in
distant normal tissue carry almost no traffic. A vessel site counts as
*inflamed* when a tumor cell lies within ``tumor.vessel_inflammation_distance_um``
of it. Recruitment is a rate per inflamed vessel, so the immune dose follows the
tumor (and its vascular bed), not the size of the simulated window: a larger
window adds empty tissue, not immune cells.
"""

from __future__ import annotations

import mesa
import numpy as np

from ..engine.rule_kernels import any_marked_per_row

__all__ = ["vessel_neighbourhoods", "inflamed_vessel_sites", "update_entry_sites"]


def vessel_neighbourhoods(width: int, height: int, vessel_sites: np.ndarray, radius_sites: float) -> np.ndarray:
    """For each vessel site, the flat indices of the sites within ``radius_sites`` (disk).

    Returns an ``(n_vessels, k)`` int array (int32 while the sites fit) padded with ``-1`` outside the walls;
    computed once because vessels do not move.
    """
    # beyond the lattice's diagonal a larger disk reaches no more sites, only costs memory
    radius_sites = min(float(radius_sites), float(np.hypot(width, height)))
    r = int(np.floor(radius_sites))
    dx, dy = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij")
    keep = dx**2 + dy**2 <= radius_sites**2
    dx, dy = dx[keep], dy[keep]
    vx, vy = vessel_sites // height, vessel_sites % height  # flat = x * height + y
    x = vx[:, None] + dx[None, :]
    y = vy[:, None] + dy[None, :]
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    table = np.where(inside, x * height + y, -1)
    # int32 where the sites fit: the table is read every step (6.5 MB as int64 for the 10,000
    # vessels of a 1000 x 1000 lattice), and the sites it holds are the same numbers
    return table.astype(np.int32 if width * height < 2**31 else np.int64)


def inflamed_vessel_sites(vessel_sites: np.ndarray, neighbourhoods: np.ndarray, tumor_present: np.ndarray) -> np.ndarray:
    """Vessel sites with at least one tumor cell within their neighbourhood."""
    if vessel_sites.size == 0:
        return vessel_sites
    # one compiled pass that stops at each vessel's first tumor cell (was a gather of the whole
    # (n_vessels, ~81) table per step)
    return vessel_sites[any_marked_per_row(neighbourhoods, tumor_present)]


def update_entry_sites(model: mesa.Model) -> np.ndarray:
    """Set and return ``model.entry_sites``: this step's tumor-inflamed vessel sites."""
    model.entry_sites = inflamed_vessel_sites(model.vessel_sites, model.vessel_neighbourhoods, model.tumor_present)
    return model.entry_sites
