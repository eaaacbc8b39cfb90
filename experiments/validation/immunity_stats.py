"""Statistics, seeds and run read-outs shared by the issue-12 claims (:mod:`experiments.validation.immunity`).

The constants and functions here were pre-registered with the claims (2026-11-29) and
moved out of ``immunity.py`` unchanged. Runs go through the shared pipeline
(:func:`~experiments.validation.core.validation_spec` + :func:`~experiments.validation.core.run_specs`):
:func:`run_jobs` builds one spec per job and reads each run's numbers from its recorded
time series (:func:`outcomes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import stats

from .core import Series, run_specs, validation_spec
from .core import replicate_seeds as stream_seeds
from .journal import active_journal
from .probes import record_recruitment

__all__ = ["ROOT_SEEDS", "HOLDS_FRACTION", "ALPHA", "ClaimResult", "Job", "replicate_seeds", "arm_seeds", "ratio_ci_unpaired",
           "ratio_ci_paired", "risk_difference_ci", "risk_ratio_ci", "holm", "holds_in_roots", "p_holds_in_roots",
           "equivalence_checks", "judge_equivalence", "lognormal_runs", "simulated_power", "window_overrides", "outcomes", "run_jobs",
           "paired_runs", "paired_direction", "judge_paired_direction"]

ROOT_SEEDS: tuple[int, ...] = (20261129, 1, 2, 3, 4)
HOLDS_FRACTION = 0.8
ALPHA = 0.05


@dataclass
class ClaimResult:
    """One claim's verdict per root seed and pooled."""

    name: str
    criterion: str
    per_root: list[dict[str, Any]] = field(default_factory=list)
    pooled: dict[str, Any] = field(default_factory=dict)
    p_value: float = float("nan")
    holds: bool = False


@dataclass(frozen=True)
class Job:
    """One run of a claim: dotted overrides, treatments, seed, days; ``recruitment`` probes the CD8 influx,
    ``track`` the hazard-level read-outs (:func:`~experiments.validation.probes.record_exposures`)."""

    overrides: Mapping[str, Any]
    seed: int
    days: float
    treatments: tuple[Mapping[str, Any], ...] = ()
    recruitment: bool = False
    track: bool = False


def replicate_seeds(root: int, n: int) -> list[int]:
    """``n`` independent replicate seeds of one root seed (SeedSequence.spawn)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(n)]


def arm_seeds(root: int, reps: int, arms: Sequence[Any], skip: int = 0, stream: int | None = None) -> dict[Any, list[int]]:
    """Independent seeds per arm: ``replicate_seeds(root, len(arms) * (skip + reps))`` interleaved (arm k
    takes every ``len(arms)``-th seed from k), each arm's first ``skip`` left out (an earlier claim's).

    ``stream``: draw from ``SeedSequence([root, stream])`` instead (:func:`core.replicate_seeds`), a
    sequence no other claim draws from; ``None`` keeps the root's own sequence the first claims shared.
    """
    n = len(arms) * (skip + reps)
    seeds = replicate_seeds(root, n) if stream is None else stream_seeds(root, n, stream=stream)
    return {arm: seeds[k :: len(arms)][skip:] for k, arm in enumerate(arms)}


def window_overrides(window: int) -> dict[str, Any]:
    """A square ``window`` x ``window`` lattice."""
    return {"lattice.width_sites": int(window), "lattice.height_sites": int(window)}


def outcomes(run: Series, days: float) -> dict[str, float]:
    """One run's read-outs from its time series.

    ``burden`` (final tumor cells), ``kills_cd8`` (cumulative CD8 kills), ``cd8_mean`` (time mean of the
    CD8 T-cell count, trapezoid in hours), ``tumor_cell_days`` (sum over steps of the tumor count after the
    step times dt, as the pre-registered ``run_one`` accumulated it), ``cd8_recruited`` (final running
    count, probed runs only), ``expected_escapes`` (the summed per-step escape probabilities of the tumor
    cells on vessel sites, tracked runs only), ``metastasis`` (bone metastasis by the end, 0/1), ``free_days``
    (metastasis-free days, censored at ``days``) and ``seeds`` (metastatic seeds).
    """
    h = run["hours"]
    tumor = run["tumor_cells"]
    met = run.final("bone_metastasis") > 0
    free = run.final("bone_metastasis_day") if met else days
    out = {
        "burden": run.final("tumor_cells"),
        "kills_cd8": run.final("kills_cd8"),
        "cd8_mean": run.time_mean("cd8_t_cells"),
        "tumor_cell_days": float(np.sum(tumor[1:] * np.diff(h)) / 24.0),
        "metastasis": float(met),
        "free_days": float(min(free, days)),
        "seeds": run.final("metastatic_seeds"),
    }
    if "recruited_CD8TCell" in run.series:
        out["cd8_recruited"] = run.final("recruited_CD8TCell")
    if "expected_disseminated" in run.series:  # tracked runs: recorded before each step, so the last row is unused
        out["expected_escapes"] = float(run["expected_disseminated"][:-1].sum())
    return out


def run_jobs(jobs: Sequence[Job], workers: int = 1) -> list[dict[str, float]]:
    """Run ``jobs`` through the shared pipeline (parallel workers); their :func:`outcomes`, in order.

    Inside :func:`~experiments.validation.journal.journal_runs` the runs are journaled and a job already
    in the journal (same job, same code) is read back instead of run again."""
    journal = active_journal()
    if journal is not None:
        return journal.run(jobs, lambda part: _run_jobs(part, workers))
    return _run_jobs(jobs, workers)


def _run_jobs(jobs: Sequence[Job], workers: int) -> list[dict[str, float]]:
    specs = [validation_spec(dict(j.overrides), j.seed, j.days, treatments=j.treatments, track=j.track,
                             probe=record_recruitment if j.recruitment else None) for j in jobs]
    return [outcomes(r, j.days) for r, j in zip(run_specs(specs, workers), jobs)]


def ratio_ci_unpaired(a: np.ndarray, b: np.ndarray, level: float = 0.90) -> tuple[float, float, float, float]:
    """Ratio of means a/b with a log-scale delta-method CI (Welch df); returns (ratio, lo, hi, se_log)."""
    ma, mb = a.mean(), b.mean()
    va = a.var(ddof=1) / (a.size * ma**2)
    vb = b.var(ddof=1) / (b.size * mb**2)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if va + vb > 0 else 1e9
    t = stats.t.ppf(0.5 + level / 2, df)
    r = ma / mb
    return r, r * math.exp(-t * se), r * math.exp(t * se), se


def ratio_ci_paired(a: np.ndarray, b: np.ndarray, level: float = 0.90) -> tuple[float, float, float, float]:
    """Ratio of means a/b for paired samples (delta method with the covariance)."""
    n = a.size
    ma, mb = a.mean(), b.mean()
    c = np.cov(a, b, ddof=1)
    var_log = (c[0, 0] / ma**2 + c[1, 1] / mb**2 - 2 * c[0, 1] / (ma * mb)) / n
    se = math.sqrt(max(var_log, 0.0))
    t = stats.t.ppf(0.5 + level / 2, n - 1)
    r = ma / mb
    return r, r * math.exp(-t * se), r * math.exp(t * se), se


def equivalence_checks(runs: Mapping[Any, list[dict[str, float]]], reference: Any, metrics: Mapping[str, Any],
                       margin: tuple[float, float]) -> tuple[dict[str, Any], list[float]]:
    """Ratio of means arm / ``reference`` per metric, 90% CI inside ``margin`` (TOST); (checks, p-values).

    ``runs`` maps an arm key to its runs, ``metrics`` a name to ``f(run) -> float``. The p-value of each
    sub-check is the larger of its two one-sided p-values (df = n_a + n_b - 2).
    """
    lo_m, hi_m = margin
    out, pvals = {}, []
    for key in runs:
        if key == reference:
            continue
        for name, f in metrics.items():
            a = np.array([f(r) for r in runs[key]])
            b = np.array([f(r) for r in runs[reference]])
            r, lo, hi, se = ratio_ci_unpaired(a, b)
            out[f"{name}@{key}"] = {"ratio": r, "ci90": [lo, hi], "holds": lo >= lo_m and hi <= hi_m}
            df = a.size + b.size - 2
            p1 = stats.t.sf((math.log(r) - math.log(lo_m)) / se, df)
            p2 = stats.t.sf((math.log(hi_m) - math.log(r)) / se, df)
            pvals.append(float(max(p1, p2)))
    return out, pvals


def judge_equivalence(res: ClaimResult, by_root: Mapping[int, Mapping[Any, list[dict[str, float]]]], reference: Any,
                      metrics: Mapping[str, Any], margin: tuple[float, float], count_key: str) -> ClaimResult:
    """Fill ``res`` with an equivalence claim's verdict: :func:`equivalence_checks` per root and on the
    pooled runs (``count_key``: the pooled runs per arm). It holds when every pooled CI is inside the
    margin and every sub-check holds in >= 80% of the roots; its p-value is the largest pooled TOST
    p-value (intersection-union: every sub-check must hold)."""
    pooled: dict[Any, list[dict[str, float]]] = {}
    for root, runs in by_root.items():
        for arm, rs in runs.items():
            pooled.setdefault(arm, []).extend(rs)
        v, _ = equivalence_checks(runs, reference, metrics, margin)
        res.per_root.append({"root": root, "checks": v, "holds": all(c["holds"] for c in v.values())})
    v, pvals = equivalence_checks(pooled, reference, metrics, margin)
    pooled_holds = all(c["holds"] for c in v.values())
    res.pooled = {"checks": v, count_key: len(pooled[reference]), "holds": pooled_holds}
    res.p_value = max(pvals)
    res.holds = pooled_holds and holds_in_roots(res.per_root)
    return res


def lognormal_runs(rng: np.random.Generator, cv: float, mean: float, n: int) -> np.ndarray:
    """``n`` log-normal values with mean ``mean`` and coefficient of variation ``cv``: the synthetic runs of
    the power simulations that sized the equivalence claims."""
    s = np.sqrt(np.log1p(cv**2))
    return mean * rng.lognormal(-s * s / 2, s, n)


def simulated_power(make_runs: Callable[[np.random.Generator], Mapping[Any, list[dict[str, float]]]],
                    judge: Callable[[dict[int, Any]], ClaimResult], repeats: int = 400,
                    seed: int = 1) -> tuple[float, float]:
    """(per-root power, P(holds in >= 80% of the roots)) of a claim: ``repeats`` synthetic roots, each
    ``make_runs(rng)`` (``{arm: [run, ...]}``) judged alone by the claim's own ``judge``."""
    rng = np.random.default_rng(seed)
    p = float(np.mean([bool(judge({0: make_runs(rng)}).per_root[0]["holds"]) for _ in range(repeats)]))
    return p, p_holds_in_roots(p)


def risk_difference_ci(x1: int, n1: int, x0: int, n0: int, level: float = 0.95) -> tuple[float, float, float]:
    """p1 - p0 with the Agresti-Caffo interval (one success and one failure added to each arm)."""
    p1, p0 = (x1 + 1) / (n1 + 2), (x0 + 1) / (n0 + 2)
    se = math.sqrt(p1 * (1 - p1) / (n1 + 2) + p0 * (1 - p0) / (n0 + 2))
    z = stats.norm.ppf(0.5 + level / 2)
    d = x1 / n1 - x0 / n0
    return d, (p1 - p0) - z * se, (p1 - p0) + z * se


def risk_ratio_ci(x1: int, n1: int, x0: int, n0: int, level: float = 0.95) -> tuple[float, float, float, float]:
    """(p1/p0, lo, hi, se_log) with a log-scale interval; +0.5 to every cell (continuity)."""
    a, b = x1 + 0.5, x0 + 0.5
    na, nb = n1 + 1.0, n0 + 1.0
    r = (a / na) / (b / nb)
    se = math.sqrt(max(1 / a - 1 / na + 1 / b - 1 / nb, 1e-12))
    z = stats.norm.ppf(0.5 + level / 2)
    return r, r * math.exp(-z * se), r * math.exp(z * se), se


def holm(p_values: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Holm step-down: which hypotheses are rejected at family-wise ``alpha``."""
    order = np.argsort(p_values)
    m = len(p_values)
    rejected = [False] * m
    for k, i in enumerate(order):
        if p_values[i] <= alpha / (m - k):
            rejected[i] = True
        else:
            break
    return rejected


def holds_in_roots(per_root: Sequence[Mapping[str, Any]]) -> bool:
    """The pre-registered rule: the criterion holds in >= ``HOLDS_FRACTION`` of the root seeds."""
    return bool(per_root) and float(np.mean([p["holds"] for p in per_root])) >= HOLDS_FRACTION


def p_holds_in_roots(per_root_power: float, n_roots: int = len(ROOT_SEEDS)) -> float:
    """The chance that a claim with ``per_root_power`` holds in >= ``HOLDS_FRACTION`` of ``n_roots``
    independent root seeds (binomial): the sizing figure next to the per-root power."""
    need = math.ceil(HOLDS_FRACTION * n_roots)
    return float(stats.binom.sf(need - 1, n_roots, per_root_power))


Arms = Mapping[str, tuple[Mapping[str, Any], tuple[Mapping[str, Any], ...]]]


def paired_runs(roots: Sequence[int], pairs: int, arms: Arms, days: float, stream: int | None, workers: int = 1,
                track: bool = False, skip: int = 0) -> dict[int, dict[str, list[dict[str, float]]]]:
    """Paired hosts: every root's ``pairs`` seeds of ``stream`` (``None``: the root's own sequence), after its
    first ``skip``, run in every arm (``{arm: (overrides, treatments)}``); ``{root: {arm: [outcomes]}}``,
    hosts in seed order."""
    keys: list[tuple[int, str]] = []
    jobs: list[Job] = []
    for root in roots:
        n = skip + pairs
        seeds = replicate_seeds(root, n) if stream is None else stream_seeds(root, n, stream=stream)
        for seed in seeds[skip:]:
            for arm, (overrides, treatments) in arms.items():
                keys.append((root, arm))
                jobs.append(Job(overrides, seed, days, tuple(treatments), track=track))
    by_root: dict[int, dict[str, list[dict[str, float]]]] = {root: {arm: [] for arm in arms} for root in roots}
    for (root, arm), out in zip(keys, run_jobs(jobs, workers)):
        by_root[root][arm].append(out)
    return by_root


def paired_direction(treated: list[dict[str, float]], control: list[dict[str, float]], read_out: str, sign: int,
                     name: str = "claim") -> dict[str, Any]:
    """Paired ratio of means treated / control of ``read_out`` with its 95% CI; it holds when the CI lies on
    the claimed side of 1 (``sign`` +1: above, -1: below); ``p`` is the one-sided t-test of the log ratio."""
    a = np.array([r[read_out] for r in treated])
    b = np.array([r[read_out] for r in control])
    if not (a.mean() > 0 and b.mean() > 0):
        raise ValueError(f"{name}: the mean {read_out} of an arm is {float(min(a.mean(), b.mean()))!r}; "
                         "a ratio of means needs both arms > 0 (too short a run or too small a window?)")
    r, lo, hi, se = ratio_ci_paired(a, b, level=0.95)
    if se > 0:  # one-sided, in the claimed direction
        p = float(stats.t.sf(sign * math.log(r) / se, a.size - 1))
    else:  # identical pairs: the ratio is exact
        p = 0.0 if sign * math.log(r) > 0 else 1.0
    return {"ratio": r, "ci95": [lo, hi], "n_pairs": int(a.size), "treated_mean": float(a.mean()),
            "control_mean": float(b.mean()), "holds": bool(lo > 1.0 if sign > 0 else hi < 1.0), "p": p}


def judge_paired_direction(res: ClaimResult, by_root: Mapping[int, Mapping[str, list[dict[str, float]]]],
                           treated: str, control: str, read_out: str, sign: int) -> ClaimResult:
    """Fill ``res`` with a direction claim's verdict (:func:`paired_direction`) per root and on every root's
    pairs together; it holds in >= 80% of the roots or not at all; its p-value is the pooled one."""
    for root, arms in by_root.items():
        res.per_root.append({"root": root, **paired_direction(arms[treated], arms[control], read_out, sign, res.name)})
    pooled = paired_direction(sum((list(a[treated]) for a in by_root.values()), []),
                              sum((list(a[control]) for a in by_root.values()), []), read_out, sign, res.name)
    res.pooled, res.p_value = pooled, pooled["p"]
    res.holds = holds_in_roots(res.per_root)
    return res
