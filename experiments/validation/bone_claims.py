"""The bone-niche claims of issue 12 (four pre-registered 2026-11-29 on branch wt-bio2, before any judged run;
``bone_interferon_daily`` registered 2026-11-30 before judged run 6).

Criteria, sizes and arms are those of the ``bone_*`` entries in the docstring of
:mod:`experiments.validation.immunity`; they moved here unchanged. Each arm is a builtin
scenario (its profile overrides, own overrides and treatments, read from
:func:`model.get_scenario`) plus the arm's overrides, run through the shared pipeline.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
from scipy import stats

from model import PROFILES, get_scenario

from .immunity_stats import (
    ClaimResult,
    Job,
    holds_in_roots,
    replicate_seeds,
    risk_difference_ci,
    risk_ratio_ci,
    run_jobs,
    window_overrides,
)

__all__ = ["BONE_DAYS", "BONE_WINDOW", "BONE_HOSTS", "BONE_SEED_OFFSET", "BONE_MAX_RISK_RATIO", "BONE_ARMS",
           "DEFICIENT_ARMS", "DEFICIENT_HOSTS", "DEFICIENT_SEED_OFFSET", "bone_arm", "bone_runs",
           "judge_bone_silencing", "judge_bone_reduction", "judge_bone_deficient", "claim_bone",
           "claim_bone_deficient_more"]

# sizing (not criteria) set after a one-host pilot (2026-11-29, seed 7, 60x60, 21 days: 3-4 seeds per
# host, no arm reached a 100-cell colony by day 21): 30 days as the shipped IRF7 scenarios, a 50x50
# window so the tumor reaches its vessels early.
# Resized 2026-11-30 (fourth session) before judged run 3, criteria unchanged: judged run 2 had 4 hosts
# per root and could not hold per root (an interval on a proportion over 4 hosts cannot exclude 1).
# Power by simulation (:mod:`experiments.validation.bone_power`, the claims' own judges) at run 2's
# pooled rates (silenced 0.60, interferon/restoration 0.15) gave 24 hosts per root. Run 3 (24 fresh
# hosts, seeds 4-27; docs/validation-issue12/run3-bone.json) held silencing (4/5 roots) and the
# immunodeficient claim (5/5) but not the two risk-ratio claims (2/5 roots; pooled 0.18, 95% CI
# 0.08-0.37): the silenced rate is 0.35, not run 2's 0.60, so the sizing was optimistic.
# Resized again before judged run 4, criteria unchanged: at run 3's pooled rates (intact 0.01,
# silenced 0.35, interferon/restoration 0.06, immunodeficient 0.80/0.77) 48 hosts per root give
# per-root power 0.96-1.0 and P(>= 4 of 5 roots) 0.98-1.0 (36 hosts: 0.81-0.85). Run 4's hosts are
# fresh again (seeds 28-75), so no run re-judges hosts an earlier run judged; run 3 stays on record.
# Judged run 5, on the niche fitted to C9 (bone.surveillance_ifn_max_per_hour 0.06 -> 0.024,
# experiments/validation/bone_fit.py; run 4 was stopped unfinished, run 3 is the former choice's
# record): 48 fresh hosts per root (seeds 76-123), criteria unchanged. A pilot on root 777 (not a
# claim root; 24 hosts) gave
# intact 0.125, silenced 0.29, interferon 0.21, restoration 0.083, immunodeficient 0.83/0.83; at
# those rates 48 hosts give per-root power 0.37 (silencing), ~0.1 (interferon: its risk ratio ~0.7
# is above the 0.5 criterion), 0.70 (restoration), 1.0 (immunodeficient). Per-root power 0.8 for
# silencing needs ~200 hosts per root (~6,000 runs), more than this session's CPU: run 5 is stated
# in advance as underpowered per root for silencing, and its pooled estimates (240 hosts per arm)
# are the model's prediction for H3.
# Judged run 6 (sixth session, 2026-11-30; registered in this commit, before the run), criteria
# unchanged: fresh hosts (seeds 172-291 of each root; runs 3-5 used 4-123 and the regimen
# exploration 124-171), sized by :mod:`experiments.validation.bone_power` at the pooled rates of run 5
# and the fifth session's full report (intact 0.07, silenced 0.31, interferon 0.15, restoration 0.11,
# daily interferon 0.065, immunodeficient 0.78/0.80); the power table is in
# docs/validation-issue12/run6-bone-power.txt: 120 hosts per root give per-root power 0.90 for
# restoration (P(>= 4 of 5 roots) 0.91), 0.99 for silencing, 1.0 for daily interferon and
# immunodeficient; the two-day interferon claim ~0.5 at any size (its risk ratio sits at the bar).
# One arm and one claim are new (``bone_interferon_daily``, same criterion as ``bone_interferon``): the registered two-day regimen
# gives a risk ratio near the 0.5 bar (0.48-0.50 pooled, so it fails or holds per root by chance
# at any size); the daily regimen (20 doses) was chosen after the regimen exploration on hosts
# 124-171 (risk ratio 0.20, 5/5 roots) and is judged here on hosts that exploration did not see.
# ``bone_interferon`` keeps its registered regimen and criterion and is reported alongside.
BONE_DAYS = 30.0
BONE_WINDOW = 50
BONE_HOSTS = 120
BONE_SEED_OFFSET = 172
BONE_MAX_RISK_RATIO = 0.5
BONE_ARMS: dict[str, tuple[str | None, dict[str, Any]]] = {
    # arm: (scenario, overrides); scenarios from model/scenarios/builtin
    "intact": ("untreated", {}),
    "silenced": ("irf7_silenced", {}),
    "silenced_interferon": ("irf7_silenced_plus_interferon", {}),
    "silenced_restoration": ("irf7_silenced_plus_restoration", {}),
    "silenced_interferon_daily": ("irf7_silenced_plus_daily_interferon", {}),
    "deficient_silenced": ("irf7_silenced", {"host__immune_health": 0.0}),
    "deficient_silenced_interferon": ("irf7_silenced_plus_interferon", {"host__immune_health": 0.0}),
}
# Two more claims of "the protection is lost in an immunodeficient host" (Bidwell 2012), registered
# 2026-11-30 (sixth session) after judged run 6 and before their own run: run 6 judged the loss only
# for the two-day regimen, while its protecting arms are daily interferon and restoration. Criterion
# as ``bone_deficient``. Fresh hosts (seeds 292-351: after run 6's 172-291), their own silenced
# control. Sizing: at run 6's immunodeficient rates (0.84 undosed, 0.80 dosed) and a true risk ratio
# of ~0.95, 60 hosts give a per-root 95% lower bound near 0.8, far above 0.5 (per-root power ~1.0,
# as bone_power gives for bone_deficient at 60 hosts); the claims fail if dosing or restoration still
# protects without immunity, e.g. through the seeding inhibition of type-I IFN at the primary's
# vessels, which needs no immune cells.
DEFICIENT_HOSTS = 60
DEFICIENT_SEED_OFFSET = 292
DEFICIENT_ARMS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "deficient_silenced": ("irf7_silenced", {"host__immune_health": 0.0}),
    "deficient_silenced_interferon_daily": ("irf7_silenced_plus_daily_interferon", {"host__immune_health": 0.0}),
    "deficient_silenced_restoration": ("irf7_silenced_plus_restoration", {"host__immune_health": 0.0}),
}

Runs = dict[int, dict[str, list[dict[str, float]]]]


def bone_arm(arm: str, window: int = BONE_WINDOW) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    """(dotted overrides, treatments) of a bone arm: its scenario's profiles and overrides, the window, the arm's."""
    scenario_name, extra = {**BONE_ARMS, **DEFICIENT_ARMS}[arm]
    overrides: dict[str, Any] = {}
    treatments: tuple[dict[str, Any], ...] = ()
    if scenario_name is not None:
        scenario = get_scenario(scenario_name)
        for profile in scenario.profile:
            overrides.update(PROFILES[profile].overrides)
        overrides.update(scenario.overrides)
        treatments = tuple(dict(t) for t in scenario.treatments)
    overrides.update(window_overrides(window))
    overrides.update({k.replace("__", "."): v for k, v in extra.items()})
    return overrides, treatments


def bone_runs(roots: Sequence[int], reps: int, arms: Sequence[str], workers: int = 1, days: float = BONE_DAYS,
              window: int = BONE_WINDOW, offset: int = BONE_SEED_OFFSET) -> Runs:
    """Every arm's hosts per root seed; the same replicate seeds in every arm (common random numbers).

    Hosts are replicate seeds ``offset .. offset + reps - 1`` of each root (prefix-stable spawn)."""
    keys = [(root, arm, s) for root in roots for arm in arms
            for s in replicate_seeds(root, offset + reps)[offset:]]
    defs = {arm: bone_arm(arm, window) for arm in arms}
    jobs = [Job(defs[arm][0], s, days, defs[arm][1]) for _, arm, s in keys]
    out: Runs = {root: {arm: [] for arm in arms} for root in roots}
    for (root, arm, _), res in zip(keys, run_jobs(jobs, workers)):
        out[root][arm].append(res)
    return out


def _count(runs: list[dict[str, float]]) -> tuple[int, int]:
    return int(sum(r["metastasis"] for r in runs)), len(runs)


def _pool(by_root: Runs, arm: str) -> list[dict[str, float]]:
    return sum((a[arm] for a in by_root.values()), [])


def _judge(res: ClaimResult, by_root: Runs, verdict: Callable[[list, list], dict[str, Any]],
           treated: str, control: str) -> ClaimResult:
    """Fill ``res`` with ``verdict(treated runs, control runs)`` per root and pooled; the claim holds
    by the >= 80%-of-roots rule (:func:`holds_in_roots`)."""
    for root, arms in by_root.items():
        res.per_root.append({"root": root, **verdict(arms[treated], arms[control])})
    pooled = verdict(_pool(by_root, treated), _pool(by_root, control))
    res.pooled, res.p_value = pooled, pooled["p"]
    res.holds = holds_in_roots(res.per_root)
    return res


def judge_bone_silencing(by_root: Runs, days: float = BONE_DAYS) -> ClaimResult:
    """Silencing raises P(bone metastasis) (CI > 0) and shortens metastasis-free time (CI < 0)."""
    res = ClaimResult("bone_silencing", f"P(bone met by day {days:g}) silenced - intact: 95% CI low > 0; "
                      "restricted mean metastasis-free days silenced - intact: 95% CI high < 0")

    def verdict(sil: list[dict[str, float]], int_: list[dict[str, float]]) -> dict[str, Any]:
        d, lo, hi = risk_difference_ci(*_count(sil), *_count(int_))
        a = np.array([r["free_days"] for r in sil])
        b = np.array([r["free_days"] for r in int_])
        diff = a.mean() - b.mean()
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        t_lo, t_hi = (diff - 1.96 * se, diff + 1.96 * se) if se > 0 else (diff, diff)
        se_d = (hi - lo) / (2 * stats.norm.ppf(0.975))
        p_prop = float(stats.norm.sf(d / max(se_d, 1e-12)))  # one-sided: silencing raises the risk
        return {"risk_difference": d, "ci95": [lo, hi], "rmst_difference_days": diff, "rmst_ci95": [t_lo, t_hi],
                "p_silenced": _count(sil)[0] / len(sil), "p_intact": _count(int_)[0] / len(int_),
                "holds": lo > 0 and t_hi < 0, "p": p_prop}

    return _judge(res, by_root, verdict, "silenced", "intact")


def judge_bone_reduction(by_root: Runs, name: str, treated: str, control: str, days: float = BONE_DAYS) -> ClaimResult:
    """Risk ratio treated / control <= 0.5 with its 95% CI upper bound < 1."""
    res = ClaimResult(name, f"risk ratio {treated} / {control} (bone met by day {days:g}) <= "
                      f"{BONE_MAX_RISK_RATIO} and 95% CI high < 1")

    def verdict(t: list[dict[str, float]], c: list[dict[str, float]]) -> dict[str, Any]:
        r, lo, hi, se = risk_ratio_ci(*_count(t), *_count(c))
        return {"risk_ratio": r, "ci95": [lo, hi], "p_treated": _count(t)[0] / len(t),
                "p_control": _count(c)[0] / len(c), "holds": r <= BONE_MAX_RISK_RATIO and hi < 1.0,
                "p": float(stats.norm.cdf(math.log(r) / se))}

    return _judge(res, by_root, verdict, treated, control)


def judge_bone_deficient(by_root: Runs, name: str = "bone_deficient",
                         treated: str = "deficient_silenced_interferon") -> ClaimResult:
    """Immunodeficient hosts: the ``treated`` arm's risk ratio against ``deficient_silenced`` has its
    95% CI lower bound >= 0.5 (protection lost)."""
    ratio = "dosed / undosed" if treated == "deficient_silenced_interferon" else f"{treated} / deficient_silenced"
    res = ClaimResult(name, f"immune_health 0: risk ratio {ratio} 95% CI low >= "
                      f"{BONE_MAX_RISK_RATIO} (a >= 50% reduction excluded)")

    def verdict(t: list[dict[str, float]], c: list[dict[str, float]]) -> dict[str, Any]:
        r, lo, hi, se = risk_ratio_ci(*_count(t), *_count(c))
        # H0: ratio <= 0.5 (dosing still protects); small p = protection lost
        return {"risk_ratio": r, "ci95": [lo, hi], "p_dosed": _count(t)[0] / len(t), "p_undosed": _count(c)[0] / len(c),
                "holds": lo >= BONE_MAX_RISK_RATIO,
                "p": float(stats.norm.sf((math.log(r) - math.log(BONE_MAX_RISK_RATIO)) / se))}

    return _judge(res, by_root, verdict, treated, "deficient_silenced")


def claim_bone(roots: Sequence[int], reps: int = BONE_HOSTS, workers: int = 1, days: float = BONE_DAYS,
               window: int = BONE_WINDOW, offset: int = BONE_SEED_OFFSET) -> list[ClaimResult]:
    """The five bone-niche claims from one shared set of hosts (``days``/``window``/``offset``:
    pre-registered unless a smoke run)."""
    by_root = bone_runs(roots, reps, list(BONE_ARMS), workers, days, window, offset)
    return [
        judge_bone_silencing(by_root, days),
        judge_bone_reduction(by_root, "bone_interferon", "silenced_interferon", "silenced", days),
        judge_bone_reduction(by_root, "bone_restoration", "silenced_restoration", "silenced", days),
        judge_bone_reduction(by_root, "bone_interferon_daily", "silenced_interferon_daily", "silenced", days),
        judge_bone_deficient(by_root),
    ]


def claim_bone_deficient_more(roots: Sequence[int], reps: int = DEFICIENT_HOSTS, workers: int = 1,
                              days: float = BONE_DAYS, window: int = BONE_WINDOW,
                              offset: int = DEFICIENT_SEED_OFFSET) -> list[ClaimResult]:
    """``bone_deficient_daily`` and ``bone_deficient_restoration``: ``bone_deficient``'s criterion for
    the two arms that protect in run 6, on their own fresh immunodeficient hosts."""
    by_root = bone_runs(roots, reps, list(DEFICIENT_ARMS), workers, days, window, offset)
    return [judge_bone_deficient(by_root, "bone_deficient_daily", "deficient_silenced_interferon_daily"),
            judge_bone_deficient(by_root, "bone_deficient_restoration", "deficient_silenced_restoration")]
