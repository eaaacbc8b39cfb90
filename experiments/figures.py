"""Publication-style figures from the tidy tables (matplotlib, no pyplot state).

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot``, so it works headless (Agg) and displays inline in notebooks; use
:func:`save_figure` to write PNG and SVG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy import stats

from .outcomes import PD_THRESHOLD_PCT, PR_THRESHOLD_PCT
from .survival import kaplan_meier

__all__ = [
    "save_figure",
    "plot_timecourse",
    "plot_tumor_burden",
    "plot_immune_populations",
    "plot_fields",
    "plot_treatments",
    "plot_outcome_distributions",
    "plot_waterfall",
    "plot_kaplan_meier",
    "plot_response_surface",
    "plot_snapshots",
    "kaplan_meier",
    "IMMUNE_COLUMNS",
    "FIELD_COLUMNS",
]

IMMUNE_COLUMNS = (
    "cd8_t_cells",
    "cd8_exhausted",
    "regulatory_t_cells",
    "neutrophils",
    "macrophages_m1",
    "macrophages_m2",
)
FIELD_COLUMNS = ("cytokine_mean", "osm_mean", "osm_effective_mean", "interferon_mean")
LABELS = {
    "tumor_cells": "tumor cells",
    "cd8_t_cells": "CD8 T-cells",
    "cd8_exhausted": "exhausted CD8 T-cells",
    "regulatory_t_cells": "regulatory T-cells",
    "neutrophils": "neutrophils",
    "macrophages_m1": "M1 macrophages",
    "macrophages_m2": "M2 macrophages",
    "cytokine_mean": "suppressive cytokine (mean)",
    "osm_mean": "oncostatin M (mean)",
    "osm_effective_mean": "un-neutralized OSM (mean)",
    "interferon_mean": "interferon (mean)",
}
CELL_COLORS = ["#ffffff", "#7b3294", "#1a9641", "#fdae61", "#2c7bb6", "#d7191c"]
CELL_NAMES = ["empty", "tumor", "CD8 T-cell", "Treg", "neutrophil", "macrophage"]
LINESTYLES = ("-", "--", "-.", ":")
CATEGORY_COLORS = {"CR": "#1a9641", "PR": "#a6d96a", "SD": "#fdae61", "PD": "#d7191c"}


def _colors(groups: Sequence) -> dict:
    cmap = matplotlib.colormaps["tab10" if len(groups) <= 10 else "tab20"]
    return {g: cmap(i % cmap.N) for i, g in enumerate(groups)}


def _groups(df: pd.DataFrame, group: str) -> list:
    return list(dict.fromkeys(df[group]))


def save_figure(fig: Figure, directory: str | Path, name: str, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``directory/name.<fmt>`` for each format; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        p = directory / f"{name}.{fmt}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(p)
    return paths


def _band(df: pd.DataFrame, group: str, x: str, col: str, confidence: float = 0.95) -> pd.DataFrame:
    g = df.groupby([group, x], sort=False)[col].agg(["mean", "std", "count"]).reset_index()
    tq = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(g["count"] - 1, 1))
    half = np.where(g["count"] > 1, tq * g["std"].fillna(0.0) / np.sqrt(g["count"]), np.nan)
    g["low"] = g["mean"] - half
    g["high"] = g["mean"] + half
    if (df[col].dropna() >= 0).all():  # counts and concentrations: the band stays >= 0
        g["low"] = g["low"].clip(lower=0.0)
    return g


def plot_timecourse(
    ts: pd.DataFrame,
    columns: Sequence[str],
    group: str = "scenario",
    *,
    x: str = "days",
    ncols: int = 3,
    title: str | None = None,
    logy: bool = False,
    ylabels: Mapping[str, str] | None = None,
) -> Figure:
    """Mean over runs with a 95% confidence band, one line per ``group``, one panel per column."""
    columns = [c for c in columns if c in ts.columns]
    n = max(len(columns), 1)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    groups = _groups(ts, group)
    colors = _colors(groups)
    for ax, col in zip(axes, columns):
        band = _band(ts, group, x, col)
        for i, g in enumerate(groups):
            b = band[band[group] == g]
            # line styles cycle too, so overlapping curves and grey-scale prints stay readable
            ax.plot(b[x], b["mean"], color=colors[g], label=str(g), lw=1.6, ls=LINESTYLES[i % len(LINESTYLES)])
            if b["low"].notna().any():
                ax.fill_between(b[x], b["low"], b["high"], color=colors[g], alpha=0.2, lw=0)
        ax.set_xlabel("time (days)" if x == "days" else x)
        ax.set_ylabel((ylabels or {}).get(col, LABELS.get(col, col)))
        if logy:
            ax.set_yscale("symlog", linthresh=10)
        ax.grid(alpha=0.3)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    if columns:
        axes[0].legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_tumor_burden(
    ts: pd.DataFrame, group: str = "scenario", baseline_days: Mapping[str, float] | None = None
) -> Figure:
    """Tumor cells over time (mean, 95% band) and relative to each run's size at baseline.

    ``baseline_days`` maps ``run_id`` to its RECIST baseline day (the outcomes table's
    ``baseline_day``); without it the first row of each run is the baseline.
    """
    df = ts.copy()
    if baseline_days is not None:
        # the last recorded row at or before the baseline, as in experiments.outcomes
        day0 = df["run_id"].map(baseline_days).fillna(0.0)
        at_base = df[df["days"] <= day0 + 1e-9]
        base = df["run_id"].map(at_base.groupby("run_id", sort=False)["tumor_cells"].last())
    else:
        base = df.groupby("run_id", sort=False)["tumor_cells"].transform("first")
    df["relative_burden"] = np.where(base > 0, df["tumor_cells"] / base, np.nan)
    return plot_timecourse(
        df, ["tumor_cells", "relative_burden"], group, ncols=2,
        title="Tumor burden (mean and 95% CI over runs)",
        ylabels={"relative_burden": "tumor cells / size at baseline"},
    )


def plot_immune_populations(ts: pd.DataFrame, group: str = "scenario") -> Figure:
    """Immune cell counts over time."""
    return plot_timecourse(ts, IMMUNE_COLUMNS, group, title="Immune populations (mean and 95% CI)")


def plot_fields(ts: pd.DataFrame, group: str = "scenario") -> Figure:
    """Mean field levels over time."""
    return plot_timecourse(ts, FIELD_COLUMNS, group, ncols=2, title="Chemical fields (tissue mean, 95% CI)")


def plot_treatments(ts: pd.DataFrame, group: str = "scenario") -> Figure | None:
    """Treatment concentrations (units of EC50, or dose units) over time; None without treatments."""
    cols = [c for c in ts.columns if c.endswith("_concentration") and (ts[c] > 0).any()]
    if not cols:
        return None
    labels = {c: c.removesuffix("_concentration").replace("_", " ") + " (x EC50)" for c in cols}
    df = ts.copy()
    for c in cols:  # draw each drug only for the groups that received it
        given = df.groupby(group, sort=False)[c].transform(lambda v: bool((v > 0).any()))
        df.loc[~given.astype(bool), c] = np.nan
    return plot_timecourse(df, cols, group, ncols=min(3, len(cols)), title="Treatment concentrations", ylabels=labels)


def plot_outcome_distributions(
    outcomes: pd.DataFrame, columns: Sequence[str], group: str = "scenario", ncols: int = 3
) -> Figure:
    """Box plot plus jittered points of each outcome per group."""
    columns = [c for c in columns if c in outcomes.columns]
    n = max(len(columns), 1)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    groups = _groups(outcomes, group)
    colors = _colors(groups)
    fig = Figure(figsize=(max(4.0, 1.1 * len(groups) + 1.5) * ncols, 3.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    jitter = np.random.default_rng(0)
    for ax, col in zip(axes, columns):
        data = [outcomes.loc[outcomes[group] == g, col].astype(float).dropna().to_numpy() for g in groups]
        ax.boxplot(data, positions=range(len(groups)), widths=0.55, showfliers=False,
                   medianprops={"color": "black"})
        for i, (g, v) in enumerate(zip(groups, data)):
            ax.scatter(i + jitter.uniform(-0.15, 0.15, v.size), v, s=14, color=colors[g], alpha=0.8, zorder=3)
        ax.set_xticks(range(len(groups)), [str(g) for g in groups], rotation=30, ha="right", fontsize=8)
        ax.set_title(col, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    fig.suptitle("Outcomes per run (box: quartiles; points: runs)")
    return fig


def plot_waterfall(outcomes: pd.DataFrame, group: str = "scenario", column: str = "best_response_pct") -> Figure:
    """Waterfall of per-patient best response, one panel per arm, bars coloured by RECIST-like category."""
    groups = _groups(outcomes, group)
    fig = Figure(figsize=(5.0 * len(groups), 3.6), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False, sharey=True).ravel()
    for ax, g in zip(axes, groups):
        sub = outcomes[outcomes[group] == g].sort_values(column, ascending=False)
        cats = sub["response_category"] if "response_category" in sub else pd.Series(["SD"] * len(sub))
        ax.bar(range(len(sub)), sub[column], color=[CATEGORY_COLORS.get(c, "grey") for c in cats], width=0.85)
        ax.axhline(PD_THRESHOLD_PCT, color="grey", ls="--", lw=0.8)
        ax.axhline(PR_THRESHOLD_PCT, color="grey", ls="--", lw=0.8)
        ax.axhline(0, color="black", lw=0.6)
        frac = float(sub["responder"].mean()) if "responder" in sub and len(sub) else float("nan")
        ax.set_title(f"{g}  (responders {100 * frac:.0f}%)", fontsize=9)
        ax.set_xlabel("patients (sorted)")
        ax.set_xticks([])
    axes[0].set_ylabel("best response (% change in diameter)")
    handles = [Patch(color=c, label=k) for k, c in CATEGORY_COLORS.items()]
    axes[-1].legend(handles=handles, fontsize=8, frameon=False, loc="lower left")
    fig.suptitle("Waterfall of best response (dashed: +20% / -30% RECIST thresholds)")
    return fig


def plot_kaplan_meier(
    outcomes: pd.DataFrame,
    group: str = "scenario",
    time: str = "time_to_progression_days",
    event: str = "progressed",
) -> Figure:
    """Kaplan-Meier curves of progression-free fraction per arm with 95% CI, censoring ticks."""
    groups = _groups(outcomes, group)
    colors = _colors(groups)
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.subplots()
    for g in groups:
        sub = outcomes[outcomes[group] == g]
        km = kaplan_meier(sub[time], sub[event].astype(bool))
        ax.step(km["time"], km["survival"], where="post", color=colors[g], label=f"{g} (n={len(sub)})")
        ax.fill_between(km["time"], km["low"], km["high"], step="post", color=colors[g], alpha=0.15, lw=0)
        cens = sub.loc[~sub[event].astype(bool), time].astype(float)
        if len(cens):
            idx = np.searchsorted(km["time"].to_numpy(), cens.to_numpy(), side="right") - 1
            sv = km["survival"].to_numpy()[np.clip(idx, 0, len(km) - 1)]
            ax.plot(cens, sv, "|", color=colors[g], ms=8)
    ax.set_ylim(-0.02, 1.02)
    base = outcomes["baseline_day"].dropna().unique() if "baseline_day" in outcomes else []
    since = f" (baseline: day {base[0]:g})" if len(base) == 1 else ""
    ax.set_xlabel(f"days since baseline{since}")
    ax.set_ylabel("progression-free fraction")
    ax.set_title("Kaplan-Meier: time to progression (RECIST-like)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return fig


def plot_response_surface(surface: pd.DataFrame, params: Sequence[str], response: str) -> Figure:
    """Mean ``response`` over the swept parameters.

    One parameter: mean with 95% CI against the parameter. Two (or more; the first
    two are used): a heat map for a full grid, a triangulated contour for a Latin
    hypercube, with the design points marked.
    """
    mean, lo, hi = f"{response}_mean", f"{response}_ci_low", f"{response}_ci_high"
    if len(params) == 1:
        p = params[0]
        s = surface.sort_values(p)
        fig = Figure(figsize=(5.5, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.plot(s[p], s[mean], "o-", color="C0")
        if s[lo].notna().any():
            ax.fill_between(s[p], s[lo], s[hi], color="C0", alpha=0.2, lw=0)
        ax.set_xlabel(p)
        ax.set_ylabel(f"{response} (mean, 95% CI)")
        ax.grid(alpha=0.3)
        ax.set_title(f"Response: {response}")
        return fig
    px, py = params[0], params[1]
    fig = Figure(figsize=(6.0, 4.8), layout="constrained")
    ax = fig.subplots()
    xs, ys = np.sort(surface[px].unique()), np.sort(surface[py].unique())
    is_grid = len(xs) * len(ys) == len(surface) and len(params) == 2
    if is_grid:
        piv = surface.pivot_table(index=py, columns=px, values=mean)
        im = ax.pcolormesh(np.arange(len(xs) + 1), np.arange(len(ys) + 1), piv.to_numpy(), cmap="viridis_r", shading="flat")
        ax.set_xticks(np.arange(len(xs)) + 0.5, [f"{v:.3g}" for v in xs])
        ax.set_yticks(np.arange(len(ys)) + 0.5, [f"{v:.3g}" for v in ys])
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = piv.to_numpy()[i, j]
                if np.isfinite(v):
                    ax.text(j + 0.5, i + 0.5, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white")
    else:
        x, y, z = surface[px].to_numpy(float), surface[py].to_numpy(float), surface[mean].to_numpy(float)
        ok = np.isfinite(z)
        if ok.sum() >= 3 and np.unique(x[ok]).size > 1 and np.unique(y[ok]).size > 1:
            im = ax.tricontourf(x[ok], y[ok], z[ok], levels=12, cmap="viridis_r")
        else:
            im = ax.scatter(x, y, c=z, cmap="viridis_r")
        ax.scatter(x, y, c="white", edgecolors="black", s=18, zorder=3)
    fig.colorbar(im, ax=ax, label=f"{response} (mean)")
    ax.set_xlabel(px)
    ax.set_ylabel(py)
    ax.set_title(f"Response surface: {response}")
    return fig


def plot_snapshots(snapshots: Mapping[str, np.ndarray], field: str = "interferon", title: str = "") -> Figure:
    """Cell types (top row) and a field heat map (bottom row) at each snapshot day."""
    days = np.asarray(snapshots["days"], dtype=float)
    k = len(days)
    fig = Figure(figsize=(3.2 * k + 1.2, 6.4), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    cmap = ListedColormap(CELL_COLORS)
    norm = BoundaryNorm(np.arange(-0.5, len(CELL_COLORS) + 0.5), cmap.N)
    fvals = np.asarray(snapshots[field], dtype=float)
    vmax = float(np.nanmax(fvals)) if fvals.size and np.nanmax(fvals) > 0 else 1.0
    im = None
    for i, d in enumerate(days):
        ax = axes[0, i]
        ax.imshow(np.asarray(snapshots["cells"][i]).T, origin="lower", cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(f"day {d:g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax2 = axes[1, i]
        im = ax2.imshow(fvals[i].T, origin="lower", cmap="magma", vmin=0.0, vmax=vmax, interpolation="nearest")
        ax2.set_xticks([])
        ax2.set_yticks([])
    axes[0, 0].set_ylabel("cell types")
    axes[1, 0].set_ylabel(f"{field} field")
    handles = [Patch(facecolor=c, edgecolor="grey", label=n) for c, n in zip(CELL_COLORS[1:], CELL_NAMES[1:])]
    axes[0, -1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    if im is not None:
        fig.colorbar(im, ax=axes[1, :].tolist(), label=f"{field} (field units)", shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig
