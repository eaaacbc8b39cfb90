"""One virtual patient at the lattice scale (runs on a worker; writes nothing).

The patient is drawn from the design's population (a profile, then the
between-patient spread of :data:`model.scenarios.PATIENT_VARIABILITY`); the
tissue window grows untreated for ``window.baseline_days``; the baseline
biomarker is read; the model is checkpointed; then every arm -- and an
untreated twin -- restarts from that same checkpoint and runs
``window.days`` under its treatments. The result is a small JSON-able record:
cell counts at the fork and at the end of each arm's window, and how many cells
each arm's window disseminated. The lesion scale (``lesion.py``) turns these
into millimetres and months.

Streams: patient ``i`` of a design with seed ``s`` uses
``SeedSequence(s, spawn_key=(i, 0))`` for its draws and tissue and
``(i, 1)`` for its lesion-scale draws, so a patient is the same in any trial
size, on any worker, in any order.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from model import CD8TCell, Macrophage, TherapyScenario, TumorCell, TumorImmuneModel, checkpoint, make_treatment, restore

from .design import SUBTYPE_DOUBLING_DAYS, TrialDesign

__all__ = ["simulate_patient", "cps_like_score", "TWIN", "PD_L1_POSITIVE_LEVEL", "patient_streams"]

TWIN = "untreated_twin"
#: A tumor cell "stains" PD-L1-positive when its engagement level is at least this (choice:
#: the membrane-staining threshold of the 22C3 assay read as 20% of the model's maximal PD-L1).
PD_L1_POSITIVE_LEVEL = 0.2


def patient_streams(design: TrialDesign, index: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """The two independent streams of patient ``index``: (tissue + draws, lesion scale)."""
    return (np.random.SeedSequence(design.seed, spawn_key=(index, 0)),
            np.random.SeedSequence(design.seed, spawn_key=(index, 1)))


def cps_like_score(model: TumorImmuneModel) -> float:
    """Combined-positive-score-like biomarker of the window (0-100).

    ``100 x (PD-L1-positive tumor cells + CD8 T-cells + macrophages) / tumor cells``,
    capped at 100, as the 22C3 CPS counts stained tumor cells, lymphocytes and
    macrophages per 100 tumor cells (all immune cells count as stained here: the
    model has no immune PD-L1).
    """
    tumor = model.populations[TumorCell]
    n = len(tumor)
    if n == 0:
        return 0.0
    positive = int((model.tumor_pd_l1(tumor["site"]) >= PD_L1_POSITIVE_LEVEL).sum())
    immune = len(model.populations[CD8TCell]) + len(model.populations[Macrophage])
    return float(min(100.0, 100.0 * (positive + immune) / n))


def _arm_window(blob: bytes, treatments: tuple[dict[str, Any], ...], days: float) -> dict[str, float]:
    model = restore(blob)
    fork_day = model.days
    for spec in treatments:
        spec = dict(spec)
        spec["start_day"] = fork_day + float(spec.get("start_day", 0.0))  # arm schedules count from the fork
        t = make_treatment(spec)
        model.treatments.append(t)
        t.bind(model)
    diss0 = model.counters["disseminated_cells"]
    n0 = model.tumor_cell_count
    cell_days = 0.0
    daily = []
    for _ in range(int(round(days))):
        before = model.tumor_cell_count
        model.run_days(1.0)
        daily.append(float(model.tumor_cell_count))
        cell_days += 0.5 * (before + model.tumor_cell_count)  # trapezoid, for the per-cell dissemination rate
    return {"n_start": float(n0), "n_end": float(model.tumor_cell_count), "cell_days": cell_days,
            "disseminated": float(model.counters["disseminated_cells"] - diss0), "n_daily": daily}


def simulate_patient(design: TrialDesign, index: int) -> dict[str, Any]:
    """Simulate patient ``index`` of ``design`` in every arm and the untreated twin (see module doc)."""
    started = time.perf_counter()
    tissue_ss, _ = patient_streams(design, index)
    draw_ss, model_ss = tissue_ss.spawn(2)
    draw = np.random.default_rng(draw_ss)
    profile = design.profiles[int(draw.integers(len(design.profiles)))]
    lattice = {"lattice.width_sites": design.lattice_sites, "lattice.height_sites": design.lattice_sites,
               "tumor.initial_radius_sites": design.initial_radius_sites}
    base = TherapyScenario(f"{design.name}_p{index}", profile=(profile,), treatments=(),
                           overrides={**design.overrides, **lattice})
    patient = base.with_virtual_patient(draw)
    mean_td, sd_td = _lognormal(*_doubling(design))
    doubling_days = float(math.exp(draw.normal(mean_td, sd_td)))
    model = TumorImmuneModel(patient.parameters(), rng=np.random.default_rng(model_ss))
    model.run_days(design.baseline_days)
    score = cps_like_score(model)
    blob = checkpoint(model)
    arms = {TWIN: _arm_window(blob, (), design.window_days)}
    for arm in design.arms:
        arms[arm.name] = _arm_window(blob, arm.treatments, design.window_days)
    return {"index": index, "profile": profile,
            "overrides": {k: v for k, v in patient.overrides.items() if k not in lattice},
            "biomarker": score, "doubling_days": doubling_days, "n_baseline": float(model.tumor_cell_count),
            "arms": arms, "elapsed_s": time.perf_counter() - started}


def _doubling(design: TrialDesign) -> tuple[float, float]:
    return SUBTYPE_DOUBLING_DAYS[design.subtype]


def _lognormal(mean: float, sd: float) -> tuple[float, float]:
    """Log-scale (mu, sigma) of a lognormal with this mean and SD (moment matching)."""
    s2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - 0.5 * s2, math.sqrt(s2)
