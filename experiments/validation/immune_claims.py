"""The window-equivalence and immune-control claims of issue 12, the claim registry and the Holm-corrected runner.

Criteria, seeds and sizes are the pre-registered ones described in the docstring of
:mod:`experiments.validation.immunity` (moved here unchanged so that the validate section can
import them without importing the command-line module).
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np
from scipy import stats

from .bone_claims import claim_bone, claim_bone_deficient_more
from .dt_claim import claim_dt_immune_outcomes, claim_dt_immune_rates, claim_dt_immune_rates_replication
from .immunity_stats import (
    ClaimResult,
    Job,
    equivalence_checks,
    holds_in_roots,
    holm,
    ratio_ci_paired,
    replicate_seeds,
    run_jobs,
    window_overrides,
)
from .irf7_primary_claim import claim_irf7_primary_growth
from .osm_claims import claim_osm
from .suppression_claims import claim_suppression
from .voxel_claim import claim_voxel_fields
from .window_claim import claim_window_burden, claim_window_rates

__all__ = ["WINDOWS", "WINDOW_DAYS", "WINDOW_REPLICATES", "EQUIVALENCE_MARGIN", "CONTROL_DAYS",
           "CONTROL_REPLICATES", "CONTROL_MIN_RATIO", "CONTROL_WINDOW", "WINDOW_METRICS", "claim_immune_control",
           "claim_window_equivalence", "CLAIMS", "run_claims"]

WINDOWS = (60, 100, 200)
WINDOW_DAYS = 18.0
WINDOW_REPLICATES = 6
EQUIVALENCE_MARGIN = (0.9, 1.1)
CONTROL_DAYS = 21.0
CONTROL_REPLICATES = 6
CONTROL_MIN_RATIO = 1.25
CONTROL_WINDOW = 100


def claim_immune_control(roots: Sequence[int], reps: int = CONTROL_REPLICATES, workers: int = 1,
                         days: float = CONTROL_DAYS, window: int = CONTROL_WINDOW) -> ClaimResult:
    """Immunodeficient / immunocompetent burden at day 21: 90% CI lower bound >= 1.25 (paired)."""
    res = ClaimResult("immune_control", f"ratio(immune_health 0 / 1) at day {days:g}: 90% CI low >= {CONTROL_MIN_RATIO}")
    base = window_overrides(window)
    seeds = {root: replicate_seeds(root, reps) for root in roots}
    jobs = [Job({**base, **extra}, s, days) for root in roots for extra in ({}, {"host.immune_health": 0.0})
            for s in seeds[root]]
    burden = iter(r["burden"] for r in run_jobs(jobs, workers))
    all_a, all_b = [], []
    for root in roots:
        comp = np.array([next(burden) for _ in seeds[root]])
        defi = np.array([next(burden) for _ in seeds[root]])
        r, lo, hi, _ = ratio_ci_paired(defi, np.maximum(comp, 1.0))
        res.per_root.append({"root": root, "ratio": r, "ci90": [lo, hi], "holds": lo >= CONTROL_MIN_RATIO,
                             "competent_mean": comp.mean(), "deficient_mean": defi.mean()})
        all_a.append(defi)
        all_b.append(np.maximum(comp, 1.0))
    a, b = np.concatenate(all_a), np.concatenate(all_b)
    r, lo, hi, se = ratio_ci_paired(a, b)
    # one-sided test of H0: ratio <= 1.25
    z = (math.log(r) - math.log(CONTROL_MIN_RATIO)) / se if se > 0 else float("inf")
    res.p_value = float(stats.t.sf(z, a.size - 1))
    res.pooled = {"ratio": r, "ci90": [lo, hi], "n_pairs": int(a.size)}
    res.holds = holds_in_roots(res.per_root)
    return res


WINDOW_METRICS: dict[str, Callable[[dict[str, float]], float]] = {
    "cd8_influx_per_cell_day": lambda r: r["cd8_recruited"] / r["tumor_cell_days"],
    "burden": lambda r: r["burden"],
    "kills_cd8": lambda r: r["kills_cd8"],
}


def claim_window_equivalence(roots: Sequence[int], reps: int = WINDOW_REPLICATES, workers: int = 1,
                             days: float = WINDOW_DAYS, windows: Sequence[int] = WINDOWS) -> ClaimResult:
    """CD8 influx per tumor cell-day, burden and kills: ratio W/100 with 90% CI inside [0.9, 1.1].

    ``windows`` must contain 100 (the reference); smoke runs may pass smaller windows with 100 kept.
    """
    lo_m, hi_m = EQUIVALENCE_MARGIN
    res = ClaimResult("window_equivalence",
                      f"ratio(W/100) 90% CI inside [{lo_m}, {hi_m}] for W in {tuple(windows)}, {days:g} days")
    seeds = {root: replicate_seeds(root, reps) for root in roots}
    keys = [(root, w) for root in roots for w in windows for _ in seeds[root]]
    jobs = [Job(window_overrides(w), s, days, recruitment=True) for root in roots for w in windows for s in seeds[root]]
    by_root: dict[int, dict[int, list[dict[str, float]]]] = {root: {w: [] for w in windows} for root in roots}
    for (root, w), out in zip(keys, run_jobs(jobs, workers)):
        by_root[root][w].append(out)
    pooled: dict[int, list[dict[str, float]]] = {w: [] for w in windows}
    for root in roots:
        for w in windows:
            pooled[w].extend(by_root[root][w])
        v, _ = equivalence_checks(by_root[root], 100, WINDOW_METRICS, EQUIVALENCE_MARGIN)
        res.per_root.append({"root": root, "checks": v, "holds": all(c["holds"] for c in v.values())})
    v, pvals = equivalence_checks(pooled, 100, WINDOW_METRICS, EQUIVALENCE_MARGIN)
    res.pooled = {"checks": v, "n_per_window": len(pooled[100])}
    res.p_value = max(pvals)  # intersection-union: all sub-checks must hold
    res.holds = holds_in_roots(res.per_root)
    return res


CLAIMS: dict[str, Callable[..., Any]] = {
    "immune_control": claim_immune_control,
    "window_equivalence": claim_window_equivalence,
    "window_rates": claim_window_rates,
    "window_burden": claim_window_burden,
    "bone": claim_bone,
    "bone_deficient_more": claim_bone_deficient_more,
    "dt_immune_outcomes": claim_dt_immune_outcomes,
    "dt_immune_rates": claim_dt_immune_rates,
    "dt_immune_rates_replication": claim_dt_immune_rates_replication,
    "osm": claim_osm,
    "suppression": claim_suppression,
    "voxel_fields": claim_voxel_fields,
    "irf7_primary_growth": claim_irf7_primary_growth,
}


def run_claims(names: Sequence[str], roots: Sequence[int], reps: int | None = None, workers: int = 1,
               sizes: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Run the named claims, Holm-correct their pooled p-values; one verdict record per claim.

    ``sizes`` maps a claim name to extra keyword arguments (smoke runs: days, windows); the
    pre-registered sizes are the claims' defaults. A claim ``holds`` when it holds in >= 80% of root
    seeds and its pooled test is significant after Holm.
    """
    results = []
    for name in names:
        t = time.time()
        kw: dict[str, Any] = {"workers": workers, **(sizes or {}).get(name, {})}
        if reps:
            kw["reps"] = reps
        out = CLAIMS[name](roots, **kw)
        for r in out if isinstance(out, list) else [out]:
            r.pooled["seconds"] = round(time.time() - t, 1)
            results.append(r)
    significant = holm([r.p_value for r in results])
    return [
        {"claim": r.name, "criterion": r.criterion, "holds_in_roots": [p["holds"] for p in r.per_root],
         "holds": bool(r.holds and s), "holm_significant": bool(s), "p": r.p_value, "pooled": r.pooled,
         "per_root": r.per_root}
        for r, s in zip(results, significant)
    ]
