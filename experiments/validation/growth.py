"""Tumor growth without immunity: exponential phase, Eden-like front, carrying capacity.

All immune influx is switched off (:data:`NO_IMMUNITY`), there are no vessels
(so no dissemination) and nothing kills tumor cells. What remains is the
division rule: a cell divides at ``tumor.division_rate_per_hour`` into a free
Moore neighbour and not at all when none is free (contact inhibition).

References:

* a cell with free space divides as a Poisson process, so the early population
  (every cell has space) grows as ``E[N(t)] = exp(r t)`` with doubling time
  ``ln 2 / r`` (a Yule process);
* a compact, contact-inhibited colony only grows at its rim, so its radius
  advances at a constant speed (Eden 1961; the lattice-growth analogue of
  radial growth of tumor spheroids and colonies, Bru et al. 2003);
* in a closed window the colony saturates at the number of sites, and the whole
  curve is fitted by the logistic and Gompertz laws with
  :func:`scipy.optimize.curve_fit`.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import curve_fit

from model import Parameters

from ..stats import bootstrap_rows_ci, finite_mean_ci
from .core import NO_IMMUNITY, Budget, Check, replicate_seeds, run_specs, save_figure, validation_spec

SECTION = "Growth without immunity"

GROWTH_ONLY = {**NO_IMMUNITY, "lattice.vessel_fraction": 0.0, "tumor.dissemination_rate_per_hour": 0.0}


# --------------------------------------------------------------------------- exponential phase


def _exposure_stats(results, dt: float):
    """Per replicate: divisions, cell-hours, cell-hours with free space."""
    rows = []
    for r in results:
        div = np.diff(r["divisions"])
        n = r["live_tumor_cells"][:-1]  # probed: its first value is after the sparse layout
        free = r["tumor_with_space"][:-1]
        rows.append((div.sum(), n.sum() * dt, free.sum() * dt))
    return np.array(rows)


def exponential_phase(budget: Budget, fig_dir: Path | None = None, hours: float = 72.0) -> Check:
    """From one cell, the early doubling time is ln 2 / division rate."""
    p = Parameters()
    r = p.tumor.division_rate_per_hour
    expected = math.log(2) / r
    arms = {}
    for dt in (0.5, 0.25):
        over = {**GROWTH_ONLY, "tumor.initial_radius_sites": 0.0, "lattice.width_sites": 60,
                "lattice.height_sites": 60, "lattice.dt_hours": dt}
        # 36 isolated single cells per run (spacing 10 sites): independent colonies
        n_runs = max(2, budget.growth_replicates // 36)
        seeds = replicate_seeds(budget.root_seed, n_runs, stream=101 if dt == 0.5 else 102)
        specs = [validation_spec(over, s, hours / 24.0, track=True, sparse_spacing=10) for s in seeds]
        arms[dt] = run_specs(specs, budget.workers)
    res = arms[0.5]
    ex = _exposure_stats(res, 0.5)
    td_all = bootstrap_rows_ci(lambda d: math.log(2) * d[:, 1].sum() / d[:, 0].sum(), ex, seed=1)
    td_free = bootstrap_rows_ci(lambda d: math.log(2) * d[:, 2].sum() / d[:, 0].sum(), ex, seed=2)
    ex25 = _exposure_stats(arms[0.25], 0.25)
    td_all_25 = bootstrap_rows_ci(lambda d: math.log(2) * d[:, 1].sum() / d[:, 0].sum(), ex25, seed=3)
    # exponential fit of the mean population curve
    hrs = res[0]["hours"]
    mean_n = np.mean([x["live_tumor_cells"] for x in res], axis=0)
    slope = float(np.polyfit(hrs, np.log(mean_n), 1)[0])
    td_fit = math.log(2) / slope
    blocked = 1.0 - ex[:, 2].sum() / ex[:, 1].sum()
    lo, hi = td_free[1], td_free[2]
    check = Check(
        id="growth.exponential_doubling",
        section=SECTION,
        claim="early exponential phase: doubling time equals ln 2 / division rate",
        reference=f"Yule process: ln 2 / r = {expected:.1f} h (r = {r:g}/h; 4T1 in vivo 1/33 h, Tao et al. 2008)",
        statistic="doubling time from divisions per cell-hour with free space (first 3 days of isolated single cells)",
        value=td_free[0],
        ci=(lo, hi),
        unit="h",
        criterion="ln 2 / r inside the 95% CI; the all-cell doubling time within 10% of it (contact inhibition)",
        passed=(lo <= expected <= hi) and abs(td_all[0] / expected - 1) < 0.10,
        extra={
            "expected_h": expected,
            "doubling_all_cells_h": td_all[0],
            "doubling_all_cells_ci": [td_all[1], td_all[2]],
            "doubling_all_cells_dt_0.25_h": td_all_25[0],
            "doubling_all_cells_dt_0.25_ci": [td_all_25[1], td_all_25[2]],
            "doubling_from_exponential_fit_of_mean_h": td_fit,
            "contact_inhibited_fraction_of_cell_hours": blocked,
            "mean_final_cells_per_colony": float(mean_n[-1] / 36),
            "colonies": 36 * len(res),
        },
        notes=(
            f"Counting all cells, the doubling time is {td_all[0]:.1f} h, {100 * (td_all[0] / expected - 1):+.1f}% "
            f"longer: {100 * blocked:.1f}% of cell-hours were spent with no free neighbour (contact "
            "inhibition inside the small colonies). Cells with space divide exactly at the parameter "
            "rate. Halving dt gives the same doubling time (extra)."
        ),
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.8, 3.5))
        sd = np.std([x["live_tumor_cells"] for x in res], axis=0)
        ax.semilogy(hrs, mean_n / 36, "-", label="model: mean cells per colony")
        ax.fill_between(hrs, (mean_n - sd) / 36, (mean_n + sd) / 36, alpha=0.2)
        ax.semilogy(hrs, np.exp(r * hrs), "k--", label=f"exp(r t), doubling {expected:.1f} h")
        ax.set(xlabel="hours", ylabel="tumor cells", title="early exponential phase")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "growth_exponential.png")
    return check


# --------------------------------------------------------------------------- Eden front


def _slope(t, y):
    return float(np.polyfit(t, y, 1)[0])


def eden_front(budget: Budget, fig_dir: Path | None = None) -> Check:
    """A contact-inhibited colony's radius grows linearly in time."""
    p = Parameters()
    r = p.tumor.division_rate_per_hour
    width, days = 90, 28.0
    over = {**GROWTH_ONLY, "tumor.initial_radius_sites": 3.0, "lattice.width_sites": width,
            "lattice.height_sites": width, "lattice.collect_every_steps": 12}
    n_rep = max(3, budget.replicates // 3)
    seeds = replicate_seeds(budget.root_seed, n_rep, stream=103)
    res = run_specs([validation_spec(over, s, days) for s in seeds], budget.workers)
    t = res[0]["days"]
    radii = np.array([np.sqrt(x["tumor_cells"] / np.pi) for x in res])
    early = (t >= 4) & (t <= 16)
    late = (t >= 16) & (t <= days)
    fit = t >= 4
    speeds = np.array([_slope(t[fit], R[fit]) for R in radii])
    ratio = np.array([_slope(t[late], R[late]) / _slope(t[early], R[early]) for R in radii])
    v, vlo, vhi = finite_mean_ci(speeds)
    q, qlo, qhi = finite_mean_ci(ratio)
    mean_r = radii.mean(axis=0)
    coef = np.polyfit(t[fit], mean_r[fit], 1)
    resid = mean_r[fit] - np.polyval(coef, t[fit])
    r2_lin = 1 - resid.var() / mean_r[fit].var()
    # the alternative: exponential growth of the cell count over the same window
    n_mean = np.mean([x["tumor_cells"] for x in res], axis=0)
    ecoef = np.polyfit(t[fit], np.log(n_mean[fit]), 1)
    exp_r = np.sqrt(np.exp(np.polyval(ecoef, t[fit])) / np.pi)
    r2_exp = 1 - ((mean_r[fit] - exp_r) ** 2).mean() / mean_r[fit].var()
    site = p.lattice.site_size_um
    per_division = v / (r * 24.0)
    check = Check(
        id="growth.eden_linear_radius",
        section=SECTION,
        claim="contact-inhibited lattice growth: the radius grows linearly in time (Eden-like)",
        reference="Eden (1961) growth: constant front speed; radial growth of spheroids/colonies (Bru et al. 2003)",
        statistic="front speed dR/dt (R = sqrt(N/pi), days 4-28)",
        value=v,
        ci=(vlo, vhi),
        unit="sites/day",
        criterion="late/early speed ratio 95% CI within [0.85, 1.15] (constant speed) and R^2 of the linear fit > 0.995",
        passed=(qlo >= 0.85 and qhi <= 1.15 and r2_lin > 0.995),
        extra={
            "speed_um_per_day": v * site,
            "speed_sites_per_division_time": per_division,
            "late_over_early_speed_ratio": q,
            "late_over_early_speed_ratio_ci": [qlo, qhi],
            "r2_linear_radius": float(r2_lin),
            "r2_exponential_count": float(r2_exp),
            "replicates": n_rep,
        },
        notes=(
            f"The front advances {v:.2f} sites/day = {v * site:.0f} um/day at r = {r:g}/h, i.e. "
            f"{per_division:.2f} sites per mean division time 1/r. An exponential law fitted to the cell count over "
            f"the same window describes the radius worse (R^2 {r2_exp:.3f} vs {r2_lin:.4f})."
        ),
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
        for R in radii:
            ax[0].plot(t, R, color="0.7", lw=0.8)
        ax[0].plot(t, mean_r, "C0-", label="model (mean)")
        ax[0].plot(t[fit], np.polyval(coef, t[fit]), "k--", label=f"linear fit, {v:.2f} sites/day")
        ax[0].plot(t[fit], exp_r, "C3:", label="exponential fit of N")
        ax[0].set(xlabel="days", ylabel="radius sqrt(N/pi) (sites)", title="Eden-like front")
        ax[0].legend(fontsize=7)
        ax[1].plot(t[1:], np.diff(mean_r) / np.diff(t), "C0-")
        ax[1].axhline(v, color="k", ls="--")
        ax[1].set(xlabel="days", ylabel="dR/dt (sites/day)", title="front speed is constant")
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "growth_eden.png")
    return check


# --------------------------------------------------------------------------- carrying capacity


def logistic(t, k, r, n0):
    return k / (1.0 + (k / n0 - 1.0) * np.exp(-r * t))


def gompertz(t, k, b, n0):
    return k * np.exp(np.log(n0 / k) * np.exp(-b * t))


def _aic(resid, n_par):
    n = resid.size
    return n * np.log((resid**2).sum() / n) + 2 * n_par


def carrying_capacity(budget: Budget, fig_dir: Path | None = None) -> Check:
    """In a closed window, growth saturates at the number of sites: logistic/Gompertz fits."""
    width, days = 30, 22.0
    sites = width * width
    over = {**GROWTH_ONLY, "tumor.initial_radius_sites": 3.0, "lattice.width_sites": width,
            "lattice.height_sites": width, "lattice.collect_every_steps": 6}
    n_rep = max(4, budget.replicates // 2)
    seeds = replicate_seeds(budget.root_seed, n_rep, stream=104)
    res = run_specs([validation_spec(over, s, days) for s in seeds], budget.workers)
    t = res[0]["days"]
    curves = np.array([x["tumor_cells"] for x in res])
    y = curves.mean(axis=0)
    fits = {}
    for name, fn, p0 in (("logistic", logistic, (sites, 0.5, y[0])), ("gompertz", gompertz, (sites, 0.2, y[0]))):
        popt, pcov = curve_fit(fn, t, y, p0=p0, maxfev=20000)
        resid = y - fn(t, *popt)
        fits[name] = {
            "K": float(popt[0]),
            "K_se": float(np.sqrt(pcov[0, 0])),
            "rate_per_day": float(popt[1]),
            "n0": float(popt[2]),
            "r2": float(1 - resid.var() / y.var()),
            "aic": float(_aic(resid, 3)),
            "rmse_cells": float(np.sqrt((resid**2).mean())),
        }
    best = min(fits, key=lambda k: fits[k]["aic"])
    # per-replicate K from the best law gives a CI over replicates
    fn = logistic if best == "logistic" else gompertz
    ks = []
    for c in curves:
        popt, _ = curve_fit(fn, t, c, p0=(sites, fits[best]["rate_per_day"], c[0]), maxfev=20000)
        ks.append(popt[0])
    k_mean, k_lo, k_hi = finite_mean_ci(ks)
    check = Check(
        id="growth.carrying_capacity",
        section=SECTION,
        claim="with a carrying capacity the growth curve fits a logistic/Gompertz law",
        reference=f"logistic and Gompertz laws (curve_fit); capacity = {sites} sites of a {width}x{width} window",
        statistic=f"fitted carrying capacity K ({best}, the better fit by AIC)",
        value=k_mean,
        ci=(k_lo, k_hi),
        unit="cells",
        criterion=f"both laws fit with R^2 > 0.99; K of the better law within 5% of the {sites} sites",
        passed=abs(k_mean / sites - 1) < 0.05 and min(f["r2"] for f in fits.values()) > 0.99,
        extra={"fits": fits, "best_law": best, "sites": sites, "replicates": n_rep},
        notes=(
            f"Logistic: K = {fits['logistic']['K']:.0f}, r = {fits['logistic']['rate_per_day']:.3f}/day, "
            f"R^2 = {fits['logistic']['r2']:.4f}; Gompertz: K = {fits['gompertz']['K']:.0f}, "
            f"b = {fits['gompertz']['rate_per_day']:.3f}/day, R^2 = {fits['gompertz']['r2']:.4f}. "
            f"Both laws overestimate the capacity ({100 * (fits['logistic']['K'] / sites - 1):+.1f}% and "
            f"{100 * (fits['gompertz']['K'] / sites - 1):+.1f}%): the colony fills the window's last sites faster than "
            "either law's slow asymptotic approach, since growth at the rim stays at full speed until the rim "
            "reaches the walls. The fitted rates are far below the cell division rate (0.72/day): a compact colony grows only "
            "at its rim, so neither law's rate is the cell-cycle rate."
        ),
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.8, 3.5))
        for c in curves:
            ax.plot(t, c, color="0.75", lw=0.8)
        ax.plot(t, y, "C0-", lw=2, label="model (mean)")
        tt = np.linspace(t[0], t[-1], 200)
        f = fits["logistic"]
        ax.plot(tt, logistic(tt, f["K"], f["rate_per_day"], f["n0"]), "k--", label="logistic fit")
        f = fits["gompertz"]
        ax.plot(tt, gompertz(tt, f["K"], f["rate_per_day"], f["n0"]), "C3:", label="Gompertz fit")
        ax.axhline(sites, color="0.4", lw=0.8, ls="-.", label=f"{sites} sites")
        ax.set(xlabel="days", ylabel="tumor cells", title="growth in a closed window")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "growth_carrying_capacity.png")
    return check


def run(budget: Budget, fig_dir: Path | None = None) -> list[Check]:
    return [exponential_phase(budget, fig_dir), eden_front(budget, fig_dir), carrying_capacity(budget, fig_dir)]
