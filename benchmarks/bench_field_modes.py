"""What the fast field modes cost in accuracy and gain in speed, against the exact default.

Usage::

    python benchmarks/bench_field_modes.py                         # 200^2, 10 days, 6 seeds, four modes
    python benchmarks/bench_field_modes.py --size 300 --days 5 --seeds 8
    python benchmarks/bench_field_modes.py --modes 64x1v2,32x2     # bits x update-every-k-steps [v voxel]

Three opt-in parameters make the fields cheaper on large lattices, and none is the default
because each changes results (docs/decisions.md): ``lattice.field_precision_bits = 32``
(float32 transforms), ``lattice.field_update_every_steps = k`` (the fields advance every
k steps by k x dt with the last step's sources) and ``lattice.field_voxel_sites = v`` (the
fields are solved on voxels of v x v sites, :mod:`model.engine.voxels`). A mode ``BITSxK``
sets the first two, ``BITSxKvV`` all three.

For each mode the script prints:

* **field error after one hour** from the same seed and the same start (two steps): the
  relative L2 difference of each field from the exact mode. The cells have had no time to
  diverge, so this is the numerical error of the mode itself;
* **outcome ratios** at the end of ``--days``: each mode's tumor cells, CD8 kills and
  field means over the exact mode's, run with the same seeds. The runs diverge once a draw
  goes the other way, so the ratio carries both the mode's bias and run-to-run noise: the
  geometric mean ratio and its 95% t-interval over the seeds (log scale) show whether a bias
  is resolved at that many seeds;
* **CPU seconds per simulated day** (process CPU time, after the first step).

It measures; it judges nothing (no criterion, no pass or fail). Figures are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import FIELD_NAMES, TumorImmuneModel  # noqa: E402

EXACT = (64, 1, 1)
READOUTS = ("tumor_cells", "kills_cd8", *(f"{name}_mean" for name in FIELD_NAMES))


def parse_modes(text: str) -> list[tuple[int, int, int]]:
    """``"64x1v2,32x2"`` -> ``[(64, 1, 1), (64, 1, 2), (32, 2, 1)]``: (bits, every, voxel); the exact
    mode (64x1) is always first."""
    modes = [EXACT]
    for item in text.split(","):
        bits, sep, rest = item.strip().partition("x")
        every, _, voxel = rest.partition("v")
        voxel = voxel or "1"
        numbers = every.isdigit() and voxel.isdigit()
        if not sep or bits not in ("32", "64") or not numbers or min(int(every), int(voxel)) < 1:
            raise SystemExit(f"--modes: '{item}' is not BITSxK[vV] with BITS 32 or 64, K >= 1 and V >= 1 "
                             "(e.g. 32x2, 64x1v2)")
        mode = (int(bits), int(every), int(voxel))
        if mode not in modes:
            modes.append(mode)
    return modes


def mode_name(mode: tuple[int, int, int]) -> str:
    """``(32, 2, 1)`` -> ``"32x2"``; ``(64, 1, 2)`` -> ``"64x1v2"``."""
    return f"{mode[0]}x{mode[1]}" + (f"v{mode[2]}" if mode[2] > 1 else "")


def make_model(size: int, seed: int, mode: tuple[int, int, int]) -> TumorImmuneModel:
    """The default model on ``size`` x ``size`` with the tumor covering a quarter of it (as bench_core)."""
    bits, every, voxel = mode
    return TumorImmuneModel(rng=seed, lattice__width_sites=size, lattice__height_sites=size,
                            tumor__initial_radius_sites=math.sqrt(0.25 * size * size / math.pi),
                            lattice__field_precision_bits=bits, lattice__field_update_every_steps=every,
                            lattice__field_voxel_sites=voxel)


def one_hour_fields(size: int, seed: int, mode: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """Every field after the first hour (two steps at the default dt) of a fresh model."""
    model = make_model(size, seed, mode)
    steps = max(1, int(round(1.0 / model.dt)))
    for _ in range(steps):
        model.step()
    return {name: model.fields[name].values.copy() for name in FIELD_NAMES}


def run_outcomes(size: int, seed: int, mode: tuple[int, int, int], days: float) -> dict[str, float]:
    """End-of-run read-outs and CPU seconds per simulated day of one run."""
    model = make_model(size, seed, mode)
    model.step()  # loads the compiled kernels in a fresh process: not timed
    steps = int(round(days * 24.0 / model.dt)) - 1
    c0 = time.process_time()
    for _ in range(steps):
        model.step()
    cpu = time.process_time() - c0
    summary = model.summarize()
    out = {key: float(summary[key]) for key in READOUTS}
    out["cpu_s_per_day"] = cpu / (steps * model.dt / 24.0)
    return out


def log_ratio_interval(ratios: np.ndarray) -> tuple[float, float, float, int]:
    """Geometric mean of ``ratios``, its 95% t-interval (log scale; NaN when undefined) and how many
    ratios were left out for being 0, infinite or undefined (a seed with no kills in one mode)."""
    ok = ratios[np.isfinite(ratios) & (ratios > 0)]
    dropped = int(ratios.size - ok.size)
    if ok.size < 2:
        return (float(ok[0]) if ok.size else math.nan, math.nan, math.nan, dropped)
    logs = np.log(ok)
    half = stats.t.ppf(0.975, ok.size - 1) * logs.std(ddof=1) / math.sqrt(ok.size)
    return float(np.exp(logs.mean())), float(np.exp(logs.mean() - half)), float(np.exp(logs.mean() + half)), dropped


def measure(size: int, days: float, seeds: list[int], modes: list[tuple[int, int, int]]) -> dict:
    """Field errors after one hour and outcome ratios of every mode against the exact one."""
    exact_fields = one_hour_fields(size, seeds[0], EXACT)
    runs = {mode: [run_outcomes(size, s, mode, days) for s in seeds] for mode in modes}
    result = {"size": size, "days": days, "seeds": seeds, "modes": {}}
    for mode in modes:
        fields = exact_fields if mode == EXACT else one_hour_fields(size, seeds[0], mode)
        errors = {}
        for name in FIELD_NAMES:
            ref = exact_fields[name]
            norm = float(np.linalg.norm(ref))
            errors[name] = float(np.linalg.norm(fields[name] - ref)) / norm if norm > 0 else math.nan
        ratios = {}
        for key in READOUTS:
            own = np.array([r[key] for r in runs[mode]])
            ref = np.array([r[key] for r in runs[EXACT]])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios[key] = log_ratio_interval(own / ref)
        result["modes"][mode_name(mode)] = {
            "field_rel_l2_after_1h": errors,
            "outcome_ratio_gmean_ci95": ratios,
            "cpu_s_per_day": float(np.mean([r["cpu_s_per_day"] for r in runs[mode]])),
        }
    return result


def print_result(res: dict) -> None:
    print(f"{res['size']}^2, {res['days']:g} days, seeds {res['seeds']}; mode = field bits x update every k steps "
          "[v voxel edge in sites]")
    print("relative L2 difference of each field from 64x1 after one hour (same seed, same start):")
    print(f"{'mode':<8}" + "".join(f"{name:>14}" for name in FIELD_NAMES))
    for mode, r in res["modes"].items():
        print(f"{mode:<9}" + "".join(f"{r['field_rel_l2_after_1h'][n]:>14.2e}" for n in FIELD_NAMES))
    print("end-of-run ratio to 64x1 over the seeds: geometric mean (95% t-interval, log scale); "
          "[-n]: n seeds left out (a ratio of 0 or undefined)")
    print(f"{'mode':<8}{'cpu_s/day':>10}" + "".join(f"{key:>24}" for key in READOUTS))
    for mode, r in res["modes"].items():
        cells = "".join(f"{g:>8.3f} ({lo:.3f}-{hi:.3f})" + (f"[-{n}]" if n else "")
                        for g, lo, hi, n in (r["outcome_ratio_gmean_ci95"][k] for k in READOUTS))
        print(f"{mode:<8}{r['cpu_s_per_day']:>10.3f}{cells}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--days", type=float, default=10.0)
    ap.add_argument("--seeds", type=int, default=6, help="runs per mode (seeds 1..N, the same in every mode)")
    ap.add_argument("--modes", default="32x1,64x2,32x2,64x1v2,32x1v2",
                    help="comma-separated BITSxK[vV] besides the exact 64x1")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.size < 10 or args.days <= 0 or args.seeds < 1:
        raise SystemExit("--size must be >= 10, --days > 0 and --seeds >= 1")
    res = measure(args.size, args.days, list(range(1, args.seeds + 1)), parse_modes(args.modes))
    print_result(res)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
