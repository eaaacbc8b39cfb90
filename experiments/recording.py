"""Recording runs for the replay viewer: the ``record_every`` option of compare/cohort.

Each recorded run writes ``<out>/recordings/<run_id>.h5`` (format:
:mod:`model.viz.recording`) while it runs; see ``tumor-immune movie`` and the
page's Replay tab to watch them.
"""

from __future__ import annotations

import os
from typing import Any

from model.viz.results_folder import recording_path

from .runner import ExperimentError


def check_record_every(record_every: Any, out: str | os.PathLike | None) -> None:
    """Raise ExperimentError unless ``record_every`` is a whole number >= 0 (and ``out`` is set when > 0)."""
    if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 0:
        raise ExperimentError(f"record_every must be a whole number of model steps >= 0 (0 = no recording), "
                              f"got {record_every!r}")
    if record_every and out is None:
        raise ExperimentError("record_every needs an output directory (out=...): recordings are files")


def recording_fields(out: str | os.PathLike | None, run_id: str, record_every: int) -> dict[str, Any]:
    """The RunSpec fields that make a run record itself (none when ``record_every`` is 0)."""
    if not record_every:
        return {}
    return {"record_every": int(record_every), "record_to": str(recording_path(out, run_id))}
