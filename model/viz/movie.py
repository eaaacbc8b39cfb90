"""GIF / MP4 of recorded runs: one run, or several side by side (stacked), with a frame counter and scale bar.

Uses imageio (GIF through Pillow; MP4 through imageio-ffmpeg, which ships its
own ffmpeg binary, so it works on a fresh machine). Frames are drawn by the
page's :class:`~.lattice.LatticePainter`, so a movie looks like the page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import imageio.v2 as imageio
import numpy as np

from .lattice import LatticePainter
from .recording import Recording, RecordingError

FORMATS = (".gif", ".mp4")


def frame_days(recordings: Sequence[Recording], every: int = 1) -> np.ndarray:
    """The days shown: every ``every``-th frame of the first recording (the others follow by day)."""
    if not recordings:
        raise RecordingError("a movie needs at least one recording")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise RecordingError(f"every must be a whole number >= 1, got {every!r}")
    return recordings[0].days[::every]


def movie_frames(recordings: Sequence[Recording], field: str = "interferon", shading: str = "antigenicity",
                 every: int = 1):
    """Yield RGB frames (height x width x 3, uint8): the runs' lattices stacked top to bottom, in step by day."""
    days = frame_days(recordings, every)
    painters = [LatticePainter() for _ in recordings]
    for n, day in enumerate(days, start=1):
        rows = []
        for rec, painter in zip(recordings, painters):
            title = f"{rec.name} · frame {n}/{len(days)}"
            rows.append(painter.frame_rgb(rec.frame_at(day), field, shading, title=title))
        yield np.concatenate(rows, axis=0)


def write_movie(recordings: Sequence[Recording], path: str | os.PathLike, field: str = "interferon",
                shading: str = "antigenicity", fps: float = 5.0, every: int = 1) -> Path:
    """Write a GIF or MP4 (by ``path``'s suffix) of ``recordings`` side by side; return the path.

    The file is written under a temporary name and renamed when complete.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RecordingError(f"movie file '{path.name}' must end in one of {', '.join(FORMATS)}")
    if not (isinstance(fps, (int, float)) and 0 < fps <= 60):
        raise RecordingError(f"fps must be a number in (0, 60], got {fps!r}")
    frame_days(recordings, every)  # checks before anything is written
    tmp = path.with_name(f".{path.stem}.tmp{suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if suffix == ".gif":
            writer = imageio.get_writer(tmp, format="GIF", mode="I", duration=1000.0 / fps, loop=0)
        else:
            writer = imageio.get_writer(tmp, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                        macro_block_size=2, ffmpeg_log_level="error")
        with writer:
            for frame in movie_frames(recordings, field, shading, every):
                writer.append_data(frame)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
