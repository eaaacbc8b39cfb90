"""Exploration behind the dt claim's power note (docs/validation.md, fourth session): not a judged claim.

Root 99 (not a claim root), 60 x 60 sites, 30 days, dt 0.5 vs 0.125 h: 30 runs per arm of the
default model and 10 per arm in an immunodeficient host (growth only). Prints the ratios of
means with 90% CIs (:func:`~experiments.validation.immunity_stats.ratio_ci_unpaired`) and the
per-run CVs that size the next pre-registration.

Run: ``python -m experiments.validation.dt_exploration --out F.json`` (~15 CPU-minutes). The
numbers in docs/validation.md came from the model before the bone niche's C9 fit (commit
06db995): the niche draws from the model's random stream, so later code gives other runs (same
statistics).
"""

from __future__ import annotations

import argparse
import json
from typing import Sequence

import numpy as np

from .immunity_stats import Job, ratio_ci_unpaired, replicate_seeds, run_jobs, window_overrides

__all__ = ["ARMS", "explore", "main"]

ARMS = {"deficient": ({"host.immune_health": 0.0}, 10), "default": ({}, 30)}
METRICS = ("burden", "kills_cd8", "cd8_mean", "tumor_cell_days")


def explore(workers: int = 1) -> dict[str, list[dict[str, float]]]:
    """The runs of every arm and dt: ``{"default@0.5": [outcomes, ...], ...}``."""
    seeds = replicate_seeds(99, 200)
    out: dict[str, list[dict[str, float]]] = {}
    for arm, (extra, n) in ARMS.items():
        for k, dt in enumerate((0.5, 0.125)):
            # independent seeds per arm and dt (interleaved; the deficient arm from index 100)
            ss = (seeds[k::2] if arm == "default" else seeds[100 + k::2])[:n]
            jobs = [Job({**window_overrides(60), "lattice.dt_hours": dt, **extra}, s, 30.0) for s in ss]
            out[f"{arm}@{dt}"] = run_jobs(jobs, workers)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the exploration, print ratios and CVs, optionally save the runs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    out = explore(args.workers)
    for arm in ARMS:
        a, b = out[f"{arm}@0.5"], out[f"{arm}@0.125"]
        for m in METRICS:
            x, y = np.array([r[m] for r in a]), np.array([r[m] for r in b])
            if y.mean() > 0:
                r, lo, hi, _ = ratio_ci_unpaired(x, y)
                cv = [float(v.std(ddof=1) / v.mean()) for v in (x, y)]
                print(f"{arm} {m}: ratio {r:.3f} (90% CI {lo:.3f}-{hi:.3f}); CV {cv[0]:.2f} / {cv[1]:.2f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(out, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
