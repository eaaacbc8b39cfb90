"""Record the live page's run, so the Replay tab (and ``tumor-immune movie``) can play it back.

Each recording goes to its own results folder ``<base>/<scenario>_<time>/`` with a
minimal manifest; every frame the page draws is recorded (so the page's
render interval sets the frame spacing).
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import nullcontext
from pathlib import Path

from model import TumorImmuneModel

from .recording import RecordingWriter
from .results_folder import recording_path, write_manifest

DEFAULT_BASE = Path(os.environ.get("TUMOR_IMMUNE_LIVE_RECORDINGS", "results/live"))
RUN_ID = "live"


class LiveRecorder:
    """Records one live model into a fresh results folder until :meth:`finish`."""

    def __init__(self, model: TumorImmuneModel, base: str | os.PathLike = DEFAULT_BASE) -> None:
        scenario = getattr(getattr(model, "scenario_definition", None), "name", "model")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.folder = Path(base) / f"{scenario}_{stamp}"
        self.model = model
        labels = {"scenario": scenario, "replicate": 0}
        self.writer = RecordingWriter(recording_path(self.folder, RUN_ID), 1, labels=labels)
        write_manifest(self.folder, [{"run_id": RUN_ID, **labels}])
        self.capture()

    def capture(self) -> None:
        """Record the model's current state (once per step)."""
        with getattr(self.model, "lock", nullcontext()):
            self.writer.capture(self.model)

    def finish(self) -> Path:
        """Store the time courses and close the file; return the results folder."""
        with getattr(self.model, "lock", nullcontext()):
            self.writer.finish(self.model)
        return self.folder
