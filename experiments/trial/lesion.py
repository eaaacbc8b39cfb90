"""Lesion scale: the window's kill and dissemination drive target lesions in mm over months; RECIST 1.1.

Scaling (assumptions in docs/trial.md):

* The simulated window is a ~1 mm^2 sample of a lesion. Its treatment effect is
  the log-kill of the arm against its untreated twin, in units of the twin's
  own log-growth: ``eps = ln(N_twin/N_arm) / ln(N_twin/N_0)`` (time-scale free,
  so the fast lattice growth does not set the clinical clock).
* Each lesion grows at the patient's human rate ``g = ln 2 / T_d`` (T_d drawn
  from the subtype's C5 doubling time) and, on treatment, loses
  ``g * kappa * eps * exp(-rho t)``: ``ln V(t) = ln V0 + g t - g kappa eps (1 - e^{-rho t}) / rho``
  with ``kappa = kill_scale * lognormal(effect_sd)`` and ``rho`` the acquired
  resistance rate. Diameter ~ V^(1/3).
* New lesions arrive with hazard ``lambda * m * V(t)/V0`` (``m`` = the arm's
  window dissemination per cell-day relative to the cohort's mean untreated twin).
* RECIST 1.1: 1-3 target lesions >= 10 mm at baseline; scans every
  ``scans.every_weeks``; a lesion under 5 mm (CT resolution) reads 0;
  PR = sum of diameters -30% vs baseline, PD = +20% and +5 mm over the nadir or a
  new lesion, CR = all targets gone; CR/PR need a confirming scan >= ``confirm_weeks``
  later; SD needs ``sd_min_weeks``. Readers' variability: 5% per diameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .design import LesionScale, TrialDesign

__all__ = ["LesionDraws", "draw_lesions", "window_effect", "recist_course", "DAYS_PER_MONTH", "DETECTION_MM"]

DAYS_PER_MONTH = 30.4375
DETECTION_MM = 5.0  # choice: a lesion below CT slice resolution reads as gone
MEASUREMENT_CV = 0.05  # choice: inter-reader variability of one diameter (~5%)
_CODE = {"CR": "C", "PR": "R", "SD": "S", "PD": "D"}  # one letter per scan in the ``responses`` string
BASELINE_MEDIAN_MM = 22.0  # choice: median target-lesion diameter in metastatic TNBC trials (~2 cm)


@dataclass(frozen=True)
class LesionDraws:
    """A patient's lesion-scale random draws, shared by the patient's arms (twin arms see the same lesions)."""

    diameters_mm: np.ndarray  # baseline target lesions (>= 10 mm)
    effect_z: float  # standard-normal draw of the patient's effect-scale spread
    new_lesion_e: float  # Exp(1) draw: a new lesion appears when the cumulative hazard reaches it
    noise_z: np.ndarray  # (scans + 1, lesions) standard normals: reader variability


def draw_lesions(rng: np.random.Generator, n_scans: int) -> LesionDraws:
    """Draw 1-3 measurable target lesions and the patient's other lesion-scale randomness."""
    k = int(rng.integers(1, 4))
    d = np.exp(rng.normal(math.log(BASELINE_MEDIAN_MM), 0.4, k))
    d = np.maximum(d, 10.0)  # RECIST measurable: >= 10 mm (CT)
    return LesionDraws(d, float(rng.normal()), float(rng.exponential()), rng.normal(size=(n_scans + 1, k)))


def window_effect(arm: dict, twin: dict) -> float:
    """Treatment log-kill of an arm's window relative to its untreated twin, in twin log-growths."""
    growth = math.log(max(twin["n_end"], 1.0) / max(twin["n_start"], 1.0))
    growth = max(growth, 0.5 * math.log(2.0))  # floor: half a doubling (immune-controlled twins)
    kill = math.log(max(twin["n_end"], 0.5) / max(arm["n_end"], 0.5))  # 0.5 cell: eradicated windows
    return kill / growth


def recist_course(design: TrialDesign, lesion: LesionScale, draws: LesionDraws, doubling_days: float,
                  eps: float, dissemination: float, max_treatment_days: float = math.inf) -> dict:
    """One patient-arm course: scans, confirmed best response, best % change, PFS, DoR (times in months)."""
    every = design.scan_every_weeks * 7.0
    follow = design.followup_months * DAYS_PER_MONTH
    scans = np.arange(every, follow + 1e-9, every)
    g = math.log(2.0) / doubling_days
    kappa = lesion.kill_scale * math.exp(lesion.effect_sd * draws.effect_z)
    return _course(design, lesion, draws, scans, g, kappa, eps, dissemination, max_treatment_days)


def _log_volume(t: np.ndarray, g: float, kappa: float, eps: float, rho: float, stop: float) -> np.ndarray:
    ton = np.minimum(t, stop)
    if rho > 0:
        effect = (1.0 - np.exp(-rho * ton)) / rho
    else:
        effect = ton
    return g * t - g * kappa * eps * effect


def _course(design, lesion, draws, scans, g, kappa, eps, dissemination, stop) -> dict:
    rho = lesion.resistance_per_month / DAYS_PER_MONTH
    # new lesion: first day the cumulative hazard lambda*m*int V/V0 reaches the Exp(1) draw
    grid = np.arange(0.0, scans[-1] + 1.0, 1.0)
    rate = lesion.new_lesion_per_month / DAYS_PER_MONTH * dissemination
    cum = np.cumsum(rate * np.exp(_log_volume(grid, g, kappa, eps, rho, stop)))
    hit = np.flatnonzero(cum >= draws.new_lesion_e)
    new_day = float(grid[hit[0]]) if hit.size else math.inf

    n = min(len(scans), draws.noise_z.shape[0] - 1)
    scans = scans[:n]
    scale = np.exp(_log_volume(scans, g, kappa, eps, rho, stop) / 3.0)
    true = draws.diameters_mm[None, :] * scale[:, None]
    seen = true * np.exp(MEASUREMENT_CV * draws.noise_z[1:n + 1])
    seen = np.where(true < DETECTION_MM, 0.0, seen)
    base = float(np.sum(draws.diameters_mm * np.exp(MEASUREMENT_CV * draws.noise_z[0])))
    sld = seen.sum(axis=1)

    nadir = base
    calls: list[str] = []
    pd_day = math.inf
    for i, t in enumerate(scans):
        s = sld[i]
        if (s >= 1.2 * nadir and s - nadir >= 5.0) or new_day <= t:
            calls.append("PD")
            pd_day = float(t)
            break
        calls.append("CR" if s == 0.0 else "PR" if s <= 0.7 * base else "SD")
        nadir = min(nadir, s)
    times = scans[:len(calls)]
    best, first_resp = _best_response(calls, times, design)
    change = (sld[:max(len(calls), 1)] / base - 1.0) * 100.0  # waterfall: best target change at any scan
    pfs_event = math.isfinite(pd_day)
    pfs_day = pd_day if pfs_event else float(times[-1] if len(times) else scans[-1])
    out = {"best_response": best, "best_change_pct": float(np.min(change)), "pfs_months": pfs_day / DAYS_PER_MONTH,
           "pfs_event": bool(pfs_event), "new_lesion": bool(new_day <= pfs_day),
           "n_scans": len(calls), "responses": "".join(_CODE[c] for c in calls), "eps": eps}
    if first_resp is not None:
        out["dor_months"] = (pfs_day - first_resp) / DAYS_PER_MONTH
        out["dor_event"] = bool(pfs_event)
    out["disease_control"] = bool(best in ("CR", "PR") or (best == "SD" and pfs_day >= design.dcr_min_weeks * 7.0))
    return out


def _best_response(calls: list[str], times: np.ndarray, design: TrialDesign) -> tuple[str, float | None]:
    """Confirmed best overall response (RECIST 1.1) and the day of the first confirmed response."""
    confirm = design.confirm_weeks * 7.0
    rank = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}
    best = None
    first = None
    for i, c in enumerate(calls):
        if c not in ("CR", "PR"):
            continue
        later = [calls[j] for j in range(i + 1, len(calls)) if times[j] - times[i] >= confirm - 1e-9]
        if not later:
            continue
        if c == "CR" and later[0] == "CR":
            got = "CR"
        elif later[0] in ("CR", "PR"):
            got = "PR"
        else:
            continue
        if first is None:
            first = float(times[i])
        if best is None or rank[got] < rank[best]:
            best = got
    if best is not None:
        return best, first
    if any(c in ("CR", "PR", "SD") and t >= design.sd_min_weeks * 7.0 for c, t in zip(calls, times)):
        return "SD", None
    if calls and calls[-1] == "PD":
        return "PD", None
    return ("SD", None) if calls else ("NE", None)
