"""Pre-registered claims: regulatory T-cells and the suppressive cytokine cost immune control at default settings.

Written as code on 2026-11-30 (ninth session), before any judged run.

Why
---
Issue 12 opened with "With no Tregs the tumor is +1.2% (CI -7 to +10%)": suppression carried no
weight on the outcome users compare. Since then Tregs and the cytokine were judged only as shares
of killing capacity, on one root (``bio.treg_suppression_in_tissue``,
``bio.cytokine_suppression_in_tissue``), and the suppressive cytokine is one of the product's three
fields. The issue's "Must hold" asks each phenomenon at default settings over >= 5 root seeds. These
claims ask it of the day-18 burden, in the default immunocompetent host with every rate at its default.

Claims
------
Tissue: notebook 05's and the OSM claims' (profile ``default``, 60 x 60, ``tumor.initial_radius_sites``
5, 18 days). Four arms per host, paired (the same seed in every arm):

* ``default``;
* ``no_tregs``: no Treg influx (``treg.recruitment_per_vessel_per_hour`` 0; a Treg-deficient host,
  as in Foxp3-DTR ablation, Bos et al. 2013);
* ``treg_depletion``: the anti-CTLA-4 / anti-CD25 treatment (``treg_depletion``, days 3, 9 and 15,
  the biology section's schedule);
* ``no_cytokine``: no suppressive-cytokine sources (tumor, Treg and M2 secretion 0:
  ``biology_arms.NO_CYTOKINE``, the biology section's arm).

Read-out: the day-18 tumor burden. Each claim: the paired ratio of mean burdens treated / default
(``ratio_ci_paired``, log-scale delta method with the pairs' covariance) has its 95% CI below 1:

* ``tregs_raise_burden``: ``no_tregs`` / ``default``;
* ``treg_depletion_lowers_burden``: ``treg_depletion`` / ``default``;
* ``cytokine_raises_burden``: ``no_cytokine`` / ``default``.

Judged per root seed (``ROOT_SEEDS``) and pooled; a claim holds when it holds in >= 80% of the root
seeds; its Holm p-value is the pooled one-sided t-test of the log ratio. A ratio above 1, or a CI
that includes 1, fails.

Hosts: ``SeedSequence([root, 4207])`` (:data:`SUPPRESSION_STREAM`), a stream no other claim draws
from (a test checks it).

Sizing (pilot 2026-11-30: root 783, not a claim root, stream 4298, 30 pairs; ``python -m
experiments.validation.suppression_exploration --pilot``, saved in
``docs/validation-issue12/pilot-suppression.json``): paired ratios (95% CI) no Tregs 0.36
(0.23-0.55), Treg depletion 0.65 (0.50-0.86), no cytokine 0.86 (0.72-1.03); per-pair SD of the log
ratio 1.15, 0.73 and 0.48. Planning ratios weaker than the pilot's: 0.6, 0.8 and 0.9, at SDs 1.15,
0.75 and 0.5 (``PLAN`` in the exploration module). ``--power`` at ``SUPPRESSION_PAIRS`` = 300 pairs
per root: per-root power 1.00, 1.00 and 0.95 (P(>= 4 of 5 roots) 1.00, 1.00, 0.98); if the cytokine
lowers the burden by only 7% (ratio 0.93), 0.71 per root and 0.54 for 4 of 5, so that claim can
fail for power. 6,000 runs (~1.3 CPU-s each: ~2.2 CPU-hours), run under ``--journal``.
Said before the run: the pilot's ratios above (30 pairs, not a verdict).
"""

from __future__ import annotations

from typing import Any, Sequence

from .biology_arms import NO_CYTOKINE, schedules
from .immunity_stats import ClaimResult, judge_paired_direction, paired_runs, window_overrides

__all__ = ["SUPPRESSION_DAYS", "SUPPRESSION_WINDOW", "SUPPRESSION_RADIUS", "SUPPRESSION_PAIRS", "SUPPRESSION_STREAM",
           "SUPPRESSION_CLAIMS", "suppression_arms", "suppression_runs", "judge_suppression", "claim_suppression"]

SUPPRESSION_DAYS = 18.0
SUPPRESSION_WINDOW = 60
SUPPRESSION_RADIUS = 5.0
SUPPRESSION_PAIRS = 300
SUPPRESSION_STREAM = 4207  # SeedSequence([root, 4207]): no other claim draws from it
# claim -> treated arm (each against ``default``, claimed to lower the burden)
SUPPRESSION_CLAIMS: dict[str, str] = {
    "tregs_raise_burden": "no_tregs",
    "treg_depletion_lowers_burden": "treg_depletion",
    "cytokine_raises_burden": "no_cytokine",
}

Runs = dict[int, dict[str, list[dict[str, float]]]]


def suppression_arms(days: float = SUPPRESSION_DAYS,
                     window: int = SUPPRESSION_WINDOW) -> dict[str, tuple[dict[str, Any], tuple]]:
    """Arm name -> (dotted overrides, treatments)."""
    tissue = {**window_overrides(window), "tumor.initial_radius_sites": SUPPRESSION_RADIUS}
    return {"default": (tissue, ()),
            "no_tregs": ({**tissue, "treg.recruitment_per_vessel_per_hour": 0.0}, ()),
            "treg_depletion": (tissue, (schedules(days)["treg_depletion"],)),
            "no_cytokine": ({**tissue, **NO_CYTOKINE}, ())}


def suppression_runs(roots: Sequence[int], pairs: int, workers: int = 1, days: float = SUPPRESSION_DAYS,
                     window: int = SUPPRESSION_WINDOW, stream: int | None = SUPPRESSION_STREAM) -> Runs:
    """``{root: {arm: [outcomes]}}``, paired: the i-th run of every arm of a root shares its seed."""
    return paired_runs(roots, pairs, suppression_arms(days, window), days, stream, workers)


def judge_suppression(by_root: Runs, name: str, days: float = SUPPRESSION_DAYS,
                      window: int = SUPPRESSION_WINDOW) -> ClaimResult:
    """One suppression claim's verdict per root seed and pooled (the pairs of every root together)."""
    treated = SUPPRESSION_CLAIMS[name]
    res = ClaimResult(name, f"day-{days:g} burden {treated} / default (paired ratio of means, default host, "
                            f"{window}x{window}): 95% CI high < 1")
    return judge_paired_direction(res, by_root, treated, "default", "burden", -1)


def claim_suppression(roots: Sequence[int], reps: int = SUPPRESSION_PAIRS, workers: int = 1,
                      days: float = SUPPRESSION_DAYS, window: int = SUPPRESSION_WINDOW) -> list[ClaimResult]:
    """The three suppression claims from one shared set of paired hosts (``reps`` pairs per root)."""
    by_root = suppression_runs(roots, reps, workers, days, window)
    return [judge_suppression(by_root, name, days, window) for name in SUPPRESSION_CLAIMS]
