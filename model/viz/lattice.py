"""The lattice picture: tumor cells shaded by a 0-1 value, immune cells as markers, a field heatmap.

One drawing code path for every user:

* :class:`LatticePainter` - the page's figure (cells beside a field, legend with
  counts), redrawn by blitting; also draws recorded frames and movie frames.
* :func:`draw_lattice`, :func:`draw_field`, :func:`lattice_legend`,
  :func:`draw_site_values` - the same cells and fields on a matplotlib axes of
  your own (the notebooks), with axes in micrometres.

Each takes a live :class:`~model.TumorImmuneModel` or a :class:`~.snapshot.Snapshot`
(e.g. a recorded frame).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import Bbox, IdentityTransform
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from scipy import ndimage

from model import TumorImmuneModel

from .blit import BlitPainter, nice_ceiling
from .nearest_image import nearest_imshow
from .snapshot import Snapshot, snapshot_of
from .style import (
    DPI,
    EMPTY_RGB,
    FIELD_CMAP,
    FIELD_LABELS,
    IMMUNE_STYLES,
    LATTICE_FIGSIZE,
    SHADINGS,
    TUMOR_CMAP,
    VESSEL_STYLE,
)

Source = TumorImmuneModel | Snapshot


def as_snapshot(source: Source) -> Snapshot:
    """A snapshot of a live model, or the snapshot itself."""
    return source if isinstance(source, Snapshot) else snapshot_of(source)


def check_choice(name: str, value: str, allowed) -> None:
    """Raise ValueError naming ``name`` and the allowed values when ``value`` is not one of them."""
    if value not in allowed:
        raise ValueError(f"{name} '{value}' must be one of {sorted(allowed)}")


def as_bytes(rgb: np.ndarray) -> np.ndarray:
    """0-1 colours as uint8, truncated as matplotlib converts them (so an image looks the same either way)."""
    return (np.asarray(rgb) * 255).astype(np.uint8)


EMPTY_BYTES = as_bytes(EMPTY_RGB)
EDGE_RGBA = (1.0, 1.0, 1.0, 0.95)  # white, nearly opaque, over the field at the tumor's edge


def tumor_rgb(snap: Snapshot, shading: str) -> np.ndarray:
    """RGB image (height x width x 3, uint8, row 0 = y 0): empty tissue, tumor shaded by ``shading``."""
    w, h = snap.width, snap.height
    rgb = np.empty((w * h, 3), dtype=np.uint8)
    rgb[:] = EMPTY_BYTES
    if snap.tumor_count:
        rgb[snap.tumor_sites] = as_bytes(TUMOR_CMAP(np.clip(snap.tumor_values[shading], 0.0, 1.0))[:, :3])
    # flat index is x * height + y: (w, h) -> transpose so rows are y
    return rgb.reshape(w, h, 3).transpose(1, 0, 2)


def tumor_edge(snap: Snapshot) -> np.ndarray:
    """Boolean image (height x width): tumor cells at the tumor's edge."""
    tumor = snap.tumor_mask()
    return (tumor & ~ndimage.binary_erosion(tumor, np.ones((3, 3), dtype=bool), border_value=0)).T


def tumor_edge_rgba(snap: Snapshot) -> np.ndarray:
    """RGBA overlay (height x width x 4): white on tumor cells at the tumor's edge, clear elsewhere."""
    rgba = np.zeros((snap.height, snap.width, 4))
    rgba[tumor_edge(snap)] = EDGE_RGBA
    return rgba


def field_rgb(values: np.ndarray, vmax: float, edge: np.ndarray, cmap: str = FIELD_CMAP) -> np.ndarray:
    """RGB image (height x width x 3, uint8) of a field (width x height) coloured 0..``vmax``, tumor edge in white.

    One image instead of a colour-mapped field under a white overlay: the same
    colours (the edge blended at ``EDGE_RGBA``'s alpha), drawn at a third of the cost.
    """
    rgb = colormaps[cmap](Normalize(0.0, vmax)(values.T), bytes=True)[..., :3]
    over, alpha = as_bytes(EDGE_RGBA[:3]).astype(np.int32), int(as_bytes(EDGE_RGBA[3]))
    rgb[edge] = (over * alpha + rgb[edge].astype(np.int32) * (255 - alpha) + 127) // 255  # as Agg blends
    return rgb


def marker_size(ax: Axes, n_sites: int) -> float:
    """Scatter marker area (pt^2): about 2.4 sites across, never tiny."""
    pts_per_site = ax.get_position().width * ax.figure.get_figwidth() * 72.0 / n_sites
    return max(2.4 * pts_per_site, 6.0) ** 2


def legend_handles() -> list:
    """Legend entries: tumor cell, blood vessel, then each immune-cell kind."""
    handles = [
        Patch(facecolor=TUMOR_CMAP(0.75), edgecolor="none", label="Tumor cell"),
        Line2D([], [], linestyle="", marker=VESSEL_STYLE["marker"], markerfacecolor=VESSEL_STYLE["color"],
               markeredgecolor=VESSEL_STYLE["edge"], markersize=10, label=VESSEL_STYLE["label"]),
    ]
    for _, label, marker, face, edge in IMMUNE_STYLES:
        handles.append(Line2D([], [], linestyle="", marker=marker, markerfacecolor=face,
                              markeredgecolor=edge, markersize=9, label=label))
    return handles


@dataclass
class CellArtists:
    """The artists of one cells panel; positions are ``(site + shift) * scale`` in axes units."""

    image: object
    vessels: object
    immune: dict
    scale: float
    shift: float

    def set(self, snap: Snapshot, shading: str) -> list[int]:
        """Show ``snap``; return the counts in legend order (tumor, vessels, immune kinds)."""
        self.image.set_data(tumor_rgb(snap, shading))
        self.vessels.set_offsets(self.xy(snap, snap.vessel_sites))
        counts = [snap.tumor_count, len(snap.vessel_sites)]
        for key, artist in self.immune.items():
            sites = snap.immune[key]
            artist.set_offsets(self.xy(snap, sites))
            counts.append(len(sites))
        return counts

    def xy(self, snap: Snapshot, sites: np.ndarray) -> np.ndarray:
        """Marker positions of flat sites."""
        if not len(sites):
            return np.empty((0, 2))
        x, y = snap.xy(sites)
        return (np.column_stack([x, y]).astype(float) + self.shift) * self.scale


def extent(w: int, h: int, scale: float, shift: float) -> tuple[float, float, float, float]:
    """imshow extent of a w x h lattice whose site centres are at ``(i + shift) * scale``."""
    return ((shift - 0.5) * scale, (w + shift - 0.5) * scale, (shift - 0.5) * scale, (h + shift - 0.5) * scale)


def cell_artists(ax: Axes, w: int, h: int, scale: float = 1.0, shift: float = 0.0) -> CellArtists:
    """Build the tumor image, vessel crosses and immune markers of a cells panel on ``ax``."""
    ext = extent(w, h, scale, shift)
    image = nearest_imshow(ax, np.zeros((h, w, 3), dtype=np.uint8), ext)
    size = marker_size(ax, w)
    vessels = ax.scatter([], [], s=0.55 * size, marker=VESSEL_STYLE["marker"], c=VESSEL_STYLE["color"],
                         edgecolors=VESSEL_STYLE["edge"], linewidths=0.4, zorder=2)
    immune = {
        key: ax.scatter([], [], s=size, marker=marker, c=face, edgecolors=edge, linewidths=0.7, zorder=3)
        for key, _, marker, face, edge in IMMUNE_STYLES
    }
    ax.set_xlim(ext[:2])
    ax.set_ylim(ext[2:])
    ax.set_aspect("equal")
    return CellArtists(image, vessels, immune, scale, shift)


def scale_bar_um(span_um: float) -> float:
    """A round bar length (1, 2 or 5 x 10^k um) of about a fifth of ``span_um``."""
    target = max(span_um / 5.0, 1e-9)
    exponent = 10.0 ** np.floor(np.log10(target))
    return max(m * exponent for m in (1.0, 2.0, 5.0) if m * exponent <= target)


def add_scale_bar(ax: Axes, site_um: float, n_sites: int) -> AnchoredSizeBar:
    """A scale bar in the lower left of a cells panel drawn in site units."""
    bar = scale_bar_um(n_sites * site_um)
    label = f"{bar / 1000:g} mm" if bar >= 1000 else f"{bar:g} µm"
    artist = AnchoredSizeBar(ax.transData, bar / site_um, label, "lower left", pad=0.3, borderpad=0.3,
                             color="black", frameon=True, size_vertical=max(n_sites / 150.0, 0.4),
                             fontproperties={"size": 9})
    artist.patch.set_alpha(0.7)
    ax.add_artist(artist)
    return artist


class LatticePainter(BlitPainter):
    """Draws the lattice (cells) beside the chosen field's heatmap.

    The figure and its artists are built once per lattice size and then only
    updated (image data, marker positions, labels): one RGB image for tumor
    cells, one scatter per immune-cell kind, one RGB image for the field with
    its tumor edge blended in (both :class:`~.nearest_image.NearestImage`).
    The legend's handles, frames and colour bars are a kept bitmap; a few such
    bitmaps are kept (one per colour range), and a new colour range repaints
    only the field's colour bar, so scrubbing a recording seldom redraws the figure.

    Example::

        painter = LatticePainter()
        png_bytes = painter.png(model, field="osm", shading="pd_l1")   # a model or a Snapshot
        painter.figure(model).savefig("snapshot.pdf")   # a complete figure for export
    """

    background_cache = 6  # the static state is colour-bar range + shading: scrubbing revisits a few

    def __init__(self, figsize: tuple[float, float] = LATTICE_FIGSIZE) -> None:
        super().__init__()
        self.figsize = figsize
        self._shape: tuple[int, int, float] | None = None

    def _build(self, w: int, h: int, site_um: float) -> None:
        fig = Figure(figsize=self.figsize, dpi=DPI)
        # hand-placed axes, [left, bottom, width, height] in figure fractions:
        # two squares (cells, field) with colour bars under them, the legend on the right
        side = 0.76 * self.figsize[1] / self.figsize[0]
        ax_cells = fig.add_axes((0.01, 0.17, side, 0.76))
        ax_field = fig.add_axes((0.02 + side + 0.015, 0.17, side, 0.76))
        cax_tumor = fig.add_axes((0.01 + 0.08 * side, 0.105, 0.84 * side, 0.03))
        cax_field = fig.add_axes((0.035 + side + 0.08 * side, 0.105, 0.84 * side, 0.03))
        for ax in (ax_cells, ax_field):
            ax.set_xticks([])
            ax.set_yticks([])
        self.cells = cell_artists(ax_cells, w, h)
        self.scale_bar = add_scale_bar(ax_cells, site_um, w)
        ext = extent(w, h, 1.0, 0.0)
        self.field_vessels = ax_field.scatter([], [], s=0.35 * marker_size(ax_cells, w), marker=VESSEL_STYLE["marker"],
                                              c=VESSEL_STYLE["color"], edgecolors=VESSEL_STYLE["edge"],
                                              linewidths=0.4, zorder=2)
        handles = legend_handles()
        self.legend = fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.05 + 2 * side, 0.55),
                                 fontsize=10.5, frameon=False, handletextpad=0.4, labelspacing=0.75,
                                 title="cell kinds (count)", title_fontsize=10.5, alignment="left")
        self.legend_labels = [hd.get_label() for hd in handles]
        self.cells_title = ax_cells.set_title("", fontsize=12)
        self.tumor_bar = fig.colorbar(ScalarMappable(norm=Normalize(0.0, 1.0), cmap=TUMOR_CMAP), cax=cax_tumor,
                                      orientation="horizontal")
        self.tumor_bar.ax.tick_params(labelsize=8)

        # the field and its white tumor edge as one RGB image, coloured here (field_rgb); the
        # colour bar follows its own mappable, whose range is part of the static state
        self.field_image = nearest_imshow(ax_field, np.zeros((h, w, 3), dtype=np.uint8), ext)
        self.field_scale = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=FIELD_CMAP)
        ax_field.set_xlim(ext[:2])
        ax_field.set_ylim(ext[2:])
        ax_field.set_aspect("equal")
        self.field_title = ax_field.set_title("", fontsize=12)
        self.field_bar = fig.colorbar(self.field_scale, cax=cax_field, orientation="horizontal")
        self.field_bar.set_label("concentration (× EC50); white = tumor edge", fontsize=9)
        self.field_bar.ax.tick_params(labelsize=8)
        self.fig, self._shape = fig, (w, h, site_um)
        self._background, self._static = None, ()

    def _update(self, snap: Snapshot, field: str, shading: str, title: str = "Cells") -> tuple:
        """Put the snapshot into the artists; return what the static parts depend on."""
        check_choice("field", field, FIELD_LABELS)
        check_choice("shading", shading, SHADINGS)
        if self.fig is None or self._shape != (snap.width, snap.height, snap.site_um):
            self._build(snap.width, snap.height, snap.site_um)
        counts = self.cells.set(snap, shading)
        self.field_vessels.set_offsets(self.cells.xy(snap, snap.vessel_sites))
        for text, label, n in zip(self.legend.get_texts(), self.legend_labels, counts):
            text.set_text(f"{label} ({n})")
        self.cells_title.set_text(f"{title} · day {snap.day:.1f}")

        values = snap.fields[field]
        self.field_title.set_text(f"{FIELD_LABELS[field]} · mean {values.mean():.3g}")
        # explicit colour range from 0 (matplotlib would start at the data minimum), topped at a
        # nice value kept until the data outgrow it or fall well below it, so the colour bar
        # (drawn with the static parts) changes only now and then
        top = max(float(values.max()), 1e-3)
        vmax = self._static[2] if self._static and self._static[1] == field else None
        if vmax is None or not vmax / 3.0 < top <= vmax:
            vmax = nice_ceiling(top)
        self.field_image.set_data(field_rgb(values, vmax, tumor_edge(snap)))
        return shading, field, vmax

    def _apply_static(self, static: tuple) -> None:
        shading, _, vmax = static
        self.tumor_bar.set_label(f"{SHADINGS[shading]} (0-1)", fontsize=9)
        self.field_scale.set_clim(0.0, vmax)

    def _hidden_in_background(self) -> list:
        return list(self.legend.get_texts())

    def _partial(self, old: tuple, static: tuple) -> bool:
        return old[:2] == static[:2]  # the same shading and field: only the field's colour range moved

    def _redraw_part(self) -> None:
        """Repaint the field colour bar's strip (nothing else is there).

        The strip reaches 25 px beyond the bar on each side and down to the figure's edge, so the old
        tick labels go too (the neighbours are further away).
        """
        renderer = self.fig.canvas.get_renderer()
        cax = self.field_bar.ax
        bar = cax.get_window_extent(renderer)
        strip = Bbox.from_extents(bar.x0 - 25, 0, bar.x1 + 25, bar.y1 + 3)
        box = Bbox.union([strip, cax.get_tightbbox(renderer).padded(3)])
        x0, y0 = np.floor(box.x0), np.floor(box.y0)
        blank = Rectangle((x0, y0), np.ceil(box.x1) - x0, np.ceil(box.y1) - y0, transform=IdentityTransform(),
                          facecolor=self.fig.get_facecolor(), edgecolor="none", antialiased=False)
        blank.set_figure(self.fig)
        blank.draw(renderer)
        cax.draw(renderer)

    def _dynamic(self) -> list:
        """(axes or figure, artist) drawn every frame, in z-order (axes frames over vessels)."""
        ax_cells, ax_field = self.cells.image.axes, self.field_image.axes
        return [
            (ax_cells, self.cells.image),
            (ax_cells, self.cells.vessels),
            *((ax_cells, s) for s in ax_cells.spines.values()),
            *((ax_cells, a) for a in self.cells.immune.values()),
            (ax_cells, self.scale_bar),
            (ax_cells, self.cells_title),
            (ax_field, self.field_image),
            (ax_field, self.field_vessels),
            *((ax_field, s) for s in ax_field.spines.values()),
            (ax_field, self.field_title),
            # the legend's handles and title are static (its left-aligned rows do not move when
            # the counts change); only its texts are redrawn
            *((self.fig, text) for text in self.legend.get_texts()),
        ]

    def figure(self, source: Source, field: str = "interferon", shading: str = "antigenicity",
               title: str = "Cells") -> Figure:
        """Update (building if needed) and return the complete figure for ``source``'s state."""
        with self.lock, getattr(source, "lock", nullcontext()):
            return self._full_figure(self._update(as_snapshot(source), field, shading, title))

    def png(self, source: Source, field: str = "interferon", shading: str = "antigenicity",
            title: str = "Cells") -> bytes:
        """PNG of the figure for ``source``'s state (a live model or a :class:`Snapshot`).

        Frames, colour bars and the legend box are drawn once and kept as a
        bitmap (redrawn when the shading or the field's colour range changes);
        each call draws only the images, markers, titles and legend over it.
        """
        with self.lock:
            with getattr(source, "lock", nullcontext()):
                snap = as_snapshot(source)
            return self._blit_png(self._update(snap, field, shading, title))


    def frame_rgb(self, source: Source, field: str = "interferon", shading: str = "antigenicity",
                  title: str = "Cells") -> np.ndarray:
        """The figure for ``source``'s state as an RGB array (height x width x 3): drawn as
        :meth:`png` draws it, not encoded (a movie frame)."""
        with self.lock:
            with getattr(source, "lock", nullcontext()):
                snap = as_snapshot(source)
            self._blit(self._update(snap, field, shading, title))
            return self.rgb()


def render_lattice_png(source: Source, field: str = "interferon", shading: str = "antigenicity") -> bytes:
    """PNG of the lattice beside the chosen field (a fresh :class:`LatticePainter`)."""
    return LatticePainter().png(source, field, shading)


# ---------------------------------------------------------------- on your own axes (notebooks)


def _micrometre_axes(ax: Axes, title: str) -> None:
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title(title)


def draw_lattice(source: Source, ax: Axes, title: str = "", shading: str = "antigenicity") -> CellArtists:
    """Cells on ``ax`` as on the page (tumor shaded by ``shading``, immune markers), axes in micrometres."""
    check_choice("shading", shading, SHADINGS)
    snap = as_snapshot(source)
    artists = cell_artists(ax, snap.width, snap.height, scale=snap.site_um, shift=0.5)
    artists.set(snap, shading)
    _micrometre_axes(ax, title)
    return artists


def lattice_legend(ax: Axes, **kwargs) -> None:
    """The cell kinds' legend to the right of ``ax`` (keyword arguments go to ``ax.legend``)."""
    options = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    ax.legend(handles=legend_handles(), **{**options, **kwargs})


def draw_field(source: Source, name: str, ax: Axes, title: str | None = None, cmap: str = FIELD_CMAP,
               vmax: float | None = None):
    """One chemical field as a heat map with its colour bar; concentrations in units of the field's EC50."""
    snap = as_snapshot(source)
    check_choice("field", name, snap.fields)
    values = snap.fields[name]
    im = ax.imshow(values.T, origin="lower", cmap=cmap, vmin=0, vmax=vmax,
                   extent=extent(snap.width, snap.height, snap.site_um, 0.5))
    _micrometre_axes(ax, title or name)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="concentration (EC50 units)")
    return im


def draw_site_values(source: Source, xy_sites: np.ndarray, values, ax: Axes, title: str, label: str,
                     cmap: str = "magma_r", vmin: float | None = None, vmax: float | None = None):
    """Colour the sites at lattice coordinates ``xy_sites`` (n x 2) by ``values``; other sites blank."""
    snap = as_snapshot(source)
    img = np.full((snap.width, snap.height), np.nan)
    img[xy_sites[:, 0], xy_sites[:, 1]] = values
    im = ax.imshow(img.T, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                   extent=extent(snap.width, snap.height, snap.site_um, 0.5))
    _micrometre_axes(ax, title)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    return im
