"""Benchmark of `tumor-immune sensitivity`: runs per hour and the wall time of a Morris screen.

    python benchmarks/bench_sensitivity.py            # default problem + Morris over all parameters, r = 10
    python benchmarks/bench_sensitivity.py --quick    # reduced: r = 2, 3 days

Prints (1) runs per hour for the default sensitivity problem (Morris, 3 headline
parameters +/- 50 %, untreated, 60 x 60 sites, 10 days) on all local cores and
(2) the wall time of a Morris screen over every model parameter (lattice group
excluded) with r trajectories at a 40 x 40 lattice.
"""

from __future__ import annotations

import argparse
import time

from experiments.runner import default_workers
from experiments.sensitivity import plan_sensitivity, sensitivity

DEFAULT_PARAMS = ["tumor.division_rate_per_hour", "cd8.kill_rate_per_hour", "cd8.recruitment_per_vessel_per_hour"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    workers = default_workers()
    days, r = (3, 2) if args.quick else (10, 10)

    t0 = time.perf_counter()
    res = sensitivity("untreated", DEFAULT_PARAMS, around=0.5, samples=4 if args.quick else 10, replicates=1,
                      days=days, lattice_size=60, progress=False, figures=False, workers=workers)
    wall = time.perf_counter() - t0
    print(f"default problem: {res.plan.n_runs} runs (60x60, {days} d) in {wall:.1f} s on {workers} workers "
          f"= {res.plan.n_runs / wall * 3600:.0f} runs/hour")

    plan = plan_sensitivity("untreated", all_parameters=True, around=0.5, samples=r, replicates=1, days=days,
                            lattice_size=40)
    t0 = time.perf_counter()
    sensitivity("untreated", all_parameters=True, around=0.5, samples=r, replicates=1, days=days, lattice_size=40,
                progress=False, figures=False, workers=workers)
    wall = time.perf_counter() - t0
    print(f"Morris screen over all {plan.problem.dim} parameters, r = {r}: {plan.n_runs} runs (40x40, {days} d) "
          f"in {wall:.1f} s = {wall / 60:.1f} min on {workers} workers")


if __name__ == "__main__":
    main()
