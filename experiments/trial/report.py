"""Trial figures (Kaplan-Meier with numbers at risk, waterfall, swimmer) and the Markdown report."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402

from .design import TrialDesign  # noqa: E402
from .readouts import km_fit, subset  # noqa: E402

__all__ = ["figures", "markdown_report"]

_COLORS = {"CR": "#1a9850", "PR": "#91cf60", "SD": "#fee08b", "PD": "#d73027", "NE": "#999999"}


def _populations(design: TrialDesign) -> list[str]:
    return sorted({a.population for a in design.analyses})


def figures(design: TrialDesign, df: pd.DataFrame, out: Path) -> list[Path]:
    """Write the PFS Kaplan-Meier, waterfall and swimmer figures (PNG) per analysed population."""
    paths = []
    for pop in _populations(design):
        fig, ax = plt.subplots(figsize=(7, 5))
        fits = []
        for arm in design.arms:
            rows = subset(df, arm.name, pop)
            if len(rows):
                km = km_fit(rows["pfs_months"], rows["pfs_event"], f"{arm.name} (n={len(rows)})")
                km.plot_survival_function(ax=ax, ci_show=True)
                fits.append(km)
        ax.set(xlabel="months", ylabel="progression-free", ylim=(0, 1.02), title=f"PFS, {pop}")
        if fits:
            add_at_risk_counts(*fits, ax=ax, rows_to_show=["At risk"])
        fig.tight_layout()
        paths.append(out / f"km_pfs_{pop}.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)

        arms = [a.name for a in design.arms]
        fig, axes = plt.subplots(1, len(arms), figsize=(5 * len(arms), 4), squeeze=False)
        for ax, arm in zip(axes[0], arms):
            rows = subset(df, arm, pop).sort_values("best_change_pct", ascending=False)
            ax.bar(range(len(rows)), rows["best_change_pct"].clip(upper=100),
                   color=[_COLORS[b] for b in rows["best_response"]])
            for y in (20, -30):
                ax.axhline(y, ls="--", lw=0.8, color="k")
            ax.set(title=f"{arm}, {pop}", ylabel="best change in sum of diameters (%)", xticks=[])
        fig.tight_layout()
        paths.append(out / f"waterfall_{pop}.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)

        fig, axes = plt.subplots(1, len(arms), figsize=(5 * len(arms), 5), squeeze=False)
        for ax, arm in zip(axes[0], arms):
            rows = subset(df, arm, pop).sort_values("pfs_months").reset_index(drop=True)
            ax.barh(rows.index, rows["pfs_months"], color=[_COLORS[b] for b in rows["best_response"]])
            ev = rows[rows["pfs_event"]]
            ax.plot(ev["pfs_months"], ev.index, "k|", ms=6, label="progression")
            ax.set(title=f"{arm}, {pop}", xlabel="months on study", yticks=[])
        axes[0][0].legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        paths.append(out / f"swimmer_{pop}.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths


def _fmt(v: float, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NE"
    return f"{100 * v:.1f}%" if pct else f"{v:.2f}"


def markdown_report(design: TrialDesign, table: pd.DataFrame, df: pd.DataFrame, figs: list[Path],
                    elapsed_s: float | None = None, checks: pd.DataFrame | None = None) -> str:
    """The trial report: design, population, read-outs vs targets, figures."""
    n_screened = df["patient"].nunique()
    n_pos = int(df.drop_duplicates("patient")["biomarker_positive"].sum())
    lines = [f"# Virtual trial: {design.name}", "", design.description, "",
             f"- screened virtual patients: {n_screened}; biomarker-positive (CPS-like >= "
             f"{design.biomarker_cutoff:g}): {n_pos} ({100 * n_pos / max(n_screened, 1):.0f}%)",
             f"- arms forked from one baseline per patient: {', '.join(a.name for a in design.arms)}",
             f"- scans every {design.scan_every_weeks:g} weeks, confirmation >= {design.confirm_weeks:g} weeks, "
             f"follow-up {design.followup_months:g} months; lesion scale {design.lesion}",
             "- OS is not reported: the model has no death rule.", ""]
    if elapsed_s is not None:
        lines += [f"- patient simulations took {elapsed_s:.0f} s in this call", ""]
    lines += ["| analysis | role | n | ORR (95% CI) | CR | PR | DCR | median PFS mo (95% CI) | median DoR mo | HR PFS (95% CI) | targets |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        hr = (f"{r['hr_pfs']:.2f} ({r['hr_ci_low']:.2f}-{r['hr_ci_high']:.2f})"
              if "hr_pfs" in r and isinstance(r["hr_pfs"], float) and not math.isnan(r["hr_pfs"]) else "")
        targets = ", ".join(f"{k[7:]}={r[k]:g}" for k in r.index if k.startswith("target_") and not pd.isna(r[k]))
        lines.append(
            f"| {r['analysis']} | {r['role']} | {r['n']} | {_fmt(r['orr'], True)} ({_fmt(r['orr_ci_low'], True)}-"
            f"{_fmt(r['orr_ci_high'], True)}) | {r['cr']} | {r['pr']} | {_fmt(r['dcr'], True)} | "
            f"{_fmt(r.get('median_pfs_months'))} ({_fmt(r.get('pfs_ci_low'))}-{_fmt(r.get('pfs_ci_high'))}) | "
            f"{_fmt(r['median_dor_months'])} | {hr} | {targets} |")
    if checks is not None and len(checks):
        lines += ["", "## Checks (two-sided margins; held-out rows are predictions, never tuned)", "",
                  "| analysis | role | quantity | simulated | target | margin | passed |", "|---|---|---|---|---|---|---|"]
        for _, c in checks.iterrows():
            sim = "NE" if pd.isna(c["simulated"]) else f"{c['simulated']:.3g}"
            lines.append(f"| {c['analysis']} | {c['role']} | {c['quantity']} | {sim} | {c['target']:g} | "
                         f"{c['margin']} | {'yes' if c['passed'] else 'NO'} |")
    lines += ["", "## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figs]
    return "\n".join(lines) + "\n"
