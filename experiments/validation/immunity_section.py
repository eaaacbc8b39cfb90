"""Report section "Immunity: pre-registered multi-root claims (issue 12)".

Runs the claims of :mod:`experiments.validation.immunity` (window equivalence, immune
control, the four bone-niche claims, dt-halving of immune outcomes) and turns each verdict
into a :class:`~experiments.validation.core.Check`: ``passed`` is the pre-registered rule
(holds in >= 80% of root seeds and Holm-significant in the family of these claims). The full
report uses the pre-registered sizes and all ``ROOT_SEEDS``; the quick report (and the tests)
run :data:`SMOKE` -- 2 root seeds, 2 replicates, small windows, few days -- whose checks only
show that the pipeline works: their notes say "smoke size" and their verdicts judge nothing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from .core import Budget, Check
from .immune_claims import CLAIMS, run_claims
from .immunity_stats import ROOT_SEEDS
from .osm_claims import OSM_CLAIMS
from .suppression_claims import SUPPRESSION_CLAIMS

__all__ = ["SECTION", "SMOKE_ROOTS", "SMOKE_REPS", "SMOKE", "CLAIM_STATEMENTS", "smoke_key", "headline", "to_check", "run"]

SECTION = "Immunity: pre-registered multi-root claims (issue 12)"
SMOKE_ROOTS = 2
SMOKE_REPS = 2
SMOKE: dict[str, dict[str, Any]] = {
    "immune_control": {"days": 3.0, "window": 40},
    "window_equivalence": {"days": 2.0, "windows": (60, 100)},
    "window_rates": {"days": 3.0, "windows": (60, 100)},  # T-cells must have arrived for an influx
    "window_burden": {"days": 2.0, "windows": (60, 100)},
    # the scenarios' interferon schedules dose until day 20 (daily: 21), so the bone arms need > 21 days
    "bone": {"days": 22.0, "window": 24},
    "bone_deficient_more": {"days": 22.0, "window": 24},
    "dt_immune_outcomes": {"days": 1.0, "window": 30},
    "dt_immune_rates": {"days": 4.0, "window": 30},  # T-cells must have arrived for a rate per CD8-day
    "dt_immune_rates_replication": {"days": 4.0, "window": 30},
    "osm": {"days": 3.0, "window": 40},
    "suppression": {"days": 4.0, "window": 40},  # the first Treg-depletion dose is on day 3
    "voxel_fields": {"days": 3.0, "window": 40},
    "irf7_primary_growth": {"days": 3.0, "window": 40},
}
"""Smoke sizes of the quick report (keyword arguments of each claim; criteria unchanged)."""

_STAT = {
    "immune_control": ("ratio", "ratio of mean burden, immune_health 0 / 1 (paired) [90% CI]"),
    "bone_silencing": ("risk_difference", "P(bone metastasis) silenced - intact [95% Agresti-Caffo CI]"),
    "bone_interferon": ("risk_ratio", "risk ratio of bone metastasis, interferon / silenced [95% CI]"),
    "bone_restoration": ("risk_ratio", "risk ratio of bone metastasis, restoration / silenced [95% CI]"),
    "bone_interferon_daily": ("risk_ratio", "risk ratio of bone metastasis, daily interferon / silenced [95% CI]"),
    "bone_deficient": ("risk_ratio", "risk ratio dosed / undosed in immunodeficient hosts [95% CI]"),
    "bone_deficient_daily": ("risk_ratio", "risk ratio daily-dosed / undosed in immunodeficient hosts [95% CI]"),
    "bone_deficient_restoration": ("risk_ratio", "risk ratio restored / silenced in immunodeficient hosts [95% CI]"),
    "osm_growth": ("ratio", "paired ratio of day-18 burden, OSM on / off [95% CI]"),
    "osm_spread": ("ratio", "paired ratio of expected escapes, OSM on / off [95% CI]"),
    "anti_osm_growth": ("ratio", "paired ratio of day-18 burden, anti-OSM / untreated [95% CI]"),
    "anti_osm_spread": ("ratio", "paired ratio of expected escapes, anti-OSM / untreated [95% CI]"),
    "irf7_primary_growth": ("ratio", "paired ratio of day-18 primary burden, IRF7 silenced / intact [95% CI]"),
    "tregs_raise_burden": ("ratio", "paired ratio of day-18 burden, no Treg influx / default [95% CI]"),
    "treg_depletion_lowers_burden": ("ratio", "paired ratio of day-18 burden, Treg depletion / untreated [95% CI]"),
    "cytokine_raises_burden": ("ratio", "paired ratio of day-18 burden, no suppressive cytokine / default [95% CI]"),
}
CLAIM_STATEMENTS: dict[str, str] = {
    "immune_control": "an immunodeficient host carries a larger tumor than an immunocompetent one",
    "window_equivalence": "immune dose and outcomes do not depend on the tissue window",
    "window_rates": "CD8 influx per tumor cell-day and CD8 kills do not depend on the tissue window",
    "window_burden": "the day-18 tumor burden does not depend on the tissue window (within +-10%)",
    "bone_silencing": "IRF7 silencing raises bone metastasis",
    "bone_interferon": "interferon dosing protects IRF7-silenced tumors from bone metastasis",
    "bone_restoration": "IRF7 restoration protects from bone metastasis",
    "bone_interferon_daily": "daily interferon dosing protects IRF7-silenced tumors from bone metastasis",
    "bone_deficient": "interferon's bone protection needs an immune system",
    "bone_deficient_daily": "daily interferon's bone protection needs an immune system",
    "bone_deficient_restoration": "IRF7 restoration's bone protection needs an immune system",
    "dt_immune_outcomes": "immune outcomes do not depend on the time step (dt halving)",
    "dt_immune_rates": "immune kill and influx rates do not depend on the time step (dt halving)",
    "dt_immune_rates_replication": "the same, replicated on fresh hosts with more runs (dt halving)",
    "osm_growth": "neutrophil oncostatin M raises tumor growth (default host and rates)",
    "osm_spread": "neutrophil oncostatin M raises tumor-cell escape into vessels (default host and rates)",
    "anti_osm_growth": "an anti-OSM antibody lowers tumor growth (default host and rates)",
    "anti_osm_spread": "an anti-OSM antibody lowers tumor-cell escape into vessels (default host and rates)",
    "voxel_fields": "the fast field mode (2 x 2-site voxels, float32) keeps CD8 influx per tumor cell-day and kills",
    "irf7_primary_growth": "IRF7 silencing leaves primary tumor growth unchanged (within +-20%)",
    "tregs_raise_burden": "regulatory T-cells raise the tumor burden (default host and rates)",
    "treg_depletion_lowers_burden": "Treg depletion (anti-CTLA-4 / anti-CD25) lowers the tumor burden (default host and rates)",
    "cytokine_raises_burden": "the suppressive cytokine raises the tumor burden (default host and rates)",
}


def smoke_key(claim: str) -> str:
    """The :data:`SMOKE` entry (a claim or the claim group it runs in) that sized ``claim``'s smoke run."""
    if claim.startswith("bone"):
        return "bone"
    if claim in SUPPRESSION_CLAIMS:
        return "suppression"
    return "osm" if claim in OSM_CLAIMS else claim


def headline(verdict: Mapping[str, Any]) -> tuple[str, float, tuple[float, float] | None]:
    """(statistic text, value, CI) shown for a claim: its pooled statistic, or the worst pooled sub-check.

    For the equivalence claims the worst sub-check is the one whose CI reaches furthest from 1 (log scale).
    """
    pooled = verdict["pooled"]
    if "checks" in pooled:
        def reach(c: Mapping[str, Any]) -> float:
            lo, hi = c["ci90"]
            return max(abs(math.log(lo)), abs(math.log(hi))) if lo > 0 and hi > 0 else math.inf
        key, c = max(pooled["checks"].items(), key=lambda kv: reach(kv[1]))
        return f"worst pooled ratio of means ({key}) [90% CI]", float(c["ratio"]), (float(c["ci90"][0]), float(c["ci90"][1]))
    key, text = _STAT[verdict["claim"]]
    ci = pooled.get("ci90", pooled.get("ci95"))
    return text, float(pooled[key]), (float(ci[0]), float(ci[1])) if ci is not None else None


def to_check(verdict: Mapping[str, Any], family: int, smoke: bool) -> Check:
    """One claim's verdict (a record of :func:`~experiments.validation.immune_claims.run_claims`) as a Check."""
    statistic, value, ci = headline(verdict)
    roots = [bool(h) for h in verdict["holds_in_roots"]]
    notes = (f"holds in {sum(roots)}/{len(roots)} root seeds (>= 80% needed); pooled p = {verdict['p']:.3g}, "
             f"Holm over {family} claims: {'significant' if verdict['holm_significant'] else 'not significant'}.")
    if smoke:
        size = SMOKE[smoke_key(verdict["claim"])]
        notes += (f" Smoke size ({SMOKE_ROOTS} root seeds, {SMOKE_REPS} replicates, {size}): "
                  "not the pre-registered size; this verdict judges nothing.")
    per_root = [{k: v for k, v in r.items() if k != "checks"} | (
        {"failing": [k for k, c in r["checks"].items() if not c["holds"]]} if "checks" in r else {})
        for r in verdict["per_root"]]
    return Check(
        id=f"imm.{verdict['claim']}",
        section=SECTION,
        claim=CLAIM_STATEMENTS.get(verdict["claim"], verdict["claim"]),
        reference=("pre-registered criterion (listed in experiments/validation/immunity.py with the module that "
                   "holds it; committed before the judged run)"),
        statistic=statistic,
        value=value,
        ci=ci,
        unit="",
        criterion=verdict["criterion"] + "; holds in >= 80% of root seeds, Holm-corrected",
        passed=bool(verdict["holds"]),
        notes=notes,
        extra={"holds_in_roots": roots, "p": verdict["p"], "holm_significant": verdict["holm_significant"],
               "pooled": dict(verdict["pooled"]), "per_root": per_root, "smoke_size": smoke},
    )


def run(budget: Budget, fig_dir: Path | None = None, quick: bool = False) -> list[Check]:
    """The section's checks: smoke size when ``quick``, else the pre-registered sizes over all ``ROOT_SEEDS``."""
    if quick:
        verdicts = run_claims(list(CLAIMS), ROOT_SEEDS[:SMOKE_ROOTS], SMOKE_REPS, budget.workers, SMOKE)
    else:
        verdicts = run_claims(list(CLAIMS), ROOT_SEEDS, None, budget.workers)
    return [to_check(v, len(verdicts), quick) for v in verdicts]
