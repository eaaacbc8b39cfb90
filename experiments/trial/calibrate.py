"""Calibrating the lesion scale: ABC rejection on the calibration analyses, then held-out predictions.

The lattice windows are simulated once per patient; only the four lesion-scale
parameters (:class:`~experiments.trial.design.LesionScale`) are fitted. Each
candidate is drawn from the prior below, every calibration analysis (role
``calibration``) of every trial is read out on ``replicates`` independent sets
of lesion draws (common random numbers across candidates, so the comparison is
between parameters, not noise), and the distance to the published targets is

    sum over targets of ((simulated - target) / scale)^2,   scale: ORR/DCR 0.05, CR 0.03, PFS 1 month.

The ``accept`` closest fraction is the ABC posterior (its 5-95% ranges are
reported and propagate to the held-out predictions); the closest candidate is
the calibrated point (the posterior medians of four loosely identified
parameters need not fit well together). With ``rounds=2`` a second batch of ``draws`` candidates is
drawn uniformly (log-uniformly for log-scaled parameters) inside the range of
the first round's accepted candidates, and the closest ``accept`` fraction of
all ``2 x draws`` candidates is kept (a two-step sequential ABC). Held-out analyses are then read out under every accepted
candidate (prediction range) and under the medians (the trial as reported).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..runner import write_json_atomic
from .cohort import courses
from .design import LesionScale, TrialDesign, load_design
from .driver import read_patients
from .readouts import analysis_table

__all__ = ["PRIOR", "SCALES", "sample_prior", "distance", "calibrate", "main"]

#: name -> (low, high, "log" | "lin") uniform prior bounds (choice: wide, a decade or more each).
PRIOR: dict[str, tuple[float, float, str]] = {
    "kill_scale": (0.5, 50.0, "log"),
    "effect_sd": (0.0, 1.5, "lin"),
    "resistance_per_month": (0.01, 1.0, "log"),
    "new_lesion_per_month": (0.005, 0.5, "log"),
}
SCALES = {"orr": 0.05, "dcr": 0.05, "cr_rate": 0.03, "median_pfs_months": 1.0, "hr_pfs": 0.15}


def sample_prior(rng: np.random.Generator, prior: dict[str, tuple[float, float, str]] | None = None) -> LesionScale:
    """One candidate lesion scale from ``prior`` (default :data:`PRIOR`)."""
    vals = {}
    for name, (lo, hi, kind) in (prior or PRIOR).items():
        u = rng.random()
        vals[name] = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if kind == "log" else lo + u * (hi - lo)
    return LesionScale(**vals)


def _readouts(trials: Sequence[tuple[TrialDesign, list[dict]]], lesion: LesionScale, role: str,
              replicates: Sequence[int], intervals: bool = False) -> pd.DataFrame:
    tabs = []
    for design, records in trials:
        analyses = tuple(a for a in design.analyses if a.role == role)
        if not analyses:
            continue
        for k in replicates:
            t = analysis_table(courses(design, records, lesion, replicate=k), analyses, intervals)
            t["trial"], t["replicate"] = design.name, k
            tabs.append(t)
    return pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame()


def distance(table: pd.DataFrame) -> float:
    """ABC distance of replicate-averaged read-outs to their targets (see module doc)."""
    mean = table.groupby("analysis").mean(numeric_only=True)
    d = 0.0
    for key, scale in SCALES.items():
        col = f"target_{key}"
        if col not in mean:
            continue
        for name, row in mean.iterrows():
            if pd.isna(row[col]):
                continue
            sim = row[key] if key in row and not pd.isna(row[key]) else (99.0 if key == "median_pfs_months" else 0.0)
            d += ((sim - row[col]) / scale) ** 2
    return float(d)


def calibrate(trials: Sequence[tuple[TrialDesign, list[dict]]], draws: int = 300, accept: float = 0.05,
              replicates: int = 3, seed: int = 0, rounds: int = 2) -> dict:
    """ABC-rejection calibration of the lesion scale; returns posterior, medians and held-out predictions."""
    rng = np.random.default_rng(seed)
    reps = list(range(1, replicates + 1))
    n_acc = max(1, int(round(accept * draws)))
    cands: list[LesionScale] = []
    scored: list[tuple[float, int]] = []
    prior = PRIOR
    for _ in range(rounds):
        start = len(cands)
        cands += [sample_prior(rng, prior) for _ in range(draws)]
        scored = sorted(scored + [(distance(_readouts(trials, cands[i], "calibration", reps)), i)
                                  for i in range(start, len(cands))])
        best_now = [asdict(cands[i]) for _, i in scored[:n_acc]]
        prior = {k: (min(b[k] for b in best_now), max(b[k] for b in best_now), kind)
                 for k, (_, _, kind) in PRIOR.items()}
        prior = {k: ((lo, hi, kind) if lo > 0 or kind == "lin" else (PRIOR[k][0], hi, kind))
                 for k, (lo, hi, kind) in prior.items()}
    accepted = [cands[i] for _, i in scored[:n_acc]]
    post = pd.DataFrame([asdict(c) for c in accepted])
    best = accepted[0]
    fit = _readouts(trials, best, "calibration", [0], intervals=True)
    held = _readouts(trials, best, "held_out", [0], intervals=True)
    spread = pd.concat([_readouts(trials, c, "held_out", [0]).assign(candidate=j) for j, c in enumerate(accepted)],
                       ignore_index=True) if not held.empty else pd.DataFrame()
    pred_range = {}
    if not spread.empty:
        for name, g in spread.groupby("analysis"):
            pred_range[name] = {k: [float(g[k].quantile(0.05)), float(g[k].quantile(0.95))]
                                for k in ("orr", "cr_rate", "median_pfs_months", "hr_pfs") if k in g}
    return {"draws": draws, "rounds": rounds, "accepted": n_acc, "replicates": replicates, "seed": seed,
            "distance_accepted": [float(d) for d, _ in scored[:n_acc]], "posterior": post.to_dict("list"),
            "posterior_5_95": {k: [float(post[k].quantile(0.05)), float(post[k].quantile(0.95))] for k in PRIOR},
            "calibrated": asdict(best), "fit": fit.to_dict("records"), "held_out": held.to_dict("records"),
            "held_out_range_over_posterior": pred_range}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.trial.calibrate DESIGN=OUT_DIR ... [--draws N] --json PATH``."""
    ap = argparse.ArgumentParser(description="ABC calibration of the trial lesion scale")
    ap.add_argument("runs", nargs="+", help="DESIGN=OUT_DIR pairs of finished trials")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--accept", type=float, default=0.05)
    ap.add_argument("--replicates", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args(argv)
    trials = []
    for item in args.runs:
        name, _, out = item.partition("=")
        design = load_design(name)
        trials.append((design, read_patients(Path(out), design)))
    res = calibrate(trials, args.draws, args.accept, args.replicates, rounds=args.rounds)
    write_json_atomic(args.json, res)
    print(json.dumps({k: res[k] for k in ("calibrated", "posterior_5_95", "held_out_range_over_posterior")}, indent=1))


if __name__ == "__main__":
    main()
