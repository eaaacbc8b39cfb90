"""Exploration behind the dt claim's power note (docs/validation.md, fourth session): not a judged claim.

Root 99 (not a claim root), 60 x 60 sites, 30 days, dt 0.5 vs 0.125 h: 30 runs per arm of the
default model and 10 per arm in an immunodeficient host (growth only). Prints the ratios of
means with 90% CIs (:func:`~experiments.validation.immunity_stats.ratio_ci_unpaired`) and the
per-run CVs that size the next pre-registration.

Run: ``python -m experiments.validation.dt_exploration --out F.json`` (~15 CPU-minutes).
``--rate-pilot`` runs instead the pilot that sized ``dt_immune_rates`` (root 777, not a claim root,
8 runs at dt 0.5 and at 0.125 h with the recruitment probe; ~2 CPU-minutes) and prints the CVs of
its read-outs (:data:`~experiments.validation.dt_claim.DT_RATE_METRICS`); ``--rate-power N,...``
prints the claim's power at those CVs (synthetic runs judged by ``judge_dt_rates`` itself).
Both were added after the claim's judged run (sixth session), to make its sizing reproducible:
the pilot had run as a scratch script with the same seeds, and ``--rate-pilot`` reprints its CVs
to the last digit. The
numbers in docs/validation.md came from the model before the bone niche's C9 fit (commit
06db995): the niche draws from the model's random stream, so later code gives other runs (same
statistics).
"""

from __future__ import annotations

import argparse
import json
from typing import Sequence

import numpy as np

from ..safeio import atomic_write, print_json
from .dt_claim import DT_DAYS, DT_RATE_METRICS, DT_VALUES, DT_WINDOW, judge_dt_rates
from .immunity_stats import Job, lognormal_runs, ratio_ci_unpaired, replicate_seeds, run_jobs, simulated_power, window_overrides

__all__ = ["ARMS", "RATE_PILOT_ROOT", "RATE_PILOT_CVS", "explore", "rate_pilot", "simulate_rate_power", "main"]

RATE_PILOT_ROOT = 777  # not a claim root
# per-run CVs of the pilot (dt 0.5 / 0.125); dt 0.25 was not piloted and is taken as 0.20
RATE_PILOT_CVS: dict[str, dict[float, float]] = {
    "kills_per_cd8_day": {0.5: 0.16, 0.25: 0.20, 0.125: 0.22},
    "influx_per_tumor_cell_day": {0.5: 0.17, 0.25: 0.20, 0.125: 0.20},
}

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


def rate_pilot(workers: int = 1, reps: int = 8) -> dict[str, dict[str, tuple[float, float]]]:
    """The ``dt_immune_rates`` sizing pilot: per dt, each rate's (mean, CV) over ``reps`` runs."""
    seeds = replicate_seeds(RATE_PILOT_ROOT, 2 * reps)
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for k, dt in enumerate((0.5, 0.125)):
        jobs = [Job({**window_overrides(DT_WINDOW), "lattice.dt_hours": dt}, s, DT_DAYS, recruitment=True)
                for s in seeds[k::2]]
        runs = [{**r, "days": DT_DAYS} for r in run_jobs(jobs, workers)]
        out[f"{dt}"] = {}
        for name, f in DT_RATE_METRICS.items():
            v = np.array([f(r) for r in runs])
            out[f"{dt}"][name] = (float(v.mean()), float(v.std(ddof=1) / v.mean()))
    return out


def simulate_rate_power(runs_per_arm: int, ratio_at_half_hour: float = 1.0, repeats: int = 400,
                        seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) of ``dt_immune_rates`` with log-normal runs
    at :data:`RATE_PILOT_CVS`, both rates at dt 0.5 h scaled by ``ratio_at_half_hour``."""
    def make_runs(rng: np.random.Generator) -> dict[float, list[dict[str, float]]]:
        runs = {}
        for dt in DT_VALUES:
            scale = ratio_at_half_hour if dt == 0.5 else 1.0
            kills = lognormal_runs(rng, RATE_PILOT_CVS["kills_per_cd8_day"][dt], scale, runs_per_arm)
            influx = lognormal_runs(rng, RATE_PILOT_CVS["influx_per_tumor_cell_day"][dt], scale, runs_per_arm)
            runs[dt] = [{"kills_cd8": k, "cd8_mean": 1.0, "days": 1.0, "cd8_recruited": f, "tumor_cell_days": 1.0}
                        for k, f in zip(kills, influx)]
        return runs

    return simulated_power(make_runs, judge_dt_rates, repeats, seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the exploration (or the rate pilot), print ratios and CVs, optionally save the runs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--rate-pilot", action="store_true", help="run the dt_immune_rates sizing pilot instead")
    ap.add_argument("--rate-power", default=None, help="comma-separated runs per arm: print dt_immune_rates' power")
    args = ap.parse_args(argv)
    if args.rate_power:
        for n in (int(x) for x in args.rate_power.split(",")):
            print(n, "ratio 1: per-root %.2f, >= 80%% of roots %.2f" % simulate_rate_power(n),
                  "| ratio 0.93 at dt 0.5: %.2f, %.2f" % simulate_rate_power(n, 0.93))
        return 0
    if args.rate_pilot:
        print_json(rate_pilot(args.workers), args.out)
        return 0
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
        atomic_write(args.out, lambda tmp: tmp.write_text(json.dumps(out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
