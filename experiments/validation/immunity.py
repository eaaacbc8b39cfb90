"""Pre-registered claims of issue 12: window-independent immune dose, immune control, bone niche.

Each claim's criterion is fixed here, in code, before the run that judges it
(committed 2026-11-29 ahead of the first run). Every claim runs over
``ROOT_SEEDS`` independent root seeds; replicate seeds of one root come from
``numpy.random.SeedSequence(root).spawn``. A claim holds when its criterion
holds in >= 80% of the root seeds; the pooled p-values of the claims are
Holm-corrected (family-wise alpha 0.05).

Claims
------
``window_equivalence``
    The same tumor in 60x60, 100x100 and 200x200 windows, 18 days: CD8 influx
    per tumor cell-day, final burden and CD8 kills, each as the ratio of means
    (window W / window 100), 90% CI (log-scale delta method, unpaired) inside
    [0.9, 1.1] (a two one-sided test at 5% each; it fails on both sides).
``immune_control``
    100x100 window, 21 days, paired seeds: burden in an immunodeficient host
    (``host.immune_health = 0``) over an immunocompetent one; the 90% CI of the
    ratio of means (paired, log-scale delta method) has its lower bound >= 1.25.
``bone_irf7`` (bone niche; run when the model has it)
    fraction of hosts with bone metastasis by day ``BONE_DAYS``: IRF7-silenced
    > intact, interferon dosing and IRF7 restoration <= 0.5 x silenced, and no
    protection by dosing in an immunodeficient host (difference CI includes 0 or
    favours dosing by < 50%). Two-proportion Wald intervals (95%).
    Written as code on 2026-11-29 (branch wt-bio2) before any judged run, as four
    claims (``bone_*`` below); each holds when it holds in >= 80% of root seeds
    (per root: the same criterion on that root's hosts), p-values Holm-corrected
    with the other claims:

    ``bone_silencing``: P(bone metastasis by day ``BONE_DAYS``) silenced - intact,
    95% Wald CI (Agresti-Caffo +1/+1) lower bound > 0, AND restricted mean
    metastasis-free time (to ``BONE_DAYS``) silenced - intact, 95% Welch CI upper
    bound < 0.
    ``bone_interferon``, ``bone_restoration``: risk ratio treated / silenced
    (IRF7-silenced hosts, dosing from day 2 / restoration on day 2) point
    estimate <= 0.5 AND 95% log-scale CI (+0.5 continuity) upper bound < 1.
    ``bone_deficient``: in immunodeficient hosts (``host.immune_health = 0``)
    the interferon risk ratio dosed / undosed has its 95% CI lower bound >= 0.5
    (protection lost: a >= 50% reduction is excluded; fails if dosing still
    protects or if the interval is too wide to tell).
    Resized 2026-11-30 before judged runs 3 (24 hosts per root) and 4 (48), criteria
    unchanged, each time with fresh hosts; run 5 (48 fresh hosts) judges the niche fitted to
    C9; run 6 (sixth session, 120 fresh hosts per root) is sized for per-root power
    (sizing in :mod:`experiments.validation.bone_claims`).
    ``bone_interferon_daily`` (registered 2026-11-30, before judged run 6): the
    ``bone_interferon`` criterion for interferon daily x 20 from day 2
    (scenario ``irf7_silenced_plus_daily_interferon``), a regimen chosen after an
    exploration on other hosts (:mod:`experiments.validation.bone_regimens`).
    ``bone_deficient_daily``, ``bone_deficient_restoration`` (registered 2026-11-30 after
    judged run 6, before their own run; claim group ``bone_deficient_more``): the
    ``bone_deficient`` criterion for daily interferon and for IRF7 restoration, on 60 fresh
    immunodeficient hosts per root (seeds 292-351) with their own silenced control.
``dt_immune_outcomes`` (2026-11-30, before any judged run; criterion and sizing in
    :mod:`experiments.validation.dt_claim`)
    default model, 60x60, 30 days: final burden, CD8 kills and time-mean CD8 count at
    dt 0.5 and 0.25 h over dt 0.125 h, ratio of means 90% CI inside [0.85, 1.15],
    pooled and in >= 80% of root seeds.
``dt_immune_rates`` (sixth session, 2026-11-30, before its judged run; criterion and sizing in
    :mod:`experiments.validation.dt_claim`)
    the same arms and rules for kills per CD8 T-cell-day and CD8 influx per tumor
    cell-day, 50 fresh runs per arm per root (the burden of ``dt_immune_outcomes`` is
    too variable for its criterion at any affordable size).

``dt_immune_rates_replication`` (seventh session, 2026-11-30, after ``dt_immune_rates`` failed
    3/5 roots and before its own run; in :mod:`experiments.validation.dt_claim`)
    ``dt_immune_rates`` again on fresh hosts, 75 runs per arm per root.
``osm_growth``, ``osm_spread``, ``anti_osm_growth``, ``anti_osm_spread`` (seventh session,
    2026-11-30, before any judged run; claim group ``osm``; criteria and sizing in
    :mod:`experiments.validation.osm_claims`) the OSM directions at default rates in the
    default immune host, 200 paired hosts per root, 95% CI of the paired ratio excluding 1.
``window_rates`` (seventh session, 2026-11-30, before its judged run; criterion and sizing in
    :mod:`experiments.validation.window_claim`)
    CD8 influx per tumor cell-day and 18-day CD8 kills in 60 and 200 vs 100 sites, ratio of
    means 90% CI inside [0.9, 1.1], pooled and in >= 80% of root seeds; 150 fresh runs per
    window per root.
``tregs_raise_burden``, ``treg_depletion_lowers_burden``, ``cytokine_raises_burden`` (ninth session,
    2026-11-30, before any judged run; claim group ``suppression``; criteria and sizing in
    :mod:`experiments.validation.suppression_claims`) Tregs, their depletion and the suppressive
    cytokine at default rates in the default host: day-18 burden, paired ratio 95% CI below 1;
    300 paired hosts per root (the cytokine claim 600).
``window_burden`` (ninth session, 2026-11-30, before its judged run; criterion and sizing in
    :mod:`experiments.validation.window_claim`)
    the day-18 tumor burden in 60 and 200 vs 100 sites, ratio of means 90% CI inside [0.9, 1.1],
    pooled and in >= 80% of root seeds; 1200 fresh runs per window per root (~9.5 CPU-hours, run
    under ``--journal`` and resumed).
``voxel_fields`` (eighth session, 2026-11-30, before its judged run; issue 15; criterion and
    sizing in :mod:`experiments.validation.voxel_claim`)
    the fast field mode (``lattice.field_voxel_sites = 2``, float32 transforms) against
    per-site float64 fields, 100x100, 18 days: CD8 influx per tumor cell-day and CD8 kills,
    ratio of means 90% CI inside [0.9, 1.1], pooled and in >= 80% of root seeds; 150 fresh
    hosts per arm per root.
``irf7_primary_growth`` (eighth session, 2026-11-30, before its judged run; criterion and sizing in
    :mod:`experiments.validation.irf7_primary_claim`)
    day-18 primary burden, IRF7 silenced / intact, 60x60: paired ratio of means, 95% CI inside
    [0.8, 1.2], pooled and in >= 80% of root seeds; 400 fresh paired hosts per root.

Sizing: the burden CV at 100x100, 21 days is ~0.15-0.25 (pilot, seeds 0-2);
with a true ratio of 1.5 and CV 0.25, 6 pairs per root seed give a 90% lower
bound above 1.25 with power ~0.8 per root (the ratio's log SE ~0.25*sqrt(2/6)).
The equivalence claim needs ~35 runs per window per root seed for power 0.8 at
CV 0.25; we run ``WINDOW_REPLICATES`` per root seed and pool over roots, and
report the per-root verdict as underpowered where it is (see docs/validation.md).

Runs go through the shared pipeline (``validation_spec`` + ``run_specs``, parallel
workers); the statistics live in :mod:`experiments.validation.immunity_stats`, the bone
claims in :mod:`experiments.validation.bone_claims` (moved there unchanged) and the dt
claim in :mod:`experiments.validation.dt_claim`. The window and control
claims, the claim registry and the Holm-corrected runner live in
:mod:`experiments.validation.immune_claims` (this module re-exports them and is the command
line); the report section is :mod:`experiments.validation.immunity_section`.

Usage::

    python -m experiments.validation.immunity --claims immune_control --roots 5 --workers 2 --out F.json

``--journal FILE`` makes a long claim run resumable (:mod:`experiments.validation.journal`);
``--journal FILE --status`` says how far it is.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Sequence

from ..safeio import atomic_write
from .bone_claims import BONE_ARMS, BONE_DAYS, BONE_HOSTS, BONE_MAX_RISK_RATIO, BONE_WINDOW, claim_bone
from .immune_claims import (
    CLAIMS,
    CONTROL_DAYS,
    CONTROL_MIN_RATIO,
    CONTROL_REPLICATES,
    CONTROL_WINDOW,
    EQUIVALENCE_MARGIN,
    WINDOW_DAYS,
    WINDOW_REPLICATES,
    WINDOWS,
    claim_immune_control,
    claim_window_equivalence,
    run_claims,
)
from .immunity_stats import (
    ALPHA,
    HOLDS_FRACTION,
    ROOT_SEEDS,
    ClaimResult,
    holm,
    ratio_ci_paired,
    ratio_ci_unpaired,
    replicate_seeds,
    risk_difference_ci,
    risk_ratio_ci,
)
from .journal import journal_runs, journal_status

__all__ = ["ROOT_SEEDS", "HOLDS_FRACTION", "ALPHA", "WINDOWS", "WINDOW_DAYS", "WINDOW_REPLICATES",
           "EQUIVALENCE_MARGIN", "CONTROL_DAYS", "CONTROL_REPLICATES", "CONTROL_MIN_RATIO", "CONTROL_WINDOW",
           "BONE_DAYS", "BONE_WINDOW", "BONE_HOSTS", "BONE_MAX_RISK_RATIO", "BONE_ARMS", "ClaimResult",
           "replicate_seeds", "ratio_ci_unpaired", "ratio_ci_paired", "risk_difference_ci", "risk_ratio_ci", "holm",
           "claim_immune_control", "claim_window_equivalence", "claim_bone", "CLAIMS", "run_claims", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected claims and print JSON verdicts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", default=",".join(CLAIMS), help="comma-separated claim names")
    ap.add_argument("--roots", type=int, default=len(ROOT_SEEDS), help="number of root seeds (<= 5)")
    ap.add_argument("--reps", type=int, default=None, help="replicates per root seed (default: the claim's)")
    ap.add_argument("--workers", type=int, default=1, help="worker processes of the run pipeline")
    ap.add_argument("--out", default=None, help="write the JSON verdicts here")
    ap.add_argument("--journal", default=None, metavar="FILE",
                    help="journal each finished run here and resume from it: a stopped run, started again "
                         "with the same FILE, runs only what is missing (experiments.validation.journal)")
    ap.add_argument("--status", action="store_true",
                    help="with --journal: print how many runs the journal holds (not their values) and exit")
    args = ap.parse_args(argv)
    if args.status:
        if not args.journal:
            ap.error("--status needs --journal FILE")
        try:
            print(journal_status(args.journal))
        except FileNotFoundError as e:
            ap.error(str(e))
        return 0
    if args.journal and args.out and os.path.abspath(args.journal) == os.path.abspath(args.out):
        ap.error(f"--out {args.out} is the journal: the verdicts would replace it; give another file")
    with journal_runs(args.journal):
        report = run_claims(args.claims.split(","), ROOT_SEEDS[: args.roots], args.reps, args.workers)
    text = json.dumps(report, indent=1, default=float)
    print(text)
    if args.out:  # atomically: a stopped run leaves no half-written verdicts
        atomic_write(args.out, lambda tmp: tmp.write_text(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
