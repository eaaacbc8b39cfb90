"""Type-I interferon and IRF7.

Tumor cells with intact IRF7 release type-I interferon when under cytotoxic
stress: next to an active (not exhausted) CD8 T-cell or an M1 macrophage
(Tregs, neutrophils and M2 cells do not trigger it; Bidwell et al. 2012).
Systemic interferon dosing enters the tissue at vessel sites.
"""

from __future__ import annotations

import mesa
import numpy as np

from .cells import M1, CD8TCell, Macrophage, TumorCell

__all__ = ["cytotoxic_contact", "secrete_type1_interferon", "infuse_interferon", "interferon_signal", "interferon_parts"]


def cytotoxic_contact(model: mesa.Model) -> np.ndarray:
    """Flat bool: sites next to an active CD8 T-cell or an M1 macrophage (cytotoxic stress)."""
    cd8 = model.populations[CD8TCell]
    macro = model.populations[Macrophage]
    return model.lattice.dilate_sites(
        np.concatenate((cd8["site"][~cd8["exhausted"]], macro["site"][macro["polarization"] == M1]))
    )


def secrete_type1_interferon(model: mesa.Model) -> None:
    """IRF7-intact tumor cells under cytotoxic stress add type-I interferon at their site."""
    pop = model.populations[TumorCell]
    if len(pop) == 0:
        return
    stress = cytotoxic_contact(model)
    sites = pop["site"]
    stressed = pop["irf7_intact"] & stress[sites]
    if stressed.any():
        model.tissue.secrete("interferon", sites[stressed], model.p.tumor.type1_ifn_secretion_per_hour)


def infuse_interferon(model: mesa.Model) -> None:
    """Systemic interferon (this step's modifiers) enters the tissue at every vessel site."""
    if model.modifiers.interferon_infusion_per_hour > 0:
        model.tissue.secrete("interferon", model.vessel_sites, model.modifiers.interferon_infusion_per_hour)


def interferon_signal(model: mesa.Model, sites: np.ndarray | None = None) -> np.ndarray:
    """Flat array: type-I IFN + IFN-gamma, the signal for CXCL9/10 chemokines and PD-L1 induction;
    with ``sites``, only its values there (the same numbers, without a lattice-wide sum).

    Both interferons signal through JAK/STAT1-IRF1 to the same genes; only their
    sources and decay differ, so their sum drives the chemokine and PD-L1 responses.
    """
    type1, gamma = interferon_parts(model)
    if sites is None:
        return type1 + gamma
    return type1[sites] + gamma[sites]


def interferon_parts(model: mesa.Model) -> tuple[np.ndarray, np.ndarray]:
    """The two flat interferon fields (type-I, IFN-gamma) whose sum is :func:`interferon_signal`;
    a walk given the pair sums them only where a walker reads (see ``step_walkers``)."""
    return model.fields["interferon"].values.ravel(), model.fields["ifn_gamma"].values.ravel()
