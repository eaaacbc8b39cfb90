"""Survival and response summaries of a cohort: Kaplan-Meier, log-rank, responder fractions.

Written once here and used by the cohort summary, its figures and the validation suite.
Kaplan-Meier uses :func:`scipy.stats.ecdf` on right-censored data and the log-rank test
:func:`scipy.stats.logrank` (see experiments/README.md, "Statistics").
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["kaplan_meier", "cohort_summary", "format_cohort_summary"]


def kaplan_meier(times: Sequence[float], events: Sequence[bool], confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate (``scipy.stats.ecdf`` on right-censored data).

    Returns a step table with columns ``time``, ``survival``, ``low``, ``high``
    (starting at time 0, survival 1). Without any event the curve stays at 1.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.size == 0:
        return pd.DataFrame(columns=["time", "survival", "low", "high"])
    if not e.any():
        return pd.DataFrame({"time": [0.0, t.max()], "survival": [1.0, 1.0], "low": [1.0, 1.0], "high": [1.0, 1.0]})
    data = stats.CensoredData.right_censored(t, ~e)
    res = stats.ecdf(data)
    sf = res.sf
    q = np.asarray(sf.quantiles, dtype=float)
    s = np.asarray(sf.probabilities, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = sf.confidence_interval(confidence)
        lo = np.asarray(ci.low.evaluate(q), dtype=float)
        hi = np.asarray(ci.high.evaluate(q), dtype=float)
    out = pd.DataFrame({"time": np.r_[0.0, q], "survival": np.r_[1.0, s], "low": np.r_[1.0, lo], "high": np.r_[1.0, hi]})
    if t.max() > out["time"].iloc[-1]:
        last = out.iloc[-1]
        out.loc[len(out)] = [t.max(), last["survival"], last["low"], last["high"]]
    return out


def cohort_summary(oc: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per arm: responders (exact 95% CI), CR/PR/SD/PD counts, median TTP (Kaplan-Meier), log-rank p vs ``reference``."""
    rows = []
    ref = oc[oc["scenario"] == reference]
    for arm in dict.fromkeys(oc["scenario"]):
        sub = oc[oc["scenario"] == arm]
        n = len(sub)
        k = int(sub["responder"].sum())
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact") if n else None
        km = kaplan_meier(sub["time_to_progression_days"], sub["progressed"])
        below = km[km["survival"] <= 0.5]
        median = float(below["time"].iloc[0]) if len(below) else float("nan")
        p = float("nan")
        if arm != reference and sub["progressed"].any() | ref["progressed"].any():
            try:
                x = stats.CensoredData.right_censored(sub["time_to_progression_days"], ~sub["progressed"].astype(bool))
                y = stats.CensoredData.right_censored(ref["time_to_progression_days"], ~ref["progressed"].astype(bool))
                p = float(stats.logrank(x, y).pvalue)
            except (ValueError, ZeroDivisionError):
                pass
        row = {
            "scenario": arm,
            "patients": n,
            "responders": k,
            "responder_fraction": k / n if n else float("nan"),
            "responder_ci_low": float(ci.low) if ci else float("nan"),
            "responder_ci_high": float(ci.high) if ci else float("nan"),
        }
        for cat in ("CR", "PR", "SD", "PD", "NE"):
            row[cat] = int((sub["response_category"] == cat).sum())
        row.update(
            {
                "progression_events": int(sub["progressed"].sum()),
                "median_ttp_days": median,
                "logrank_p_vs_reference": p,
                "mean_best_response_pct": float(sub["best_response_pct"].mean()),
                "median_best_response_pct": float(sub["best_response_pct"].median()),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def format_cohort_summary(summary: pd.DataFrame) -> str:
    """The cohort summary as the text block of the report."""
    lines = ["Cohort (responder = CR or PR; 95% exact CI; median TTP from Kaplan-Meier, '-' = not reached):"]
    w = max([len(str(s)) for s in summary["scenario"]] + [8])
    lines.append(f"  {'arm':<{w}}  {'n':>4}  {'responders':<22}  {'CR/PR/SD/PD':<13}  {'median TTP':>10}  {'log-rank p':>10}")
    for _, r in summary.iterrows():
        resp = f"{100 * r['responder_fraction']:.0f}% [{100 * r['responder_ci_low']:.0f}, {100 * r['responder_ci_high']:.0f}]"
        cats = f"{r['CR']}/{r['PR']}/{r['SD']}/{r['PD']}" + (f" ({r['NE']} NE)" if r["NE"] else "")
        med = "-" if pd.isna(r["median_ttp_days"]) else f"{r['median_ttp_days']:.1f} d"
        p = "" if pd.isna(r["logrank_p_vs_reference"]) else f"{r['logrank_p_vs_reference']:.3g}"
        lines.append(f"  {str(r['scenario']):<{w}}  {int(r['patients']):>4}  {resp:<22}  {cats:<13}  {med:>10}  {p:>10}")
    return "\n".join(lines)
