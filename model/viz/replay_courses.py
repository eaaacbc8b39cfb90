"""Time courses for replay: each scenario's mean and 95% band over its recorded replicates, the
chosen runs on top, and a marker at the day shown (the only part redrawn while scrubbing)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .bands import band_plot
from .blit import BlitPainter
from .recording import Recording
from .style import DPI

PANELS = (
    ("tumor_cells", "Tumor cells"),
    ("cd8_t_cells", "CD8 T-cells"),
    ("cd8_exhausted", "Exhausted CD8 T-cells"),
)
RUN_COLORS = ("#5a2a82", "#d0021b")  # first and second chosen run
ENSEMBLE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")


def ensemble_frame(recordings: Sequence[Recording], columns: Sequence[str]) -> pd.DataFrame:
    """Tidy table (scenario, replicate, days, columns...) of the recordings' time courses."""
    parts = []
    for i, rec in enumerate(recordings):
        h = rec.history.columns
        part = pd.DataFrame({c: np.asarray(h[c], dtype=float) for c in ("days", *columns) if c in h})
        part.insert(0, "replicate", rec.labels.get("replicate", rec.labels.get("patient", i)))
        part.insert(0, "scenario", str(rec.labels.get("scenario", rec.path.stem)))
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


class ReplayCoursesPainter(BlitPainter):
    """Ensemble bands + chosen runs (static bitmap) with a day marker (redrawn each frame).

    Example::

        painter = ReplayCoursesPainter()
        png = painter.png([rec_a, rec_b], ensemble=all_recordings, day=12.0)
    """

    def __init__(self) -> None:
        super().__init__()
        self._key: tuple = ()

    def _build(self, chosen: Sequence[Recording], ensemble: Sequence[Recording]) -> None:
        fig = Figure(figsize=(12.0, 3.6), dpi=DPI)
        axes = fig.subplots(1, len(PANELS))
        fig.subplots_adjust(left=0.06, right=0.98, top=0.88, bottom=0.16, wspace=0.25)
        tidy = ensemble_frame(ensemble, [c for c, _ in PANELS])
        scenarios = list(dict.fromkeys(tidy["scenario"])) if len(tidy) else []
        colors = {s: ENSEMBLE_COLORS[i % len(ENSEMBLE_COLORS)] for i, s in enumerate(scenarios)}
        self.markers = []
        for ax, (column, title) in zip(axes, PANELS):
            if len(tidy) and column in tidy:
                band_plot(ax, tidy, column, "cells", colors=colors)
            for rec, color in zip(chosen, RUN_COLORS):
                h = rec.history.columns
                if column in h:
                    ax.plot(np.asarray(h["days"], dtype=float), np.asarray(h[column], dtype=float), color=color,
                            lw=2.0, label=f"run: {rec.name}")
            ax.set_title(title + " (mean, 95% band; runs bold)", fontsize=10)
            ax.tick_params(labelsize=8)
            self.markers.append(ax.axvline(0.0, color="black", lw=1.0, ls=":"))
        axes[0].legend(fontsize=7, loc="upper left", framealpha=0.6)
        self.axes, self.fig = list(axes), fig
        self._background = None

    def _apply_static(self, static: tuple) -> None:
        pass  # everything static is drawn at build time

    def _dynamic(self) -> list:
        return [(ax, marker) for ax, marker in zip(self.axes, self.markers)]

    def _update(self, chosen: Sequence[Recording], ensemble: Sequence[Recording], day: float) -> tuple:
        key = (tuple(id(r) for r in chosen), tuple(id(r) for r in ensemble))
        if self.fig is None or key != self._key:
            self._build(chosen, ensemble)
            self._key = key
        for marker in self.markers:
            marker.set_xdata([day, day])
        return key

    def png(self, chosen: Sequence[Recording], ensemble: Sequence[Recording], day: float) -> bytes:
        """PNG of the panels with the marker at ``day``."""
        with self.lock:
            return self._blit_png(self._update(chosen, ensemble, day))

    def figure(self, chosen: Sequence[Recording], ensemble: Sequence[Recording], day: float) -> Figure:
        """The complete figure (e.g. to save it)."""
        with self.lock:
            return self._full_figure(self._update(chosen, ensemble, day))
