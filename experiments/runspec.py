"""What one run is (:class:`RunSpec`) and what it gives back (:class:`RunResult`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RunSpec", "RunResult", "safe_name"]



@dataclass(frozen=True)
class RunSpec:
    """Everything one simulation needs (picklable, JSON-friendly).

    Attributes:
        run_id: unique, file-name-safe identifier within the experiment.
        labels: identity columns for the tidy tables (``scenario``, ``replicate``, ...).
        scenario: the run's full scenario definition (:meth:`TherapyScenario.to_dict`).
        seed: root seed of the experiment.
        spawn_key: this run's position in the seed tree.
        sample_hours: time-series rows kept every this many hours (plus the last).
        snapshot_days: days at which spatial snapshots are taken (empty: none).
        baseline_day: RECIST baseline for the response outcomes (see ``experiments.outcomes``).
        record_every: model steps between recorded lattice frames (0: no recording).
        record_to: the recording file (``<out>/recordings/<run_id>.h5``) when ``record_every`` > 0.
    """

    run_id: str
    labels: dict[str, Any]
    scenario: dict[str, Any]
    seed: int
    spawn_key: tuple[int, ...]
    sample_hours: float = 6.0
    snapshot_days: tuple[float, ...] = ()
    baseline_day: float = 0.0
    record_every: int = 0
    record_to: str = ""

    def seed_sequence(self) -> np.random.SeedSequence:
        """This run's independent random stream."""
        return np.random.SeedSequence(self.seed, spawn_key=tuple(self.spawn_key))

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "labels": self.labels,
            "scenario": self.scenario,
            "seed": self.seed,
            "spawn_key": list(self.spawn_key),
            "sample_hours": self.sample_hours,
            "snapshot_days": list(self.snapshot_days),
            "baseline_day": self.baseline_day,
            **({"record_every": self.record_every, "record_to": self.record_to} if self.record_every else {}),
        }


@dataclass
class RunResult:
    """What :func:`execute_run` returns: sampled time series, outcomes, snapshots."""

    run_id: str
    timeseries: pd.DataFrame
    outcomes: dict[str, Any]
    snapshots: dict[str, np.ndarray] | None = None
    wall_seconds: float = 0.0


def safe_name(name: str) -> str:
    """A file-name-safe version of ``name``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "run"


