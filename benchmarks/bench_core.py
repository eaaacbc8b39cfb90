"""Speed and memory of the simulation core, and of a plain per-agent Mesa loop.

Usage::

    python benchmarks/bench_core.py                 # full table (several minutes, ~0.6 GB at 1000^2)
    python benchmarks/bench_core.py --quick         # smoke run: 100^2 and 200^2, short
    python benchmarks/bench_core.py --sizes 200,500 --days 2
    python benchmarks/bench_core.py --json out.json # also write the rows as JSON

Each measurement runs in its own Python process, so the peak resident memory
(``ru_maxrss``) belongs to that case alone and no case warms caches for another.

Measured per lattice size, for the default model with the tumor seeded as a
disc filling a quarter of the lattice (``tumor.initial_radius_sites =
sqrt(0.25 W H / pi)``):

* setup seconds (and the part spent building the Mesa grid, ``LatticeGrid``),
* seconds per simulated day,
* agent-steps per second: every live cell (tumor and immune) counts once per step,
* peak resident memory of the process.

The baseline is an idiomatic Mesa 3.5 model of the same core rules written the
usual way: ``CellAgent`` subclasses with a ``step()`` method, called by
``model.agents.shuffle_do("step")``. Tumor cells divide into a free Moore
neighbour at the model's default division hazard; T-cells kill an adjacent
tumor cell at the default kill hazard, else random-walk the same number of
sites per step as the model's T-cells. The tumor fills a quarter of a 200^2
lattice and 1 % of the sites start with a T-cell.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FULL_DAYS = {100: 5.0, 200: 5.0, 500: 2.0, 1000: 1.0}
QUICK_DAYS = {100: 1.0, 200: 1.0, 500: 0.25, 1000: 0.25}


def quarter_radius(width: int, height: int) -> float:
    """Radius (sites) of a disc covering a quarter of the lattice."""
    return math.sqrt(0.25 * width * height / math.pi)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# =========================================================================== the model


def bench_model(size: int, days: float, radius: float | None = None, seed: int = 1, field_bits: int = 64,
                field_every: int = 1, field_voxel: int = 1) -> dict:
    """Run the default model on ``size`` x ``size`` for ``days``; runs in a child process.

    ``field_bits=32`` runs the field transforms in single precision (``lattice.field_precision_bits``);
    ``field_every=k`` steps the fields every k steps (``lattice.field_update_every_steps``);
    ``field_voxel=v`` solves them on voxels of v x v sites (``lattice.field_voxel_sites``)."""
    import model.engine.tissue as tissue_module
    from model import TumorImmuneModel

    grid_seconds = {}
    original_grid = tissue_module.LatticeGrid  # the Mesa grid the tissue builds

    def timed_grid(*args, **kwargs):
        t = time.perf_counter()
        grid = original_grid(*args, **kwargs)
        grid_seconds["grid"] = time.perf_counter() - t
        return grid

    radius = quarter_radius(size, size) if radius is None else radius
    tissue_module.LatticeGrid = timed_grid
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        m = TumorImmuneModel(rng=seed, lattice__width_sites=size, lattice__height_sites=size,
                             tumor__initial_radius_sites=radius, lattice__field_precision_bits=field_bits,
                             lattice__field_update_every_steps=field_every, lattice__field_voxel_sites=field_voxel)
        setup, setup_cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        tissue_module.LatticeGrid = original_grid
    # the first step of a fresh process loads the compiled kernels (~0.3 s): time it apart
    t0 = time.perf_counter()
    m.step()
    first_step = time.perf_counter() - t0
    rss_setup = peak_rss_mib()
    tumor0 = m.tumor_cell_count

    n_steps = int(round(days * 24.0 / m.dt))
    agent_steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n_steps):
        agent_steps += sum(len(pop) for pop in m.populations.values())
        m.step()
    run, cpu = time.perf_counter() - t0, time.process_time() - c0
    immune = sum(len(pop) for cls, pop in m.populations.items() if cls.layer == "immune")
    return {
        "case": f"model {size}^2" + (" f32" if field_bits == 32 else "") + (f" every{field_every}" if field_every > 1 else "")
                + (f" voxel{field_voxel}" if field_voxel > 1 else ""),
        "size": size,
        "days": days,
        "steps": n_steps,
        "setup_s": setup,
        "setup_cpu_s": setup_cpu,
        "first_step_s": first_step,
        "grid_build_s": grid_seconds.get("grid", float("nan")),
        "s_per_day": run / days,
        "cpu_s_per_day": cpu / days,
        "run_s": run,
        "agent_steps_per_s": agent_steps / run,
        "agent_steps_per_cpu_s": agent_steps / cpu,
        "us_per_agent_step": 1e6 * run / agent_steps,
        "tumor_start": tumor0,
        "tumor_end": m.tumor_cell_count,
        "immune_end": immune,
        "peak_rss_mib": peak_rss_mib(),
        "rss_after_setup_mib": rss_setup,
    }


# =========================================================================== plain Mesa baseline


def bench_baseline(size: int, days: float, n_tcells: int, scan_first: bool, seed: int = 1) -> dict:
    """The same core rules as a textbook per-agent Mesa 3.5 model (runs in a child process).

    ``scan_first=False``: a tumor cell first draws whether it divides and only
    then looks for a free neighbour (the cheapest per-agent form).
    ``scan_first=True``: it looks at its neighbourhood every step, as Mesa's
    examples usually do (``neighborhood.select(...)`` then decide).
    """
    import mesa
    import numpy as np
    from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

    from model import Parameters
    from model.engine.parameters import rate_to_probability

    p = Parameters()
    dt = p.lattice.dt_hours
    p_divide = float(rate_to_probability(p.tumor.division_rate_per_hour, dt))
    p_kill = float(rate_to_probability(p.cd8.kill_rate_per_hour * p.tumor.mean_antigenicity, dt))
    hops = p.cd8.speed_um_per_min * 60.0 * dt / p.lattice.site_size_um  # mean sites per step

    class Tumor(CellAgent):
        def __init__(self, model, cell):
            super().__init__(model)
            self.cell = cell

        def step(self):
            if scan_first:
                free = self.cell.neighborhood.select(lambda c: not any(isinstance(a, Tumor) for a in c.agents))
                if len(free) and self.random.random() < p_divide:
                    Tumor(self.model, free.select_random_cell())
            elif self.random.random() < p_divide:
                free = [c for c in self.cell.neighborhood if not any(isinstance(a, Tumor) for a in c.agents)]
                if free:
                    Tumor(self.model, self.random.choice(free))

    class TCell(CellAgent):
        def __init__(self, model, cell):
            super().__init__(model)
            self.cell = cell

        def step(self):
            targets = [a for c in (self.cell, *self.cell.neighborhood) for a in c.agents if isinstance(a, Tumor)]
            if targets:
                if self.random.random() < p_kill:
                    self.random.choice(targets).remove()
                return
            n_hops = int(hops) + (self.random.random() < hops - int(hops))
            for _ in range(n_hops):
                free = [c for c in self.cell.neighborhood if not any(isinstance(a, TCell) for a in c.agents)]
                if not free:
                    break
                self.cell = self.random.choice(free)

    class PlainTumorModel(mesa.Model):
        def __init__(self, n, rng=None):
            super().__init__(rng=rng)
            self.grid = OrthogonalMooreGrid((n, n), torus=False, capacity=None, random=self.random)
            r2 = quarter_radius(n, n) ** 2
            c = (n - 1) / 2.0
            for cell in self.grid.all_cells:
                x, y = cell.coordinate
                if (x - c) ** 2 + (y - c) ** 2 <= r2:
                    Tumor(self, cell)
            cells = list(self.grid.all_cells)
            for i in np.random.default_rng(seed).choice(len(cells), size=n_tcells, replace=False):
                TCell(self, cells[int(i)])

        def step(self):
            self.agents.shuffle_do("step")

    t0 = time.perf_counter()
    m = PlainTumorModel(size, rng=seed)
    setup = time.perf_counter() - t0
    tumor0 = len(m.agents_by_type[Tumor])
    n_steps = max(1, int(round(days * 24.0 / dt)))
    agent_steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n_steps):
        agent_steps += len(m.agents)
        m.step()
    run, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "case": f"plain Mesa {'scan-first' if scan_first else 'draw-first'} {size}^2",
        "size": size,
        "days": n_steps * dt / 24.0,
        "steps": n_steps,
        "setup_s": setup,
        "grid_build_s": float("nan"),
        "s_per_day": run / (n_steps * dt / 24.0),
        "cpu_s_per_day": cpu / (n_steps * dt / 24.0),
        "run_s": run,
        "agent_steps_per_s": agent_steps / run,
        "agent_steps_per_cpu_s": agent_steps / cpu,
        "us_per_agent_step": 1e6 * run / agent_steps,
        "tumor_start": tumor0,
        "tumor_end": len(m.agents_by_type[Tumor]),
        "immune_end": len(m.agents_by_type[TCell]),
        "peak_rss_mib": peak_rss_mib(),
        "rss_after_setup_mib": float("nan"),
    }


# =========================================================================== driver


def run_child(kind: str, size: int, days: float, extra: float | None = None, field_bits: int = 64,
              field_every: int = 1, field_voxel: int = 1) -> dict:
    """Run one case in a fresh interpreter and return its row."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", kind, str(size), str(days)]
    if extra is not None:
        cmd.append(str(extra))
        if kind == "model":
            cmd += [str(field_bits), str(field_every), str(field_voxel)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt_row(r: dict) -> str:
    grid = "" if math.isnan(r["grid_build_s"]) else f"{r['grid_build_s']:.1f}"
    return (
        f"{r['case']:<28} {r['days']:>5.2f} {r['setup_s']:>8.1f} {grid:>6} {r['s_per_day']:>9.2f} {r['cpu_s_per_day']:>9.2f} "
        f"{r['agent_steps_per_s'] / 1e6:>8.3f} {r['agent_steps_per_cpu_s'] / 1e6:>8.3f} {r['us_per_agent_step']:>8.3f} "
        f"{r['tumor_start']:>9,d} {r['tumor_end']:>9,d} {r['immune_end']:>7,d} {r['peak_rss_mib']:>9,.0f}"
    )


HEADER = (
    f"{'case':<28} {'days':>5} {'setup_s':>8} {'grid_s':>6} {'s/day':>9} {'cpu_s/day':>9} "
    f"{'Mstep/s':>8} {'Mstep/cs':>8} {'us/step':>8} {'tumor_0':>9} {'tumor_end':>9} {'immune':>7} {'peak_MiB':>9}"
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 100^2 and 200^2, short runs, short baseline")
    ap.add_argument("--sizes", default=None, help="comma-separated lattice sizes (default 100,200,500,1000)")
    ap.add_argument("--days", type=float, default=None, help="simulated days per size (default: 5, 5, 2, 1)")
    ap.add_argument("--baseline-days", type=float, default=None, help="days for the plain Mesa loop (default 0.5)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain Mesa loop")
    ap.add_argument("--no-target", action="store_true", help="skip the 200^2 x 30-day target run")
    ap.add_argument("--json", default=None, help="also write all rows to this JSON file")
    ap.add_argument("--field-bits", type=int, default=64, choices=(32, 64),
                    help="lattice.field_precision_bits for the per-size model rows (default 64)")
    ap.add_argument("--field-every", type=int, default=1,
                    help="lattice.field_update_every_steps for the per-size model rows (default 1: every step)")
    ap.add_argument("--field-voxel", type=int, default=1,
                    help="lattice.field_voxel_sites for the per-size model rows (default 1: fields per site)")
    ap.add_argument("--_child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._child:
        kind, size, days, *rest = args._child
        if kind == "model":
            radius = float(rest[0]) if rest and float(rest[0]) > 0 else None
            row = bench_model(int(size), float(days), radius, field_bits=int(rest[1]) if len(rest) > 1 else 64,
                              field_every=int(rest[2]) if len(rest) > 2 else 1,
                              field_voxel=int(rest[3]) if len(rest) > 3 else 1)
        else:
            row = bench_baseline(int(size), float(days), int(float(rest[0])), scan_first=kind == "baseline-scan")
        print(json.dumps(row))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([100, 200] if args.quick else [100, 200, 500, 1000])
    table = QUICK_DAYS if args.quick else FULL_DAYS
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; one fresh process per case")
    print("tumor seeded as a disc covering 1/4 of the lattice; agent-steps count every live cell every step")
    print("s/day, Mstep/s and us/step are wall-clock; cpu_s/day and Mstep/cs (per CPU-second) use the process's")
    print("CPU time, which is robust to other load on the machine")
    print(HEADER)
    rows = []
    for size in sizes:
        days = args.days if args.days is not None else table.get(size, 1.0)
        row = run_child("model", size, days, -1.0, args.field_bits, args.field_every, args.field_voxel)
        rows.append(row)
        print(fmt_row(row), flush=True)

    if not args.no_baseline:
        ours = next((r for r in rows if r["case"] == "model 200^2"), None)
        if ours is None:
            ours = run_child("model", 200, 1.0)
            rows.append(ours)
            print(fmt_row(ours), flush=True)
        bdays = args.baseline_days if args.baseline_days is not None else (1 / 24 if args.quick else 0.5)
        # as many T-cells as the model had immune cells at the end of its 200^2 run
        n_tcells = max(ours["immune_end"], 1)
        for kind in ("baseline", "baseline-scan"):
            base = run_child(kind, 200, bdays, n_tcells)
            rows.append(base)
            print(fmt_row(base), flush=True)
            print(f"   speed-up on 200^2, model vs {base['case']}: "
                  f"{ours['agent_steps_per_cpu_s'] / base['agent_steps_per_cpu_s']:.1f}x in agent-steps per CPU-second "
                  f"({ours['agent_steps_per_s'] / base['agent_steps_per_s']:.1f}x wall-clock), "
                  f"{base['cpu_s_per_day'] / ours['cpu_s_per_day']:.1f}x in CPU seconds per simulated day", flush=True)

    if not args.quick and not args.no_target:
        print("\ntarget run: default model on 200^2 for 30 simulated days, tumor seeded at ~10,000 cells (a quarter of the lattice)")
        target = run_child("model", 200, 30.0, quarter_radius(200, 200))
        target["case"] = "target 200^2 x 30 d"
        rows.append(target)
        print(HEADER)
        print(fmt_row(target))
        print(f"-> {target['run_s']:.1f} s wall ({target['cpu_s_per_day'] * 30:.1f} s CPU) for 30 days, "
              f"{target['tumor_end']:,d} tumor cells at the end")

    if any(r["size"] >= 1000 for r in rows):
        print("\nnote: large lattices run fewer simulated days; set-up builds no Mesa cell objects up front "
              "(LatticeGrid makes them on first use), so it is mostly tumor seeding (one Mesa agent per cell)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
