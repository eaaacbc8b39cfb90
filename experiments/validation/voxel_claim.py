"""Pre-registered claim ``voxel_fields`` (issue 15: the fast field mode for large lattices keeps the immune dose).

Written as code on 2026-11-30 (eighth session), before its judged run.

Why
---
``lattice.field_voxel_sites = 2`` with ``lattice.field_precision_bits = 32`` (the "fast field mode",
:mod:`model.engine.voxels`) is what brings a 1000 x 1000 lattice near the issue's 3 CPU-s per
simulated day. It changes results: fields are resolved to 2 x 2 sites (40 um) and point sources
(an engaged T-cell's IFN-gamma, a neutrophil's OSM) are spread over a voxel, so the first hour's
IFN-gamma and OSM fields differ by 11-16% (relative L2, ``benchmarks/bench_field_modes.py``,
200 x 200) while the tumor-wide cytokine differs by 0.1%. A user who runs it needs to know whether
the immune read-outs move. The lattice must be small enough to run hundreds of hosts, so the claim
is judged on the validation window, where the T-cell and tumor scales are the same as on 1000^2.

Claim
-----
The default model (untreated, profile ``default``), 100 x 100 sites, 18 days: the fast field mode
gives the same immune dose as the per-site float64 fields. Read-outs as ``window_rates``
(:data:`~experiments.validation.window_claim.WINDOW_RATE_METRICS`): CD8 influx per tumor cell-day
and cumulative CD8 kills at day 18. Each read-out's ratio of means fast / per-site (unpaired,
``ratio_ci_unpaired``) must have its 90% CI inside [0.9, 1.1] (two one-sided tests at 5%: it fails
on both sides), pooled and in >= 80% of the root seeds; Holm p-value: the larger pooled TOST
p-value. The 18-day burden is reported beside it, not judged (CV 0.5-0.8: ~700 hosts per arm per
root would be needed at this margin).

Hosts: fresh, from ``SeedSequence([root, 4204])`` (:data:`VOXEL_STREAM`), a stream no other claim
draws from; the two arms take alternate seeds (unpaired: same-seed runs diverge at the first draw
that goes the other way, so pairing would add nothing but dependence).

Sizing (pilot 2026-11-30 on root 780, not a claim root, 16 hosts per arm:
``python -m experiments.validation.voxel_exploration --pilot --workers 2``, ~1 CPU-minute): per-run CV of
influx per tumor cell-day 0.23 (per-site) and 0.20 (fast), of CD8 kills 0.21 and 0.22; of the
burden 0.86 and 0.65. Simulating this module's judge with log-normal runs at those CVs
(``voxel_exploration --power``): 100 hosts per arm per root give per-root power 0.79 (P(>= 4 of 5 roots) 0.72), 120
give 0.87 (0.88), 150 give 0.98 (1.00); at a true ratio of 0.97 or 1.03, 150 hosts give 0.79 and
0.74 per root; a true ratio of 0.92 fails (0.05). ``VOXEL_HOSTS`` = 150: 1,500 runs, ~35
CPU-minutes. Said before the run: the pilot's ratios (16 hosts a side, not a verdict) were influx
1.02, kills 1.02, burden 1.03.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .immunity_stats import (ClaimResult, Job, arm_seeds, judge_equivalence, ratio_ci_unpaired, run_jobs,
                             window_overrides)
from .window_claim import WINDOW_RATE_METRICS

__all__ = ["VOXEL_ARMS", "VOXEL_REFERENCE", "VOXEL_WINDOW", "VOXEL_DAYS", "VOXEL_MARGIN", "VOXEL_STREAM",
           "VOXEL_HOSTS", "voxel_runs", "judge_voxel_fields", "claim_voxel_fields"]

VOXEL_REFERENCE = "per_site"
VOXEL_ARMS: dict[str, dict[str, Any]] = {
    VOXEL_REFERENCE: {},
    "fast": {"lattice.field_voxel_sites": 2, "lattice.field_precision_bits": 32},
}
VOXEL_WINDOW = 100
VOXEL_DAYS = 18.0
VOXEL_MARGIN = (0.9, 1.1)
VOXEL_STREAM = 4204  # SeedSequence([root, 4204]): no other claim draws from it
VOXEL_HOSTS = 150  # per arm per root; see the module docstring's sizing
Runs = dict[str, list[dict[str, float]]]


def voxel_runs(roots: Sequence[int], hosts: int, workers: int = 1, days: float = VOXEL_DAYS,
               window: int = VOXEL_WINDOW, stream: int = VOXEL_STREAM) -> dict[int, Runs]:
    """Every root's two arms through the shared pipeline (CD8 influx probed): ``{root: {arm: [outcomes]}}``."""
    keys: list[tuple[int, str]] = []
    jobs: list[Job] = []
    for root in roots:
        for arm, seeds in arm_seeds(root, hosts, tuple(VOXEL_ARMS), stream=stream).items():
            keys += [(root, arm)] * len(seeds)
            jobs += [Job({**window_overrides(window), **VOXEL_ARMS[arm]}, s, days, recruitment=True) for s in seeds]
    by_root: dict[int, Runs] = {root: {arm: [] for arm in VOXEL_ARMS} for root in roots}
    for (root, arm), out in zip(keys, run_jobs(jobs, workers)):
        by_root[root][arm].append(out)
    return by_root


def judge_voxel_fields(by_root: dict[int, Runs], days: float = VOXEL_DAYS) -> ClaimResult:
    """The pre-registered verdict from runs ``{root: {arm: [outcomes]}}``; the burden ratio is reported."""
    lo_m, hi_m = VOXEL_MARGIN
    res = ClaimResult("voxel_fields",
                      f"ratio(fast field mode / per-site fields) of CD8 influx per tumor cell-day and CD8 kills, "
                      f"{days:g} days: 90% CI inside [{lo_m}, {hi_m}], pooled and in >= 80% of root seeds")
    judge_equivalence(res, by_root, VOXEL_REFERENCE, WINDOW_RATE_METRICS, VOXEL_MARGIN, "n_per_arm")
    fast = np.array([r.get("burden", np.nan) for runs in by_root.values() for r in runs["fast"]], dtype=float)
    ref = np.array([r.get("burden", np.nan) for runs in by_root.values() for r in runs[VOXEL_REFERENCE]], dtype=float)
    if fast.size > 1 and ref.size > 1 and fast.mean() > 0 and ref.mean() > 0:
        r, lo, hi, _ = ratio_ci_unpaired(fast, ref)
        res.pooled["burden_reported_not_judged"] = {"ratio": r, "ci90": [lo, hi]}
    return res


def claim_voxel_fields(roots: Sequence[int], reps: int = VOXEL_HOSTS, workers: int = 1, days: float = VOXEL_DAYS,
                       window: int = VOXEL_WINDOW) -> ClaimResult:
    """Run every root's two arms on fresh hosts and judge them (:func:`judge_voxel_fields`); smoke runs
    may pass a smaller (even) window and fewer days."""
    return judge_voxel_fields(voxel_runs(roots, reps, workers, days, window), days)
