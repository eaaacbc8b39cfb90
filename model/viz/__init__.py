"""Pictures of the model: one set of painters for the browser page, the notebooks and movies.

* :mod:`.lattice` - cells (tumor shading, immune markers, vessels) and field heatmaps:
  :class:`LatticePainter` for the page, :func:`draw_lattice` / :func:`draw_field` /
  :func:`lattice_legend` / :func:`draw_site_values` on your own matplotlib axes.
* :mod:`.timecourses` - the six time-course panels (:class:`TimeCoursesPainter`).
* :mod:`.bands` - mean and 95% band over replicates (:func:`band_plot`, :func:`group_mean_ci`).
* :mod:`.snapshot` - the drawable state, taken from a live model or a recording.
* :mod:`.page_model` - the page's model; :mod:`.app` - the SolaraViz page itself
  (import it only to serve the page: it needs Solara).

Everything here takes a live :class:`~model.TumorImmuneModel` or a :class:`Snapshot`.
"""

from .bands import band_plot, group_mean_ci
from .lattice import (
    LatticePainter,
    draw_field,
    draw_lattice,
    draw_site_values,
    lattice_legend,
    render_lattice_png,
)
from .page_model import TumorImmunePageModel
from .snapshot import Snapshot, snapshot_of
from .style import COLORS, FIELD_LABELS, IMMUNE_STYLES, SHADINGS
from .timecourses import History, TimeCoursesPainter, history_of, render_timecourses_png

__all__ = [
    "LatticePainter",
    "TimeCoursesPainter",
    "TumorImmunePageModel",
    "Snapshot",
    "snapshot_of",
    "History",
    "history_of",
    "draw_lattice",
    "draw_field",
    "draw_site_values",
    "lattice_legend",
    "band_plot",
    "group_mean_ci",
    "render_lattice_png",
    "render_timecourses_png",
    "COLORS",
    "FIELD_LABELS",
    "IMMUNE_STYLES",
    "SHADINGS",
]
