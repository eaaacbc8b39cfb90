"""The sizing behind the suppression claims (:mod:`~experiments.validation.suppression_claims`): not a judged claim.

``--pilot`` runs the four paired arms on root 783 (not a claim root), on a stream of its own (4298),
and prints, per claim, the pilot's paired ratio with its 95% CI and the per-pair standard deviation
of the log ratio that sizes the claims. ``--power N,...`` prints the per-root power and P(>= 4 of 5
roots) for those numbers of pairs at the planning ratios and SDs of :data:`PLAN`
(:func:`experiments.validation.osm_exploration.power`, the same normal approximation of the t interval).

Run: ``python -m experiments.validation.suppression_exploration --pilot --workers 2`` (~3 CPU-minutes)
and ``--power 60,100,150``.
"""

from __future__ import annotations

import math
from typing import Sequence

from scipy import stats

from .osm_exploration import power
from .sizing_cli import sizing_main
from .suppression_claims import CYTOKINE_HOSTS_FACTOR, SUPPRESSION_CLAIMS, judge_suppression, suppression_runs

__all__ = ["PILOT_ROOT", "PILOT_STREAM", "PILOT_PAIRS", "PLAN", "pilot", "claim_pairs", "power_line", "main"]

PILOT_ROOT = 783  # not a claim root (777-782 sized earlier claims)
PILOT_STREAM = 4298  # a stream no claim draws from
PILOT_PAIRS = 30
# claim -> (planning ratio, per-pair SD of the log ratio), from the pilot (ratios 0.36, 0.65, 0.86; SDs
# 1.15, 0.73, 0.48), the ratios planned weaker than the pilot's estimates
PLAN: dict[str, tuple[float, float]] = {
    "tregs_raise_burden": (0.6, 1.15),
    "treg_depletion_lowers_burden": (0.8, 0.75),
    "cytokine_raises_burden": (0.9, 0.5),
}


def pilot(workers: int = 1, pairs: int = PILOT_PAIRS) -> dict[str, dict[str, float]]:
    """Per claim: the pilot's ratio, 95% CI and per-pair SD of the log ratio."""
    by_root = suppression_runs([PILOT_ROOT], pairs, workers, stream=PILOT_STREAM)  # every arm on the same hosts
    out = {}
    for name in SUPPRESSION_CLAIMS:
        v = judge_suppression(by_root, name).pooled
        se = (math.log(v["ci95"][1]) - math.log(v["ci95"][0])) / (2 * stats.t.ppf(0.975, pairs - 1))
        out[name] = {"ratio": v["ratio"], "ci95": v["ci95"], "sd_log_per_pair": se * math.sqrt(pairs),
                     "treated_mean": v["treated_mean"], "default_mean": v["control_mean"]}
    return out


def claim_pairs(name: str, pairs: int) -> int:
    """The pairs a claim is judged on when the claims run ``pairs`` shared hosts (the cytokine claim: more)."""
    return pairs * (CYTOKINE_HOSTS_FACTOR if name == "cytokine_raises_burden" else 1)


def power_line(pairs: int) -> str:
    """Per claim of :data:`PLAN`: per-root power and P(holds in >= 80% of the roots) with ``pairs`` shared
    hosts per root (the cytokine claim at its own number of pairs)."""
    return "pairs: " + "; ".join(f"{k} ({claim_pairs(k, pairs)}) per-root %.2f, >= 80%% of roots %.2f"
                                 % power(claim_pairs(k, pairs), *v) for k, v in PLAN.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pilot or print the power table."""
    return sizing_main(argv, __doc__.splitlines()[0], pilot, power_line,
                       power_help="comma-separated pairs per root: print the claims' power at PLAN")


if __name__ == "__main__":
    raise SystemExit(main())
