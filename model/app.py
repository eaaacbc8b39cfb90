"""Interactive browser page: watch one tumor and its immune cells (Mesa SolaraViz).

Start it from the repository root with::

    solara run model/app.py        # or: make viz

then open the address it prints (http://localhost:8765). Choose a scenario and
move the sliders in *Model Parameters*, press **Reset** to build the new model,
then **Step** or **▶** (play) / **❚❚** (pause).

The page has two panels:

* **Lattice** - every cell type in its own colour and marker: tumor cells shaded
  by antigenicity or PD-L1 (your choice), CD8 T-cells green (grey when
  exhausted), regulatory T-cells blue triangles, neutrophils yellow diamonds
  (orange when activated and secreting oncostatin M), macrophages squares (white
  M0, cyan M1, magenta M2), blood vessels red crosses; beside it a heatmap of the
  field you pick (suppressive cytokine, oncostatin M or interferon) with its
  colour bar and the tumor outline.
* **Time courses** - cell counts by type, field means, cumulative kills and
  disseminated cells, treatment concentrations, and mean antigenicity / PD-L1.

Drawing is cheap: an RGB ``imshow`` for the tumor, one scatter per immune-cell
kind and an ``imshow`` per field; each figure keeps its frames, ticks and
legends as a bitmap and redraws only what changed ("blitting"). One step of
the default 100 x 100 page model plus both figures costs about 0.1 s of CPU
(``python benchmarks/bench_viz.py`` measures it).

The sliders *scale the chosen scenario's own value* (1 = as in the scenario),
so a profile such as ``hot`` or ``immunocompromised`` keeps its meaning; the
page lists the values actually used.
"""

from __future__ import annotations

import html
import io
import math
import sys
import threading
import zlib
from contextlib import nullcontext
from pathlib import Path

if __package__ in (None, ""):
    # `solara run model/app.py` runs this file as a script with model/ first on
    # sys.path, where model/model.py would shadow the package of the same name.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))
    _shadow = sys.modules.get("model")
    if _shadow is not None and not hasattr(_shadow, "__path__"):
        del sys.modules["model"]

import numpy as np
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
import mesa.visualization.solara_viz as _solara_viz
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter
from PIL import Image as PILImage
from scipy import ndimage

from model import (
    CD8TCell,
    Macrophage,
    Neutrophil,
    RegulatoryTCell,
    TumorCell,
    TumorImmuneModel,
    get_scenario,
    list_scenarios,
)

__all__ = [
    "TumorImmunePageModel",
    "LatticePainter",
    "TimeCoursesPainter",
    "render_lattice_png",
    "render_timecourses_png",
    "LatticeView",
    "TimeCoursesView",
    "model_params",
    "page",
]

DEFAULT_GRID = 100
DPI = 80
LATTICE_FIGSIZE = (12.0, 5.2)  # inches: cells | field | legend
TIMECOURSES_FIGSIZE = (12.0, 5.0)
PANEL_MAX_WIDTH = "1150px"  # the figures scale to the page width, up to this
FIELD_LABELS = {
    "cytokine": "Suppressive cytokine (TGF-β / IL-10)",
    "osm": "Oncostatin M",
    "interferon": "Type-I interferon (tumor IRF7, dosing)",
    "ifn_gamma": "IFN-γ (CD8 T-cells, M1 macrophages)",
}
SHADINGS = {"antigenicity": "tumor antigenicity", "pd_l1": "tumor PD-L1"}

# ---------------------------------------------------------------- colours
EMPTY_RGB = np.array([0.965, 0.955, 0.925])  # stroma / empty site: warm off-white
# tumor cells: pale lavender (low antigenicity / PD-L1) to deep purple (high)
TUMOR_CMAP = LinearSegmentedColormap.from_list("tumor", ["#efe6f6", "#c8a9e0", "#8f5bbd", "#5b2c86"])
FIELD_CMAP = "viridis"
VESSEL_STYLE = {"marker": "P", "color": "#d0021b", "edge": "white", "label": "Blood vessel"}

# one entry per cell kind: (key, legend label, marker, face colour, edge colour)
# shape tells the cell type, colour its state
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


# ====================================================================== model


def _int_seed(seed) -> int:
    """The page's seed box holds text: a whole number is used as is, other text is hashed (CRC-32)."""
    text = str(seed).strip()
    try:
        return int(text)
    except ValueError:
        return zlib.crc32(text.encode())


class TumorImmunePageModel(TumorImmuneModel):
    """The model built from the page's controls.

    A thin layer over :class:`~model.model.TumorImmuneModel`: it turns the
    page's scenario choice and sliders into parameters. SolaraViz rebuilds the
    model with these keyword arguments when **Reset** is pressed.

    Args:
        scenario_name: a registered scenario (profile + treatments + duration).
        seed: random seed; text from the page's box is used as a number when it is one, else hashed.
        grid_size: lattice width = height in sites (20 um each).
        antigenicity_scale: multiplies the scenario's mean tumor antigenicity (capped at 1).
        pd_l1_induction_scale: multiplies the interferon-induced PD-L1 maximum (capped at 1).
        treg_recruitment_scale: multiplies the Treg recruitment rate.
        neutrophil_osm_scale: multiplies the OSM secretion of activated neutrophils.
        irf7_silenced: if True every tumor cell has IRF7 silenced; otherwise the scenario's fraction.
        immune_health_scale: multiplies the host's immune health (capped at 2).
    """

    def __init__(
        self,
        scenario_name: str = "untreated",
        seed: int | str = 42,
        grid_size: int = DEFAULT_GRID,
        antigenicity_scale: float = 1.0,
        pd_l1_induction_scale: float = 1.0,
        treg_recruitment_scale: float = 1.0,
        neutrophil_osm_scale: float = 1.0,
        irf7_silenced: bool = False,
        immune_health_scale: float = 1.0,
    ) -> None:
        base = get_scenario(scenario_name).parameters()
        size = int(grid_size)
        overrides = {
            "lattice.width_sites": size,
            "lattice.height_sites": size,
            # keep the initial lesion inside small windows
            "tumor.initial_radius_sites": min(base.tumor.initial_radius_sites, size / 4.0),
            "tumor.mean_antigenicity": min(base.tumor.mean_antigenicity * antigenicity_scale, 1.0),
            "tumor.pd_l1_induced_max": min(base.tumor.pd_l1_induced_max * pd_l1_induction_scale, 1.0),
            "treg.recruitment_per_vessel_per_hour": base.treg.recruitment_per_vessel_per_hour
            * treg_recruitment_scale,
            "neutrophil.osm_secretion_per_hour": base.neutrophil.osm_secretion_per_hour * neutrophil_osm_scale,
            "host.immune_health": min(base.host.immune_health * immune_health_scale, 2.0),
        }
        if irf7_silenced:
            overrides["tumor.irf7_silenced_fraction"] = 1.0
        super().__init__(base.replace(overrides), rng=_int_seed(seed), scenario_name=scenario_name)
        # Play steps the model in a worker thread while a control change may redraw
        # in another: stepping and drawing take turns on this lock
        self.lock = threading.RLock()

    def step(self) -> None:
        """One model step (holding :attr:`lock`)."""
        with self.lock:
            super().step()

    def describe(self) -> str:
        """One line with the parameter values actually used."""
        p = self.p
        return (
            f"antigenicity {p.tumor.mean_antigenicity:.2f} · PD-L1 induced max {p.tumor.pd_l1_induced_max:.2f} · "
            f"Treg recruitment {p.treg.recruitment_per_vessel_per_hour:.4f}/h/vessel · "
            f"neutrophil OSM {p.neutrophil.osm_secretion_per_hour:g}/h · "
            f"IRF7 silenced {p.tumor.irf7_silenced_fraction:.0%} · immune health {p.host.immune_health:.2f}"
        )


# ====================================================================== drawing


def _immune_groups(model: TumorImmuneModel) -> dict[str, np.ndarray]:
    """Flat sites of each drawn immune-cell kind."""
    cd8 = model.populations[CD8TCell]
    neut = model.populations[Neutrophil]
    mac = model.populations[Macrophage]
    pol = mac["polarization"]
    return {
        "cd8_active": cd8["site"][~cd8["exhausted"]],
        "cd8_exhausted": cd8["site"][cd8["exhausted"]],
        "treg": model.populations[RegulatoryTCell]["site"],
        "neutrophil": neut["site"][~neut["activated"]],
        "neutrophil_activated": neut["site"][neut["activated"]],
        "macrophage_m0": mac["site"][pol == 0],
        "macrophage_m1": mac["site"][pol == 1],
        "macrophage_m2": mac["site"][pol == 2],
    }


def _tumor_rgb(model: TumorImmuneModel, shading: str) -> np.ndarray:
    """RGB image (height x width x 3, row 0 = y 0): empty tissue, tumor shaded by ``shading``."""
    w, h = model.lattice.width, model.lattice.height
    rgb = np.empty((w * h, 3))
    rgb[:] = EMPTY_RGB
    tumor = model.populations[TumorCell]
    if len(tumor):
        sites = tumor["site"]
        value = model.tumor_pd_l1(sites) if shading == "pd_l1" else tumor["antigenicity"]
        rgb[sites] = TUMOR_CMAP(np.clip(value, 0.0, 1.0))[:, :3]
    # flat index is x * height + y: (w, h) -> transpose so rows are y
    return rgb.reshape(w, h, 3).transpose(1, 0, 2)


def _tumor_edge_rgba(model: TumorImmuneModel) -> np.ndarray:
    """RGBA overlay (height x width x 4): white on tumor cells at the tumor's edge, clear elsewhere."""
    w, h = model.lattice.width, model.lattice.height
    tumor = model.tumor_present.reshape(w, h)
    edge = tumor & ~ndimage.binary_erosion(tumor, np.ones((3, 3), dtype=bool), border_value=0)
    rgba = np.zeros((h, w, 4))
    rgba[edge.T] = (1.0, 1.0, 1.0, 0.95)
    return rgba


def _xy(model: TumorImmuneModel, sites: np.ndarray) -> np.ndarray:
    x, y = model.lattice.xy(sites)
    return np.column_stack([x, y]).astype(float) if len(sites) else np.empty((0, 2))


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})  # fast encoding: it is sent locally
    return buf.getvalue()


def _encode_png(canvas: FigureCanvasAgg) -> bytes:
    """PNG of what is on an Agg canvas now (no redraw)."""
    buf = io.BytesIO()
    PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buf, format="png", compress_level=1
    )
    return buf.getvalue()


class LatticePainter:
    """Draws the lattice (cells) beside the chosen field's heatmap.

    The figure and its artists are built once per lattice size and then only
    updated (image data, marker positions, labels), which keeps a redraw cheap:
    one RGB ``imshow`` for tumor cells, one scatter per immune-cell kind, one
    ``imshow`` for the field with a tumor-edge overlay.

    Example::

        painter = LatticePainter()
        png_bytes = painter.png(model, field="osm", shading="pd_l1")
        painter.figure(model).savefig("snapshot.pdf")   # a complete figure for export
    """

    def __init__(self) -> None:
        self.fig: Figure | None = None
        self._shape: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._background = None
        self._static: tuple = ()

    def _build(self, w: int, h: int) -> None:
        fig = Figure(figsize=LATTICE_FIGSIZE, dpi=DPI)
        # hand-placed axes, [left, bottom, width, height] in figure fractions:
        # two squares (cells, field) with colour bars under them, the legend on the right
        side = 0.76 * LATTICE_FIGSIZE[1] / LATTICE_FIGSIZE[0]
        ax_cells = fig.add_axes((0.01, 0.17, side, 0.76))
        ax_field = fig.add_axes((0.02 + side + 0.015, 0.17, side, 0.76))
        cax_tumor = fig.add_axes((0.01 + 0.08 * side, 0.105, 0.84 * side, 0.03))
        cax_field = fig.add_axes((0.035 + side + 0.08 * side, 0.105, 0.84 * side, 0.03))
        self._legend_x = 0.05 + 2 * side
        extent = (-0.5, w - 0.5, -0.5, h - 0.5)
        for ax in (ax_cells, ax_field):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlim(extent[:2])
            ax.set_ylim(extent[2:])
            ax.set_aspect("equal")

        self.cells_image = ax_cells.imshow(
            np.zeros((h, w, 3)), origin="lower", interpolation="nearest", extent=extent
        )
        size = _marker_size(ax_cells, w)
        vessel = dict(marker=VESSEL_STYLE["marker"], c=VESSEL_STYLE["color"], edgecolors=VESSEL_STYLE["edge"],
                      linewidths=0.4, zorder=2)
        self.vessels = [ax_cells.scatter([], [], s=0.55 * size, **vessel),
                        ax_field.scatter([], [], s=0.35 * size, **vessel)]
        self.immune = {}
        handles = [
            Patch(facecolor=TUMOR_CMAP(0.75), edgecolor="none", label="Tumor cell"),
            Line2D([], [], linestyle="", marker=VESSEL_STYLE["marker"], markerfacecolor=VESSEL_STYLE["color"],
                   markeredgecolor=VESSEL_STYLE["edge"], markersize=10, label=VESSEL_STYLE["label"]),
        ]
        for key, label, marker, face, edge in IMMUNE_STYLES:
            self.immune[key] = ax_cells.scatter([], [], s=size, marker=marker, c=face, edgecolors=edge,
                                                linewidths=0.7, zorder=3)
            handles.append(Line2D([], [], linestyle="", marker=marker, markerfacecolor=face,
                                  markeredgecolor=edge, markersize=9, label=label))
        self.legend = fig.legend(handles=handles, loc="center left", bbox_to_anchor=(self._legend_x, 0.55),
                                 fontsize=10.5, frameon=False, handletextpad=0.4, labelspacing=0.75,
                                 title="cell kinds (count)", title_fontsize=10.5, alignment="left")
        self.legend_labels = [h.get_label() for h in handles]
        self.cells_title = ax_cells.set_title("", fontsize=12)
        tumor_scale = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=TUMOR_CMAP)
        self.tumor_bar = fig.colorbar(tumor_scale, cax=cax_tumor, orientation="horizontal")
        self.tumor_bar.ax.tick_params(labelsize=8)

        self.field_image = ax_field.imshow(np.zeros((h, w)), origin="lower", interpolation="nearest",
                                           extent=extent, cmap=FIELD_CMAP, vmin=0.0, vmax=1.0)
        self.edge_image = ax_field.imshow(np.zeros((h, w, 4)), origin="lower", interpolation="nearest",
                                          extent=extent, zorder=1.5)
        self.field_title = ax_field.set_title("", fontsize=12)
        self.field_bar = fig.colorbar(self.field_image, cax=cax_field, orientation="horizontal")
        self.field_bar.set_label("concentration (× EC50); white = tumor edge", fontsize=9)
        self.field_bar.ax.tick_params(labelsize=8)
        self.fig, self._shape = fig, (w, h)
        self._background, self._static = None, ()

    def _update(self, model: TumorImmuneModel, field: str, shading: str) -> tuple:
        """Put the model's state into the artists; return what the static parts depend on."""
        if field not in FIELD_LABELS:
            raise ValueError(f"field '{field}' must be one of {sorted(FIELD_LABELS)}")
        if shading not in SHADINGS:
            raise ValueError(f"shading '{shading}' must be one of {sorted(SHADINGS)}")
        w, h = model.lattice.width, model.lattice.height
        if self.fig is None or self._shape != (w, h):
            self._build(w, h)

        self.cells_image.set_data(_tumor_rgb(model, shading))
        vessels = _xy(model, model.vessel_sites)
        for artist in self.vessels:
            artist.set_offsets(vessels)
        counts = [len(model.populations[TumorCell]), len(vessels)]
        for key, sites in _immune_groups(model).items():
            self.immune[key].set_offsets(_xy(model, sites))
            counts.append(len(sites))
        for text, label, n in zip(self.legend.get_texts(), self.legend_labels, counts):
            text.set_text(f"{label} ({n})")
        self.cells_title.set_text(f"Cells · day {model.days:.1f}")

        values = model.fields[field].values
        self.field_image.set_data(values.T)
        self.edge_image.set_data(_tumor_edge_rgba(model))
        self.field_title.set_text(f"{FIELD_LABELS[field]} · mean {values.mean():.3g}")
        # explicit colour range from 0 (matplotlib would start at the data minimum), topped at a
        # nice value kept until the data outgrow it or fall well below it, so the colour bar
        # (drawn with the static parts) changes only now and then
        top = max(float(values.max()), 1e-3)
        vmax = self._static[2] if self._static and self._static[1] == field else None
        if vmax is None or not vmax / 3.0 < top <= vmax:
            vmax = _nice_ceiling(top)
        return shading, field, vmax

    def _apply(self, static: tuple) -> None:
        shading, _, vmax = static
        self.tumor_bar.set_label(f"{SHADINGS[shading]} (0-1)", fontsize=9)
        self.field_image.set_clim(0.0, vmax)
        self._static = static

    def _dynamic(self) -> list:
        """(axes or figure, artist) drawn every frame, bottom to top."""
        ax_cells, ax_field = self.cells_image.axes, self.field_image.axes
        return [  # in z-order, as a full draw would stack them (axes frames over vessels)
            (ax_cells, self.cells_image),
            (ax_cells, self.vessels[0]),
            *((ax_cells, s) for s in ax_cells.spines.values()),
            *((ax_cells, a) for a in self.immune.values()),
            (ax_cells, self.cells_title),
            (ax_field, self.field_image),
            (ax_field, self.edge_image),
            (ax_field, self.vessels[1]),
            *((ax_field, s) for s in ax_field.spines.values()),
            (ax_field, self.field_title),
            (self.fig, self.legend),
        ]

    def figure(self, model: TumorImmuneModel, field: str = "interferon", shading: str = "antigenicity") -> Figure:
        """Update (building if needed) and return the complete figure for ``model``'s current state."""
        self._apply(self._update(model, field, shading))
        for _, artist in self._dynamic():
            artist.set_animated(False)
        self._background = None
        return self.fig

    def png(self, model: TumorImmuneModel, field: str = "interferon", shading: str = "antigenicity") -> bytes:
        """PNG of the figure for ``model``'s current state.

        Frames, colour bars and the legend box are drawn once and kept as a
        bitmap (redrawn when the shading or the field's colour range changes);
        each call draws only the images, markers, titles and legend over it.
        """
        with self._lock, getattr(model, "lock", nullcontext()):
            static = self._update(model, field, shading)
            canvas = self.fig.canvas
            dynamic = self._dynamic()
            if self._background is None or static != self._static or not isinstance(canvas, FigureCanvasAgg):
                canvas = FigureCanvasAgg(self.fig)
                self._apply(static)
                for _, artist in dynamic:
                    artist.set_animated(True)
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            canvas.restore_region(self._background)
            for parent, artist in dynamic:
                parent.draw_artist(artist)
            return _encode_png(canvas)


def _marker_size(ax, n_sites: int) -> float:
    """Scatter marker area (pt^2): about 2.4 sites across, never tiny."""
    pts_per_site = ax.get_position().width * ax.figure.get_figwidth() * 72.0 / n_sites
    return max(2.4 * pts_per_site, 6.0) ** 2


def render_lattice_png(model: TumorImmuneModel, field: str = "interferon", shading: str = "antigenicity") -> bytes:
    """PNG of the lattice beside the chosen field (a fresh :class:`LatticePainter`)."""
    return LatticePainter().png(model, field, shading)


# line colours follow the lattice markers
COUNT_LINES = (
    ("cd8_t_cells", "CD8", "#22c02a", "-"),
    ("cd8_exhausted", "CD8 exhausted", "#7a7a7a", "--"),
    ("regulatory_t_cells", "Treg", "#1565ff", "-"),
    ("neutrophils", "neutrophil", "#d4b000", "-"),
    ("neutrophils_activated", "neutr. activated", "#ff7a00", "--"),
    ("macrophages_m1", "M1", "#00b8c8", "-"),
    ("macrophages_m2", "M2", "#e0007a", "-"),
)
FIELD_LINES = (
    ("cytokine_mean", "cytokine", "#8c564b", "-"),
    ("osm_mean", "OSM", "#ff7a00", "-"),
    ("interferon_mean", "type-I IFN", "#2ca02c", "-"),
    ("ifn_gamma_mean", "IFN-γ", "#9467bd", "-"),
)
KILL_LINES = (
    ("kills_cd8", "killed by CD8", "#22c02a", "-"),
    ("kills_macrophage", "killed by M1", "#00b8c8", "-"),
    ("kills_therapy", "killed by therapy", "#444444", "-"),
)
SPREAD_LINES = (
    ("disseminated_cells", "disseminated (right axis)", "#d0021b", "-"),
    ("metastatic_seeds", "metastatic seeds (right axis)", "#d0021b", "--"),
)
TUMOR_MEAN_LINES = (
    ("mean_antigenicity", "antigenicity", "#5a2a82", "-"),
    ("mean_pd_l1", "PD-L1", "#b48fcf", "-"),
    ("irf7_intact_fraction", "IRF7 intact", "#888888", ":"),
)
TREATMENT_COLORS = ("#1f77b4", "#d62728", "#9467bd", "#2ca02c", "#ff7f0e", "#8c564b")


THERAPY_KILLS = ("chemotherapy", "radiotherapy", "surgery")


def _series(mv: dict, key: str) -> np.ndarray:
    if key == "kills_therapy":
        return np.add.reduce([np.asarray(mv[f"kills_{c}"], dtype=float) for c in THERAPY_KILLS])
    return np.asarray(mv[key], dtype=float)


class TimeCoursesPainter:
    """Six small panels over simulated days: tumor cells, immune cells by type,
    field means, cumulative kills and spread, treatment levels, tumor means.

    Built once per model (the treatment panel depends on its treatments), then
    only the line data and axis limits change.
    """

    def __init__(self) -> None:
        self.fig: Figure | None = None
        self._model = None
        self._lock = threading.Lock()
        self._background = None
        self._limits: tuple = ()

    def _build(self, model: TumorImmuneModel) -> None:
        fig = Figure(figsize=TIMECOURSES_FIGSIZE, dpi=DPI)
        axes = list(fig.subplots(2, 3).ravel())
        fig.subplots_adjust(left=0.05, right=0.96, top=0.94, bottom=0.1, wspace=0.24, hspace=0.42)
        treatments = [k for k in model.datacollector.model_vars if k.endswith("_concentration")]
        therapy_kills = bool({t.name for t in model.treatments} & set(THERAPY_KILLS))
        # spread (tens of cells) shares the kills panel (hundreds) on its own right-hand axis, in red
        spread_ax = axes[3].twinx()
        spread_ax.tick_params(axis="y", labelsize=8, colors="#d0021b")
        spread_ax.set_ylabel("disseminated", fontsize=8, color="#d0021b")
        # axes, title, lines, legend location, y head room for the legend, smallest y top, counts?
        panels = (
            (axes[0], "Tumor cells", (("tumor_cells", "tumor", "#5a2a82", "-"),), None, 1.08, 1.0, True),
            (axes[1], "Immune cells", COUNT_LINES, "upper left", 1.45, 4.0, True),
            (axes[2], "Field means (× EC50)", FIELD_LINES, "upper left", 1.45, 1e-3, False),
            (axes[3], "Cumulative kills & spread",
             tuple(line for line in KILL_LINES if line[0] != "kills_therapy" or therapy_kills), None, 1.45, 4.0, True),
            (spread_ax, None, SPREAD_LINES, None, 1.45, 4.0, True),
            (axes[4], "Treatment levels (× EC50)", tuple(
                (k, k.removesuffix("_concentration").replace("_", " "), TREATMENT_COLORS[i % len(TREATMENT_COLORS)], "-")
                for i, k in enumerate(treatments)), "upper right", 1.08, 1.0, False),
            (axes[5], "Tumor means (0-1)", TUMOR_MEAN_LINES, "upper left", None, None, False),
        )
        self.lines, self.scaled = [], []
        for ax, title, lines, legend_loc, headroom, floor, counts in panels:
            if title:
                ax.set_title(title, fontsize=10)
            ax.tick_params(labelsize=8)
            for key, label, color, style in lines:
                (artist,) = ax.plot([], [], color=color, ls=style, lw=1.5, label=label)
                self.lines.append((ax, key, artist))
            if headroom:
                self.scaled.append((ax, headroom, floor))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=counts))
            if legend_loc and lines:
                ax.legend(fontsize=7, ncol=3 if ax is axes[5] else 2 if len(lines) > 4 else 1, loc=legend_loc,
                          framealpha=0.6, handlelength=1.6, borderaxespad=0.2, labelspacing=0.2, columnspacing=0.8)
        # one legend for both axes of the kills & spread panel
        handles = [a for ax, _, a in self.lines if ax in (axes[3], spread_ax)]
        axes[3].legend(handles=handles, fontsize=7, ncol=1, loc="upper left", framealpha=0.6, handlelength=1.6,
                       borderaxespad=0.2, labelspacing=0.2)
        if not treatments:
            axes[4].text(0.5, 0.5, "no treatment\nin this scenario", ha="center", va="center",
                         transform=axes[4].transAxes, color="#777777", fontsize=10)
            axes[4].set_yticks([])
        axes[5].set_ylim(-0.02, 1.3)  # head room for the legend
        # the x axis spans the scenario's whole duration, so ticks stay put while it runs
        self.x_max = float(model.duration_days) if model.duration_days else None
        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
            if self.x_max:
                ax.set_xlim(0.0, self.x_max)
        for ax in axes[3:]:
            ax.set_xlabel("day", fontsize=8)
        self.axes, self.fig, self._model = axes, fig, model
        self._background = None

    def _update(self, model: TumorImmuneModel) -> tuple:
        """Put the model's history into the lines; return the axis limits (rounded to nice values)."""
        if self.fig is None or self._model is not model:
            self._build(model)
        mv = model.datacollector.model_vars
        days = np.asarray(mv["days"], dtype=float)
        tops: dict = {}
        for ax, key, artist in self.lines:
            y = _series(mv, key)
            artist.set_data(days, y)
            finite = y[np.isfinite(y)]
            tops[ax] = max(tops.get(ax, 0.0), float(finite.max()) if finite.size else 0.0)
        right = float(days[-1]) if days.size else 0.0
        x_max = self.x_max if self.x_max and right <= self.x_max else _nice_ceiling(max(right, 1.0))
        # limits move in nice steps, so the static parts rarely need redrawing
        return (x_max, *(_nice_ceiling(max(tops.get(ax, 0.0), floor) * headroom) for ax, headroom, floor in self.scaled))

    def _apply(self, limits: tuple) -> None:
        for ax in self.axes:
            ax.set_xlim(0.0, limits[0])
        for (ax, _, _), top in zip(self.scaled, limits[1:]):
            ax.set_ylim(0.0, top)
        self._limits = limits

    def _dynamic(self) -> list:
        """(axes, artist) drawn every frame: the lines, then the axes frames over them.

        Legends stay in the static bitmap (redrawing their text would cost
        ~80 ms); the y-axis head room keeps the lines below them.
        """
        out = [(ax, artist) for ax, _, artist in self.lines]
        for ax in (*self.axes, *(ax for ax, _, _ in self.scaled if ax not in self.axes)):
            out.extend((ax, s) for s in ax.spines.values())
        return out

    def figure(self, model: TumorImmuneModel) -> Figure:
        """Update (building if needed) and return the complete figure for ``model``'s history."""
        self._apply(self._update(model))
        for _, artist in self._dynamic():
            artist.set_animated(False)
        self._background = None
        return self.fig

    def png(self, model: TumorImmuneModel) -> bytes:
        """PNG of the figure for ``model``'s history.

        Axes, ticks, titles and legends are drawn once and kept as a bitmap
        (redrawn only when an axis limit steps up); each call then draws just
        the lines over it (matplotlib "blitting"): ~10 ms instead of ~200 ms.
        """
        with self._lock, getattr(model, "lock", nullcontext()):
            limits = self._update(model)
            canvas = self.fig.canvas
            dynamic = self._dynamic()
            if self._background is None or limits != self._limits or not isinstance(canvas, FigureCanvasAgg):
                canvas = FigureCanvasAgg(self.fig)
                self._apply(limits)
                for _, artist in dynamic:
                    artist.set_animated(True)
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            canvas.restore_region(self._background)
            for ax, artist in dynamic:
                ax.draw_artist(artist)
            return _encode_png(canvas)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 (times a power of ten) that is >= ``value`` (> 0)."""
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        top = mantissa * 10.0**exponent
        if top >= value * (1 - 1e-12):
            return top
    return 10.0 ** (exponent + 1)


def render_timecourses_png(model: TumorImmuneModel) -> bytes:
    """PNG of the time courses (a fresh :class:`TimeCoursesPainter`)."""
    return TimeCoursesPainter().png(model)


# ====================================================================== components

# display choices: live, no Reset needed (button text -> key)
FIELD_BUTTONS = {"cytokine": "cytokine", "OSM": "osm", "type-I IFN": "interferon", "IFN-γ": "ifn_gamma"}
SHADING_BUTTONS = {"antigenicity": "antigenicity", "PD-L1": "pd_l1"}
field_choice = solara.reactive("interferon")
shading_choice = solara.reactive("antigenicity")


def _status_html(model: TumorImmuneModel) -> str:
    s = model.summary
    return (
        f"<b>Day {model.days:.1f}</b> ({model.hours:g} h, step {model.steps}) · tumor {int(s['tumor_cells'])} · "
        f"CD8 {int(s['cd8_t_cells'])} ({int(s['cd8_exhausted'])} exhausted) · Treg {int(s['regulatory_t_cells'])} · "
        f"neutrophils {int(s['neutrophils'])} ({int(s['neutrophils_activated'])} activated) · "
        f"macrophages M1 {int(s['macrophages_m1'])} / M2 {int(s['macrophages_m2'])} · "
        f"CD8 kills {int(s['kills_cd8'])} · disseminated {int(s['disseminated_cells'])}"
    )


def _scenario_html(model: TumorImmuneModel) -> str:
    scenario = getattr(model, "scenario_definition", None)
    if scenario is None:
        return ""
    text = (
        f"Scenario <b>{html.escape(scenario.name)}</b>: {html.escape(scenario.description)} "
        f"({scenario.duration_days:g} days)."
    )
    if isinstance(model, TumorImmunePageModel):
        text += f" Values used: {html.escape(model.describe())}."
    return text


@solara.component
def LatticeView(model: TumorImmuneModel):
    """Status line, field and shading pickers, then the cells beside the chosen field."""
    update_counter.get()
    painter = solara.use_memo(LatticePainter, [])
    field_keys = {v: k for k, v in FIELD_BUTTONS.items()}
    shading_keys = {v: k for k, v in SHADING_BUTTONS.items()}
    with solara.Column(gap="2px"):
        # solara.HTML, not Markdown: Markdown fetches KaTeX from a CDN, which fails offline
        solara.HTML(tag="div", unsafe_innerHTML=_status_html(model))
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.Text("Field:")
            solara.ToggleButtonsSingle(
                value=field_keys[field_choice.value],
                values=list(FIELD_BUTTONS),
                on_value=lambda label: field_choice.set(FIELD_BUTTONS[label]),
                dense=True,
            )
            solara.Text("Tumor shading:")
            solara.ToggleButtonsSingle(
                value=shading_keys[shading_choice.value],
                values=list(SHADING_BUTTONS),
                on_value=lambda label: shading_choice.set(SHADING_BUTTONS[label]),
                dense=True,
            )
        with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
            solara.Image(painter.png(model, field_choice.value, shading_choice.value), format="png", width="100%")
        solara.HTML(tag="div", unsafe_innerHTML=_scenario_html(model), style="font-size: 0.85em")


@solara.component
def TimeCoursesView(model: TumorImmuneModel):
    """Counts, field means, kills and spread, treatment levels over time."""
    update_counter.get()
    painter = solara.use_memo(TimeCoursesPainter, [])
    with solara.Column(style={"max-width": PANEL_MAX_WIDTH, "width": "100%"}):
        solara.Image(painter.png(model), format="png", width="100%")


def _page_layout(num_components: int) -> list[dict]:
    """Full-width panels stacked top to bottom, tall enough for their figures.

    Mesa's default grid puts two half-width panels side by side, which shrinks
    the lattice; SolaraViz has no argument for the initial layout, so this
    replaces Mesa's ``make_initial_grid_layout`` (panels stay draggable/resizable).
    """
    heights = [17, 13]  # grid rows of 30 px + 10 px gap: lattice panel, time courses
    layout, y = [], 0
    for i in range(num_components):
        h = heights[i] if i < len(heights) else 13
        layout.append({"i": i, "w": 12, "h": h, "moved": False, "x": 0, "y": y})
        y += h
    return layout


_solara_viz.make_initial_grid_layout = _page_layout

model_params = {
    "scenario_name": {
        "type": "Select",
        "value": "untreated",
        "values": list(list_scenarios()),
        "label": "Scenario (profile + treatments)",
    },
    "seed": {"type": "InputText", "value": "42", "label": "Random seed"},
    "grid_size": Slider("Grid size (sites/side, 20 µm)", DEFAULT_GRID, 40, 200, 20),
    "antigenicity_scale": Slider("Antigenicity (× scenario)", 1.0, 0.0, 2.0, 0.05),
    "pd_l1_induction_scale": Slider("PD-L1 induction (× scen.)", 1.0, 0.0, 2.0, 0.05),
    "treg_recruitment_scale": Slider("Treg recruitment (× scen.)", 1.0, 0.0, 5.0, 0.1),
    "neutrophil_osm_scale": Slider("Neutrophil OSM (× scen.)", 1.0, 0.0, 5.0, 0.1),
    "irf7_silenced": {"type": "Checkbox", "value": False, "label": "Silence IRF7 in all tumor cells"},
    "immune_health_scale": Slider("Immune health (× scen.)", 1.0, 0.0, 2.0, 0.05),
}

model = TumorImmunePageModel()

page = SolaraViz(
    model,
    components=[LatticeView, TimeCoursesView],
    model_params=model_params,
    name="Tumor–immune micro-environment",
)
page  # noqa: B018
