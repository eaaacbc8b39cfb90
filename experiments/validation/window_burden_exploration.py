"""The sizing behind ``window_burden`` (:mod:`~experiments.validation.window_claim`): not a judged claim.

``--pilot`` runs the pilot (root 782, not a claim root, on a stream of its own, 4299; 40 runs per
window, 18 days) and prints the day-18 burden of every run per window (``--out``: save them; the
committed copy is ``docs/validation-issue12/pilot-window-burden.json``). ``--power N,...`` simulates
the claim's power by resampling those pilot burdens: each window's runs are drawn with replacement
from its own pilot runs rescaled to a common mean (a true ratio of 1, with each window's observed
shape, zeros and skew included) and judged by
:func:`~experiments.validation.window_claim.judge_window_burden` itself; a second figure scales the
200-site window by 0.93 (a true 7% difference, which the claim should usually reject).

Run: ``python -m experiments.validation.window_burden_exploration --pilot --workers 2`` (~4 CPU-minutes)
and ``--power 600,800,1000``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from .immunity_stats import simulated_power
from .sizing_cli import sizing_main, window_power_line
from .window_claim import RATE_WINDOWS, judge_window_burden, window_runs

__all__ = ["PILOT_ROOT", "PILOT_STREAM", "PILOT_REPS", "PILOT_FILE", "pilot", "simulate_power", "main"]

PILOT_ROOT = 782  # not a claim root (777-781 sized earlier claims)
PILOT_STREAM = 4299  # a stream no claim draws from
PILOT_REPS = 40
PILOT_FILE = Path(__file__).resolve().parents[2] / "docs" / "validation-issue12" / "pilot-window-burden.json"


def pilot(workers: int = 1, reps: int = PILOT_REPS) -> dict[str, list[float]]:
    """Each window's day-18 burdens over ``reps`` runs of :data:`PILOT_ROOT` (stream :data:`PILOT_STREAM`)."""
    runs = window_runs([PILOT_ROOT], reps, workers, stream=PILOT_STREAM)[PILOT_ROOT]
    return {str(w): [float(r["burden"]) for r in rs] for w, rs in runs.items()}


def simulate_power(runs_per_window: int, ratio: float = 1.0, pilot_runs: dict[str, list[float]] | None = None,
                   repeats: int = 400, seed: int = 1, spread: float = 1.0) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) of ``window_burden`` by resampling the pilot's
    burdens (:data:`PILOT_FILE` unless ``pilot_runs``), the 200-site window scaled by ``ratio``.

    ``spread`` widens each window's runs around its mean (deviations times ``spread``, negative burdens
    set to 0): 1.15 gives CVs ~15% above the pilot's, the sensitivity the registration reports."""
    runs_in = pilot_runs if pilot_runs is not None else json.loads(PILOT_FILE.read_text())
    shapes = {}
    for w in RATE_WINDOWS:
        rel = np.asarray(runs_in[str(w)], float) / np.mean(runs_in[str(w)])
        shapes[w] = np.clip(1.0 + spread * (rel - 1.0), 0.0, None)

    def make_runs(rng: np.random.Generator) -> dict[int, list[dict[str, float]]]:
        out = {}
        for w in RATE_WINDOWS:
            scale = ratio if w == 200 else 1.0
            draw = scale * rng.choice(shapes[w], size=runs_per_window, replace=True)
            out[w] = [{"burden": float(b)} for b in draw]
        return out

    return simulated_power(make_runs, judge_window_burden, repeats, seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pilot or print the power table."""
    return sizing_main(argv, __doc__.splitlines()[0], pilot, lambda n: window_power_line(simulate_power, n),
                       power_help="comma-separated runs per window: print the claim's power")


if __name__ == "__main__":
    raise SystemExit(main())
