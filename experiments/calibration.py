"""Bayesian calibration by ABC-SMC (pyABC): ``tumor-immune calibrate``.

Targets files (:mod:`experiments.targets`) name observed summary statistics with
an uncertainty and a source. Priors are uniform over each parameter's range
(declared range, a ``[priors]`` table, ``--range`` or ``--around``; log-scaled
ranges give log-uniform priors). The distance is the Euclidean norm of
``(simulated - observed) / uncertainty`` over all targets.

Each particle is simulated through :func:`experiments.runner.execute_run` (the
runner's pure worker function): pyABC's own samplers spread particles over a
local process pool (``workers``) or a Dask cluster (``scheduler``). A particle's
random stream is derived from the seed and its parameter values, so a particle
gives the same statistics on any worker. With one worker the whole calibration
is reproducible for a given seed (pyABC's parallel samplers accept particles in
completion order, so parallel runs are not bit-reproducible). pyABC's SQLite
database (``abc.db``) makes a calibration resumable: re-running the same command
continues from the last finished generation.

Outputs: ``posterior.parquet`` (last generation: parameters and weights),
``populations.parquet`` (epsilon, particles and simulations per generation),
``predictive.parquet`` (posterior predictive check), ``posterior_median.toml``
(a scenario file for compare/cohort), figures and ``report.txt``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from model import TherapyScenario, get_scenario

from . import parse_overrides, resolve_scenarios, uq_figures
from .problem import Problem, build_problem, range_arg
from .runner import (
    ExperimentError, RunSpec, connect_scheduler, execute_run, prepare_out_dir, run_all, write_json_atomic, write_table,
)
from .summaries import statistic_value
from .targets import TargetSet, load_targets

__all__ = ["CalibrationPlan", "CalibrationResult", "plan_calibration", "calibrate", "add_parser", "main"]


@dataclass
class CalibrationPlan:
    """Targets, prior problem and the scenario of each target group, checked before any run."""

    target_sets: list[TargetSet]
    problem: Problem
    scenarios: dict[str, dict[str, Any]]      # group key -> scenario dict (before the particle's values)
    groups: dict[str, tuple[int, list[str]]]  # group key -> (replicates, statistics needed)
    observed: dict[str, float]
    uncertainty: dict[str, float]
    target_group: dict[str, tuple[str, str]]  # target id -> (group key, statistic)
    seed: int
    population: int
    generations: int
    experiment: dict[str, Any]


@dataclass
class CalibrationResult:
    """Posterior, generations, predictive check and report."""

    plan: CalibrationPlan
    posterior: pd.DataFrame
    populations: pd.DataFrame
    predictive: pd.DataFrame
    median: dict[str, Any]
    report: str
    files: list[Path] = field(default_factory=list)

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Weighted central posterior interval of parameter ``name``."""
        x = self.posterior[name].to_numpy(dtype=float)
        w = self.posterior["weight"].to_numpy(dtype=float)
        order = np.argsort(x)
        cw = np.cumsum(w[order]) / w.sum()
        a = (1 - level) / 2
        return float(x[order][np.searchsorted(cw, a)]), float(x[order][min(np.searchsorted(cw, 1 - a), len(x) - 1)])


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ExperimentError(f"{name} = {value!r} must be a whole number >= {minimum}")
    return int(value)


def plan_calibration(
    targets: Sequence[str | Path | TargetSet],
    parameters: Sequence[str] = (),
    *,
    ranges: dict[str, dict[str, Any]] | None = None,
    around: float | None = None,
    overrides: Any = None,
    lattice_size: int | None = None,
    days: float | None = None,
    population: int = 50,
    generations: int = 4,
    seed: int = 0,
) -> CalibrationPlan:
    """Load targets, resolve scenarios and priors; raise :class:`ExperimentError` before any run."""
    population = _check_count("population", population, 4)
    generations = _check_count("generations", generations, 1)
    seed = _check_count("seed", seed, 0)
    sets = [t if isinstance(t, TargetSet) else load_targets(t) for t in targets]
    if not sets:
        raise ExperimentError("give at least one targets file (see experiments/data/targets/)")
    scenarios, groups, observed, unc, tgroup, priors = {}, {}, {}, {}, {}, {}
    first_sc = None
    for k, ts in enumerate(sets):
        for name in ts.scenarios:
            ov = {**ts.overrides, **parse_overrides(overrides)}
            (sc,), _ = resolve_scenarios([name], days=days if days is not None else ts.days, overrides=ov,
                                         lattice_size=lattice_size)
            key = f"{k}:{sc.name}"
            scenarios[key] = sc.to_dict()
            groups[key] = (ts.replicates, sorted({t.statistic for t in ts.targets if t.scenario == name}))
            first_sc = first_sc or sc
        for t in ts.targets:
            tid = f"{ts.name}.{t.id}"
            if tid in observed:
                raise ExperimentError(f"target '{tid}' appears twice")
            observed[tid], unc[tid] = t.observed, t.uncertainty
            tgroup[tid] = (f"{k}:{get_name(t.scenario)}", t.statistic)
        priors.update(ts.priors)
    problem = build_problem(first_sc, parameters, ranges={**priors, **(ranges or {})}, around=around)
    experiment = {
        "kind": "calibration", "scenarios": scenarios, "problem": problem.to_json(), "observed": observed,
        "uncertainty": unc, "groups": {k: [r, s] for k, (r, s) in groups.items()}, "seed": seed,
        "population": population, "generations": generations,
    }
    return CalibrationPlan(sets, problem, scenarios, groups, observed, unc, tgroup, seed, population,
                           generations, experiment)


def get_name(scenario: str) -> str:
    """Scenario name of a registered name or a TOML path (as resolve_scenarios names it)."""
    return get_scenario(scenario).name


def particle_specs(plan: CalibrationPlan, unit: Sequence[float], tag: str = "abc") -> list[RunSpec]:
    """Run specs of one particle (unit-cube values): every group's scenario x replicates."""
    values = plan.problem.overrides(plan.problem.to_values(np.asarray(unit, dtype=float))[0])
    digest = hashlib.sha256(np.asarray(unit, dtype=float).round(12).tobytes()).digest()
    key = int.from_bytes(digest[:4], "little")
    specs = []
    for g, (key_name, sc) in enumerate(plan.scenarios.items()):
        base = TherapyScenario.from_dict(sc, source=key_name)
        (psc,), _ = resolve_scenarios([base], overrides=values)
        for r in range(plan.groups[key_name][0]):
            specs.append(RunSpec(f"{tag}_{key:08x}_g{g}_r{r}", {"group": key_name, "replicate": r},
                                 psc.to_dict(), plan.seed, (2, key, g, r)))
    return specs


def summarize(plan: CalibrationPlan, specs: Sequence[RunSpec], results: dict[str, Any]) -> dict[str, float]:
    """Target id -> statistic averaged over the particle's replicate runs."""
    per_group: dict[tuple[str, str], list[float]] = {}
    for s in specs:
        res = results[s.run_id]
        for stat in plan.groups[s.labels["group"]][1]:
            per_group.setdefault((s.labels["group"], stat), []).append(
                statistic_value(stat, res.outcomes, res.timeseries))
    return {tid: float(np.mean(per_group[gs])) for tid, gs in plan.target_group.items()}


class _Model:
    """pyABC model: unit-cube parameters -> statistics (picklable for pools and Dask)."""

    def __init__(self, plan: CalibrationPlan):
        self.plan = plan

    def __call__(self, par) -> dict[str, float]:
        unit = [float(par[f"u{j}"]) for j in range(self.plan.problem.dim)]
        specs = particle_specs(self.plan, unit)
        return summarize(self.plan, specs, {s.run_id: execute_run(s) for s in specs})


class _Distance:
    """Euclidean norm of (simulated - observed) / uncertainty; inf if a statistic is not finite."""

    def __init__(self, uncertainty: dict[str, float]):
        self.unc = uncertainty

    def __call__(self, x: dict, x0: dict) -> float:
        z = [(x[k] - x0[k]) / u for k, u in self.unc.items()]
        return float(math.sqrt(sum(v * v for v in z))) if all(map(math.isfinite, z)) else math.inf


def _sampler(workers: int | None, client: Any):
    import pyabc

    if client is not None:
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    if workers is None or workers > 1:
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return pyabc.sampler.SingleCoreSampler()


def _posterior(plan: CalibrationPlan, history) -> pd.DataFrame:
    df, w = history.get_distribution(m=0, t=history.max_t)
    unit = df[[f"u{j}" for j in range(plan.problem.dim)]].to_numpy()
    post = pd.DataFrame(plan.problem.to_values(unit), columns=list(plan.problem.names))
    post["weight"] = np.asarray(w, dtype=float)
    return post


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x)
    return float(x[o][np.searchsorted(np.cumsum(w[o]) / w.sum(), 0.5)])


def _predictive(plan: CalibrationPlan, post: pd.DataFrame, draws: int, workers, client) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(3,)))
    idx = rng.choice(len(post), size=min(draws, len(post)), p=post["weight"] / post["weight"].sum())
    unit = plan.problem.to_unit(post[list(plan.problem.names)].to_numpy()[idx])
    per = [particle_specs(plan, u, tag=f"ppc{i}") for i, u in enumerate(unit)]
    mem, _ = run_all([s for p in per for s in p], None, workers=workers, client=client, progress=False)
    sims = pd.DataFrame([summarize(plan, p, mem) for p in per])
    rows = []
    for tid in plan.observed:
        v = sims[tid].to_numpy(dtype=float)
        rows.append({"target": tid, "observed": plan.observed[tid], "uncertainty": plan.uncertainty[tid],
                     "sim_median": float(np.nanmedian(v)), "sim_q05": float(np.nanquantile(v, 0.05)),
                     "sim_q95": float(np.nanquantile(v, 0.95))})
    return pd.DataFrame(rows)


def calibrate(
    targets: Sequence[str | Path | TargetSet],
    parameters: Sequence[str] = (),
    *,
    out: str | Path,
    workers: int | None = None,
    scheduler: Any = None,
    min_epsilon: float = 0.0,
    predictive_draws: int = 20,
    figures: bool = True,
    **plan_kw: Any,
) -> CalibrationResult:
    """Run (or resume) an ABC-SMC calibration into ``out``; see the module docstring for the outputs."""
    import pyabc

    plan = plan_calibration(targets, parameters, **plan_kw)
    if workers is not None:
        _check_count("workers", workers, 1)
    out = prepare_out_dir(out, plan.experiment, [])
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    client, own = connect_scheduler(scheduler)
    t0 = time.perf_counter()
    try:
        prior = pyabc.Distribution(**{f"u{j}": pyabc.RV("uniform", 0.0, 1.0) for j in range(plan.problem.dim)})
        abc = pyabc.ABCSMC(_Model(plan), prior, _Distance(plan.uncertainty), population_size=plan.population,
                           sampler=_sampler(workers, client))
        db = out / "abc.db"
        np.random.seed(plan.seed)  # pyABC draws from numpy's global generator
        if db.exists():
            abc.load(f"sqlite:///{db}", 1)
            done = abc.history.max_t + 1
        else:
            abc.new(f"sqlite:///{db}", dict(plan.observed))
            done = 0
        if done < plan.generations:
            abc.run(minimum_epsilon=min_epsilon, max_nr_populations=plan.generations - done)
        history = abc.history
        post = _posterior(plan, history)
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0][["t", "epsilon", "particles", "samples"]].reset_index(drop=True)
        pred = _predictive(plan, post, predictive_draws, workers, client)
    finally:
        if own and client is not None:
            client.close()
    w = post["weight"].to_numpy()
    median = plan.problem.overrides([_weighted_median(post[n].to_numpy(), w) for n in plan.problem.names])
    res = CalibrationResult(plan, post, pops, pred, median, "")
    res.report = _report(res, time.perf_counter() - t0)
    res.files = _write(res, out, figures)
    return res


def _report(res: CalibrationResult, wall: float) -> str:
    plan = res.plan
    lines = [f"ABC-SMC calibration: {plan.problem.dim} parameters, {len(plan.observed)} targets, population "
             f"{plan.population}, {len(res.populations)} generations, {int(res.populations['samples'].sum())} "
             f"particles simulated, final epsilon {res.populations['epsilon'].iloc[-1]:.3g}, {wall:.0f} s",
             "posterior median [90 % interval]:"]
    for n in plan.problem.names:
        lo, hi = res.interval(n)
        lines.append(f"  {n:<44} {res.median[n]:.4g} [{lo:.4g}, {hi:.4g}]")
    lines.append("posterior predictive (simulated median [5-95 %] vs observed +/- uncertainty):")
    for _, r in res.predictive.iterrows():
        lines.append(f"  {r.target:<44} {r.sim_median:.4g} [{r.sim_q05:.4g}, {r.sim_q95:.4g}] vs "
                     f"{r.observed:.4g} +/- {r.uncertainty:.3g}")
    for ts in plan.target_sets:
        for u in ts.unmapped:
            lines.append(f"  not fitted ({ts.name} {u.get('id', '?')}): {u.get('reason', '')}")
    return "\n".join(lines)


def _write(res: CalibrationResult, out: Path, figures: bool) -> list[Path]:
    files = []
    for name, df in (("posterior", res.posterior), ("populations", res.populations), ("predictive", res.predictive)):
        files += write_table(df, out / f"{name}.parquet")
    key, sc = next(iter(res.plan.scenarios.items()))
    base = TherapyScenario.from_dict(sc, source=key)
    model_keys = {k: v for k, v in res.median.items() if "." in k}
    (psc,), _ = resolve_scenarios([base], overrides=model_keys)
    psc = dataclasses.replace(psc, name=f"{base.name}_posterior_median",
                              description=f"posterior median of calibration in {out}")
    (out / "posterior_median.toml").write_text(psc.to_toml())
    (out / "report.txt").write_text(res.report + "\n")
    write_json_atomic(out / "summary.json", {"median": res.median, "populations": len(res.populations)})
    files += [out / "posterior_median.toml", out / "report.txt"]
    if figures:
        d = out / "figures"
        d.mkdir(exist_ok=True)
        names = list(res.plan.problem.names)
        for stem, fig in (("posterior_marginals", uq_figures.posterior_marginals(res.posterior, names)),
                          ("posterior_pairs", uq_figures.posterior_pairs(res.posterior, names)),
                          ("predictive_check", uq_figures.predictive_check(res.predictive)),
                          ("epsilon", uq_figures.epsilon_trajectory(res.populations))):
            fig.savefig(d / f"{stem}.png", dpi=110)
            uq_figures.plt.close(fig)
            files.append(d / f"{stem}.png")
    return files


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``calibrate`` on the ``tumor-immune`` sub-command parser."""
    p = subparsers.add_parser("calibrate", help="ABC-SMC calibration of parameters to observed targets (pyABC)",
                              description="Fit parameters to the targets files (experiments/data/targets/*.toml).")
    p.add_argument("targets", nargs="+", type=Path, metavar="TARGETS.toml")
    p.add_argument("--param", "-p", dest="params", action="append", default=[], metavar="NAME")
    p.add_argument("--range", dest="ranges", action="append", type=range_arg, default=[], metavar="NAME=LO:HI")
    p.add_argument("--around", type=float, default=None, metavar="F")
    p.add_argument("--population", type=int, default=50)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--min-epsilon", type=float, default=0.0)
    p.add_argument("--days", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lattice-size", type=int, default=None, metavar="N")
    p.add_argument("--dry-run", action="store_true", help="print the runs per particle and stop")
    p.add_argument("--out", type=Path, default=Path("results/calibration"))
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, metavar="ADDRESS")
    p.add_argument("--no-figures", action="store_true")
    p.set_defaults(handler=main)
    return p


def main(args: argparse.Namespace) -> int:
    """Run the ``calibrate`` command from parsed arguments; return the exit status."""
    kw = dict(ranges=dict(args.ranges), around=args.around, overrides=args.overrides,
              lattice_size=args.lattice_size, days=args.days, population=args.population,
              generations=args.generations, seed=args.seed)
    if args.dry_run:
        plan = plan_calibration(args.targets, args.params, **kw)
        per = sum(r for r, _ in plan.groups.values())
        print(f"{per} runs per particle; at least {per * plan.population * plan.generations} runs "
              f"({plan.population} particles x {plan.generations} generations; ABC rejects some, so more)")
        return 0
    res = calibrate(args.targets, args.params, out=args.out, workers=args.workers, scheduler=args.scheduler,
                    min_epsilon=args.min_epsilon, figures=not args.no_figures, **kw)
    print(res.report)
    return 0
