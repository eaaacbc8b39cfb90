"""What one run is (:class:`RunSpec`) and what it gives back (:class:`RunResult`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

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
        setup: optional hook ``setup(model)`` called once on the built model before the
            first step (e.g. a different initial layout). Must be picklable (a module-level
            function or a :func:`functools.partial` of one) to run on a pool or cluster.
        probe: optional read-out ``probe(model) -> {name: number}`` called before every
            step and once after the last; each name becomes a column of the run's time
            series, aligned with the data collector's rows (the value before step ``i`` is
            the state of row ``i``). Needs ``lattice.collect_every_steps = 1``; picklable
            like ``setup``.

    With ``spawn_key=None`` the model gets the integer ``seed`` itself
    (``TumorImmuneModel(rng=seed)``, Mesa's integer-seed convention) instead of a
    ``SeedSequence`` child; the validation suite draws its seeds that way.
    """

    run_id: str
    labels: dict[str, Any]
    scenario: dict[str, Any]
    seed: int
    spawn_key: tuple[int, ...] | None
    sample_hours: float = 6.0
    snapshot_days: tuple[float, ...] = ()
    baseline_day: float = 0.0
    record_every: int = 0
    record_to: str = ""
    setup: Callable[[Any], None] | None = None
    probe: Callable[[Any], Mapping[str, float]] | None = None

    def seed_sequence(self) -> np.random.SeedSequence:
        """This run's independent random stream."""
        return np.random.SeedSequence(self.seed, spawn_key=tuple(self.spawn_key or ()))

    def model_rng(self) -> np.random.Generator | int:
        """What the model is seeded with: this run's stream, or the plain seed (``spawn_key=None``)."""
        if self.spawn_key is None:
            return int(self.seed)
        return np.random.default_rng(self.seed_sequence())

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form (stored with each run's table)."""
        out = {
            "run_id": self.run_id,
            "labels": self.labels,
            "scenario": self.scenario,
            "seed": self.seed,
            "spawn_key": None if self.spawn_key is None else list(self.spawn_key),
            "sample_hours": self.sample_hours,
            "snapshot_days": list(self.snapshot_days),
            "baseline_day": self.baseline_day,
            **({"record_every": self.record_every, "record_to": self.record_to} if self.record_every else {}),
        }
        for name, hook in (("setup", self.setup), ("probe", self.probe)):
            if hook is not None:  # recorded by name only (the code is in the repository)
                out[name] = repr(hook)
        return out


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
