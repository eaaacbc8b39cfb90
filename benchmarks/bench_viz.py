"""Time one step of the browser page's default model plus drawing both figures.

The SolaraViz page (``model/viz/app.py``) redraws two figures after every step:
the lattice beside the chosen field, and the time courses. This script builds
the page's default model (100 x 100 sites), advances it a few simulated days so
that immune cells and fields are present, then times ``step`` and each
figure's PNG with the painters the page keeps between frames.

Wall-clock times depend on what else the machine is doing; CPU times (this
process only) are steadier on a shared machine, so both are printed.

Run from the repository root::

    python benchmarks/bench_viz.py [--grid 100] [--scenario untreated] [--warmup-days 5] [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from model.viz import LatticePainter, TimeCoursesPainter, TumorImmunePageModel


def _time(fn, repeats: int) -> tuple[float, float, float]:
    """Median wall ms, median CPU ms and worst wall ms of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3, max(wall) * 1e3


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float, float]]:
    """Parse arguments, run the timings, print them and return {name: (wall, cpu, worst wall)} in ms."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=100, help="sites per side (page default 100)")
    ap.add_argument("--scenario", default="untreated")
    ap.add_argument("--warmup-days", type=float, default=5.0, help="simulated days before timing")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    model = TumorImmunePageModel(scenario_name=args.scenario, seed=args.seed, grid_size=args.grid)
    model.run_days(args.warmup_days)
    # the page keeps one painter per panel and redraws it after every step
    lattice, timecourses = LatticePainter(), TimeCoursesPainter()
    results = {
        "first draw (builds figures)": _time(lambda: (LatticePainter().png(model), TimeCoursesPainter().png(model)), 1),
    }
    lattice.png(model)
    timecourses.png(model)
    results["model step"] = _time(model.step, args.repeats)
    results["lattice + field PNG"] = _time(lambda: lattice.png(model), args.repeats)
    results["time courses PNG"] = _time(lambda: timecourses.png(model), args.repeats)
    results["step + both PNGs"] = _time(
        lambda: (model.step(), lattice.png(model), timecourses.png(model)), args.repeats
    )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"grid {args.grid}x{args.grid}, scenario {args.scenario}, day {model.days:.1f}, "
        f"{model.tumor_cell_count} tumor cells, {len(model.agents)} agents; "
        f"{os.cpu_count()} CPUs, 1-min load average {load:.1f}"
    )
    print(f"  {'':28s} {'wall median':>12s} {'CPU median':>11s} {'wall worst':>11s}")
    for name, (wall, cpu, worst) in results.items():
        print(f"  {name:28s} {wall:9.1f} ms {cpu:8.1f} ms {worst:8.1f} ms")
    return results


if __name__ == "__main__":
    main()
