"""The sizing behind ``voxel_fields`` (:mod:`~experiments.validation.voxel_claim`): not a judged claim.

``--pilot`` runs the pilot (root 780, not a claim root; 16 hosts per arm, 18 days, the CD8 influx
probed) and prints each read-out's mean and per-run CV per arm; ``--power N,...`` simulates the
claim's power at the pilot's CVs, judging synthetic log-normal runs with
:func:`~experiments.validation.voxel_claim.judge_voxel_fields` itself.

Run: ``python -m experiments.validation.voxel_exploration --pilot --workers 2`` (~1 CPU-minute) and
``--power 100,120,150``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .immunity_stats import lognormal_runs, simulated_power
from .sizing_cli import sizing_main
from .voxel_claim import VOXEL_ARMS, VOXEL_REFERENCE, judge_voxel_fields, voxel_runs
from .window_claim import WINDOW_RATE_METRICS

__all__ = ["PILOT_ROOT", "PILOT_HOSTS", "PILOT_CVS", "pilot", "simulate_power", "main"]

PILOT_ROOT = 780  # not a claim root (777-779 sized other claims)
PILOT_HOSTS = 16
# per-run CVs per arm from the pilot (filled in from ``--pilot`` before the judged run)
PILOT_CVS: dict[str, dict[str, float]] = {
    "influx_per_tumor_cell_day": {"per_site": 0.23, "fast": 0.20},
    "kills_cd8": {"per_site": 0.21, "fast": 0.22},
}

Runs = dict[str, list[dict[str, float]]]


def pilot(workers: int = 1, hosts: int = PILOT_HOSTS) -> dict[str, dict[str, tuple[float, float]]]:
    """Per arm, each read-out's (mean, CV) over ``hosts`` runs of :data:`PILOT_ROOT` (its own stream seeds)."""
    runs = voxel_runs([PILOT_ROOT], hosts, workers)[PILOT_ROOT]
    read_outs = {**WINDOW_RATE_METRICS, "burden": lambda r: r["burden"]}
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for arm, rs in runs.items():
        out[arm] = {}
        for name, f in read_outs.items():
            v = np.array([f(r) for r in rs], dtype=float)
            out[arm][name] = (float(v.mean()), float(v.std(ddof=1) / v.mean()) if v.mean() else float("nan"))
    return out


def simulate_power(hosts: int, ratio: float = 1.0, repeats: int = 400, seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) with log-normal runs at :data:`PILOT_CVS`, both
    read-outs of the fast arm scaled by ``ratio``."""
    def make_runs(rng: np.random.Generator) -> Runs:
        runs = {}
        for arm in VOXEL_ARMS:
            scale = ratio if arm != VOXEL_REFERENCE else 1.0
            influx = lognormal_runs(rng, PILOT_CVS["influx_per_tumor_cell_day"][arm], scale, hosts)
            kills = lognormal_runs(rng, PILOT_CVS["kills_cd8"][arm], scale, hosts)
            runs[arm] = [{"cd8_recruited": f, "kills_cd8": k, "tumor_cell_days": 1.0} for f, k in zip(influx, kills)]
        return runs

    return simulated_power(make_runs, judge_voxel_fields, repeats, seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sizing pilot or print the power table (the judged run goes through ``immunity --claims``)."""
    return sizing_main(argv, __doc__.splitlines()[0], pilot,
                       lambda n: "ratio 1: per-root %.2f, >= 80%% of roots %.2f" % simulate_power(n)
                       + " | ratio 0.92: %.2f, %.2f" % simulate_power(n, 0.92),
                       pilot_help="run the sizing pilot (root 780)",
                       power_help="comma-separated hosts per arm: print the claim's power")


if __name__ == "__main__":
    raise SystemExit(main())
