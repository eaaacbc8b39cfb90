"""Statistics over per-run outcomes: means with confidence intervals and effect sizes.

For every outcome and scenario the table holds ``n``, mean, standard deviation,
a t-based 95% confidence interval of the mean, median and quartiles. Each
scenario is compared with the *reference* (the first scenario):

``diff_mean``
    difference in means (scenario - reference) with a bootstrap percentile CI
    (:func:`scipy.stats.bootstrap`, resampling each group independently, or pairs
    when the design is paired).
``cliffs_delta``
    Cliff's delta ``P(X > Y) - P(X < Y)`` (X = scenario, Y = reference), a
    rank effect size in [-1, 1] (|d| < 0.147 negligible, < 0.33 small,
    < 0.474 medium, else large; Romano et al. 2006), with a bootstrap CI.
``hodges_lehmann``
    median of all pairwise differences ``x_i - y_j`` (unpaired) or median of the
    paired differences (paired).
``p_value``
    two-sided Mann-Whitney U test (:func:`scipy.stats.mannwhitneyu`) for
    independent runs; Wilcoxon signed-rank (:func:`scipy.stats.wilcoxon`) for
    paired designs (the cohort, where each virtual patient gets every arm).
    When both groups hold one identical constant the p-value is 1.

All bootstrap resampling uses a seeded generator, so the table is reproducible.
"""

from __future__ import annotations

import warnings
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "mean_ci",
    "finite_mean_ci",
    "paired_diff_ci",
    "welch_diff_ci",
    "bootstrap_rows_ci",
    "ratio_ci",
    "response_surface",
    "cliffs_delta",
    "hodges_lehmann",
    "difference_in_means",
    "bootstrap_ci",
    "mann_whitney",
    "summarize_outcomes",
    "compare_to_reference",
    "statistics_table",
    "numeric_outcomes",
    "format_statistics",
]

N_RESAMPLES = 4999


def mean_ci(x: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval ``(mean, low, high)``; NaN bounds when ``n < 2``."""
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    n = a.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(a.mean())
    if n < 2:
        return m, float("nan"), float("nan")
    sem = float(a.std(ddof=1) / np.sqrt(n))
    if sem == 0:
        return m, m, m
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1) * sem)
    return m, m - half, m + half


def finite_mean_ci(x: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """:func:`mean_ci` of the finite values of ``x`` (NaN and +-inf dropped; the validation statistics)."""
    a = np.asarray(list(x), dtype=float)
    return mean_ci(a[np.isfinite(a)], confidence)


def paired_diff_ci(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95):
    """Mean paired difference ``treated - control`` with a t interval ``(mean, low, high)``."""
    return finite_mean_ci(np.asarray(treated, dtype=float) - np.asarray(control, dtype=float), confidence)


def welch_diff_ci(a: Sequence[float], b: Sequence[float], confidence: float = 0.95):
    """Difference of means ``a - b`` with a Welch t interval ``(mean, low, high)`` (independent groups)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    lo, hi = stats.t.interval(confidence, dof, loc=d, scale=se)
    return d, float(lo), float(hi)


def bootstrap_rows_ci(statistic: Callable[[np.ndarray], float], data: np.ndarray, n_resamples: int = 4000,
                      confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Percentile bootstrap of ``statistic`` over the rows of ``data`` (replicates): ``(estimate, low, high)``.

    For statistics of several columns at once (ratios of sums, fitted rates), where
    :func:`bootstrap_ci`'s two-sample form does not apply.
    """
    data = np.asarray(data)
    rng = np.random.default_rng(seed)
    est = float(statistic(data))
    n = data.shape[0]
    boots = np.empty(n_resamples)
    for i in range(n_resamples):
        boots[i] = statistic(data[rng.integers(0, n, n)])
    a = (1 - confidence) / 2
    lo, hi = np.nanquantile(boots, [a, 1 - a])
    return est, float(lo), float(hi)


def ratio_ci(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95, seed: int = 0):
    """Ratio of means ``mean(treated) / mean(control)`` with a paired bootstrap interval."""
    data = np.column_stack([np.asarray(treated, float), np.asarray(control, float)])
    return bootstrap_rows_ci(lambda d: d[:, 0].mean() / d[:, 1].mean(), data, confidence=confidence, seed=seed)


def difference_in_means(x, y, axis: int = -1):
    """``mean(x) - mean(y)`` along ``axis`` (vectorized for bootstrap)."""
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def cliffs_delta(x, y, axis: int = -1):
    """Cliff's delta ``P(X > Y) - P(X < Y)``, computed from ranks (``2U / (n m) - 1``).

    Vectorized along ``axis`` so :func:`scipy.stats.bootstrap` can call it on batches.
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    y = np.moveaxis(np.asarray(y, dtype=float), axis, -1)
    n, m = x.shape[-1], y.shape[-1]
    shape = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    both = np.concatenate([np.broadcast_to(x, shape + (n,)), np.broadcast_to(y, shape + (m,))], axis=-1)
    ranks = stats.rankdata(both, axis=-1)
    u = ranks[..., :n].sum(axis=-1) - n * (n + 1) / 2.0
    return 2.0 * u / (n * m) - 1.0


def hodges_lehmann(x, y, paired: bool = False) -> float:
    """Hodges-Lehmann shift: median of pairwise ``x_i - y_j`` (or of paired differences)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if paired:
        return float(np.median(x - y))
    return float(np.median(np.subtract.outer(x, y)))


def _paired_mean_diff(x, y, axis: int = -1):
    return np.mean(np.asarray(x) - np.asarray(y), axis=axis)


def bootstrap_ci(
    statistic,
    x: Sequence[float],
    y: Sequence[float],
    *,
    paired: bool = False,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Bootstrap percentile confidence interval of ``statistic(x, y)`` (via :func:`scipy.stats.bootstrap`).

    Returns NaN bounds when either sample has fewer than 2 values.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < 2 or y.size < 2:
        return float("nan"), float("nan")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            (x, y),
            statistic,
            n_resamples=n_resamples,
            paired=paired,
            vectorized=True,
            confidence_level=confidence,
            method="percentile",
            batch=500,
            rng=rng,
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann-Whitney U ``(U of x, p)``; ``p = 1`` when all values are one identical constant."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0 or y.size == 0:
        return float("nan"), float("nan")
    res = stats.mannwhitneyu(x, y, alternative="two-sided")
    p = float(res.pvalue)
    if np.isnan(p) and np.unique(np.concatenate([x, y])).size == 1:
        p = 1.0
    return float(res.statistic), p


def _wilcoxon(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    d = x - y
    if d.size == 0:
        return float("nan"), float("nan")
    if np.all(d == 0):
        return 0.0, 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.wilcoxon(x, y, alternative="two-sided")
    return float(res.statistic), float(res.pvalue)


def numeric_outcomes(outcomes: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Columns of ``outcomes`` that are numbers or booleans (booleans become fractions)."""
    skip = set(exclude)
    cols = []
    for c in outcomes.columns:
        if c in skip:
            continue
        if pd.api.types.is_bool_dtype(outcomes[c]) or pd.api.types.is_numeric_dtype(outcomes[c]):
            cols.append(c)
    return cols


def summarize_outcomes(
    outcomes: pd.DataFrame, group: str, columns: Sequence[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Per group and outcome: n, mean, sd, CI of the mean, median and quartiles (long format)."""
    rows = []
    groups = list(dict.fromkeys(outcomes[group]))
    for col in columns:
        for g in groups:
            v = outcomes.loc[outcomes[group] == g, col].astype(float).to_numpy()
            v = v[~np.isnan(v)]
            m, lo, hi = mean_ci(v, confidence)
            rows.append(
                {
                    "outcome": col,
                    group: g,
                    "n": int(v.size),
                    "mean": m,
                    "sd": float(v.std(ddof=1)) if v.size > 1 else float("nan"),
                    "ci_low": lo,
                    "ci_high": hi,
                    "median": float(np.median(v)) if v.size else float("nan"),
                    "q25": float(np.quantile(v, 0.25)) if v.size else float("nan"),
                    "q75": float(np.quantile(v, 0.75)) if v.size else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def compare_to_reference(
    outcomes: pd.DataFrame,
    group: str,
    columns: Sequence[str],
    reference: str | None = None,
    *,
    paired_by: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Each group vs ``reference`` (default: the first group) for every outcome column.

    Args:
        outcomes: one row per run.
        group: column naming the scenario/arm.
        columns: outcome columns to compare.
        reference: the reference group (default the first in table order).
        paired_by: column that pairs runs across groups (e.g. ``patient``); pairs
            are matched on it, and paired tests/bootstraps are used.
        seed: bootstrap seed (each outcome x group uses its own child stream).
    """
    groups = list(dict.fromkeys(outcomes[group]))
    reference = groups[0] if reference is None else reference
    if reference not in groups:
        raise ValueError(f"reference '{reference}' is not one of {groups}")
    rows = []
    for i, col in enumerate(columns):
        for j, g in enumerate(groups):
            if g == reference:
                continue
            rng = np.random.default_rng([seed, i, j])  # one reproducible stream per outcome x group
            a = outcomes.loc[outcomes[group] == g]
            b = outcomes.loc[outcomes[group] == reference]
            if paired_by is not None:
                merged = a[[paired_by, col]].merge(b[[paired_by, col]], on=paired_by, suffixes=("_x", "_y"))
                merged = merged.dropna()
                x = merged[f"{col}_x"].astype(float).to_numpy()
                y = merged[f"{col}_y"].astype(float).to_numpy()
            else:
                x = a[col].astype(float).dropna().to_numpy()
                y = b[col].astype(float).dropna().to_numpy()
            row = {"outcome": col, group: g, "reference": reference, "n": int(x.size), "n_reference": int(y.size)}
            if x.size == 0 or y.size == 0:
                rows.append(row)
                continue
            constant = np.unique(np.concatenate([x, y])).size == 1
            if paired_by is not None:
                diff = float(np.mean(x - y))
                dci = (diff, diff) if constant else bootstrap_ci(
                    _paired_mean_diff, x, y, paired=True, confidence=confidence, n_resamples=n_resamples, seed=rng
                )
                stat, p = _wilcoxon(x, y)
                test = "wilcoxon"
            else:
                diff = float(difference_in_means(x, y))
                dci = (diff, diff) if constant else bootstrap_ci(
                    difference_in_means, x, y, confidence=confidence, n_resamples=n_resamples, seed=rng
                )
                stat, p = mann_whitney(x, y)
                test = "mann-whitney"
            delta = float(cliffs_delta(x, y))
            cci = (delta, delta) if constant else bootstrap_ci(
                cliffs_delta, x, y, paired=paired_by is not None, confidence=confidence,
                n_resamples=n_resamples, seed=rng,
            )
            row.update(
                {
                    "diff_mean": diff,
                    "diff_ci_low": dci[0],
                    "diff_ci_high": dci[1],
                    "cliffs_delta": delta,
                    "cliffs_delta_ci_low": cci[0],
                    "cliffs_delta_ci_high": cci[1],
                    "hodges_lehmann": hodges_lehmann(x, y, paired=paired_by is not None),
                    "test": test,
                    "statistic": stat,
                    "p_value": p,
                }
            )
            rows.append(row)
    cols = [
        "outcome", group, "reference", "n", "n_reference", "diff_mean", "diff_ci_low", "diff_ci_high",
        "cliffs_delta", "cliffs_delta_ci_low", "cliffs_delta_ci_high", "hodges_lehmann", "test", "statistic", "p_value",
    ]
    return pd.DataFrame(rows, columns=cols)


def statistics_table(
    outcomes: pd.DataFrame,
    group: str = "scenario",
    columns: Sequence[str] | None = None,
    reference: str | None = None,
    *,
    paired_by: str | None = None,
    exclude: Iterable[str] = (),
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Summary per group and outcome, joined with the comparison against the reference.

    One row per (outcome, group); the reference rows have NaN comparison columns.
    """
    if columns is None:
        columns = numeric_outcomes(outcomes, exclude=exclude)
    summary = summarize_outcomes(outcomes, group, columns, confidence)
    comp = compare_to_reference(
        outcomes, group, columns, reference, paired_by=paired_by, confidence=confidence,
        n_resamples=n_resamples, seed=seed,
    )
    comp = comp.drop(columns=["n"])
    ref = reference if reference is not None else (outcomes[group].iloc[0] if len(outcomes) else None)
    table = summary.merge(comp, on=["outcome", group], how="left")
    table["reference"] = ref
    return table


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "-"
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-2):
        return f"{v:.2e}"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}" if a < 10 else f"{v:.1f}"


def format_statistics(table: pd.DataFrame, group: str = "scenario", outcomes: Sequence[str] | None = None) -> str:
    """A plain-text report: mean [95% CI] per group, and difference / Cliff's delta / p vs the reference."""
    if outcomes is None:
        outcomes = list(dict.fromkeys(table["outcome"]))
    lines = []
    width = max([len(str(g)) for g in table[group]] + [8])
    for oc in outcomes:
        sub = table[table["outcome"] == oc]
        if sub.empty:
            continue
        ref = sub["reference"].iloc[0]
        lines.append(f"{oc}")
        lines.append(
            f"  {group:<{width}}  {'n':>3}  {'mean [95% CI]':<28}  {'diff vs ' + str(ref) + ' [95% CI]':<34}  {'Cliff d':>7}  {'p':>8}"
        )
        for _, r in sub.iterrows():
            mean = f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            if r[group] == ref or pd.isna(r.get("diff_mean")):
                diff, d, p = "(reference)" if r[group] == ref else "-", "", ""
            else:
                diff = f"{_fmt(r['diff_mean'])} [{_fmt(r['diff_ci_low'])}, {_fmt(r['diff_ci_high'])}]"
                d = f"{r['cliffs_delta']:+.2f}"
                p = f"{r['p_value']:.3g}" if not pd.isna(r["p_value"]) else "-"
            lines.append(f"  {str(r[group]):<{width}}  {int(r['n']):>3}  {mean:<28}  {diff:<34}  {d:>7}  {p:>8}")
    return "\n".join(lines)


def response_surface(outcomes: pd.DataFrame, points: Sequence[dict], columns: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per design point of a sweep: the statistics table and the wide ``surface`` (mean, CI per outcome)."""
    stats_ = summarize_outcomes(outcomes, "point", list(columns))
    point_table = pd.DataFrame([{"point": i, **pt} for i, pt in enumerate(points)])
    stats_ = point_table.merge(stats_, on="point", how="right")
    wide = stats_.pivot_table(index="point", columns="outcome", values=["mean", "ci_low", "ci_high"], dropna=False)
    wide.columns = [f"{oc_}_{stat}" for stat, oc_ in wide.columns]
    ordered = [f"{c}_{s}" for c in columns for s in ("mean", "ci_low", "ci_high") if f"{c}_{s}" in wide.columns]
    surface = point_table.merge(wide[ordered].reset_index(), on="point", how="left")
    return stats_, surface
