"""Ensemble throughput: default 100 x 100 runs of 30 days, as an experiment runs them.

Usage::

    python benchmarks/bench_ensemble.py              # 8 runs on 2 worker processes
    python benchmarks/bench_ensemble.py --runs 4 --workers 2
    python benchmarks/bench_ensemble.py --against /tmp/before --rounds 3   # speed-up over another checkout

Two figures:

* **measured**: wall-clock runs per hour of ``experiments.runner.run_all`` (the
  pipeline every experiment uses: process pool, one independent seed per run);
  it moves with whatever else the machine is doing;
* **CPU-bound**: ``workers x 3600 / CPU seconds per run``, with the mean CPU seconds
  of ``--cpu-runs`` runs of different seeds (model set-up, 30 days, outcomes) measured
  in this process: what the workers would reach on otherwise idle cores. Several
  seeds, because one run's cost follows its own course (how large the tumor and the
  immune infiltrate grow), so a single seed moves with any change to the random stream.

``--against DIR`` adds the issue's own measure, a ratio within one benchmark run: the CPU
seconds per run of this checkout and of the checkout in ``DIR`` (e.g. ``git worktree add
/tmp/before df25a29``, the last commit before the engine work of issue 15), each timed by
``benchmarks/run_cost.py`` in a fresh process, the two alternating for ``--rounds`` rounds so
that both see the same load. The older model is a different workload (three fields, no bone
niche, no debris): the ratio is what a user gets for the same command, not a like-for-like
engine comparison.

The model is the ``untreated`` scenario (default parameters, no treatment) on a
100 x 100 lattice for 30 simulated days.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments.runner import RunSpec, execute_run, run_all  # noqa: E402
from model import get_scenario  # noqa: E402
if str(Path(__file__).resolve().parent) not in sys.path:  # run_cost.py sits beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_cost import parse_overrides  # noqa: E402

SIZE, DAYS = 100, 30.0


def specs(n: int, seed: int = 2024, days: float = DAYS, extra: dict | None = None) -> list[RunSpec]:
    """``n`` replicate runs of the default 100 x 100 model for ``days`` (30 by default)."""
    sc = get_scenario("untreated")
    sc.duration_days = days
    sc.overrides = {**sc.overrides, "lattice.width_sites": SIZE, "lattice.height_sites": SIZE, **(extra or {})}
    definition = sc.to_dict()
    return [RunSpec(f"r{i}", {"replicate": i}, definition, seed, (i,)) for i in range(n)]


def run_cost(tree: Path, runs: int, days: float = DAYS, sets: list[str] = ()) -> float:
    """Mean CPU seconds per run of the checkout ``tree``, timed by ``run_cost.py`` in a fresh process
    (``sets``: its ``--set KEY=VALUE`` overrides)."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run_cost.py"), "--tree", str(tree), "--runs", str(runs),
           "--days", str(days)]
    for item in sets:
        cmd += ["--set", item]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    found = re.search(r"cpu_s_per_run=([\d.]+)", out.stdout)
    if out.returncode or not found:
        tail = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no cpu_s_per_run line"
        raise SystemExit(f"run_cost.py failed on {tree} (exit {out.returncode}): {tail}")
    return float(found.group(1))


def compare(other: Path, rounds: int, runs: int, days: float = DAYS, sets: list[str] = ()) -> int:
    """Alternate this checkout and ``other``; print each round's CPU seconds per run and the ratios
    (``sets``: overrides for this checkout only, e.g. an opt-in mode the other one does not have)."""
    other = other.expanduser().resolve()
    if not (other / "experiments" / "runner.py").is_file():
        raise SystemExit(f"--against {other}: not a checkout of this project (no experiments/runner.py)")
    ours, theirs = [], []
    for k in range(max(1, rounds)):
        theirs.append(run_cost(other, runs, days))
        ours.append(run_cost(ROOT, runs, days, sets))
        print(f"round {k + 1}: {other.name} {theirs[-1]:.3f} CPU s/run, this checkout {ours[-1]:.3f} "
              f"-> {theirs[-1] / ours[-1]:.2f}x", flush=True)
    a, b = sum(theirs) / len(theirs), sum(ours) / len(ours)
    if sets:
        print(f"this checkout ran with {' '.join(sets)}; {other.name} with its defaults")
    print(f"mean of {len(ours)} rounds ({runs} seeds each): {a:.3f} vs {b:.3f} CPU s/run = {a / b:.2f}x "
          f"(CPU-bound on 2 workers: {2 * 3600 / a:,.0f} vs {2 * 3600 / b:,.0f} runs/hour); target >= 3x")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--days", type=float, default=DAYS, help="simulated days per run (30 for the benchmark)")
    ap.add_argument("--cpu-runs", type=int, default=5, help="in-process runs (seeds 7, 8, ...) for the CPU figure")
    ap.add_argument("--against", type=Path, default=None, help="another checkout: print the CPU-per-run ratio")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of --against")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter override of this checkout's runs (e.g. lattice.field_voxel_sites=2)")
    args = ap.parse_args(argv)
    extra = parse_overrides(args.overrides)
    if args.against is not None:
        return compare(args.against, args.rounds, args.cpu_runs, args.days, args.overrides)

    execute_run(specs(1, seed=1, days=1.0, extra=extra)[0])  # imports, compiled kernels, caches
    costs = []
    for seed in range(7, 7 + max(1, args.cpu_runs)):
        c0 = time.process_time()
        execute_run(specs(1, seed=seed, days=args.days, extra=extra)[0])
        costs.append(time.process_time() - c0)
    cpu_run = sum(costs) / len(costs)

    t0 = time.perf_counter()
    results, _ = run_all(specs(args.runs, days=args.days, extra=extra), workers=args.workers, progress=False)
    wall = time.perf_counter() - t0
    assert results is not None and len(results) == args.runs

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; untreated, {SIZE}x{SIZE}, {args.days:g} days"
          + (f"; {' '.join(args.overrides)}" if args.overrides else ""))
    print(f"one run: {cpu_run:.2f} CPU s mean of {len(costs)} seeds (range {min(costs):.2f}-{max(costs):.2f}; "
          f"set-up + {args.days:g} days + outcomes, in-process)")
    print(f"CPU-bound throughput on {args.workers} workers: {args.workers * 3600 / cpu_run:,.0f} runs/hour")
    print(f"measured: {args.runs} runs on {args.workers} workers in {wall:.1f} s wall "
          f"= {args.runs * 3600 / wall:,.0f} runs/hour (includes worker start-up; load-dependent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
