"""Colours, markers and labels shared by every picture of the model (page, notebooks, movies).

One place for the visual language: shape tells the cell type, colour its state;
tumor cells are shaded lavender (low) to deep purple (high) by antigenicity or
PD-L1; fields are drawn with ``viridis`` unless a caller picks another map.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

DPI = 80
LATTICE_FIGSIZE = (12.0, 5.2)  # inches: cells | field | legend
TIMECOURSES_FIGSIZE = (12.0, 5.0)

FIELD_LABELS = {
    "cytokine": "Suppressive cytokine (TGF-β / IL-10)",
    "osm": "Oncostatin M",
    "interferon": "Type-I interferon (tumor IRF7, dosing)",
    "ifn_gamma": "IFN-γ (CD8 T-cells, M1 macrophages)",
}
SHADINGS = {"antigenicity": "tumor antigenicity", "pd_l1": "tumor PD-L1"}

EMPTY_RGB = np.array([0.965, 0.955, 0.925])  # stroma / empty site: warm off-white
TUMOR_CMAP = LinearSegmentedColormap.from_list("tumor", ["#efe6f6", "#c8a9e0", "#8f5bbd", "#5b2c86"])
TUMOR_COLOR = "#5a2a82"  # tumor lines in time courses
FIELD_CMAP = "viridis"
VESSEL_STYLE = {"marker": "P", "color": "#d0021b", "edge": "white", "label": "Blood vessel"}

# one entry per immune-cell kind: (key, legend label, marker, face colour, edge colour)
IMMUNE_STYLES = (
    ("cd8_active", "CD8 T-cell, active", "o", "#22c02a", "black"),
    ("cd8_exhausted", "CD8 T-cell, exhausted", "o", "#a8a8a8", "#3a3a3a"),
    ("treg", "Regulatory T-cell", "^", "#1565ff", "black"),
    ("neutrophil", "Neutrophil, resting", "D", "#ffe100", "black"),
    ("neutrophil_activated", "Neutrophil, activated (OSM)", "D", "#ff7a00", "black"),
    ("macrophage_m0", "Macrophage M0", "s", "#ffffff", "black"),
    ("macrophage_m1", "Macrophage M1", "s", "#00d8e8", "black"),
    ("macrophage_m2", "Macrophage M2", "s", "#e0007a", "black"),
)
IMMUNE_KINDS = tuple(style[0] for style in IMMUNE_STYLES)

# line colours for plots by cell type, matching the lattice markers
COLORS = {
    "tumor": TUMOR_COLOR,
    "cd8": "#22c02a",
    "cd8_exhausted": "#7a7a7a",
    "treg": "#1565ff",
    "neutrophil": "#d4b000",
    "neutrophil_activated": "#ff7a00",
    "macrophage": "#00a3b5",
    "macrophage_m1": "#00b8c8",
    "macrophage_m2": "#e0007a",
    "vessel": "#d0021b",
}
