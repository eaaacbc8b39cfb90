"""The sizing behind ``window_rates`` (:mod:`~experiments.validation.window_claim`): not a judged claim.

``--pilot`` runs the pilot (root 778, not a claim root; 12 runs per window, 18 days, the CD8
influx probed) and prints each read-out's mean and per-run CV per window; ``--power N,...``
simulates the claim's power at the pilot's CVs, judging synthetic log-normal runs with
:func:`~experiments.validation.window_claim.judge_window_rates` itself.

Run: ``python -m experiments.validation.window_exploration --pilot --workers 2`` (~3.5 CPU-minutes)
and ``--power 40,60,80``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .immunity_stats import lognormal_runs, simulated_power
from .sizing_cli import sizing_main, window_power_line
from .window_claim import RATE_WINDOWS, WINDOW_RATE_METRICS, judge_window_rates, window_runs

__all__ = ["PILOT_ROOT", "PILOT_REPS", "PILOT_CVS", "pilot", "simulate_power", "main"]

PILOT_ROOT = 778  # not a claim root (777 sized the dt rate claim)
PILOT_REPS = 12
# per-run CVs of the pilot per window (filled from ``--pilot`` before the claim's judged run)
PILOT_CVS: dict[str, dict[int, float]] = {
    "influx_per_tumor_cell_day": {60: 0.21, 100: 0.26, 200: 0.19},
    "kills_cd8": {60: 0.17, 100: 0.16, 200: 0.26},
}

READ_OUTS = {**WINDOW_RATE_METRICS, "kills_per_tumor_cell_day": lambda r: r["kills_cd8"] / r["tumor_cell_days"],
             "burden": lambda r: r["burden"], "cd8_recruited": lambda r: r["cd8_recruited"]}


def pilot(workers: int = 1, reps: int = PILOT_REPS) -> dict[str, dict[str, tuple[float, float]]]:
    """Per window, each read-out's (mean, CV) over ``reps`` runs of :data:`PILOT_ROOT`."""
    runs = window_runs([PILOT_ROOT], reps, workers, stream=None)[PILOT_ROOT]  # the seeds the pilot ran
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for w, rs in runs.items():
        out[str(w)] = {}
        for name, f in READ_OUTS.items():
            v = np.array([f(r) for r in rs])
            out[str(w)][name] = (float(v.mean()), float(v.std(ddof=1) / v.mean()))
    return out


def simulate_power(runs_per_window: int, ratio: float = 1.0, cvs: dict[str, dict[int, float]] | None = None,
                   repeats: int = 400, seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) of ``window_rates`` with log-normal runs at the
    pilot's CVs, both rates in the 200-site window scaled by ``ratio``."""
    cvs = cvs or PILOT_CVS

    def make_runs(rng: np.random.Generator) -> dict[int, list[dict[str, float]]]:
        runs = {}
        for w in RATE_WINDOWS:
            scale = ratio if w == 200 else 1.0
            influx = lognormal_runs(rng, cvs["influx_per_tumor_cell_day"][w], scale, runs_per_window)
            kills = lognormal_runs(rng, cvs["kills_cd8"][w], scale, runs_per_window)
            runs[w] = [{"cd8_recruited": f, "kills_cd8": k, "tumor_cell_days": 1.0} for f, k in zip(influx, kills)]
        return runs

    return simulated_power(make_runs, judge_window_rates, repeats, seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pilot or print the power table."""
    return sizing_main(argv, __doc__.splitlines()[0], pilot, lambda n: window_power_line(simulate_power, n),
                       power_help="comma-separated runs per window: print the claim's power")


if __name__ == "__main__":
    raise SystemExit(main())
