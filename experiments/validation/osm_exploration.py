"""The sizing behind the OSM claims (:mod:`~experiments.validation.osm_claims`): not a judged claim.

``--pilot`` runs the three paired arms on root 779 (not a claim root) and prints, per claim, the
pilot's paired ratio with its 95% CI and the per-pair standard deviation of the log ratio (the
delta method's, with the pairs' covariance) that sizes the claims. ``--power`` then prints the
per-root power and P(>= 4 of 5 roots) for a number of pairs, at a planning ratio per claim.

Run: ``python -m experiments.validation.osm_exploration --pilot --workers 2`` (~3 CPU-minutes).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Sequence

from scipy import stats

from ..safeio import print_json
from .immunity_stats import p_holds_in_roots
from .osm_claims import OSM_CLAIMS, judge_osm, osm_runs

__all__ = ["PILOT_ROOT", "PILOT_PAIRS", "pilot", "power", "main"]

PILOT_ROOT = 779  # not a claim root (777 and 778 sized the dt and window claims)
PILOT_PAIRS = 30


def pilot(workers: int = 1, pairs: int = PILOT_PAIRS) -> dict[str, dict[str, float]]:
    """Per claim: the pilot's ratio, 95% CI and per-pair SD of the log ratio."""
    by_root = osm_runs([PILOT_ROOT], pairs, workers, stream=None)  # the seeds the pilot ran
    out = {}
    for name in OSM_CLAIMS:
        v = judge_osm(by_root, name).pooled
        se = (math.log(v["ci95"][1]) - math.log(v["ci95"][0])) / (2 * stats.t.ppf(0.975, pairs - 1))
        out[name] = {"ratio": v["ratio"], "ci95": v["ci95"], "sd_log_per_pair": se * math.sqrt(pairs)}
    return out


def power(pairs: int, ratio: float, sd_log_per_pair: float) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) of a claim whose true paired ratio is ``ratio``:
    the chance that the 95% CI excludes 1 on the claimed side (normal approximation of the t interval)."""
    se = sd_log_per_pair / math.sqrt(pairs)
    p = float(stats.norm.sf(stats.t.ppf(0.975, pairs - 1) - abs(math.log(ratio)) / se))
    return p, p_holds_in_roots(p)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pilot, or print the power of given numbers of pairs at planning ratios and SDs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", default=None, help="write the pilot's figures as JSON")
    ap.add_argument("--pilot", action="store_true")
    ap.add_argument("--power", default=None, help="comma-separated pairs per root")
    ap.add_argument("--plan", default=None, help="JSON {claim: [ratio, sd_log_per_pair]} for --power")
    args = ap.parse_args(argv)
    if args.power and not args.plan:
        ap.error("--power needs --plan '{\"claim\": [ratio, sd_log_per_pair], ...}'")
    if args.pilot:
        print_json(pilot(args.workers), args.out)
    if args.power:
        plan = json.loads(args.plan)
        for n in (int(x) for x in args.power.split(",")):
            print(n, "pairs:", "; ".join(f"{k} per-root %.2f, >= 80%% of roots %.2f" % power(n, *v)
                                         for k, v in plan.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
