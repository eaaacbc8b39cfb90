"""Numerical references for the diffusion fields (:class:`model.DiffusionField`).

Each field solves ``du/dt = D Lap(u) - k u + s`` on the lattice with no-flux walls.
The checks compare it with closed-form solutions of the continuum equation:

* a point mass spreading as the 2D heat kernel ``M / (4 pi D t) exp(-r^2 / 4 D t)``;
* a steady point source with decay approaching ``q K0(r / lambda) / (2 pi D)``, ``lambda = sqrt(D / k)``;
* a uniform source with decay relaxing to ``s / k (1 - e^{-k t})``;
* mass conservation with no-flux walls (no decay), and exact mass balance with a source;
* second-order convergence in the lattice spacing (Gaussian initial condition, model's D);
* first-order convergence in the time step when the source changes in time (sources are
  held constant over a step, as the model does with cell secretion), and when cell uptake
  is split from diffusion.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import k0

from model import DiffusionField, Parameters

from .core import Budget, Check, save_figure

SITE_UM = 10.0
D_ONE = 100.0 / 60.0  # um^2/min; exactly 1 site^2/h at 10 um sites


def _field(n, decay=0.0, d=D_ONE, uptake=0.0, site=SITE_UM) -> DiffusionField:
    shape = (n, n) if isinstance(n, int) else n
    return DiffusionField("validation", shape, site, d, decay, uptake)


def _coords(n: int, c: float):
    x = np.arange(n) - c
    return np.meshgrid(x, x, indexing="ij")


# --------------------------------------------------------------------------- point source


def point_source(budget: Budget, fig_dir: Path | None = None) -> Check:
    """A point mass spreads as the 2D Gaussian heat kernel."""
    n, c, mass = 161, 80, 1000.0
    times = [2.0, 8.0, 20.0, 50.0]  # D t in site^2 (D = 1 site^2/h)
    f = _field(n)
    f.values[c, c] = mass
    x, y = _coords(n, c)
    r2 = x**2 + y**2
    errors, profiles = [], []
    t_prev = 0.0
    for t in times:
        f.step(t - t_prev)
        t_prev = t
        g = mass / (4 * np.pi * t) * np.exp(-r2 / (4 * t))
        errors.append(float(np.abs(f.values - g).max() / g.max()))
        profiles.append((t, f.values[c, c:].copy(), g[c, c:].copy()))
    var = float((f.values * r2).sum() / f.values.sum()) / 2.0  # per axis
    err50 = errors[-1]
    check = Check(
        id="fields.point_source",
        section="Numerics: fields",
        claim="diffusion from a point source matches the analytic 2D Gaussian (heat kernel)",
        reference="u = M/(4 pi D t) exp(-r^2/(4 D t)); variance per axis 2 D t",
        statistic="max |u - Gaussian| / Gaussian peak at D t = 50 site^2",
        value=err50,
        ci=None,
        unit="",
        criterion="< 0.5% (the 5-point lattice kernel differs from the continuum by ~1/(8 D t) = 0.25%)",
        passed=err50 < 5e-3,
        extra={"errors_by_Dt": dict(zip(times, errors)), "variance_per_axis": var, "expected_variance": 2 * times[-1],
               "mass_error": abs(f.total() - mass) / mass},
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
        for t, num, ana in profiles:
            r = np.arange(num.size)
            ax[0].plot(r[:40], ana[:40], "-", lw=1.5, label=f"analytic, Dt={t:g}")
            ax[0].plot(r[:40:2], num[:40:2], "o", ms=3, color=ax[0].lines[-1].get_color())
        ax[0].set(xlabel="distance (sites)", ylabel="concentration", title="point mass: lattice (dots) vs Gaussian")
        ax[0].legend(fontsize=7)
        ax[1].loglog(times, errors, "o-")
        ax[1].loglog(times, [1 / (8 * t) for t in times], "k--", label="1/(8 D t) lattice correction")
        ax[1].set(xlabel="D t (site^2)", ylabel="max error / peak", title="error shrinks as the kernel widens")
        ax[1].legend(fontsize=7)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_point_source.png")
    return check


def steady_point_source(budget: Budget, fig_dir: Path | None = None) -> Check:
    """A secreting cell with decay reaches the K0 steady profile."""
    n, c = 201, 100
    decay = 1.0 / 25.0  # lambda = 5 sites
    q = 10.0
    f = _field(n, decay=decay)
    src = np.zeros((n, n))
    src[c, c] = q
    for _ in range(30):
        f.step(20.0, src)  # 600 h = 24 decay times
    lam = np.sqrt(1.0 / decay)
    r = np.arange(2, 30)
    num = f.values[c, c + r]
    ana = q / (2 * np.pi) * k0(r / lam)
    rel = np.abs(num - ana) / ana
    err = float(rel.max())
    check = Check(
        id="fields.steady_point_source",
        section="Numerics: fields",
        claim="a steady point source with decay reaches the analytic K0 profile",
        reference="u(r) = q K0(r/lambda)/(2 pi D), lambda = sqrt(D/k) (free-space Green's function)",
        statistic="max relative error for 2 <= r <= 30 sites (lambda = 5 sites)",
        value=err,
        ci=None,
        unit="",
        criterion="< 3% (lattice Green's function vs continuum, largest next to the source)",
        passed=err < 0.03,
        extra={"mass_balance_error": abs(f.total() - q / decay) / (q / decay)},
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        ax.semilogy(r, ana, "-", label="q K0(r/lambda)/(2 pi D)")
        ax.semilogy(r, num, "o", ms=3, label="lattice field")
        ax.set(xlabel="distance from source (sites)", ylabel="steady concentration", title="point source with decay")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_steady_point_source.png")
    return check


def uniform_source(budget: Budget, fig_dir: Path | None = None) -> Check:
    """A uniform source with decay relaxes to s/k exactly."""
    s, k = 0.3, 0.5
    f = _field((40, 30), decay=k)
    src = np.full((40, 30), s)
    times, num = [0.0], [0.0]
    for _ in range(40):
        f.step(0.5, src)
        times.append(times[-1] + 0.5)
        num.append(f.mean())
    times, num = np.array(times), np.array(num)
    ana = s / k * (1 - np.exp(-k * times))
    err = float(np.abs(num - ana).max() / (s / k))
    spread = float(f.values.max() - f.values.min())
    check = Check(
        id="fields.uniform_steady_state",
        section="Numerics: fields",
        claim="a uniform source with decay relaxes to the steady state source/decay",
        reference="u(t) = s/k (1 - exp(-k t)) -> s/k",
        statistic="max |u - s/k (1 - e^{-kt})| / (s/k) over 20 h",
        value=err,
        ci=None,
        unit="",
        criterion="< 1e-9 (the integrator is exact in time for a constant source)",
        passed=err < 1e-9 and spread < 1e-9,
        extra={"steady_value": float(num[-1]), "s_over_k": s / k, "spatial_spread": spread},
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        ax.plot(times, ana, "-", label="s/k (1 - exp(-k t))")
        ax.plot(times, num, "o", ms=3, label="lattice field (mean)")
        ax.axhline(s / k, color="k", ls=":", lw=1)
        ax.set(xlabel="hours", ylabel="concentration", title="uniform source, first-order decay")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_uniform_source.png")
    return check


def mass_conservation(budget: Budget, fig_dir: Path | None = None) -> Check:
    """No-flux walls conserve mass; with a source, mass grows by exactly source x time."""
    rng = np.random.default_rng(1)
    p = Parameters()
    f = DiffusionField("osm", (57, 43), p.lattice.site_size_um, p.fields.osm.diffusion_um2_per_min, 0.0)
    f.values[...] = rng.random((57, 43)) ** 4 * 10
    f.values[:3, :] += 50.0  # mass piled against a wall
    m0 = f.total()
    drift = []
    for _ in range(500):
        f.step(p.lattice.dt_hours)
        drift.append(abs(f.total() - m0) / m0)
    g = DiffusionField("osm", (57, 43), p.lattice.site_size_um, p.fields.osm.diffusion_um2_per_min, 0.0)
    src = np.zeros((57, 43))
    src[0, 0] = 3.0  # a corner source, the hardest case for the walls
    for _ in range(200):
        g.step(0.5, src)
    balance = abs(g.total() - 3.0 * 100.0) / 300.0
    worst = float(max(max(drift), balance))
    return Check(
        id="fields.mass_conservation",
        section="Numerics: fields",
        claim="no-flux boundaries conserve mass",
        reference="d/dt sum(u) = sum(s) when decay = 0 (Neumann walls)",
        statistic="max relative mass error over 500 steps (model D, dt, 20 um sites) and source balance",
        value=worst,
        ci=None,
        unit="",
        criterion="< 1e-10 (round-off only)",
        passed=worst < 1e-10,
        extra={"drift_without_source": float(max(drift)), "corner_source_balance_error": float(balance)},
    )


def _gaussian_on_lattice(h_um: float, box_um: float, sigma0_um: float, d_um2_min: float, t_h: float):
    n = int(round(box_um / h_um))
    f = DiffusionField("g", (n, n), h_um, d_um2_min, 0.0)
    xc = (np.arange(n) + 0.5) * h_um - box_um / 2
    x, y = np.meshgrid(xc, xc, indexing="ij")
    r2 = x**2 + y**2

    def exact(t):
        s2 = sigma0_um**2 + 2 * d_um2_min * 60.0 * t
        return np.exp(-r2 / (2 * s2)) * sigma0_um**2 / s2

    f.values[...] = exact(0.0)
    f.step(t_h)
    return float(np.abs(f.values - exact(t_h)).max())


def lattice_refinement(budget: Budget, fig_dir: Path | None = None) -> Check:
    """Second-order convergence in the lattice spacing, at the model's diffusion coefficient."""
    d = Parameters().fields.interferon.diffusion_um2_per_min  # 1000 um^2/min
    hs = np.array([40.0, 20.0, 10.0, 5.0])
    errs = np.array([_gaussian_on_lattice(h, 4000.0, 60.0, d, 0.25) for h in hs])
    orders = np.log2(errs[:-1] / errs[1:])
    slope = float(np.polyfit(np.log(hs), np.log(errs), 1)[0])
    check = Check(
        id="fields.lattice_refinement",
        section="Numerics: fields",
        claim="results converge when the lattice is refined (second order in the site size)",
        reference="Gaussian (sigma0 = 60 um) spreading with D = 1000 um^2/min for 15 min; exact continuum solution",
        statistic="observed order of convergence (log-log slope of max error vs site size, 40 -> 5 um)",
        value=slope,
        ci=None,
        unit="",
        criterion="between 1.8 and 2.2 (5-point Laplacian is O(h^2))",
        passed=1.8 <= slope <= 2.2,
        extra={"site_um": hs.tolist(), "max_error": errs.tolist(), "pairwise_orders": orders.tolist(),
               "error_at_model_site_20um": float(errs[1])},
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        ax.loglog(hs, errs, "o-", label="max error")
        ax.loglog(hs, errs[0] * (hs / hs[0]) ** 2, "k--", label="slope 2")
        ax.set(xlabel="site size (um)", ylabel="max error (peak = 1)", title="lattice refinement")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_lattice_refinement.png")
    return check


def _time_varying_run(dt: float, t_end: float = 12.0, uptake: float = 0.0) -> np.ndarray:
    """Field under a pulsing source (period 12 h) that is held constant over each step."""
    n = 48
    f = _field(n, decay=0.2, d=D_ONE * 4, uptake=uptake)
    mask = np.zeros((n, n), dtype=bool)
    mask[10:30, 15:35] = True  # "tumor" sites that take up the signal
    steps = int(round(t_end / dt))
    for i in range(steps):
        t = i * dt  # left end of the step, as in the model (secretion decided during the step)
        src = np.zeros((n, n))
        src[20, 24] = 5.0 * (1.0 + np.sin(2 * np.pi * t / 12.0))
        src[36, 10] = 5.0 if t >= 4.0 else 0.0  # a cell that starts secreting at 4 h
        f.step(dt, src, mask if uptake > 0 else None)
    return f.values.copy()


def time_step_halving(budget: Budget, fig_dir: Path | None = None) -> Check:
    """First-order convergence in dt with time-varying sources and uptake splitting."""
    dts = np.array([1.0, 0.5, 0.25, 0.125, 0.0625])
    ref = _time_varying_run(1 / 256, uptake=2.0)
    runs = [_time_varying_run(dt, uptake=2.0) for dt in dts]
    l2 = np.array([np.sqrt(((u - ref) ** 2).sum() / (ref**2).sum()) for u in runs])
    linf = np.array([np.abs(u - ref).max() / ref.max() for u in runs])
    ref0 = _time_varying_run(1 / 256, uptake=0.0)
    no_uptake = float(np.sqrt(((_time_varying_run(0.5, uptake=0.0) - ref0) ** 2).sum() / (ref0**2).sum()))
    fit = slice(1, None)  # asymptotic range: the model's dt (0.5 h) and below
    slope = float(np.polyfit(np.log(dts[fit]), np.log(l2[fit]), 1)[0])
    check = Check(
        id="fields.time_step_halving",
        section="Numerics: fields",
        claim="results converge when dt is halved",
        reference="same run with dt = 1/256 h (a source pulsing with a 12 h period, one switching on at 4 h; "
        "uptake 2/h inside a tumor patch)",
        statistic="observed order in dt (log-log slope of the relative L2 error, dt = 0.5 -> 1/16 h)",
        value=slope,
        ci=None,
        unit="",
        criterion="between 0.8 and 1.3: first order (sources are held constant over a step); the error halves "
        "with dt",
        passed=0.8 <= slope <= 1.3 and bool(np.all(np.diff(l2) < 0)),
        extra={"dt_hours": dts.tolist(), "relative_l2_error": l2.tolist(), "relative_max_error": linf.tolist(),
               "l2_error_at_model_dt_0.5h": float(l2[1]), "l2_error_at_0.5h_without_uptake": no_uptake},
        notes=(f"Relative L2 error at the model's dt = 0.5 h: {100 * l2[1]:.1f}% with uptake, {100 * no_uptake:.1f}% "
               "without. The diffusion-decay propagator is exact in time (see the uniform-source check); the "
               "first-order error comes from holding a changing source constant over a step (the model's cells "
               "secrete at a rate decided once per step) and from the time discretisation of uptake, and is "
               "largest at the secreting site itself."),
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        ax.loglog(dts, l2, "o-", label="relative L2 error")
        ax.loglog(dts, linf, "s-", label="relative max error")
        ax.loglog(dts, l2[1] * dts / dts[1], "k--", label="slope 1")
        ax.set(xlabel="dt (h)", ylabel="error vs dt = 1/256 h", title="time-step halving")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_dt_halving.png")
    return check


UPTAKE_PER_HOUR = 2.0
"""A strong cell uptake (the interferon field's original default) for the uptake-sensing check."""


def _uptake_run(dt: float, mode: str = "model", nsub: int = 1):
    """Interferon (model D and decay, uptake 2/h at tumor sites) around a tumor block and an isolated
    tumor cell, 60 h of constant secretion by three engaged T-cells; returns (tumor-block mean,
    isolated cell, non-tumor mean)."""
    p = Parameters()
    fp = dataclasses.replace(p.fields.interferon, cell_uptake_per_hour=UPTAKE_PER_HOUR)
    n = 40
    block = np.zeros((n, n), dtype=bool)
    block[10:30, 10:30] = True
    iso = np.zeros((n, n), dtype=bool)
    iso[5, 5] = True
    mask = block | iso
    src = np.zeros((n, n))
    src[20, 20] = src[30, 20] = src[6, 5] = p.cd8.ifn_gamma_secretion_per_hour
    if mode == "model":
        f = DiffusionField("ifn", (n, n), p.lattice.site_size_um, fp.diffusion_um2_per_min, fp.decay_per_hour,
                           fp.cell_uptake_per_hour)
        for _ in range(int(round(60 / dt))):
            f.step(dt, src, mask)
    elif mode == "lie":  # uptake split off after an exact diffusion step (reference for the failure mode)
        f = DiffusionField("ifn", (n, n), p.lattice.site_size_um, fp.diffusion_um2_per_min, fp.decay_per_hour)
        for _ in range(int(round(60 / dt))):
            f.step(dt, src)
            f.values[mask] *= np.exp(-fp.cell_uptake_per_hour * dt)
    else:  # symmetric (Strang) splitting with nsub sub-steps, built from the public API
        f = DiffusionField("ifn", (n, n), p.lattice.site_size_um, fp.diffusion_um2_per_min, fp.decay_per_hour)
        h = dt / nsub
        half = np.exp(-fp.cell_uptake_per_hour * h / 2)
        for _ in range(int(round(60 / dt)) * nsub):
            f.values[mask] *= half
            f.step(h, src)
            f.values[mask] *= half
    v = f.values
    return float(v[block].mean()), float(v[5, 5]), float(v[~mask].mean())


def uptake_sensing_dt(budget: Budget, fig_dir: Path | None = None) -> Check:
    """The field that uptaking (tumor) cells read depends on dt through the uptake splitting."""
    ref = _uptake_run(1 / 64, "strang", 1)
    rows = {}
    for dt in (1.0, 0.5, 0.25, 0.125):
        rows[dt] = _uptake_run(dt)
    bias = {dt: [v / r - 1 for v, r in zip(vals, ref)] for dt, vals in rows.items()}
    lie = [v / r - 1 for v, r in zip(_uptake_run(0.5, "lie", 1), ref)]
    strang = [v / r - 1 for v, r in zip(_uptake_run(0.5, "strang", 1), ref)]
    b = bias[0.5]
    worst = max(abs(b[0]), abs(b[1]))
    check = Check(
        id="fields.uptake_sensing_dt",
        section="Numerics: fields",
        claim="a field with cell uptake, as cells sense it, does not depend on dt beyond noise",
        reference="same set-up with dt = 1/64 h (converged); interferon D and decay of the model, uptake 2/h at tumor "
        "sites, three engaged T-cells secreting next to a tumor block and an isolated tumor cell",
        statistic="relative bias of the interferon at tumor sites at the model's dt = 0.5 h (worst of block mean and "
        "isolated cell)",
        value=worst,
        ci=None,
        unit="",
        criterion="within 10% of the converged value",
        passed=worst < 0.10,
        extra={"bias_block_isolated_nontumor_by_dt": {f"{k:g}": v for k, v in bias.items()},
               "lie_split_dt_0.5": lie, "strang_split_dt_0.5": strang},
        notes=(f"At dt = 0.5 h the field read at tumor sites is {100 * b[0]:+.1f}% (tumor block) and "
               f"{100 * b[1]:+.1f}% (isolated cell) off the converged value, non-tumor sites {100 * b[2]:+.1f}%. "
               "Cells read the field right after the update (PD-L1 induction, interferon's brake on division and "
               "its block of seeding read the interferon field). For comparison, splitting the uptake off after an exact diffusion step (Lie) would give "
               f"{100 * lie[0]:+.0f}% / {100 * lie[1]:+.0f}% -- every tumor site read at its post-uptake minimum, "
               f"exp(-2/h x 0.5 h) = 0.37 of the diffused value -- and a symmetric (Strang) split "
               f"{100 * strang[0]:+.0f}% / {100 * strang[1]:+.0f}%."),
    )
    if fig_dir is not None:
        fig, ax = plt.subplots(figsize=(4.6, 3.4))
        dts = sorted(bias)
        ax.semilogx(dts, [100 * bias[d][0] for d in dts], "o-", label="tumor block")
        ax.semilogx(dts, [100 * bias[d][1] for d in dts], "s-", label="isolated tumor cell")
        ax.semilogx(dts, [100 * bias[d][2] for d in dts], "^-", label="non-tumor sites")
        ax.axhspan(-10, 10, color="C2", alpha=0.15)
        ax.set(xlabel="dt (h)", ylabel="bias vs converged (%)", title="interferon read at uptake sites")
        ax.legend(fontsize=8)
        fig.tight_layout()
        check.figure = save_figure(fig, fig_dir, "fields_uptake_sensing_dt.png")
    return check


def run(budget: Budget, fig_dir: Path | None = None) -> list[Check]:
    """All field checks."""
    return [
        point_source(budget, fig_dir),
        steady_point_source(budget, fig_dir),
        uniform_source(budget, fig_dir),
        mass_conservation(budget, fig_dir),
        lattice_refinement(budget, fig_dir),
        time_step_halving(budget, fig_dir),
        uptake_sensing_dt(budget, fig_dir),
    ]
