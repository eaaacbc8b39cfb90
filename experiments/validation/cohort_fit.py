"""Fit the virtual TNBC cohorts' antigenicity to the KEYNOTE-086 response rates (C7, C7b).

The model's default tumor is a 4T1-like mouse tumor; human metastatic TNBC responds to
anti-PD-1 far less often (KEYNOTE-086: ORR 5.3% pretreated, 21.4% first-line PD-L1+).
Of the cohort's free quantities only the mean antigenicity (the fraction of the full
kill hazard a T-cell's hits carry) has no direct measurement, so it is the one fitted:
the cohort (:func:`experiments.validation.therapy.cohort`, the validation pipeline's own
runs) is simulated on a grid of antigenicities, a binomial logistic curve
``logit ORR = b0 + b1 * antigenicity`` is fitted by maximum likelihood to the responder
counts, and the antigenicity at which it reaches the target ORR is read off, with a 90%
interval from the fit's asymptotic normal covariance (Monte Carlo over ``(b0, b1)``).

Run: ``python -m experiments.validation.cohort_fit --which triple_negative --grid 0.3,0.35,0.4,0.5
--out F.json`` (about 100 s CPU per grid point on 2 cores at the test budget).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import optimize, special

from .core import TEST
from .therapy import cohort

__all__ = ["TARGETS", "fit_logistic", "fit_cohort", "main"]

TARGETS = {
    "triple_negative": (0.053, "C7: KEYNOTE-086 cohort A, pembrolizumab ORR 5.3% (2.7-9.9), n = 170"),
    "pdl1_high": (0.214, "C7b: KEYNOTE-086 cohort B, first-line PD-L1+, ORR 21.4% (13.9-31.4), n = 84"),
}


def fit_logistic(x: Sequence[float], k: Sequence[int], n: Sequence[int], target: float,
                 draws: int = 4000, seed: int = 0) -> dict[str, float]:
    """Binomial logistic fit of ``k`` responders of ``n`` at ``x``; the ``x`` where the curve hits ``target``.

    Returns the estimate, a 90% interval and the coefficients."""
    x, k, n = (np.asarray(v, dtype=float) for v in (x, k, n))

    def nll(b: np.ndarray) -> float:
        eta = b[0] + b[1] * x
        # -log L of a binomial with logit link; logaddexp keeps large |eta| finite
        return float(np.sum(n * np.logaddexp(0.0, eta) - k * eta))

    res = optimize.minimize(nll, x0=np.array([-3.0, 5.0]), method="BFGS")
    b = res.x
    cov = np.asarray(res.hess_inv)
    logit_t = special.logit(target)
    est = (logit_t - b[0]) / b[1]
    rng = np.random.default_rng(seed)
    sample = rng.multivariate_normal(b, cov, size=draws)
    sample = sample[sample[:, 1] > 0]  # ORR must rise with antigenicity
    xs = (logit_t - sample[:, 0]) / sample[:, 1]
    lo, hi = np.quantile(xs, [0.05, 0.95])
    return {"estimate": float(est), "ci90": [float(lo), float(hi)], "b0": float(b[0]), "b1": float(b[1])}


def fit_cohort(which: str, grid: Sequence[float], patients: int | None = None) -> dict:
    """Simulate the ``which`` cohort at each antigenicity of ``grid``; fit and invert the ORR curve."""
    target, source = TARGETS[which]
    budget = TEST if patients is None else replace(TEST, cohort_patients=patients)
    rows = []
    for a in grid:
        c = cohort(budget, which=which, overrides={"tumor.mean_antigenicity": float(a)})[0]
        n = int(c.extra["patients"])
        rows.append({"antigenicity": float(a), "responders": int(round(c.value * n)), "patients": n,
                     "orr_untreated": c.extra["orr_untreated"],
                     "categories": c.extra["response_categories_treated"]})
    fit = fit_logistic([r["antigenicity"] for r in rows], [r["responders"] for r in rows],
                       [r["patients"] for r in rows], target)
    return {"cohort": which, "target_orr": target, "source": source, "grid": rows, "fit": fit,
            "budget": {"patients": budget.cohort_patients, "days": budget.cohort_days,
                       "width": budget.cohort_width, "root_seed": budget.root_seed}}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: fit one cohort and write the grid and the fit as JSON."""
    ap = argparse.ArgumentParser(prog="python -m experiments.validation.cohort_fit", description=__doc__.split("\n")[0])
    ap.add_argument("--which", choices=sorted(TARGETS), required=True)
    ap.add_argument("--grid", required=True, help="comma-separated antigenicities, e.g. 0.3,0.35,0.4")
    ap.add_argument("--patients", type=int, default=None, help="patients per grid point (default: the test budget's)")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    try:
        grid = [float(v) for v in a.grid.split(",")]
    except ValueError:
        ap.error(f"--grid = {a.grid!r} must be comma-separated numbers in [0, 1]")
    if not grid or any(not 0.0 <= v <= 1.0 for v in grid):
        ap.error(f"--grid = {a.grid!r} must be comma-separated numbers in [0, 1]")
    result = fit_cohort(a.which, grid, a.patients)
    tmp = a.out.with_suffix(a.out.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(a.out)  # never a half-written result
    print(json.dumps(result["fit"]))


if __name__ == "__main__":
    main()
