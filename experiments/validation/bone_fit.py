"""Fit the bone niche's interferon-driven surveillance to C9 (interferon and metastatic seeding).

C9 (PMC1866568, Table 5): TS/A mammary cells injected i.v. (5e4 cells, 5 mice per arm) form a
median of 34 (26-51) lung colonies by day 20; two IFN-alpha-secreting clones form 13 (4-23) and
5 (1-8). Tumor-made type-I interferon lowers the number of colonies per seeded cell by a
factor of 0.15-0.38 (geometric mean 0.24), not to zero.

The model's analogue is one disseminated cell lodged in the niche
(:class:`model.biology.bone_niche.BoneNiche`): a linear birth-death process, births at
``bone.division_rate_per_hour``, deaths at ``surveillance_basal + surveillance_ifn_max *
hill(IFN)``. Its chance of being a colony (``bone.detection_cells`` cells) 20 days after
lodging has a closed form (Kendall 1948; :func:`colony_probability`). Mapping, a decision
recorded in docs/decisions.md: an IFN-secreting clone stands for an IRF7-competent cluster,
which sustains ``bone.irf7_type1_ifn`` around itself (IRF7 drives tumor IFN-alpha/beta;
Bidwell et al. 2012), and the parental line for a cluster without tumor IFN (IRF7-silenced).
The surveillance of other organs is taken to respond to type-I IFN as the lung's does. Only
``surveillance_ifn_max_per_hour`` is fitted: the ratio identifies the death rate at the
clone's IFN level, and the basal rate and the IFN level stay as they are. The fit's interval
is the two clones' range of ratios (the clones differ in how much they secrete).

Run: ``python -m experiments.validation.bone_fit --out docs/calibration/bone_fit_c9.json``
(seconds; the closed form is checked against the niche's own stochastic step).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from typing import Any, Sequence

import numpy as np
from scipy import optimize

from model.biology.bone_niche import BoneNiche, surveillance_rate
from model.engine.parameters import BoneParameters

from ..safeio import print_json

__all__ = ["C9_PARENTAL", "C9_CLONES", "C9_DAYS", "C9_RATIOS", "colony_probability", "colony_ratio",
           "simulate_colony_probability", "fit_surveillance", "main"]

C9_PARENTAL = 34.0
C9_CLONES = (13.0, 5.0)
C9_DAYS = 20.0
C9_RATIOS = tuple(c / C9_PARENTAL for c in C9_CLONES)  # 0.38 and 0.15


def colony_probability(birth: float, death: float, hours: float, cells: int) -> float:
    """P(a linear birth-death process started from one cell has >= ``cells`` cells after ``hours``).

    With ``e = exp((birth - death) t)``: P(extinct) ``a = death (e - 1) / (birth e - death)`` and,
    alive, the size is geometric with ``b = birth (e - 1) / (birth e - death)``, so the answer is
    ``(1 - a) b^(cells - 1)`` (the critical case ``birth == death`` is its limit).
    """
    r = birth - death
    if abs(r) * hours < 1e-9:
        a = birth * hours / (1.0 + birth * hours)
        b = a
    else:
        e = math.exp(r * hours)
        a = death * (e - 1.0) / (birth * e - death)
        b = birth * (e - 1.0) / (birth * e - death)
    return (1.0 - a) * b ** (cells - 1)


def _surveillance(p: BoneParameters, ifn: float) -> float:
    return float(surveillance_rate(p, ifn))


def colony_ratio(p: BoneParameters, days: float = C9_DAYS) -> float:
    """Colonies per lodged cell, IRF7-competent (its own IFN) over IRF7-silenced (no tumor IFN)."""
    t, k = days * 24.0, int(p.detection_cells)
    return (colony_probability(p.division_rate_per_hour, _surveillance(p, p.irf7_type1_ifn), t, k)
            / colony_probability(p.division_rate_per_hour, _surveillance(p, 0.0), t, k))


def simulate_colony_probability(p: BoneParameters, irf7_intact: bool, clusters: int, days: float = C9_DAYS,
                                dt: float = 0.5, seed: int = 0) -> float:
    """The same probability from the niche's own stochastic step (binomial births and deaths per step)."""
    niche = BoneNiche(np.random.default_rng(seed))
    niche.seed(np.full(clusters, irf7_intact))
    steps = int(round(days * 24.0 / dt))
    for i in range(steps):
        niche.step(p, dt, 1.0, 0.0, (i + 1) * dt)
    return float(np.count_nonzero(niche.sizes >= p.detection_cells)) / clusters


def fit_surveillance(p: BoneParameters | None = None, days: float = C9_DAYS) -> dict[str, Any]:
    """``surveillance_ifn_max_per_hour`` at which :func:`colony_ratio` meets C9: the geometric mean
    of the two clones' ratios, and the values for each clone (the interval)."""
    p = p or BoneParameters()

    def solve(target: float) -> float:
        return float(optimize.brentq(lambda x: colony_ratio(replace(p, surveillance_ifn_max_per_hour=x), days)
                                     - target, 0.0, 10.0 * p.division_rate_per_hour, xtol=1e-10))

    target = math.sqrt(C9_RATIOS[0] * C9_RATIOS[1])
    return {"target_ratio": target, "clone_ratios": list(C9_RATIOS),
            "surveillance_ifn_max_per_hour": solve(target),
            "interval": sorted(solve(r) for r in C9_RATIOS),
            "ratio_at_given_parameters": colony_ratio(p, days)}


def main(argv: Sequence[str] | None = None) -> int:
    """Fit, check the closed form against the stochastic niche, print and optionally save JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=20000, help="clusters per arm of the simulation check")
    ap.add_argument("--out", default=None, help="write the fit record (JSON) here")
    args = ap.parse_args(argv)
    base = BoneParameters()
    fit = fit_surveillance(base)
    fitted = replace(base, surveillance_ifn_max_per_hour=fit["surveillance_ifn_max_per_hour"])
    t, k = C9_DAYS * 24.0, int(fitted.detection_cells)
    check = {arm: {"closed_form": colony_probability(fitted.division_rate_per_hour,
                                                     _surveillance(fitted, fitted.irf7_type1_ifn if arm else 0.0), t, k),
                   "simulated": simulate_colony_probability(fitted, arm, args.clusters)}
             for arm in (True, False)}
    fit["check_at_fit"] = {("irf7_intact" if arm else "irf7_silenced"): v for arm, v in check.items()}
    fit["parameters_held"] = {"division_rate_per_hour": base.division_rate_per_hour,
                              "surveillance_basal_per_hour": base.surveillance_basal_per_hour,
                              "irf7_type1_ifn": base.irf7_type1_ifn, "detection_cells": base.detection_cells,
                              "days": C9_DAYS}
    print_json(fit, args.out)  # written whole or not at all
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
