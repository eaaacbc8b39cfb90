"""Trial read-outs: ORR (CR/PR split, exact CIs), DCR, DoR, PFS Kaplan-Meier, Cox hazard ratio."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times
from scipy.stats import binomtest

from .design import AnalysisDesign

__all__ = ["exact_ci", "subset", "arm_readout", "hazard_ratio", "analysis_table", "km_median", "km_fit", "AT_RISK_MONTHS"]

AT_RISK_MONTHS = (0, 3, 6, 9, 12, 18)


def exact_ci(k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson 95% interval of ``k`` successes in ``n`` (nan when ``n`` = 0)."""
    if n == 0:
        return math.nan, math.nan
    ci = binomtest(int(k), int(n)).proportion_ci(0.95, method="exact")
    return float(ci.low), float(ci.high)


def subset(df: pd.DataFrame, arm: str, population: str) -> pd.DataFrame:
    """Rows of ``arm`` in the biomarker subset ``population`` ('all', 'biomarker_positive', ...)."""
    out = df[df["arm"] == arm]
    if population == "biomarker_positive":
        out = out[out["biomarker_positive"]]
    elif population == "biomarker_negative":
        out = out[~out["biomarker_positive"]]
    return out


def km_fit(times: pd.Series, events: pd.Series, label: str) -> KaplanMeierFitter:
    """A fitted Kaplan-Meier estimator (95% CIs)."""
    return KaplanMeierFitter(label=label).fit(times.astype(float), events.astype(bool))


def _median_ci(km: KaplanMeierFitter) -> tuple[float, float, float]:
    med = float(km.median_survival_time_)
    ci = median_survival_times(km.confidence_interval_)
    return med, float(ci.iloc[0, 0]), float(ci.iloc[0, 1])


def km_median(times: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median (first time the product-limit estimate is <= 0.5; inf if never) -- the fast path."""
    t = np.asarray(times, float)
    e = np.asarray(events, bool)
    s = 1.0
    for u in np.unique(t[e]):
        s *= 1.0 - (e & (t == u)).sum() / (t >= u).sum()
        if s <= 0.5:
            return float(u)
    return math.inf


def arm_readout(rows: pd.DataFrame, label: str, intervals: bool = True) -> dict:
    """ORR with CR/PR split and exact CIs, DCR, median DoR and PFS with CIs, numbers at risk.

    ``intervals=False`` gives the point estimates only (ORR, CR, DCR, median PFS; used by calibration).
    """
    n = len(rows)
    cr = int((rows["best_response"] == "CR").sum())
    pr = int((rows["best_response"] == "PR").sum())
    dc = int(rows["disease_control"].sum()) if n else 0
    out: dict = {"analysis": label, "n": n, "cr": cr, "pr": pr,
                 "orr": (cr + pr) / n if n else math.nan, "cr_rate": cr / n if n else math.nan,
                 "dcr": dc / n if n else math.nan}
    out["cr_share_of_responders"] = cr / (cr + pr) if cr + pr else math.nan
    if not intervals:
        out["median_pfs_months"] = km_median(rows["pfs_months"], rows["pfs_event"]) if n else math.nan
        return out
    out["orr_ci_low"], out["orr_ci_high"] = exact_ci(cr + pr, n)
    out["cr_ci_low"], out["cr_ci_high"] = exact_ci(cr, n)
    out["dcr_ci_low"], out["dcr_ci_high"] = exact_ci(dc, n)
    if n:
        km = km_fit(rows["pfs_months"], rows["pfs_event"], label)
        out["median_pfs_months"], out["pfs_ci_low"], out["pfs_ci_high"] = _median_ci(km)
        for m in AT_RISK_MONTHS:
            out[f"at_risk_{m}m"] = int((rows["pfs_months"] >= m).sum())
    resp = rows[rows["best_response"].isin(["CR", "PR"])]
    if len(resp):
        km = km_fit(resp["dor_months"], resp["dor_event"], label)
        out["median_dor_months"] = float(km.median_survival_time_)
    else:
        out["median_dor_months"] = math.nan
    return out


def hazard_ratio(rows: pd.DataFrame, arm: str, reference: str) -> tuple[float, float, float]:
    """Cox PFS hazard ratio of ``arm`` vs ``reference`` with its 95% CI (nan when not estimable)."""
    d = rows[rows["arm"].isin([arm, reference])]
    data = pd.DataFrame({"t": d["pfs_months"].astype(float), "e": d["pfs_event"].astype(int),
                         "treated": (d["arm"] == arm).astype(int)})
    if data["e"].sum() < 2 or data["treated"].nunique() < 2:
        return math.nan, math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines convergence chatter on tiny samples
        cph = CoxPHFitter().fit(data, "t", "e")
    hr = float(np.exp(cph.params_["treated"]))
    lo, hi = np.exp(cph.confidence_intervals_.loc["treated"].to_numpy())
    return hr, float(lo), float(hi)


def analysis_table(df: pd.DataFrame, analyses: tuple[AnalysisDesign, ...], intervals: bool = True) -> pd.DataFrame:
    """One row per design analysis: read-outs, HR against its reference arm, targets side by side."""
    rows = []
    for a in analyses:
        sub = subset(df, a.arm, a.population)
        r = arm_readout(sub, a.name, intervals)
        r.update({"arm": a.arm, "population": a.population, "role": a.role})
        if a.reference_arm:
            ref = subset(df, a.reference_arm, a.population)
            r["hr_pfs"], r["hr_ci_low"], r["hr_ci_high"] = hazard_ratio(pd.concat([sub, ref]), a.arm, a.reference_arm)
        for k, v in a.targets.items():
            r[f"target_{k}"] = v
        rows.append(r)
    return pd.DataFrame(rows)
