"""A HAL-comparable case: tumor cells only, one diffusing drug, 100 x 100, ~10^4 cells.

Usage::

    python benchmarks/bench_hal.py                 # both rows, 1000 measured ticks
    python benchmarks/bench_hal.py --ticks 300

HAL (Bravo et al. 2020, PLoS Comput Biol; the public MathOnco/HAL repository)
reports its speed on the "competitive release" example: sensitive and resistant
tumor cells on a 100 x 100 grid, each tick every cell consumes drug, dies with
a basal plus drug-dependent probability (sensitive cells only), or divides into
a free Moore neighbour; the drug diffuses in from the boundary. This script
runs the same rules with this project's engine pieces (the Moore neighbour
table, the exact spectral diffusion field, bulk numpy decisions with the
random-priority conflict rule the model uses for division) and reports CPU
milliseconds per tick. Differences from HAL, on purpose: the drug enters as a
source on the boundary sites (our fields have no-flux walls) rather than as a
fixed boundary value, and cells act in bulk with random priority rather than in
a shuffled sequential loop. The lattice starts 96 % full (HAL's performance
variant fills it), half of the cells resistant, with the drug on throughout.

The second row is the full model (three fields, Mesa agents, data collector)
with no immune influx on 100 x 100 and ~9.6k tumor cells: ms per step.

HAL's own figure, measured in the same run: ``--hal-checkout PATH`` compiles HAL
from a checkout of the public MathOnco/HAL repository (``git clone
https://github.com/MathOnco/HAL``; its sources are never copied into this project)
with ``javac`` into a temporary folder, together with ``benchmarks/hal/HalTiming.java``
(ours: a headless driver of HAL's ``Examples/_6CompetitiveRelease/ExampleModel``
on the same case: 100 x 100, 96 % full, half resistant, the drug on from the
first tick, 100 warm-up ticks), and prints HAL's CPU milliseconds per
``ModelStep``: the JVM process's CPU time (JIT and garbage-collector threads
included, as Python's process time includes all its threads) and the main
thread's alone, after the JIT has run 1000 ticks of a throwaway model. HAL
keeps its own constants (2-hour ticks). Needs a JDK (``javac``, ``java``; Debian: ``default-jdk-headless``).
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import DiffusionField, TumorImmuneModel  # noqa: E402
from model.engine.lattice import Lattice  # noqa: E402

# HAL competitive-release constants (per tick); the field gets HAL's diffusion rate 2 sites^2/tick
DIV_PROB = {1: 0.025, 2: 0.01}  # sensitive, resistant
DEATH_PROB, DRUG_DEATH, DRUG_UPTAKE, DRUG_INFLUX = 0.001, 0.2, 0.09, 1.0
SENSITIVE, RESISTANT = 1, 2


class CompetitiveRelease:
    """Bulk version of HAL's competitive-release rules on this project's lattice and field."""

    def __init__(self, size: int = 100, fill: float = 0.96, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        self.lattice = Lattice(size, size)
        n = self.lattice.n_sites
        self.kind = np.zeros(n, dtype=np.int8)
        start = np.flatnonzero(self.rng.random(n) < fill)
        self.kind[start] = np.where(self.rng.random(start.size) < 0.5, RESISTANT, SENSITIVE)
        # one tick = 1 h here, so HAL's 2 sites^2/tick becomes 2 * 400 / 60 um^2/min on 20 um sites
        self.drug = DiffusionField("drug", (size, size), 20.0, 2.0 * 400.0 / 60.0, 0.0)
        x, y = self.lattice.xy(np.arange(n))
        edge = (x == 0) | (y == 0) | (x == size - 1) | (y == size - 1)
        self.source = (edge * DRUG_INFLUX).astype(float).reshape(size, size)

    def tick(self) -> None:
        rng, lat, kind = self.rng, self.lattice, self.kind
        drug = self.drug.values.ravel()
        cells = np.flatnonzero(kind)
        k = kind[cells]
        # death: basal, plus drug-dependent for sensitive cells
        p_die = DEATH_PROB + (k == SENSITIVE) * drug[cells] * DRUG_DEATH
        die = rng.random(cells.size) < p_die
        kind[cells[die]] = 0
        cells, k = cells[~die], k[~die]
        # division into a free Moore neighbour, random priority between claimants
        div = np.flatnonzero(rng.random(cells.size) < np.where(k == SENSITIVE, DIV_PROB[1], DIV_PROB[2]))
        if div.size:
            nb = lat.neighbours[cells[div], :8]
            free = nb >= 0
            free[free] = kind[nb[free]] == 0
            has = free.any(axis=1)
            div, nb, free = div[has], nb[has], free[has]
            score = rng.random(free.shape)
            score[~free] = -1.0
            target = nb[np.arange(div.size), score.argmax(axis=1)]
            order = rng.permutation(div.size)
            _, first = np.unique(target[order], return_index=True)
            win = order[first]
            kind[target[win]] = k[div[win]]
        # uptake by occupied sites (HAL multiplies the drug there), then diffusion with influx
        drug[kind > 0] *= 1.0 - DRUG_UPTAKE
        self.drug.step(1.0, self.source)


def bench_hal_like(ticks: int, warm: int = 100) -> dict:
    m = CompetitiveRelease()
    for _ in range(warm):
        m.tick()
    cells = 0
    t0 = time.process_time()
    for _ in range(ticks):
        cells += int(np.count_nonzero(m.kind))
        m.tick()
    cpu = time.process_time() - t0
    return {"case": "HAL-like, bulk engine", "ms_per_tick": 1e3 * cpu / ticks, "mean_cells": cells / ticks}


def bench_model_no_influx(ticks: int, warm: int = 48) -> dict:
    size = 100
    m = TumorImmuneModel(
        rng=1, lattice__width_sites=size, lattice__height_sites=size,
        tumor__initial_radius_sites=math.sqrt(0.96 * size * size / math.pi),
        cd8__recruitment_per_vessel_per_hour=0.0, treg__recruitment_per_vessel_per_hour=0.0,
        neutrophil__recruitment_per_vessel_per_hour=0.0, macrophage__recruitment_per_vessel_per_hour=0.0,
    )
    for _ in range(warm):
        m.step()
    cells = 0
    t0 = time.process_time()
    for _ in range(ticks):
        cells += m.tumor_cell_count
        m.step()
    cpu = time.process_time() - t0
    return {"case": "model, no immune influx", "ms_per_tick": 1e3 * cpu / ticks, "mean_cells": cells / ticks}


HAL_EXAMPLE = Path("Examples/_6CompetitiveRelease/ExampleModel.java")
HAL_DRIVER = ROOT / "benchmarks" / "hal" / "HalTiming.java"


def hal_tools(checkout: Path) -> tuple[Path, str, str]:
    """(the resolved checkout, javac, java), or ``SystemExit`` naming ``--hal-checkout`` and what is missing."""
    checkout = Path(checkout).expanduser().resolve()
    if not (checkout / HAL_EXAMPLE).is_file() or not (checkout / "HAL").is_dir():
        raise SystemExit(f"--hal-checkout {checkout}: not a MathOnco/HAL checkout (no HAL/ folder or {HAL_EXAMPLE})")
    javac, java = shutil.which("javac"), shutil.which("java")
    if not javac or not java:
        raise SystemExit("--hal-checkout needs a JDK: javac and java on PATH (Debian: apt-get install default-jdk-headless)")
    return checkout, javac, java


def bench_hal_java(checkout: Path, ticks: int, jit_warm: int = 1000) -> dict:
    """HAL's own competitive-release example, compiled from ``checkout`` into a temporary folder and timed.

    The JIT first runs ``jit_warm`` ticks of a throwaway model (it needs several hundred: after 200 a
    tick cost 20-30 % more); the timed model then gets the Python row's 100 warm-up ticks.
    """
    checkout, javac, java = hal_tools(checkout)
    # HAL's OpenGL windows need LWJGL jars; the example and its grids do not, so those sources are left out
    sources = [str(p) for p in sorted((checkout / "HAL").rglob("*.java")) if "org.lwjgl" not in p.read_text(errors="ignore")]
    with tempfile.TemporaryDirectory(prefix="hal-build-") as out:
        build = subprocess.run([javac, "-nowarn", "-d", out, *sources, str(checkout / HAL_EXAMPLE), str(HAL_DRIVER)],
                               capture_output=True, text=True, timeout=600)
        if build.returncode:
            raise SystemExit(f"--hal-checkout {checkout}: javac failed:\n{build.stderr[-2000:]}")
        run = subprocess.run([java, "-Djava.awt.headless=true", "-cp", out, "Examples._6CompetitiveRelease.HalTiming",
                              str(jit_warm), str(ticks)], capture_output=True, text=True, timeout=1200)
    got = dict(re.findall(r"(\w+)=([\d.]+)", run.stdout))
    if run.returncode or "hal_process_cpu_ms_per_tick" not in got:
        raise SystemExit(f"--hal-checkout {checkout}: the HAL driver failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    return {"case": "HAL (Java), its own example", "ms_per_tick": float(got["hal_process_cpu_ms_per_tick"]),
            "main_thread_ms_per_tick": float(got["hal_cpu_ms_per_tick"]), "mean_cells": float(got["mean_cells"]),
            "wall_ms_per_tick": float(got["hal_wall_ms_per_tick"])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ticks", type=int, default=1000)
    ap.add_argument("--hal-checkout", type=Path, default=None,
                    help="a MathOnco/HAL checkout: also time HAL's own example on the same case (needs a JDK)")
    args = ap.parse_args(argv)
    if args.hal_checkout is not None:
        hal_tools(args.hal_checkout)  # a bad path or a missing JDK fails before anything runs
    print("100 x 100 lattice, CPU time per tick (one tick = one model step)")
    print(f"{'case':<28} {'ms/tick':>8} {'mean cells':>11}")
    rows = [bench_hal_like(args.ticks), bench_model_no_influx(args.ticks)]
    if args.hal_checkout is not None:
        rows.append(bench_hal_java(args.hal_checkout, args.ticks))
    for row in rows:
        print(f"{row['case']:<28} {row['ms_per_tick']:>8.3f} {row['mean_cells']:>11,.0f}", flush=True)
    if args.hal_checkout is not None:
        hal = rows[2]
        print(f"HAL-like case / HAL's own: {rows[0]['ms_per_tick'] / hal['ms_per_tick']:.2f}x HAL's CPU time per tick "
              f"(the JVM process, JIT and GC threads included, as Python's process time includes all threads); "
              f"HAL's main thread alone {hal['main_thread_ms_per_tick']:.3f} ms, wall {hal['wall_ms_per_tick']:.3f} ms")
    print("target for the HAL-like case: <= 0.85 ms/tick")
    return 0


if __name__ == "__main__":
    sys.exit(main())
