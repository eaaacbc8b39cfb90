"""Pre-registered claims: regulatory T-cells and the suppressive cytokine raise the tumor burden at default settings.

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

Each arm's effect is a total effect, not only through T-cell killing. Without the cytokine there is
also no cytokine-driven Treg recruitment, M2 polarisation (and with it the M2 boost to tumor
division) or macrophage homing on its gradient; without Tregs there is also no Treg cytokine
source and no Treg occupying a site. Treg depletion acts on Tregs only.

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
per root: per-root power 1.00, 1.00 and 0.95 (P(>= 4 of 5 roots) 1.00, 1.00, 0.98).

Amended before any result (2026-11-30; the run of 71a2a3c was stopped after ~500 runs, unread): a
review found the cytokine claim sized less safely than the other two. Its planning ratio keeps ~70%
of the pilot's log effect (the others ~50%) and its SD is the pilot's own. At 300 pairs it has
per-root power 0.89 at an SD 15% higher and 0.71 (P(>= 4 of 5) 0.54) at a ratio of 0.93. So the
cytokine claim runs on ``CYTOKINE_PAIRS`` = 600 hosts per root (twice the pairs): the 300 shared hosts plus 300 more
(seeds 300-599 of the same stream) in its two arms only (default and no cytokine). Per-root power
is then 1.00 at 0.9, 0.99 at 0.9 with an SD 15% higher, and 0.94 (P(>= 4 of 5) 0.97) at 0.93. The
Treg claims keep their 300 pairs: in them the default arm's first 300 hosts are paired with the
treated arm's. Criteria unchanged. 9,000 runs (~1 CPU-s each at 60 x 60 with this small lesion:
~2.4 CPU-hours), run under ``--journal``.
Said before the run: the pilot's ratios above (30 pairs, not a verdict).
"""

from __future__ import annotations

from typing import Any, Sequence

from .biology_arms import NO_CYTOKINE, schedules
from .immunity_stats import ClaimResult, judge_paired_direction, paired_runs, window_overrides

__all__ = ["SUPPRESSION_DAYS", "SUPPRESSION_WINDOW", "SUPPRESSION_RADIUS", "SUPPRESSION_PAIRS", "CYTOKINE_HOSTS_FACTOR",
           "CYTOKINE_PAIRS",
           "SUPPRESSION_STREAM",
           "SUPPRESSION_CLAIMS", "suppression_arms", "suppression_runs", "judge_suppression", "claim_suppression"]

SUPPRESSION_DAYS = 18.0
SUPPRESSION_WINDOW = 60
SUPPRESSION_RADIUS = 5.0
SUPPRESSION_PAIRS = 300
CYTOKINE_HOSTS_FACTOR = 2  # the cytokine claim runs on twice the hosts, in its two arms (amended before any result)
CYTOKINE_PAIRS = CYTOKINE_HOSTS_FACTOR * SUPPRESSION_PAIRS
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
                     window: int = SUPPRESSION_WINDOW, stream: int | None = SUPPRESSION_STREAM,
                     cytokine_pairs: int | None = None) -> Runs:
    """``{root: {arm: [outcomes]}}``, paired: the i-th run of every arm of a root shares its seed.

    ``cytokine_pairs`` (> ``pairs``): the ``default`` and ``no_cytokine`` arms run on that many hosts, the
    first ``pairs`` shared with the other arms and the rest (the stream's next seeds) in these two only."""
    if cytokine_pairs is not None and cytokine_pairs < pairs:
        raise ValueError(f"cytokine_pairs = {cytokine_pairs}: the cytokine arms run on at least the {pairs} shared "
                         "hosts (None: the same hosts)")
    arms = suppression_arms(days, window)
    by_root = paired_runs(roots, pairs, arms, days, stream, workers)
    extra = (cytokine_pairs if cytokine_pairs is not None else pairs) - pairs
    if extra > 0:
        more = paired_runs(roots, extra, {k: arms[k] for k in ("default", "no_cytokine")}, days, stream, workers,
                           skip=pairs)
        for root in roots:
            for arm, outs in more[root].items():
                by_root[root][arm] += outs
    return by_root


def judge_suppression(by_root: Runs, name: str, days: float = SUPPRESSION_DAYS,
                      window: int = SUPPRESSION_WINDOW) -> ClaimResult:
    """One suppression claim's verdict per root seed and pooled (the pairs of every root together); the
    treated arm's hosts are paired with the default arm's first hosts (the same seeds)."""
    treated = SUPPRESSION_CLAIMS[name]
    res = ClaimResult(name, f"day-{days:g} burden {treated} / default (paired ratio of means, default host, "
                            f"{window}x{window}): 95% CI high < 1")
    pairs = {root: {treated: arms[treated], "default": arms["default"][: len(arms[treated])]}
             for root, arms in by_root.items()}
    return judge_paired_direction(res, pairs, treated, "default", "burden", -1)


def claim_suppression(roots: Sequence[int], reps: int = SUPPRESSION_PAIRS, workers: int = 1,
                      days: float = SUPPRESSION_DAYS, window: int = SUPPRESSION_WINDOW) -> list[ClaimResult]:
    """The three suppression claims from one shared set of paired hosts (``reps`` pairs per root; the
    cytokine claim on :data:`CYTOKINE_HOSTS_FACTOR` times as many, in its two arms)."""
    by_root = suppression_runs(roots, reps, workers, days, window, cytokine_pairs=CYTOKINE_HOSTS_FACTOR * reps)
    return [judge_suppression(by_root, name, days, window) for name in SUPPRESSION_CLAIMS]
