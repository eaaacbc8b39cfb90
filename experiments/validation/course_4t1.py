"""The 4T1-like course in an immunocompetent vs a SCID-like host (calibration row C6/C6b, shape).

Pre-registered on 2026-11-30 (issue 12), committed before any run that judges it.

Tao et al. (2008) see 4T1 regress in weeks 3-4 in immunocompetent BALB/c mice and not in
SCID mice; in an allogeneic host T-cell control shows after ~7 days (Katsuta 2016). The
model's default tumor is the 4T1-like one, so the claim is judged at default settings.

Criterion
---------
Default model, ``WINDOW`` x ``WINDOW`` sites, ``DAYS`` days, the same replicate seeds in
a competent host and in a SCID-like one (``host.immune_health = 0``). A course *dips*
when, after day ``DIP_FROM_DAY``, the daily burden falls at least ``DIP_DEPTH`` below its
running maximum, and that maximum is reached between day ``DIP_FROM_DAY`` and day
``PEAK_BY_DAY`` (a regression in weeks 1-4, not a late wobble). The claim holds when,
pooled over the ``ROOT_SEEDS`` (``REPLICATES`` pairs each, seeds from
``SeedSequence([root, STREAM]).spawn``):

* the fraction of competent courses that dip has its 95% Wilson lower bound >= 0.5, and
* the fraction of SCID-like courses that dip has its 95% Wilson upper bound <= 0.2,

and the same two point conditions (competent fraction >= 0.5, SCID fraction <= 0.2) hold
in >= 80% of the root seeds. Both bounds can fail: too few competent dips or too many SCID
ones. Sizing: 0 dips in 20 SCID courses gives a Wilson upper bound of 0.16, so 5 roots x 4
pairs is the smallest pooled size that can pass; per root the point rule is what is judged.

Re-sized 2026-11-30 (fifth session), committed before judged run 3; the criterion is unchanged.
Runs 1-2 had 4 pairs per root and judged 15/20 and then 14/20 competent dips (Wilson lower 0.53,
0.48): the claim sat on the boundary. At a true competent dip fraction of 0.70 (the pooled 29/40
is 0.725) and SCID-like 0.02 (0/40 seen), 12 pairs per root (60 per arm) pass the pooled bound
with probability 0.90 and the per-root rule in >= 4 of 5 roots with 0.985; both together 0.88
(0.62 if the true fraction is 0.65). 8 pairs would give 0.68 at 0.70. Run 3 uses fresh courses
(``STREAM`` 4002; runs 1-2 used 4001), so no course judged before is judged again.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy.stats import binomtest

from . import immunity_stats
from .core import Budget, Check, Series, run_arms

__all__ = ["ROOT_SEEDS", "course_dips", "wilson", "judge", "run", "section", "SECTION"]

SECTION = "Immunity: 4T1-like course (C6)"
ROOT_SEEDS = immunity_stats.ROOT_SEEDS  # the claims' root seeds (immunity_stats)
REPLICATES = 12  # 4 in runs 1-2 (see the re-sizing note above)
WINDOW = 100
DAYS = 35.0
DIP_FROM_DAY = 7.0
PEAK_BY_DAY = 28.0
DIP_DEPTH = 0.2
STREAM = 4002  # 4001 in runs 1-2: run 3 judges fresh courses
COMPETENT_MIN = 0.5
SCID_MAX = 0.2


def course_dips(days: np.ndarray, burden: np.ndarray) -> bool:
    """True if the burden falls >= ``DIP_DEPTH`` below a running maximum reached in days 7-28."""
    days = np.asarray(days, dtype=float)
    burden = np.asarray(burden, dtype=float)
    after = days >= DIP_FROM_DAY
    d, b = days[after], burden[after]
    if b.size < 2:
        return False
    peak = np.maximum.accumulate(b)
    peak_day = np.empty_like(d)
    at = 0
    for i in range(b.size):  # the day at which the running maximum was reached
        if b[i] >= peak[i]:
            at = i
        peak_day[i] = d[at]
    fall = 1.0 - b / np.where(peak > 0, peak, 1.0)
    return bool(np.any((fall >= DIP_DEPTH) & (peak_day <= PEAK_BY_DAY) & (peak > 0)))


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy's ``proportion_ci``; ``(0, 1)`` for ``n = 0``)."""
    if n == 0:
        return 0.0, 1.0
    ci = binomtest(int(successes), int(n)).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def judge(by_root: dict[int, dict[str, list[bool]]]) -> dict[str, Any]:
    """Verdict from ``{root: {"competent": [dips...], "scid": [dips...]}}``."""
    per_root = []
    for root, arms in by_root.items():
        c = float(np.mean(arms["competent"]))
        s = float(np.mean(arms["scid"]))
        per_root.append({"root": root, "competent_dip_fraction": c, "scid_dip_fraction": s,
                         "holds": c >= COMPETENT_MIN and s <= SCID_MAX})
    comp = [x for arms in by_root.values() for x in arms["competent"]]
    scid = [x for arms in by_root.values() for x in arms["scid"]]
    c_lo, c_hi = wilson(sum(comp), len(comp))
    s_lo, s_hi = wilson(sum(scid), len(scid))
    roots_ok = immunity_stats.holds_in_roots(per_root)
    return {"competent": (sum(comp), len(comp), c_lo, c_hi), "scid": (sum(scid), len(scid), s_lo, s_hi),
            "per_root": per_root, "holds": bool(c_lo >= COMPETENT_MIN and s_hi <= SCID_MAX and roots_ok)}


def _daily(series: Series) -> tuple[np.ndarray, np.ndarray]:
    days = series["days"]
    keep = np.isclose(days, np.round(days))
    return days[keep], series["tumor_cells"][keep]


def run(roots: Sequence[int] = ROOT_SEEDS, replicates: int = REPLICATES, window: int = WINDOW,
        days: float = DAYS, workers: int = 1) -> list[Check]:
    """Run the paired courses and return the C6 check (smaller sizes are smoke runs, not verdicts)."""
    tissue = {"lattice.width_sites": window, "lattice.height_sites": window}
    by_root = run_arms(roots, replicates, STREAM, tissue, {"competent": {}, "scid": {"host.immune_health": 0.0}},
                       days, lambda series: course_dips(*_daily(series)), workers)
    v = judge(by_root)
    cx, cn, clo, chi = v["competent"]
    sx, sn, slo, shi = v["scid"]
    full = tuple(roots) == ROOT_SEEDS and replicates == REPLICATES and window == WINDOW and days == DAYS
    return [Check(
        id="imm.course_4t1",
        section=SECTION,
        claim="the immunocompetent 4T1-like course regresses in weeks 1-4; the SCID-like course does not",
        reference="Tao et al. 2008 (C6: regression weeks 3-4, none in SCID); Katsuta et al. 2016 (C6b: ~7 d)",
        statistic="fraction of courses with a >= 20% fall below a running maximum reached on days 7-28",
        value=cx / cn if cn else float("nan"), ci=(clo, chi), unit="",
        criterion=f"competent Wilson 95% lower >= {COMPETENT_MIN}; SCID upper <= {SCID_MAX}; point rule in >= 80% of roots",
        passed=v["holds"] if full else False,
        notes=(f"competent {cx}/{cn} dip (95% CI {clo:.2f}-{chi:.2f}); SCID-like {sx}/{sn} ({slo:.2f}-{shi:.2f}); "
               f"roots holding {sum(r['holds'] for r in v['per_root'])}/{len(v['per_root'])}"
               + ("" if full else " (smoke size: not a verdict)")),
        extra={"per_root": v["per_root"], "scid_ci": [slo, shi], "full_size": full},
    )]


def section(budget: Budget, fig_dir: Any = None, quick: bool = False) -> list[Check]:
    """The validate section: the pre-registered size, or a labelled smoke size (2 roots, 40 x 40, 12 days)."""
    if quick:
        return run(ROOT_SEEDS[:2], 2, 40, 12.0, budget.workers)
    return run(workers=budget.workers)
