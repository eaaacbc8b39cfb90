"""Statistics functions against scipy and brute force on known data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.stats import (
    bootstrap_ci,
    bootstrap_rows_ci,
    cliffs_delta,
    compare_to_reference,
    difference_in_means,
    finite_mean_ci,
    format_statistics,
    hodges_lehmann,
    mann_whitney,
    mean_ci,
    paired_diff_ci,
    ratio_ci,
    statistics_table,
    summarize_outcomes,
    welch_diff_ci,
)

X = np.array([3.1, 4.7, 5.0, 2.2, 6.9, 5.5, 4.1])
Y = np.array([1.0, 2.5, 2.0, 3.3, 0.4, 2.2])


def test_mean_ci_matches_student_t():
    m, lo, hi = mean_ci(X)
    ref = stats.t.interval(0.95, len(X) - 1, loc=X.mean(), scale=stats.sem(X))
    assert m == pytest.approx(X.mean())
    assert (lo, hi) == pytest.approx(ref)


def test_mean_ci_degenerate_cases():
    assert np.isnan(mean_ci([4.0])[1])
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert np.isnan(mean_ci([])[0])


def test_cliffs_delta_brute_force_and_mann_whitney():
    brute = np.mean(np.sign(np.subtract.outer(X, Y)))
    assert cliffs_delta(X, Y) == pytest.approx(brute)
    u = stats.mannwhitneyu(X, Y).statistic
    assert cliffs_delta(X, Y) == pytest.approx(2 * u / (len(X) * len(Y)) - 1)
    assert cliffs_delta(Y, X) == pytest.approx(-brute)
    # ties count as zero
    assert cliffs_delta([1, 1], [1, 1]) == 0.0
    assert cliffs_delta([2, 3], [0, 1]) == 1.0


def test_cliffs_delta_vectorized_over_batches():
    xb = np.stack([X, X[::-1] + 1])
    yb = np.stack([Y, Y])
    out = cliffs_delta(xb, yb, axis=-1)
    assert out[0] == pytest.approx(cliffs_delta(X, Y))
    assert out[1] == pytest.approx(cliffs_delta(X + 1, Y))


def test_hodges_lehmann():
    assert hodges_lehmann(X, Y) == pytest.approx(np.median([a - b for a in X for b in Y]))
    assert hodges_lehmann(X[:6], Y, paired=True) == pytest.approx(np.median(X[:6] - Y))


def test_bootstrap_ci_equals_scipy():
    lo, hi = bootstrap_ci(difference_in_means, X, Y, n_resamples=999, seed=7)
    ref = stats.bootstrap(
        (X, Y), difference_in_means, n_resamples=999, vectorized=True, method="percentile",
        batch=500, rng=np.random.default_rng(7),
    ).confidence_interval
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    assert lo < X.mean() - Y.mean() < hi
    assert bootstrap_ci(difference_in_means, X, Y, n_resamples=999, seed=7) == (lo, hi)  # reproducible
    assert np.isnan(bootstrap_ci(difference_in_means, [1.0], Y)[0])


def test_mann_whitney_matches_scipy():
    u, p = mann_whitney(X, Y)
    ref = stats.mannwhitneyu(X, Y, alternative="two-sided")
    assert (u, p) == pytest.approx((ref.statistic, ref.pvalue))
    assert mann_whitney([0, 0, 0], [0, 0]) [1] == 1.0  # identical constants: no evidence of a difference


def _table():
    return pd.DataFrame(
        {
            "scenario": ["ref"] * len(Y) + ["treat"] * len(X),
            "size": np.r_[Y, X],
            "flag": np.r_[np.zeros(len(Y), bool), np.ones(len(X), bool)],
        }
    )


def test_compare_to_reference_unpaired():
    df = _table()
    out = compare_to_reference(df, "scenario", ["size", "flag"], n_resamples=999, seed=1)
    row = out[out["outcome"] == "size"].iloc[0]
    assert row["scenario"] == "treat" and row["reference"] == "ref"
    assert row["diff_mean"] == pytest.approx(X.mean() - Y.mean())
    assert row["p_value"] == pytest.approx(stats.mannwhitneyu(X, Y).pvalue)
    assert row["cliffs_delta"] == pytest.approx(cliffs_delta(X, Y))
    assert row["diff_ci_low"] < row["diff_mean"] < row["diff_ci_high"]
    assert row["cliffs_delta_ci_low"] <= row["cliffs_delta"] <= row["cliffs_delta_ci_high"]
    flag = out[out["outcome"] == "flag"].iloc[0]
    assert flag["diff_mean"] == pytest.approx(1.0)


def test_compare_to_reference_paired():
    a = np.array([5.0, 6.0, 7.5, 8.0, 4.0, 9.0])
    b = np.array([4.0, 5.5, 6.0, 8.5, 2.0, 6.0])
    df = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6, "patient": list(range(6)) * 2, "v": np.r_[b, a]})
    df = df.sample(frac=1.0, random_state=3)  # pairing is by patient, not by row order
    out = compare_to_reference(df, "arm", ["v"], reference="A", paired_by="patient", n_resamples=999)
    row = out.iloc[0]
    assert row["test"] == "wilcoxon"
    assert row["p_value"] == pytest.approx(stats.wilcoxon(a, b).pvalue)
    assert row["diff_mean"] == pytest.approx(np.mean(a - b))
    assert row["hodges_lehmann"] == pytest.approx(np.median(a - b))


def test_statistics_table_and_format():
    df = _table()
    table = statistics_table(df, "scenario", ["size"], n_resamples=999)
    assert list(table["scenario"]) == ["ref", "treat"]
    ref_row, treat_row = table.iloc[0], table.iloc[1]
    assert np.isnan(ref_row["diff_mean"]) and not np.isnan(treat_row["diff_mean"])
    summ = summarize_outcomes(df, "scenario", ["size"])
    assert summ.loc[summ["scenario"] == "treat", "mean"].item() == pytest.approx(X.mean())
    text = format_statistics(table)
    assert "size" in text and "(reference)" in text and "treat" in text


# --------------------------------------------------------------------------- the validation suite's intervals


def test_finite_mean_ci_drops_infinities():
    assert finite_mean_ci([1.0, 2.0, 3.0, np.inf, np.nan]) == pytest.approx(mean_ci([1.0, 2.0, 3.0]))


def test_paired_and_welch_differences_match_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1.0, 1.0, 12), rng.normal(0.0, 2.0, 15)
    d, lo, hi = welch_diff_ci(a, b)
    res = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (d, lo, hi) == pytest.approx((a.mean() - b.mean(), res.low, res.high))
    d, lo, hi = paired_diff_ci(a, b[:12])
    res = stats.ttest_rel(a, b[:12]).confidence_interval(0.95)
    assert (d, lo, hi) == pytest.approx(((a - b[:12]).mean(), res.low, res.high))


def test_row_bootstrap_and_ratio():
    rng = np.random.default_rng(3)
    data = np.column_stack([rng.normal(4.0, 0.5, 40), rng.normal(2.0, 0.5, 40)])
    est, lo, hi = ratio_ci(data[:, 0], data[:, 1], seed=1)
    assert est == pytest.approx(data[:, 0].mean() / data[:, 1].mean()) and lo < est < hi
    assert bootstrap_rows_ci(lambda d: d[:, 0].mean() / d[:, 1].mean(), data, seed=1) == (est, lo, hi)
    assert bootstrap_rows_ci(lambda d: d[:, 0].mean(), data, seed=2)[1:] != bootstrap_rows_ci(
        lambda d: d[:, 0].mean(), data, seed=3)[1:]  # the seed drives the resampling
