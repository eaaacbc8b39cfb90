"""Shared machinery of the validation suite: budgets, result records, runs.

Every validation claim becomes one :class:`Check`: the claim in words, the
reference it is compared with (an analytic solution, an ODE, a paper), the
statistic with its 95% confidence interval, the criterion and whether it was
met. The same functions feed ``tests/experiments/validation/`` (small budgets,
assertions on the statistics) and the Markdown report of ``tumor-immune validate``
(larger budgets, figures).

Runs go through the experiments' one runner (:mod:`experiments.runner`): a
validation run is a :class:`~experiments.runner.RunSpec` made by :func:`validation_spec`
(dotted overrides, treatments, days and an integer seed, so a reader can see exactly
which parameters a validation experiment changes), with the extra per-step read-outs
of :mod:`experiments.validation.probes` as its ``probe``. :func:`run_specs` runs them
and returns each run's full-resolution time series as a :class:`Series`.
Statistics come from :mod:`experiments.stats`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..runner import RunSpec, run_all
from .probes import record_exposures, sparse_layout

__all__ = [
    "Budget",
    "TEST",
    "FULL",
    "Check",
    "Series",
    "NO_IMMUNITY",
    "validation_spec",
    "run_specs",
    "replicate_seeds",
    "run_arms",
    "save_figure",
]


# =========================================================================== budgets


@dataclass(frozen=True)
class Budget:
    """How big the validation experiments are.

    ``TEST`` keeps ``pytest -n auto`` on a 2-core machine within minutes;
    ``FULL`` (the report) uses the same tissue (lattice, days) with more replicates,
    a larger cohort and more recruitment levels, for tighter intervals.
    """

    replicates: int = 8
    """Replicates per arm of a biology comparison."""
    width: int = 60
    """Lattice width = height (sites) of the tissue experiments."""
    days: float = 18.0
    """Simulated days of the tissue experiments."""
    cohort_patients: int = 16
    """Virtual patients in the checkpoint cohort."""
    cohort_days: float = 35.0
    """Simulated days of each cohort patient (the first dose is on day 3). The model's
    T-cell response needs ~10-15 days to outpace growth (tumor_burden figure of
    ``make run``), so an 18-day window saw almost no regressions; trials assess at
    weeks 8-9 (KEYNOTE-086)."""
    cohort_width: int = 100
    """Lattice width = height (sites) of the cohort runs (room for 35 days of growth)."""
    cohort_initial_radius_sites: float = 8.0
    """Radius of the tumor at day 0 in the cohort runs (sites)."""
    growth_replicates: int = 360
    """Single-cell colonies in the exponential-phase experiment (36 per run)."""
    kuznetsov_replicates: int = 6
    """Replicates per recruitment level in the well-mixed experiment."""
    workers: int = 1
    """Worker processes (1 = serial; tests run serially inside each pytest worker)."""
    root_seed: int = 20240608


TEST = Budget()
FULL = Budget(replicates=12, cohort_patients=40, growth_replicates=1440, kuznetsov_replicates=10,
              workers=max(1, os.cpu_count() or 1))


# =========================================================================== results


@dataclass
class Check:
    """One validated claim and its statistic."""

    id: str
    section: str
    claim: str
    reference: str
    statistic: str
    value: float
    ci: tuple[float, float] | None
    unit: str
    criterion: str
    passed: bool
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    figure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for ``results.json``)."""
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci is not None else None
        d["extra"] = {k: _plain(v) for k, v in self.extra.items()}
        return d

    def value_text(self) -> str:
        """``value [low, high] unit`` as printed in the report."""
        v = _fmt(self.value)
        if self.ci is not None and all(math.isfinite(c) for c in self.ci):
            v += f" [{_fmt(self.ci[0])}, {_fmt(self.ci[1])}]"
        return f"{v} {self.unit}".strip()


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def save_figure(fig: Figure, fig_dir: Path, name: str, dpi: int = 110) -> str:
    """Save a report figure as ``fig_dir/name`` and close it; return ``name`` (for :attr:`Check.figure`)."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(fig_dir / name, dpi=dpi)
    plt.close(fig)
    return name


# =========================================================================== runs

NO_IMMUNITY: dict[str, Any] = {
    "cd8.recruitment_per_vessel_per_hour": 0.0,
    "treg.recruitment_per_vessel_per_hour": 0.0,
    "neutrophil.recruitment_per_vessel_per_hour": 0.0,
    "macrophage.recruitment_per_vessel_per_hour": 0.0,
}
"""Overrides that switch off every immune influx (growth-only experiments)."""



def validation_spec(
    overrides: Mapping[str, Any] | None,
    seed: int,
    days: float,
    treatments: Sequence[Mapping[str, Any]] = (),
    track: bool = False,
    sparse_spacing: int = 0,
    probe: Callable[[Any], Mapping[str, float]] | None = None,
) -> RunSpec:
    """A runner spec for one validation run.

    Args:
        overrides: dotted model parameters (``{"cd8.kill_rate_per_hour": 0.1}``).
        seed: the model's integer seed (``TumorImmuneModel(rng=seed)``).
        days: simulated days.
        treatments: treatment specs (``{"type": "chemotherapy", ...}``).
        track: record the per-step read-outs of :func:`~experiments.validation.probes.record_exposures`
            (needs ``lattice.collect_every_steps = 1``).
        sparse_spacing: if > 0, replace the initial tumor by single cells on a square grid
            with this spacing (independent colonies, as in a clonogenic assay).
        probe: a module-level per-step read-out (picklable) used instead of ``track``'s
            (e.g. :func:`~experiments.validation.probes.record_recruitment`).
    """
    scenario = {
        "name": "validation",
        "duration_days": float(days),
        "parameters": dict(sorted((overrides or {}).items())),
        "treatments": [dict(sorted(t.items())) for t in treatments],
    }
    return RunSpec(
        run_id="validation",
        labels={},
        scenario=scenario,
        seed=int(seed),
        spawn_key=None,
        sample_hours=0.0,
        setup=functools.partial(sparse_layout, spacing=int(sparse_spacing)) if sparse_spacing > 0 else None,
        probe=probe if probe is not None else (record_exposures if track else None),
    )


@dataclass
class Series:
    """Full-resolution time series of one run (data collector columns plus probed read-outs)."""

    spec: RunSpec
    series: dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.series[key]

    def final(self, key: str) -> float:
        """Last value of column ``key``."""
        return float(self.series[key][-1])

    def time_mean(self, key: str) -> float:
        """Time average of column ``key`` over the run (trapezoid rule in hours)."""
        h = self.series["hours"]
        y = self.series[key]
        if h[-1] <= h[0]:
            return float(y[-1])
        return float(np.trapezoid(y, h) / (h[-1] - h[0]))


def run_specs(specs: Sequence[RunSpec], workers: int = 1) -> list[Series]:
    """Run validation specs with :func:`experiments.runner.run_all` (results in input order)."""
    specs = [dataclasses.replace(s, run_id=f"v{i:05d}") for i, s in enumerate(specs)]
    memory, _ = run_all(specs, None, workers=max(1, int(workers)), progress=False)
    out = []
    for s in specs:
        ts = memory[s.run_id].timeseries
        out.append(Series(s, {c: ts[c].to_numpy(dtype=float) for c in ts.columns if c != "run_id"}))
    return out


def replicate_seeds(root: int, n: int, stream: int = 0) -> list[int]:
    """``n`` independent integer seeds from ``SeedSequence(root).spawn`` (stream = experiment id)."""
    ss = np.random.SeedSequence([int(root), int(stream)])
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in ss.spawn(n)]


_Read = TypeVar("_Read")


def run_arms(roots: Sequence[int], hosts: int, stream: int, base: Mapping[str, Any],
             arms: Mapping[str, Mapping[str, Any]], days: float, read: Callable[[Series], _Read],
             workers: int = 1) -> dict[int, dict[str, list[_Read]]]:
    """Paired hosts: each root's ``hosts`` replicate seeds of ``stream`` run in every arm (``base``
    overrides plus the arm's), through the shared pipeline; ``{root: {arm: [read(series), ...]}}``,
    hosts in seed order."""
    specs, keys = [], []
    for root in roots:
        for seed in replicate_seeds(root, hosts, stream=stream):
            for arm, extra in arms.items():
                specs.append(validation_spec({**base, **extra}, seed, days))
                keys.append((root, arm))
    by_root: dict[int, dict[str, list[_Read]]] = {r: {arm: [] for arm in arms} for r in roots}
    for (root, arm), series in zip(keys, run_specs(specs, workers)):
        by_root[root][arm].append(read(series))
    return by_root
