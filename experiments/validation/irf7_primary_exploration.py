"""The sizing behind ``irf7_primary_growth`` (:mod:`~experiments.validation.irf7_primary_claim`): not a judged claim.

``--pilot`` runs the pilot (root 781, not a claim root; 30 paired hosts, the claim's tissue and days)
and prints each arm's mean burden and CV, the paired ratio and the per-pair SD of the log ratio;
``--power N,...`` simulates the claim's power at the pilot's figures, judging synthetic paired runs
with :func:`~experiments.validation.irf7_primary_claim.judge_irf7_primary` itself.

Run: ``python -m experiments.validation.irf7_primary_exploration --pilot --workers 2`` (~1 CPU-minute)
and ``--power 80,120,160``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .immunity_stats import lognormal_runs, simulated_power
from .irf7_primary_claim import IRF7_STREAM, irf7_runs, judge_irf7_primary
from .sizing_cli import sizing_main

__all__ = ["PILOT_ROOT", "PILOT_PAIRS", "PILOT_CV", "PILOT_SD_LOG_PAIR", "pilot", "simulate_power", "main"]

PILOT_ROOT = 781  # not a claim root (777-780 sized other claims)
PILOT_PAIRS = 30
# from ``--pilot`` (filled in before the judged run): the intact arm's burden CV and the per-pair SD
# of log(silenced / intact)
PILOT_CV = 0.55
PILOT_SD_LOG_PAIR = 0.86


def pilot(workers: int = 1, pairs: int = PILOT_PAIRS) -> dict[str, Any]:
    """Each arm's (mean, CV) of the burden, the paired ratio of means and the per-pair SD of the log ratio."""
    runs = irf7_runs([PILOT_ROOT], pairs, workers, stream=IRF7_STREAM)[PILOT_ROOT]
    a = np.array([r["burden"] for r in runs["silenced"]], dtype=float)
    b = np.array([r["burden"] for r in runs["intact"]], dtype=float)
    both = (a > 0) & (b > 0)
    return {"silenced": (float(a.mean()), float(a.std(ddof=1) / a.mean())),
            "intact": (float(b.mean()), float(b.std(ddof=1) / b.mean())),
            "ratio_of_means": float(a.mean() / b.mean()),
            "sd_log_pair": float(np.log(a[both] / b[both]).std(ddof=1)), "pairs_both_positive": int(both.sum())}


def simulate_power(pairs: int, ratio: float = 1.0, cv: float | None = None, sd_log_pair: float | None = None,
                   repeats: int = 400, seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)): intact burdens log-normal at ``cv``, each
    silenced host its intact burden times ``ratio`` and a log-normal pair factor of SD ``sd_log_pair``."""
    cv = PILOT_CV if cv is None else cv
    sd = PILOT_SD_LOG_PAIR if sd_log_pair is None else sd_log_pair

    def make_runs(rng: np.random.Generator) -> dict[str, list[dict[str, float]]]:
        intact = lognormal_runs(rng, cv, 500.0, pairs)
        silenced = intact * ratio * np.exp(rng.normal(-sd * sd / 2, sd, pairs))
        return {"intact": [{"burden": x} for x in intact], "silenced": [{"burden": x} for x in silenced]}

    return simulated_power(make_runs, judge_irf7_primary, repeats, seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pilot or print the power table."""
    return sizing_main(argv, __doc__.splitlines()[0], pilot,
                       lambda n: "ratio 1: per-root %.2f, >= 80%% of roots %.2f" % simulate_power(n)
                       + " | ratio 1.06: %.2f, %.2f" % simulate_power(n, 1.06)
                       + " | ratio 1.25: %.2f, %.2f" % simulate_power(n, 1.25),
                       power_help="comma-separated pairs per root: print the claim's power")


if __name__ == "__main__":
    raise SystemExit(main())
