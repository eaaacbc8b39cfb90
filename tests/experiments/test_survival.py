"""Kaplan-Meier, log-rank and the cohort summary, cross-checked against lifelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from experiments.survival import cohort_summary, format_cohort_summary, kaplan_meier

RNG = np.random.default_rng(4)
TIMES = np.round(RNG.exponential(10.0, 30), 1)
EVENTS = RNG.random(30) < 0.7


def test_kaplan_meier_matches_lifelines():
    km = kaplan_meier(TIMES, EVENTS)
    fit = KaplanMeierFitter().fit(TIMES, EVENTS)
    ref = fit.survival_function_["KM_estimate"]
    for t, s in zip(km["time"], km["survival"]):
        assert s == pytest.approx(float(ref.loc[:t].iloc[-1]), abs=1e-12)
    band = km.dropna()  # the interval is undefined once the curve reaches 0
    assert len(band) >= len(km) - 1
    assert band["low"].le(band["survival"] + 1e-12).all() and band["high"].ge(band["survival"] - 1e-12).all()


def test_kaplan_meier_without_events_stays_at_one():
    km = kaplan_meier([3.0, 5.0], [False, False])
    assert km["survival"].tolist() == [1.0, 1.0] and km["time"].tolist() == [0.0, 5.0]


def _outcomes() -> pd.DataFrame:
    rows = []
    for arm, scale in (("control", 6.0), ("treated", 14.0)):
        t = np.round(np.random.default_rng(len(arm)).exponential(scale, 25), 1)
        e = np.random.default_rng(len(arm) + 1).random(25) < 0.8
        for i, (ti, ei) in enumerate(zip(t, e)):
            rows.append({"scenario": arm, "patient": i, "time_to_progression_days": ti, "progressed": bool(ei),
                         "responder": i % 3 == 0, "response_category": "PR" if i % 3 == 0 else "SD",
                         "best_response_pct": -10.0 * (i % 4)})
    return pd.DataFrame(rows)


def test_cohort_summary_median_and_logrank_match_lifelines():
    oc = _outcomes()
    summary = cohort_summary(oc, "control").set_index("scenario")
    for arm in ("control", "treated"):
        sub = oc[oc["scenario"] == arm]
        fit = KaplanMeierFitter().fit(sub["time_to_progression_days"], sub["progressed"])
        assert summary.loc[arm, "median_ttp_days"] == pytest.approx(fit.median_survival_time_)
        assert summary.loc[arm, "responders"] == int(sub["responder"].sum())
    a, b = (oc[oc["scenario"] == s] for s in ("treated", "control"))
    ref = logrank_test(a["time_to_progression_days"], b["time_to_progression_days"], a["progressed"], b["progressed"])
    assert summary.loc["treated", "logrank_p_vs_reference"] == pytest.approx(ref.p_value, rel=1e-9)
    assert np.isnan(summary.loc["control", "logrank_p_vs_reference"])
    text = format_cohort_summary(summary.reset_index())
    assert "treated" in text and "log-rank p" in text
