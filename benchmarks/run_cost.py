"""CPU seconds per default 100 x 100, 30-day run of one checkout of this project (a helper of bench_ensemble.py).

Usage::

    python benchmarks/run_cost.py                 # this checkout
    python benchmarks/run_cost.py --tree DIR      # another checkout, e.g. an older commit

Prints one line ``cpu_s_per_run=<mean> min=<..> max=<..>``: the mean process CPU time of
``execute_run`` for seeds 7, 8, ... (``--runs``, 5 by default) after a one-day warm-up run,
the model being the ``untreated`` scenario on 100 x 100 for 30 days. It uses only what every
version of the experiment pipeline since the first has (``experiments.runner.RunSpec`` and
``execute_run``, ``model.get_scenario``), so ``--tree`` can be a checkout from before the
engine work of issue 15 (``git worktree add /tmp/before df25a29``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SIZE, DAYS = 100, 30.0


def parse_overrides(items: list[str]) -> dict[str, float | int]:
    """``["a.b=2", "c.d=0.5"]`` -> ``{"a.b": 2, "c.d": 0.5}`` (numbers only: the benchmark's overrides)."""
    out: dict[str, float | int] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise SystemExit(f"--set {item!r}: expected KEY=NUMBER, e.g. lattice.field_voxel_sites=2") from None
        if not sep or not key.strip():
            raise SystemExit(f"--set {item!r}: expected KEY=NUMBER, e.g. lattice.field_voxel_sites=2")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout to time (default: this one)")
    ap.add_argument("--runs", type=int, default=5, help="runs of different seeds (7, 8, ...)")
    ap.add_argument("--days", type=float, default=DAYS)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter override on top of the benchmark's (e.g. lattice.field_voxel_sites=2)")
    args = ap.parse_args(argv)
    extra = parse_overrides(args.overrides)
    tree = args.tree.expanduser().resolve()
    if not (tree / "experiments" / "runner.py").is_file() and not (tree / "experiments" / "runner").is_dir():
        raise SystemExit(f"--tree {tree}: not a checkout of this project (no experiments/runner)")
    sys.path.insert(0, str(tree))
    # imported here, not at the top: which checkout's modules load is decided by --tree
    from experiments.runner import RunSpec, execute_run
    from model import get_scenario

    def spec(seed: int, days: float) -> RunSpec:
        sc = get_scenario("untreated")
        sc.duration_days = days
        sc.overrides = {**sc.overrides, "lattice.width_sites": SIZE, "lattice.height_sites": SIZE, **extra}
        return RunSpec("r0", {"replicate": 0}, sc.to_dict(), seed, (0,))

    execute_run(spec(1, 1.0))  # imports, compiled kernels, caches
    costs = []
    for seed in range(7, 7 + max(1, args.runs)):
        c0 = time.process_time()
        execute_run(spec(seed, args.days))
        costs.append(time.process_time() - c0)
    print(f"cpu_s_per_run={sum(costs) / len(costs):.4f} min={min(costs):.4f} max={max(costs):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
