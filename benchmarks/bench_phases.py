"""Per-step cost of the default model split by phase, for several lattice sizes.

Usage::

    python benchmarks/bench_phases.py                      # 100, 200, 500, 1000
    python benchmarks/bench_phases.py --sizes 200 --days 2
    python benchmarks/bench_phases.py --quiescent          # also a contact-inhibited core (no immune cells)

Each phase of ``TumorImmuneModel.step`` is timed with the process CPU clock
(robust to other load on the machine) by wrapping the function that carries
it; "other" is the step's remainder (treatments, marrow, bookkeeping). Each
size runs in its own process. The tumor is seeded as a disc covering a quarter
of the lattice, as in ``bench_core.py``; the first simulated day is discarded
(warm-up, compilation) unless ``--days`` is below one day.

``--quiescent`` adds, per size, a run whose lattice is completely filled with
tumor cells and has no immune influx: contact inhibition stops every division,
so the step cost shows what an inactive core costs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (label, dotted owner, attribute): the function whose CPU time is the phase
PHASES = (
    ("contact maps", "model.model.TumorImmuneModel", "take_contact_maps"),
    ("recruitment", "model.biology.recruitment", "recruit"),
    ("CD8 T-cells", "model.biology.cd8", "step_cd8"),
    ("Tregs", "model.biology.treg", "step_tregs"),
    ("neutrophils", "model.biology.neutrophils_osm", "step_neutrophils"),
    ("macrophages", "model.biology.macrophages", "step_macrophages"),
    ("tumor: necrosis", "model.biology.growth", "necrosis"),
    ("tumor: division", "model.biology.growth", "divide"),
    ("tumor: dissemination", "model.biology.metastasis", "disseminate"),
    ("cytokine secretion", "model.biology.growth", "secrete_cytokine"),
    ("IRF7 interferon", "model.biology.interferon_irf7", "secrete_type1_interferon"),
    ("fields", "model.engine.tissue.Tissue", "step_fields"),
    ("data collection", "model.model.TumorImmuneModel", "collect"),
)


def _resolve(dotted: str):
    """A module, or a class inside a module, from its dotted path."""
    try:
        return importlib.import_module(dotted)
    except ImportError:
        module, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(module), name)


def instrument(totals: dict[str, float]) -> list[str]:
    """Wrap each phase's function with a CPU timer; return the labels found."""
    found = []
    for label, owner_path, attr in PHASES:
        try:
            owner = _resolve(owner_path)
        except (ImportError, AttributeError):
            continue
        func = owner.__dict__.get(attr)
        if func is None:
            continue
        totals[label] = 0.0

        def timed(*args, _func=func, _label=label, **kwargs):
            t = time.process_time()
            try:
                return _func(*args, **kwargs)
            finally:
                totals[_label] += time.process_time() - t

        # the model calls module functions through their module (growth.divide(...)), so
        # replacing the module attribute is enough; methods are replaced on the class
        setattr(owner, attr, timed)
        found.append(label)
    return found


def measure(size: int, days: float, quiescent: bool, seed: int = 1, field_bits: int = 64, field_voxel: int = 1) -> dict:
    """Run one case (in a child process) and return per-step phase costs in ms."""
    totals: dict[str, float] = {}
    labels = instrument(totals)
    from model import TumorImmuneModel

    kwargs = dict(lattice__width_sites=size, lattice__height_sites=size, lattice__field_precision_bits=field_bits,
                  lattice__field_voxel_sites=field_voxel)
    if quiescent:
        kwargs.update(tumor__initial_radius_sites=2.0 * size, cd8__recruitment_per_vessel_per_hour=0.0,
                      treg__recruitment_per_vessel_per_hour=0.0, neutrophil__recruitment_per_vessel_per_hour=0.0,
                      macrophage__recruitment_per_vessel_per_hour=0.0)
    else:
        kwargs.update(tumor__initial_radius_sites=math.sqrt(0.25 * size * size / math.pi))
    t0 = time.process_time()
    model = TumorImmuneModel(rng=seed, **kwargs)
    setup = time.process_time() - t0
    steps_per_day = int(round(24.0 / model.dt))
    warm = steps_per_day if days >= 1.0 else 1
    for _ in range(warm):
        model.step()
    for k in totals:
        totals[k] = 0.0
    n_steps = max(1, int(round(days * steps_per_day)))
    cells = 0
    t0 = time.process_time()
    for _ in range(n_steps):
        cells += sum(len(p) for p in model.populations.values())
        model.step()
    step_cpu = time.process_time() - t0
    phases = {k: 1e3 * totals[k] / n_steps for k in labels}
    phases["other"] = 1e3 * step_cpu / n_steps - sum(phases.values())
    return {
        "size": size,
        "quiescent": quiescent,
        "field_bits": field_bits,
        "field_voxel": field_voxel,
        "steps": n_steps,
        "setup_cpu_s": setup,
        "ms_per_step": 1e3 * step_cpu / n_steps,
        "cpu_s_per_day": step_cpu / n_steps * steps_per_day,
        "mean_cells": cells / n_steps,
        "tumor_end": model.tumor_cell_count,
        "phases_ms": phases,
    }


def run_child(size: int, days: float, quiescent: bool, field_bits: int = 64, field_voxel: int = 1) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", str(size), str(days), str(int(quiescent)),
           str(field_bits), str(field_voxel)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    labels = list(rows[0]["phases_ms"])
    head = f"{'phase (ms CPU/step)':<22}" + "".join(
        f"{('Q ' if r['quiescent'] else '') + str(r['size']) + '^2':>11}" for r in rows)
    print(head)
    for label in labels:
        print(f"{label:<22}" + "".join(f"{r['phases_ms'].get(label, float('nan')):>11.3f}" for r in rows))
    print(f"{'= step':<22}" + "".join(f"{r['ms_per_step']:>11.3f}" for r in rows))
    print(f"{'cpu s / sim. day':<22}" + "".join(f"{r['cpu_s_per_day']:>11.2f}" for r in rows))
    print(f"{'mean live cells':<22}" + "".join(f"{r['mean_cells']:>11,.0f}" for r in rows))
    print(f"{'set-up cpu s':<22}" + "".join(f"{r['setup_cpu_s']:>11.2f}" for r in rows))


DEFAULT_DAYS = {100: 3.0, 200: 3.0, 500: 1.0, 1000: 0.5, 2000: 0.25}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,200,500,1000")
    ap.add_argument("--days", type=float, default=None, help="measured days per size (after one warm-up day)")
    ap.add_argument("--quiescent", action="store_true", help="also time a full, contact-inhibited lattice")
    ap.add_argument("--field-bits", type=int, choices=(32, 64), default=64,
                    help="precision of the field transforms (lattice.field_precision_bits)")
    ap.add_argument("--field-voxel", type=int, default=1, help="lattice.field_voxel_sites (1: fields per site)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--_child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        size, days, q, bits, voxel = args._child
        print(json.dumps(measure(int(size), float(days), bool(int(q)), field_bits=int(bits), field_voxel=int(voxel))))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        days = args.days if args.days is not None else DEFAULT_DAYS.get(size, 0.25)
        rows.append(run_child(size, days, False, args.field_bits, args.field_voxel))
        if args.quiescent:
            rows.append(run_child(size, days, True, args.field_bits, args.field_voxel))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; process CPU time per step, after a warm-up day; "
          f"float{args.field_bits} field transforms" + (f", fields on {args.field_voxel}^2-site voxels" if args.field_voxel > 1 else ""))
    print("Q = lattice filled with tumor cells, no immune influx (contact-inhibited core)")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
