"""What a picture of the lattice needs, taken from a live model or read from a recording.

A :class:`Snapshot` is the one input of the lattice painters: the live page
takes one from the model after each step, the replay viewer reads one from a
recording. Painters never look at the model itself, so a recorded frame and a
live frame are drawn by the same code.

Sites are flat indices ``x * height + y`` (the model's lattice convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from model import (
    FIELD_NAMES,
    CD8TCell,
    Macrophage,
    Neutrophil,
    RegulatoryTCell,
    TumorCell,
    TumorImmuneModel,
)

from .style import IMMUNE_KINDS


@dataclass(frozen=True)
class Snapshot:
    """The drawable state of the lattice at one moment.

    Attributes:
        width, height: lattice size in sites.
        site_um: edge of a site in micrometres.
        day: simulated time in days.
        step: model step count.
        tumor_sites: flat sites holding a tumor cell.
        tumor_values: per tumor cell (same order as ``tumor_sites``), 0-1, by shading
            name (``"antigenicity"``, ``"pd_l1"``).
        immune: flat sites of each immune-cell kind (keys of ``style.IMMUNE_KINDS``).
        vessel_sites: flat sites of blood vessels.
        fields: field name -> concentration (width x height, in EC50 units).
    """

    width: int
    height: int
    site_um: float
    day: float
    step: int
    tumor_sites: np.ndarray
    tumor_values: Mapping[str, np.ndarray]
    immune: Mapping[str, np.ndarray]
    vessel_sites: np.ndarray
    fields: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def tumor_count(self) -> int:
        """Number of tumor cells."""
        return len(self.tumor_sites)

    def xy(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lattice coordinates (x, y) of flat sites."""
        return np.divmod(np.asarray(sites, dtype=np.int64), self.height)

    def tumor_mask(self) -> np.ndarray:
        """Boolean image (width x height): where tumor cells are."""
        mask = np.zeros(self.width * self.height, dtype=bool)
        mask[self.tumor_sites] = True
        return mask.reshape(self.width, self.height)


def immune_sites(model: TumorImmuneModel) -> dict[str, np.ndarray]:
    """Flat sites of each drawn immune-cell kind of a live model."""
    cd8 = model.populations[CD8TCell]
    neut = model.populations[Neutrophil]
    mac = model.populations[Macrophage]
    pol = mac["polarization"]
    groups = {
        "cd8_active": cd8["site"][~cd8["exhausted"]],
        "cd8_exhausted": cd8["site"][cd8["exhausted"]],
        "treg": model.populations[RegulatoryTCell]["site"],
        "neutrophil": neut["site"][~neut["activated"]],
        "neutrophil_activated": neut["site"][neut["activated"]],
        "macrophage_m0": mac["site"][pol == 0],
        "macrophage_m1": mac["site"][pol == 1],
        "macrophage_m2": mac["site"][pol == 2],
    }
    assert tuple(groups) == IMMUNE_KINDS  # the legend order
    return groups


def snapshot_of(model: TumorImmuneModel) -> Snapshot:
    """The model's current drawable state (fields are shared with the model, not copied)."""
    tumor = model.populations[TumorCell]
    sites = np.array(tumor["site"])
    return Snapshot(
        width=model.lattice.width,
        height=model.lattice.height,
        site_um=float(model.p.lattice.site_size_um),
        day=float(model.days),
        step=int(model.steps),
        tumor_sites=sites,
        tumor_values={
            "antigenicity": np.array(tumor["antigenicity"], dtype=float),
            "pd_l1": np.asarray(model.tumor_pd_l1(sites), dtype=float) if len(sites) else np.empty(0),
        },
        immune=immune_sites(model),
        vessel_sites=np.asarray(model.vessel_sites),
        fields={name: model.fields[name].values for name in FIELD_NAMES},
    )
