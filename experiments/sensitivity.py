"""Global sensitivity analysis on the project's runner: ``tumor-immune sensitivity``.

Methods (SALib): ``morris`` (elementary effects; r trajectories, screening many
parameters), ``sobol`` (Saltelli/Sobol' sampling; first-order S1 and total ST
indices) and ``gp`` (a Latin hypercube of runs trains a scikit-learn Gaussian
process; Sobol' indices are computed on the emulator, whose 5-fold
cross-validated R^2 is reported). Every index comes with a bootstrap 95 %
confidence interval. Each design point runs ``replicates`` times; indices use
the replicate mean, and the *noise share* (mean within-point variance / total
variance) says how much of an outcome's variance is the model's own randomness.

Replicate ``r`` of every point uses the same random stream (common random
numbers: differences between points are not blurred by seed noise). Runs go
through :func:`experiments.runner.run_all` (process pool, Dask, resume).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import uq_figures
from . import parse_overrides, resolve_scenarios
from .problem import Problem, build_problem, load_problem_file, range_arg
from .runner import (
    ExperimentError, RunSpec, RunStore, connect_scheduler, default_workers, prepare_out_dir, run_all,
    write_json_atomic, write_table,
)
from .summaries import check_statistics, describe_statistic, statistic_value

__all__ = ["SensitivityPlan", "SensitivityResult", "plan_sensitivity", "sensitivity", "add_parser", "main", "METHODS"]

METHODS = ("morris", "sobol", "gp")
DEFAULT_OUTCOMES = ("final_tumor_cells", "kills_cd8", "disseminated_cells")
EMULATOR_BASE_SAMPLES = 1024
BOOTSTRAP = 1000


@dataclass
class SensitivityPlan:
    """Everything decided before a run starts: problem, design, run specs."""

    problem: Problem
    method: str
    unit: np.ndarray            # design points in the unit cube (rows)
    values: np.ndarray          # the same points as parameter values
    specs: list[RunSpec]
    outcomes: list[str]
    replicates: int
    seed: int
    experiment: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        """Simulations this plan needs."""
        return len(self.specs)


@dataclass
class SensitivityResult:
    """Runs, indices and the report of one analysis."""

    plan: SensitivityPlan
    runs: pd.DataFrame          # one row per run: point, replicate, parameter values, statistics
    indices: pd.DataFrame       # tidy: outcome, parameter, index, value, ci_low, ci_high, method
    noise: pd.DataFrame         # outcome, noise_share, total_variance
    report: str
    files: list[Path] = field(default_factory=list)


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ExperimentError(f"{name} = {value!r} must be a whole number >= {minimum}")
    return int(value)


def _design(problem: Problem, method: str, samples: int, seed: int) -> np.ndarray:
    from SALib.sample import latin, morris, sobol

    if method == "morris":
        return morris.sample(problem.salib(), samples, num_levels=4, seed=seed)
    if method == "sobol":
        return sobol.sample(problem.salib(), samples, calc_second_order=False, seed=seed)
    return latin.sample(problem.salib(), samples, seed=seed)


def plan_sensitivity(
    scenario: Any,
    parameters: Sequence[str] = (),
    *,
    method: str = "morris",
    samples: int | None = None,
    replicates: int = 2,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    all_parameters: bool = False,
    problem_file: str | Path | None = None,
    ranges: Mapping[str, Mapping[str, Any]] | None = None,
    around: float | None = None,
    days: float | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    lattice_size: int | None = None,
    seed: int = 0,
    sample_hours: float = 6.0,
) -> SensitivityPlan:
    """Check the input and build the design; raise :class:`ExperimentError` before anything runs.

    ``samples``: Morris trajectories r (default 10), Sobol' base samples N (default 64,
    runs = N (D + 2)), or GP training points (default 10 D).
    """
    if method not in METHODS:
        raise ExperimentError(f"method = {method!r} must be one of {', '.join(METHODS)}")
    replicates = _count("replicates", replicates)
    seed = _count("seed", seed, 0)
    outcomes = check_statistics(list(outcomes), "outcome")
    (sc,), notes = resolve_scenarios([scenario], days=days, overrides=overrides, lattice_size=lattice_size)
    file_ranges: dict[str, Any] = {}
    if problem_file is not None:
        pf = load_problem_file(problem_file)
        file_ranges = pf["ranges"]
        around = pf["around"] if around is None else around
    problem = build_problem(sc, parameters, all_parameters=all_parameters,
                            ranges={**file_ranges, **(ranges or {})}, around=around)
    default_n = {"morris": 10, "sobol": 64, "gp": 10 * problem.dim}[method]
    samples = _count("samples", default_n if samples is None else samples, 2 if method == "morris" else 1)
    if method == "sobol" and samples & (samples - 1):
        raise ExperimentError(f"samples = {samples} must be a power of two for Sobol' sampling (e.g. 64, 128)")
    if method == "gp" and samples < problem.dim + 2:
        raise ExperimentError(f"samples = {samples}: a GP emulator needs at least {problem.dim + 2} points")
    unit = _design(problem, method, samples, seed)
    values = problem.to_values(unit)
    specs = []
    for i, row in enumerate(values):
        point = problem.overrides(row)
        (psc,), _ = resolve_scenarios([sc], overrides=point)
        for r in range(replicates):
            specs.append(RunSpec(
                run_id=f"p{i:06d}_r{r:02d}", labels={"point": i, "replicate": r}, scenario=psc.to_dict(),
                seed=seed, spawn_key=(0, r), sample_hours=float(sample_hours),
            ))
    experiment = {
        "kind": "sensitivity", "method": method, "samples": samples, "replicates": replicates,
        "scenario": sc.to_dict(), "problem": problem.to_json(), "outcomes": outcomes, "seed": seed,
        "sample_hours": float(sample_hours),
    }
    return SensitivityPlan(problem, method, unit, values, specs, outcomes, replicates, seed, experiment, notes)


# --------------------------------------------------------------------------- analysis


def _runs_table(plan: SensitivityPlan, results: Mapping[str, Any]) -> pd.DataFrame:
    rows = []
    for s in plan.specs:
        res = results[s.run_id]
        row = {"run_id": s.run_id, **s.labels}
        row.update(plan.problem.overrides(plan.values[s.labels["point"]]))
        for o in plan.outcomes:
            row[o] = statistic_value(o, res.outcomes, res.timeseries)
        rows.append(row)
    return pd.DataFrame(rows)


def noise_share(runs: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Share of each outcome's variance that is replicate noise (NaN with one replicate per point)."""
    rows = []
    for o in outcomes:
        y = runs[o].astype(float)
        total = float(y.var(ddof=1)) if len(y) > 1 else math.nan
        within = runs.groupby("point")[o].var(ddof=1).mean()
        share = float(within / total) if total and total > 0 and np.isfinite(within) else math.nan
        rows.append({"outcome": o, "noise_share": share, "total_variance": total})
    return pd.DataFrame(rows)


def _gp_indices(problem: Problem, unit: np.ndarray, y: np.ndarray, seed: int) -> tuple[dict, float]:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.model_selection import KFold, cross_val_score

    mu, sd = float(np.mean(y)), float(np.std(y)) or 1.0
    z = (y - mu) / sd
    kernel = ConstantKernel(1.0) * RBF(length_scale=np.full(problem.dim, 0.5), length_scale_bounds=(1e-2, 1e2)) \
        + WhiteKernel(1e-2, noise_level_bounds=(1e-6, 1.0))
    gp = GaussianProcessRegressor(kernel, normalize_y=False, random_state=seed, n_restarts_optimizer=2)
    folds = KFold(n_splits=min(5, len(z)), shuffle=True, random_state=seed)
    cv_r2 = float(np.mean(cross_val_score(gp, unit, z, cv=folds, scoring="r2")))
    gp.fit(unit, z)
    xs = sobol_sample.sample(problem.salib(), EMULATOR_BASE_SAMPLES, calc_second_order=False, seed=seed)
    ys = gp.predict(xs) * sd + mu
    si = sobol_analyze.analyze(problem.salib(), ys, calc_second_order=False, num_resamples=BOOTSTRAP, seed=seed)
    return si, cv_r2


def compute_indices(plan: SensitivityPlan, runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Tidy indices with bootstrap 95 % CIs for every outcome (replicate means); notes for skipped ones."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    means = runs.groupby("point")[plan.outcomes].mean().sort_index()
    rows, notes = [], []
    for o in plan.outcomes:
        y = means[o].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            notes.append(f"outcome '{o}': {int((~np.isfinite(y)).sum())} points are NaN/inf; no indices")
            continue
        if np.ptp(y) == 0:
            notes.append(f"outcome '{o}' does not vary over the design; all indices are 0")
        if plan.method == "morris":
            si = morris_analyze.analyze(plan.problem.salib(), plan.unit, y, num_resamples=BOOTSTRAP,
                                        conf_level=0.95, num_levels=4, seed=plan.seed)
            for j, p in enumerate(plan.problem.names):
                c = float(si["mu_star_conf"][j])
                rows.append((o, p, "mu_star", float(si["mu_star"][j]), float(si["mu_star"][j]) - c, float(si["mu_star"][j]) + c))
                rows.append((o, p, "mu", float(si["mu"][j]), math.nan, math.nan))
                rows.append((o, p, "sigma", float(si["sigma"][j]), math.nan, math.nan))
            continue
        if plan.method == "sobol":
            si = sobol_analyze.analyze(plan.problem.salib(), y, calc_second_order=False,
                                       num_resamples=BOOTSTRAP, seed=plan.seed)
        else:
            si, r2 = _gp_indices(plan.problem, plan.unit, y, plan.seed)
            notes.append(f"outcome '{o}': GP emulator 5-fold cross-validated R^2 = {r2:.3f}")
            for p in plan.problem.names:
                rows.append((o, p, "emulator_cv_r2", r2, math.nan, math.nan))
        for j, p in enumerate(plan.problem.names):
            for k in ("S1", "ST"):
                v, c = float(si[k][j]), float(si[f"{k}_conf"][j])
                rows.append((o, p, k, v, v - c, v + c))
    df = pd.DataFrame(rows, columns=["outcome", "parameter", "index", "value", "ci_low", "ci_high"])
    df.insert(3, "method", plan.method)
    return df, notes


def _report(plan: SensitivityPlan, indices: pd.DataFrame, noise: pd.DataFrame, notes: list[str], wall: float) -> str:
    lines = [f"Sensitivity analysis ({plan.method}): {plan.problem.dim} parameters, {len(plan.unit)} points x "
             f"{plan.replicates} replicates = {plan.n_runs} runs, seed {plan.seed}, {wall:.0f} s"]
    key = "mu_star" if plan.method == "morris" else "ST"
    for o in plan.outcomes:
        nz = noise.loc[noise.outcome == o, "noise_share"]
        lines.append(f"\n{o} ({describe_statistic(o)}); noise share of variance "
                     f"{float(nz.iloc[0]):.2f}" if len(nz) and np.isfinite(nz.iloc[0]) else f"\n{o}")
        sub = indices[(indices.outcome == o) & (indices["index"] == key)].sort_values("value", ascending=False)
        for _, r in sub.head(8).iterrows():
            lines.append(f"  {r.parameter:<48} {key} = {r.value:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]")
    lines += [f"note: {n}" for n in [*plan.notes, *notes]]
    return "\n".join(lines)


def sensitivity(
    scenario: Any,
    parameters: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    figures: bool | Sequence[str] = ("png",),
    csv: bool = False,
    stop_after: int | None = None,
    **plan_kw: Any,
) -> SensitivityResult:
    """Plan, run (resumably with ``out``), analyse and write a sensitivity analysis.

    Keyword arguments go to :func:`plan_sensitivity`. Writes into ``out``: ``samples.parquet``
    (design), ``runs.parquet`` (per run), ``indices.parquet``, ``noise.parquet``,
    ``report.txt``, figures, and ``runs/`` (one file per finished run, for resuming).
    """
    plan = plan_sensitivity(scenario, parameters, **plan_kw)
    if workers is not None:
        _count("workers", workers)
    client, own = connect_scheduler(scheduler)
    try:
        store = None
        if out is not None:
            out = prepare_out_dir(out, plan.experiment, plan.specs)
            store = RunStore(out)
        t0 = time.perf_counter()
        nw = default_workers() if workers is None else workers
        first = plan.specs[: max(1, min(nw, len(plan.specs)))]
        mem, done = run_all(first, store, workers=workers, client=client, progress=False, desc="first runs")
        if done < len(first) and len(plan.specs) > len(first):
            per_batch = time.perf_counter() - t0
            left = (len(plan.specs) - len(first)) / len(first) * per_batch
            print(f"estimated time for the remaining {len(plan.specs) - len(first)} runs: {left / 60:.1f} min "
                  f"({per_batch:.1f} s for the first {len(first)})", flush=True)
        remaining = plan.specs if store is not None else plan.specs[len(first):]
        rest, _ = run_all(remaining, store, workers=workers, client=client, progress=progress,
                          desc="sensitivity", stop_after=stop_after)
    finally:
        if own and client is not None:
            client.close()
    results: dict[str, Any] = {**(mem or {}), **(rest or {})}
    if store is not None:
        results = {s.run_id: store.read(s) for s in plan.specs}
    runs = _runs_table(plan, results)
    indices, notes = compute_indices(plan, runs)
    noise = noise_share(runs, plan.outcomes)
    report = _report(plan, indices, noise, notes, time.perf_counter() - t0)
    res = SensitivityResult(plan, runs, indices, noise, report)
    if out is not None:
        out = Path(out)
        samples = pd.DataFrame(plan.values, columns=list(plan.problem.names))
        samples.insert(0, "point", np.arange(len(samples)))
        for name, df in (("samples", samples), ("runs", runs), ("indices", indices), ("noise", noise),
                         ("problem", plan.problem.table())):
            res.files += write_table(df, out / f"{name}.parquet", csv=csv)
        if figures:
            fmts = ("png",) if figures is True else tuple(figures)
            res.files += uq_figures.save_sensitivity_figures(indices, plan.method, out, fmts)
        (out / "report.txt").write_text(report + "\n")
        write_json_atomic(out / "summary.json", {"n_runs": plan.n_runs, "method": plan.method, "notes": notes})
        res.files.append(out / "report.txt")
    return res


# --------------------------------------------------------------------------- command line


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sensitivity`` on the ``tumor-immune`` sub-command parser."""
    p = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis (Morris, Sobol', GP emulator) of outcomes to parameters",
        description="Which parameters drive an outcome? Morris screening, Sobol' indices or a GP emulator "
                    "over parameter ranges (declared ranges by default).")
    p.add_argument("scenario", metavar="SCENARIO", help="registered name or a .toml file")
    p.add_argument("--param", "-p", dest="params", action="append", default=[], metavar="NAME",
                   help="dotted parameter or <treatment>.<field>, repeatable")
    p.add_argument("--all", dest="all_parameters", action="store_true", help="every model parameter (not lattice.*)")
    p.add_argument("--problem", type=Path, default=None, help="problem TOML with [parameters] ranges")
    p.add_argument("--range", dest="ranges", action="append", type=range_arg, default=[], metavar="NAME=LO:HI")
    p.add_argument("--around", type=float, default=None, metavar="F",
                   help="ranges of +/- F around the scenario's value in log space (e.g. 0.5)")
    p.add_argument("--method", choices=METHODS, default="morris")
    p.add_argument("--samples", type=int, default=None,
                   help="Morris trajectories r (10), Sobol' base N (64, power of 2), GP points (10 per parameter)")
    p.add_argument("--replicates", "-n", type=int, default=2, help="runs per design point (default 2)")
    p.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="STAT",
                   help=f"outcome, repeatable (default {', '.join(DEFAULT_OUTCOMES)})")
    p.add_argument("--dry-run", action="store_true", help="print the number of runs and stop")
    p.add_argument("--days", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("results/sensitivity"))
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lattice-size", type=int, default=None, metavar="N")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, metavar="ADDRESS")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--csv", action="store_true")
    p.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=main)
    return p


def main(args: argparse.Namespace) -> int:
    """Run the ``sensitivity`` command from parsed arguments; return the exit status."""
    kw = dict(
        method=args.method, samples=args.samples, replicates=args.replicates,
        outcomes=args.outcomes or DEFAULT_OUTCOMES, all_parameters=args.all_parameters,
        problem_file=args.problem, ranges=dict(args.ranges), around=args.around, days=args.days,
        overrides=parse_overrides(args.overrides), lattice_size=args.lattice_size, seed=args.seed,
    )
    if args.dry_run:
        plan = plan_sensitivity(args.scenario, args.params, **kw)
        print(f"{plan.n_runs} runs ({len(plan.unit)} points x {plan.replicates} replicates, "
              f"{plan.problem.dim} parameters, method {plan.method})")
        return 0
    res = sensitivity(args.scenario, args.params, out=args.out, workers=args.workers, scheduler=args.scheduler,
                      progress=not args.no_progress, figures=not args.no_figures, csv=args.csv,
                      stop_after=args.stop_after, **kw)
    print(res.report)
    return 0
