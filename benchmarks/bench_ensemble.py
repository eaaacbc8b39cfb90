"""Ensemble throughput: default 100 x 100 runs of 30 days, as an experiment runs them.

Usage::

    python benchmarks/bench_ensemble.py              # 8 runs on 2 worker processes
    python benchmarks/bench_ensemble.py --runs 4 --workers 2

Two figures:

* **measured**: wall-clock runs per hour of ``experiments.runner.run_all`` (the
  pipeline every experiment uses: process pool, one independent seed per run);
  it moves with whatever else the machine is doing;
* **CPU-bound**: ``workers x 3600 / CPU seconds per run``, with the mean CPU seconds
  of ``--cpu-runs`` runs of different seeds (model set-up, 30 days, outcomes) measured
  in this process: what the workers would reach on otherwise idle cores. Several
  seeds, because one run's cost follows its own course (how large the tumor and the
  immune infiltrate grow), so a single seed moves with any change to the random stream.

The model is the ``untreated`` scenario (default parameters, no treatment) on a
100 x 100 lattice for 30 simulated days.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments.runner import RunSpec, execute_run, run_all  # noqa: E402
from model import get_scenario  # noqa: E402

SIZE, DAYS = 100, 30.0


def specs(n: int, seed: int = 2024, days: float = DAYS) -> list[RunSpec]:
    """``n`` replicate runs of the default 100 x 100 model for ``days`` (30 by default)."""
    sc = get_scenario("untreated")
    sc.duration_days = days
    sc.overrides = {**sc.overrides, "lattice.width_sites": SIZE, "lattice.height_sites": SIZE}
    definition = sc.to_dict()
    return [RunSpec(f"r{i}", {"replicate": i}, definition, seed, (i,)) for i in range(n)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--days", type=float, default=DAYS, help="simulated days per run (30 for the benchmark)")
    ap.add_argument("--cpu-runs", type=int, default=5, help="in-process runs (seeds 7, 8, ...) for the CPU figure")
    args = ap.parse_args(argv)

    execute_run(specs(1, seed=1, days=1.0)[0])  # imports, compiled kernels, caches
    costs = []
    for seed in range(7, 7 + max(1, args.cpu_runs)):
        c0 = time.process_time()
        execute_run(specs(1, seed=seed, days=args.days)[0])
        costs.append(time.process_time() - c0)
    cpu_run = sum(costs) / len(costs)

    t0 = time.perf_counter()
    results, _ = run_all(specs(args.runs, days=args.days), workers=args.workers, progress=False)
    wall = time.perf_counter() - t0
    assert results is not None and len(results) == args.runs

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; untreated, {SIZE}x{SIZE}, {args.days:g} days")
    print(f"one run: {cpu_run:.2f} CPU s mean of {len(costs)} seeds (range {min(costs):.2f}-{max(costs):.2f}; "
          f"set-up + {args.days:g} days + outcomes, in-process)")
    print(f"CPU-bound throughput on {args.workers} workers: {args.workers * 3600 / cpu_run:,.0f} runs/hour")
    print(f"measured: {args.runs} runs on {args.workers} workers in {wall:.1f} s wall "
          f"= {args.runs * 3600 / wall:,.0f} runs/hour (includes worker start-up; load-dependent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
