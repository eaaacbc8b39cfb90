"""Is the lattice window's relative effect stationary? (the hybrid's key assumption, tested on 2 x the window)

The lesion scale extrapolates the window's treatment effect ``eps`` (log-kill
against the untreated twin in twin log-growths) over months. On a horizon the
lattice can still run -- twice the trial window, on a larger lattice so the
twin does not fill it -- we measure ``eps`` over the first window and over the
doubled horizon in the same forks, and test their paired difference for
equivalence (two one-sided t-tests, TOST) within ``margin``.

    python -m experiments.trial.equivalence --patients 12 --margin 0.15
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from typing import Sequence

import numpy as np
from scipy import stats

from .design import TrialDesign, load_design
from .patient import TWIN, simulate_patient

__all__ = ["horizon_design", "eps_at", "equivalence", "main"]


def horizon_design(design: TrialDesign, factor: int = 2, lattice_sites: int = 70) -> TrialDesign:
    """``design`` with a ``factor`` x longer window on a larger lattice, doses continued weekly."""
    days = design.window_days * factor
    arms = []
    for a in design.arms:
        # same interval, doses continued to the end of the longer window (last dose before its end)
        ts = tuple({**t, "doses": int((days - 1e-9) // t["interval_days"]) + 1} if t.get("interval_days") else t
                   for t in a.treatments)
        arms.append(dataclasses.replace(a, treatments=ts))
    return dataclasses.replace(design, window_days=days, lattice_sites=lattice_sites, arms=tuple(arms))


def eps_at(arm: dict, twin: dict, day: int) -> float:
    """Relative effect ``eps`` of an arm's window measured at ``day`` (1-based) of the window."""
    n0 = max(twin["n_start"], 1.0)
    tw, ar = twin["n_daily"][day - 1], arm["n_daily"][day - 1]
    growth = max(math.log(max(tw, 1.0) / n0), 0.5 * math.log(2.0))
    return math.log(max(tw, 0.5) / max(ar, 0.5)) / growth


def equivalence(design: TrialDesign, patients: int, margin: float, factor: int = 2) -> dict:
    """Paired eps(window) vs eps(factor x window) per arm, with the TOST p-value and 90% CI."""
    long = horizon_design(design, factor)
    recs = [simulate_patient(long, i) for i in range(patients)]
    short_day, long_day = int(design.window_days), int(long.window_days)
    out = {}
    for a in design.arms:
        d = np.array([eps_at(r["arms"][a.name], r["arms"][TWIN], long_day)
                      - eps_at(r["arms"][a.name], r["arms"][TWIN], short_day) for r in recs])
        mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
        t = stats.t(len(d) - 1)
        p = max(1 - t.cdf((mean + margin) / se), t.cdf((mean - margin) / se)) if se > 0 else float(abs(mean) >= margin)
        out[a.name] = {"mean_difference": mean, "ci90": [mean - t.ppf(0.95) * se, mean + t.ppf(0.95) * se],
                       "tost_p": float(p), "equivalent": bool(p < 0.05), "margin": margin, "n": len(d),
                       "eps_window_mean": float(np.mean([eps_at(r["arms"][a.name], r["arms"][TWIN], short_day)
                                                         for r in recs]))}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: print the equivalence table for a shipped design."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="impassion130_like")
    ap.add_argument("--patients", type=int, default=12)
    ap.add_argument("--margin", type=float, default=0.15)
    args = ap.parse_args(argv)
    for arm, r in equivalence(load_design(args.design), args.patients, args.margin).items():
        print(arm, r)


if __name__ == "__main__":
    main()
