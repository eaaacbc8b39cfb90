"""Figures of sensitivity analyses and calibrations (matplotlib; each returns a Figure)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "morris_plot", "sobol_bars", "first_vs_total", "save_sensitivity_figures",
    "posterior_marginals", "posterior_pairs", "predictive_check", "epsilon_trajectory",
]


def morris_plot(indices: pd.DataFrame, outcome: str):
    """Morris mu* vs sigma: far right = influential; high sigma = non-linear or interacting."""
    sub = indices[indices.outcome == outcome].pivot(index="parameter", columns="index", values="value")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(sub["mu_star"], sub["sigma"], color="tab:blue")
    top = sub["mu_star"].sort_values(ascending=False).index[:10]
    for p in top:
        ax.annotate(p, (sub.loc[p, "mu_star"], sub.loc[p, "sigma"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    lim = max(float(sub["mu_star"].max()), float(sub["sigma"].max()), 1e-12) * 1.05
    ax.plot([0, lim], [0, lim], ls=":", color="grey", lw=1)
    ax.set(xlabel="mu* (mean |elementary effect|)", ylabel="sigma", title=f"Morris screening: {outcome}")
    fig.tight_layout()
    return fig


def sobol_bars(indices: pd.DataFrame, outcome: str):
    """Sobol' first-order (S1) and total (ST) indices with bootstrap 95 % CIs."""
    sub = indices[(indices.outcome == outcome) & indices["index"].isin(["S1", "ST"])]
    st = sub[sub["index"] == "ST"].set_index("parameter").sort_values("value", ascending=False)
    s1 = sub[sub["index"] == "S1"].set_index("parameter").reindex(st.index)
    x = np.arange(len(st))
    fig, ax = plt.subplots(figsize=(max(5, 0.5 * len(st) + 2), 4))
    for off, df, lab in ((-0.2, s1, "first order S1"), (0.2, st, "total ST")):
        err = np.vstack([df.value - df.ci_low, df.ci_high - df.value]).clip(min=0)
        ax.bar(x + off, df.value, width=0.4, yerr=err, capsize=2, label=lab)
    ax.set_xticks(x, st.index, rotation=60, ha="right", fontsize=7)
    ax.set(ylabel="Sobol' index", title=f"Sobol' indices (95 % CI): {outcome}")
    ax.legend()
    fig.tight_layout()
    return fig


def first_vs_total(indices: pd.DataFrame, outcome: str):
    """S1 vs ST: points above the diagonal act through interactions."""
    sub = indices[indices.outcome == outcome].pivot(index="parameter", columns="index", values="value")
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(sub["S1"], sub["ST"])
    for p in sub["ST"].sort_values(ascending=False).index[:8]:
        ax.annotate(p, (sub.loc[p, "S1"], sub.loc[p, "ST"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.set(xlabel="first order S1", ylabel="total ST", title=f"first vs total: {outcome}")
    fig.tight_layout()
    return fig


def _save(fig, path: Path, formats: Sequence[str]) -> list[Path]:
    out = []
    for fmt in formats:
        p = path.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=110)
        out.append(p)
    plt.close(fig)
    return out


def save_sensitivity_figures(indices: pd.DataFrame, method: str, out: Path, formats: Sequence[str]) -> list[Path]:
    """All sensitivity figures into ``out/figures``; return the files."""
    d = Path(out) / "figures"
    d.mkdir(parents=True, exist_ok=True)
    files = []
    for o in indices.outcome.unique():
        if method == "morris":
            files += _save(morris_plot(indices, o), d / f"morris_{o.replace(':', '_')}", formats)
        else:
            files += _save(sobol_bars(indices, o), d / f"sobol_{o.replace(':', '_')}", formats)
            files += _save(first_vs_total(indices, o), d / f"first_vs_total_{o.replace(':', '_')}", formats)
    return files


def posterior_marginals(posterior: pd.DataFrame, names: Sequence[str], truth: dict | None = None):
    """Weighted histograms of each parameter's posterior (last generation)."""
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3), squeeze=False)
    w = posterior["weight"].to_numpy()
    for ax, n in zip(axes[0], names):
        ax.hist(posterior[n], bins=20, weights=w, color="tab:blue", alpha=0.7)
        ax.axvline(np.median(posterior[n]), color="k", ls="--", lw=1, label="median")
        if truth and n in truth:
            ax.axvline(truth[n], color="tab:red", lw=1.5, label="truth")
        ax.set(xlabel=n, ylabel="posterior weight")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def posterior_pairs(posterior: pd.DataFrame, names: Sequence[str]):
    """Pairwise scatter of posterior particles (colour = weight)."""
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(2.6 * k, 2.6 * k), squeeze=False)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i][j]
            if i == j:
                ax.hist(posterior[a], bins=20, weights=posterior["weight"], color="grey")
            else:
                ax.scatter(posterior[b], posterior[a], c=posterior["weight"], s=8, cmap="viridis")
            if i == k - 1:
                ax.set_xlabel(b, fontsize=7)
            if j == 0:
                ax.set_ylabel(a, fontsize=7)
    fig.tight_layout()
    return fig


def predictive_check(check: pd.DataFrame):
    """Posterior predictive: simulated 5-95 % bands vs observed values (+/- uncertainty), one panel per target."""
    k = len(check)
    fig, axes = plt.subplots(1, k, figsize=(2.8 * k, 3.2), squeeze=False)
    for ax, (_, r) in zip(axes[0], check.iterrows()):
        ax.bar([0], [r.sim_q95 - r.sim_q05], bottom=[r.sim_q05], width=0.5, color="tab:blue", alpha=0.4,
               label="simulated 5-95 %")
        ax.plot([-0.25, 0.25], [r.sim_median] * 2, color="tab:blue")
        ax.errorbar([0.5], [r.observed], yerr=[r.uncertainty], fmt="o", color="tab:red", label="observed")
        ax.set_xticks([])
        ax.set_title(r.target, fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def epsilon_trajectory(populations: pd.DataFrame):
    """Acceptance threshold epsilon per ABC-SMC generation (log scale)."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(populations["t"], populations["epsilon"], marker="o")
    ax.set_yscale("log")
    ax.set(xlabel="generation", ylabel="epsilon (acceptance threshold)", title="ABC-SMC")
    fig.tight_layout()
    return fig
