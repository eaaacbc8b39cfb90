"""Trial checks that can fail on both sides: read-outs within equivalence margins of their targets.

Margins (choice, stated in docs/trial.md): ORR and DCR within +/-0.10 absolute
of the target, CR rate within +/-0.05, median PFS within a factor 1.5, HR within
+/-0.20; and, for every arm, the CR share of responders at most 0.5 (trials in
mTNBC are mostly partial responses) with at least one responder where the target ORR is >= 10%.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["MARGINS", "CR_SHARE_MAX", "check_table"]

MARGINS = {"orr": ("abs", 0.10), "dcr": ("abs", 0.10), "cr_rate": ("abs", 0.05),
           "median_pfs_months": ("ratio", 1.5), "hr_pfs": ("abs", 0.20)}
CR_SHARE_MAX = 0.5


def _within(kind: str, margin: float, sim: float, target: float) -> bool:
    if sim is None or (isinstance(sim, float) and math.isnan(sim)):
        return False
    if kind == "abs":
        return abs(sim - target) <= margin
    return target / margin <= sim <= target * margin


def check_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (analysis, quantity): simulated, target, margin, ``passed`` (held-out rows are reported, not fitted)."""
    rows = []
    for _, r in table.iterrows():
        for key, (kind, margin) in MARGINS.items():
            col = f"target_{key}"
            if col in r and not pd.isna(r[col]):
                sim = r.get(key, math.nan)
                rows.append({"analysis": r["analysis"], "role": r["role"], "quantity": key, "simulated": sim,
                             "target": r[col], "margin": f"{'+/-' if kind == 'abs' else 'x/'}{margin:g}",
                             "passed": _within(kind, margin, sim, r[col])})
        share = r["cr_share_of_responders"]
        responders = r["cr"] + r["pr"]
        needs = r.get("target_orr", 0.0) >= 0.10 if not pd.isna(r.get("target_orr", math.nan)) else False
        rows.append({"analysis": r["analysis"], "role": r["role"], "quantity": "cr_share_of_responders",
                     "simulated": share, "target": CR_SHARE_MAX, "margin": "<= bound, >= 1 responder if ORR target >= 10%",
                     "passed": bool((responders > 0 or not needs) and (pd.isna(share) or share <= CR_SHARE_MAX))})
    return pd.DataFrame(rows)
