"""Cheap redraws of a matplotlib figure: keep the static parts as a bitmap ("blitting").

A painter subclass builds its figure once, then per frame updates its artists
and says which of them change every frame (:meth:`BlitPainter._dynamic`) and
what the static parts depend on (a tuple: colour range, axis limits, ...).
While that tuple stays the same, a frame costs only the dynamic artists.
A painter whose dynamic artists do not depend on ``_apply_static`` may keep the
bitmaps of a few static states (``background_cache``), so scrubbing back and
forth through recorded frames seldom redraws the whole figure.
"""

from __future__ import annotations

import io
import math
import threading

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage


def figure_png(fig: Figure) -> bytes:
    """PNG of a complete matplotlib render of ``fig`` (fast compression: it is sent locally)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def canvas_png(canvas: FigureCanvasAgg, opaque: bool = False) -> bytes:
    """PNG of what is on an Agg canvas now (no redraw); RGB without the alpha channel when ``opaque``."""
    buf = io.BytesIO()
    image = PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    (image.convert("RGB") if opaque else image).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class BlitPainter:
    """Base of the page's painters: a figure redrawn by blitting.

    Subclasses set ``self.fig`` when they build, and implement
    ``_dynamic() -> [(axes or figure, artist), ...]`` (bottom to top) and
    ``_apply_static(static)`` (set what the static bitmap depends on). Setting
    ``self._background = None`` (e.g. after a rebuild) forgets every kept bitmap.

    ``background_cache``: how many static bitmaps to keep (most recent first).
    Above 1, a static state seen before is restored without calling
    ``_apply_static``, so the dynamic artists must not depend on it.
    """

    background_cache = 1

    def __init__(self) -> None:
        self.fig: Figure | None = None
        self.lock = threading.Lock()
        self._background = None
        self._backgrounds: dict[tuple, object] = {}
        self._static: tuple = ()

    def _partial(self, old: tuple, static: tuple) -> bool:
        """Whether the bitmap drawn for ``old`` can be brought up to ``static`` by :meth:`_redraw_part`."""
        return False

    def _redraw_part(self) -> None:  # pragma: no cover - only for painters whose _partial says yes
        """Redraw, over the old bitmap on the canvas, what differs (``_apply_static`` has been called)."""
        raise NotImplementedError

    def _hidden_in_background(self) -> list:
        """Dynamic artists drawn by a static parent (e.g. a legend's texts): hidden while the bitmap is drawn."""
        return []

    def _dynamic(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_static(self, static: tuple) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _full_figure(self, static: tuple) -> Figure:
        """The complete figure (every artist drawn normally), e.g. for export."""
        self._apply_static(static)
        self._static = static
        for _, artist in self._dynamic():
            artist.set_animated(False)
        self._background = None
        return self.fig

    def _blit(self, static: tuple) -> None:
        """Draw the figure on its Agg canvas: the static bitmap (redrawn, in part or whole, when ``static``
        changed) plus the dynamic artists."""
        canvas = self.fig.canvas
        dynamic = self._dynamic()
        if self._background is None or not isinstance(canvas, FigureCanvasAgg):
            self._backgrounds.clear()
        if self._background is None or static != self._static or not isinstance(canvas, FigureCanvasAgg):
            kept = self._backgrounds.pop(static, None) if self.background_cache > 1 else None
            if (kept is None and self._background is not None and isinstance(canvas, FigureCanvasAgg)
                    and self._partial(self._static, static)):
                canvas.restore_region(self._background)
                self._apply_static(static)
                self._redraw_part()
                kept = canvas.copy_from_bbox(self.fig.bbox)
            if kept is None:
                canvas = FigureCanvasAgg(self.fig)
                self._apply_static(static)
                for _, artist in dynamic:
                    artist.set_animated(True)
                hidden = self._hidden_in_background()
                for artist in hidden:
                    artist.set_visible(False)
                try:
                    canvas.draw()
                finally:
                    for artist in hidden:
                        artist.set_visible(True)
                kept = canvas.copy_from_bbox(self.fig.bbox)
            self._background, self._static = kept, static
            self._backgrounds[static] = kept  # most recent last
            while len(self._backgrounds) > self.background_cache:
                del self._backgrounds[next(iter(self._backgrounds))]
        canvas.restore_region(self._background)
        for parent, artist in dynamic:
            parent.draw_artist(artist)

    def _blit_png(self, static: tuple) -> bytes:
        """PNG of the figure: the static bitmap (redrawn when ``static`` changed) plus the dynamic artists."""
        self._blit(static)
        return canvas_png(self.fig.canvas, opaque=self.fig.get_facecolor()[3] == 1.0)

    def rgb(self) -> np.ndarray:
        """The canvas as it is now, an RGB array (height x width x 3), e.g. for a movie frame."""
        return np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 (times a power of ten) that is >= ``value`` (> 0).

    Colour ranges and axis limits move in these steps, so the static bitmap
    rarely needs redrawing.
    """
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        top = mantissa * 10.0**exponent
        if top >= value * (1 - 1e-12):
            return top
    return 10.0 ** (exponent + 1)
