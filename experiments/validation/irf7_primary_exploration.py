"""The sizing behind ``irf7_primary_growth`` (:mod:`~experiments.validation.irf7_primary_claim`): not a judged claim.

``--pilot`` runs the pilot (root 781, not a claim root; 30 paired hosts, the claim's tissue and days)
and prints each arm's mean burden and CV, the paired ratio, the per-pair SD of the log ratio and the
correlation of a host's two burdens; ``--power N,...`` simulates the claim's power at the pilot's
figures, judging synthetic paired runs with
:func:`~experiments.validation.irf7_primary_claim.judge_irf7_primary` itself.

Run: ``python -m experiments.validation.irf7_primary_exploration --pilot --workers 2`` (~1 CPU-minute)
and ``--power 80,120,160``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .immunity_stats import simulated_power
from .irf7_primary_claim import IRF7_STREAM, irf7_runs, judge_irf7_primary
from .sizing_cli import sizing_main

__all__ = ["PILOT_ROOT", "PILOT_PAIRS", "PILOT_CV", "PILOT_CV_SILENCED", "PILOT_CORRELATION", "PILOT_SD_LOG_PAIR",
           "pilot", "simulate_power", "main"]

PILOT_ROOT = 781  # not a claim root (777-780 sized other claims)
PILOT_PAIRS = 30
# from ``--pilot`` (filled in before the judged run): each arm's burden CV, the correlation of a
# host's two burdens, and the per-pair SD of log(silenced / intact) (reported; a few hosts whose
# tumor nearly cleared in one arm make it large, so the power model does not use it)
PILOT_CV = 0.55
PILOT_CV_SILENCED = 0.52
PILOT_CORRELATION = 0.44
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
            "sd_log_pair": float(np.log(a[both] / b[both]).std(ddof=1)), "pairs_both_positive": int(both.sum()),
            "correlation": float(np.corrcoef(a, b)[0, 1])}


def simulate_power(pairs: int, ratio: float = 1.0, cv: float | None = None, cv_silenced: float | None = None,
                   correlation: float | None = None, repeats: int = 400, seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)): each arm's burdens log-normal at its own CV
    (the pilot's by default), the silenced arm's mean ``ratio`` times the intact one's, a host's two
    burdens correlated on the log scale by ``correlation`` (Gaussian copula)."""
    cv_a = PILOT_CV if cv is None else cv
    cv_b = PILOT_CV_SILENCED if cv_silenced is None else cv_silenced
    rho = PILOT_CORRELATION if correlation is None else correlation
    s_a, s_b = np.sqrt(np.log1p(cv_a**2)), np.sqrt(np.log1p(cv_b**2))

    def make_runs(rng: np.random.Generator) -> dict[str, list[dict[str, float]]]:
        z1 = rng.standard_normal(pairs)
        z2 = rho * z1 + np.sqrt(1.0 - rho * rho) * rng.standard_normal(pairs)
        intact = 500.0 * np.exp(s_a * z1 - s_a * s_a / 2)
        silenced = 500.0 * ratio * np.exp(s_b * z2 - s_b * s_b / 2)
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
