"""Shared machinery of the validation suite: result records, run helpers, statistics.

Every validation claim becomes one :class:`Check`: the claim in words, the
reference it is compared with (an analytic solution, an ODE, a paper), the
statistic with its 95% confidence interval, the criterion and whether it was
met. The same functions feed ``tests/validation/`` (small budgets, assertions
on the statistics) and the Markdown report of ``python -m experiments validate``
(larger budgets, figures).

Run helpers here are deliberately thin wrappers around
:class:`model.TumorImmuneModel` so a reader can see exactly which parameters a
validation experiment changes.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

__all__ = [
    "Budget",
    "TEST",
    "FULL",
    "Check",
    "RunSpec",
    "RunResult",
    "NO_IMMUNITY",
    "simulate",
    "simulate_many",
    "replicate_seeds",
    "mean_ci",
    "paired_diff_ci",
    "welch_diff_ci",
    "ratio_ci",
    "bootstrap_ci",
]


# =========================================================================== budgets


@dataclass(frozen=True)
class Budget:
    """How big the validation experiments are.

    ``TEST`` keeps ``pytest -n auto`` on a 2-core machine within minutes;
    ``FULL`` (the report) uses the same tissue (lattice, days) with more replicates,
    a larger cohort and more recruitment levels, for tighter intervals.
    """

    replicates: int = 8
    """Replicates per arm of a biology comparison."""
    width: int = 60
    """Lattice width = height (sites) of the tissue experiments."""
    days: float = 18.0
    """Simulated days of the tissue experiments."""
    cohort_patients: int = 16
    """Virtual patients in the checkpoint cohort."""
    cohort_days: float = 35.0
    """Simulated days of each cohort patient (the first dose is on day 3). The model's
    T-cell response needs ~10-15 days to outpace growth (tumor_burden figure of
    ``make run``), so an 18-day window saw almost no regressions; trials assess at
    weeks 8-9 (KEYNOTE-086)."""
    cohort_width: int = 100
    """Lattice width = height (sites) of the cohort runs (room for 35 days of growth)."""
    cohort_initial_radius_sites: float = 8.0
    """Radius of the tumor at day 0 in the cohort runs (sites)."""
    growth_replicates: int = 360
    """Single-cell colonies in the exponential-phase experiment (36 per run)."""
    kuznetsov_replicates: int = 6
    """Replicates per recruitment level in the well-mixed experiment."""
    workers: int = 1
    """Worker processes (1 = serial; tests run serially inside each pytest worker)."""
    root_seed: int = 20240608


TEST = Budget()
FULL = Budget(replicates=12, cohort_patients=40, growth_replicates=1440, kuznetsov_replicates=10,
              workers=max(1, os.cpu_count() or 1))


# =========================================================================== results


@dataclass
class Check:
    """One validated claim and its statistic."""

    id: str
    section: str
    claim: str
    reference: str
    statistic: str
    value: float
    ci: tuple[float, float] | None
    unit: str
    criterion: str
    passed: bool
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    figure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci is not None else None
        d["extra"] = {k: _plain(v) for k, v in self.extra.items()}
        return d

    def value_text(self) -> str:
        v = _fmt(self.value)
        if self.ci is not None and all(math.isfinite(c) for c in self.ci):
            v += f" [{_fmt(self.ci[0])}, {_fmt(self.ci[1])}]"
        return f"{v} {self.unit}".strip()


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


# =========================================================================== runs

NO_IMMUNITY: dict[str, Any] = {
    "cd8.recruitment_per_vessel_per_hour": 0.0,
    "treg.recruitment_per_vessel_per_hour": 0.0,
    "neutrophil.recruitment_per_vessel_per_hour": 0.0,
    "macrophage.recruitment_per_vessel_per_hour": 0.0,
}
"""Overrides that switch off every immune influx (growth-only experiments)."""


@dataclass(frozen=True)
class RunSpec:
    """One simulation: dotted overrides, seed, duration and treatment specs."""

    overrides: tuple[tuple[str, Any], ...]
    seed: int
    days: float
    treatments: tuple[tuple[tuple[str, Any], ...], ...] = ()
    track: bool = False
    """Record per-step extras: engaged CD8 T-cells and tumor cells with free space."""
    sparse_spacing: int = 0
    """If > 0, replace the initial tumor by single cells on a square grid with this spacing
    (independent colonies, as in a clonogenic assay)."""

    @classmethod
    def make(cls, overrides: Mapping[str, Any] | None, seed: int, days: float,
             treatments: Sequence[Mapping[str, Any]] = (), track: bool = False,
             sparse_spacing: int = 0) -> "RunSpec":
        return cls(
            tuple(sorted((overrides or {}).items())),
            int(seed),
            float(days),
            tuple(tuple(sorted(t.items())) for t in treatments),
            track,
            int(sparse_spacing),
        )


@dataclass
class RunResult:
    """Time series of one run (numpy columns of the data collector plus tracked extras)."""

    spec: RunSpec
    series: dict[str, np.ndarray]
    counters: dict[str, int]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.series[key]

    def final(self, key: str) -> float:
        return float(self.series[key][-1])

    def time_mean(self, key: str) -> float:
        h = self.series["hours"]
        y = self.series[key]
        if h[-1] <= h[0]:
            return float(y[-1])
        return float(np.trapezoid(y, h) / (h[-1] - h[0]))


def _tumor_with_space(model) -> int:
    from model import TumorCell

    pop = model.populations[TumorCell]
    if len(pop) == 0:
        return 0
    nb = model.lattice.neighbours[pop["site"], :8]
    ok = nb >= 0
    free = np.zeros(nb.shape, dtype=bool)
    free[ok] = ~model.tumor_present[nb[ok]]
    return int(free.any(axis=1).sum())


def build_model(spec: RunSpec):
    """The :class:`~model.TumorImmuneModel` a spec describes (not yet stepped)."""
    from model import TumorImmuneModel, make_treatment

    treatments = [make_treatment(dict(t), spec.days) for t in spec.treatments]
    kw = {k.replace(".", "__"): v for k, v in spec.overrides}
    model = TumorImmuneModel(rng=spec.seed, treatments=treatments, duration_days=spec.days, **kw)
    if spec.sparse_spacing > 0:
        _sparse_layout(model, spec.sparse_spacing)
    return model


def _sparse_layout(model, spacing: int) -> None:
    """Replace the tumor by isolated single cells (same antigenicity draw as the model's seeding)."""
    from model import TumorCell

    pop = model.populations[TumorCell]
    for agent in list(pop.agents[: len(pop)]):
        agent.remove()
    tp = model.p.tumor
    lat = model.lattice
    half = spacing // 2
    xs = np.arange(half, lat.width, spacing)
    ys = np.arange(half, lat.height, spacing)
    for x in xs.tolist():
        for y in ys.tolist():
            a = float(np.clip(model.rng.normal(tp.mean_antigenicity, tp.antigenicity_sd), 0.0, 1.0))
            TumorCell(model, int(lat.site(x, y)), antigenicity=a,
                      irf7_intact=bool(model.rng.random() >= tp.irf7_silenced_fraction), clone=0, born_hours=0.0)
    model._collect()  # the day-0 row must show the new layout
    df = model.datacollector.model_vars
    for k in df:
        df[k] = df[k][-1:]


EXPOSURE_KEYS = (
    "cd8_engaged", "tumor_with_space", "treg_exposed", "treg_capacity_lost", "cytokine_capacity_lost",
    "expected_kills", "expected_killed_antigen", "expected_kills_x_mean_antigen", "vessel_tumor",
    "expected_disseminated", "expected_seeds", "ifn_seed_factor_sum",
)


def _exposures(model) -> dict[str, float]:
    """Hazard-level read-outs of the current state (recorded before each step).

    They mirror the rules in :meth:`model.agents.CD8TCell.step_population` (kill hazard of an
    engaged T-cell: antigen, PD-L1, Treg proximity, cytokine) and
    :meth:`model.agents.TumorCell._disseminate` (intravasation hazard and seeding probability
    of a tumor cell on a vessel site). Summed over a run they give *expected* kills,
    disseminated cells and seeds -- Rao-Blackwellised counts without the Poisson noise of the
    events themselves. ``tests/validation/test_biology.py`` checks them against the counted
    events, so a change of the rules that is not mirrored here fails loudly.
    """
    from scipy import ndimage

    from model import CD8TCell, RegulatoryTCell, TumorCell, hill, rate_to_probability

    p = model.p
    dt = model.dt
    out = dict.fromkeys(EXPOSURE_KEYS, 0.0)
    out["tumor_with_space"] = float(_tumor_with_space(model))
    cd8 = model.populations[CD8TCell]
    tumor = model.populations[TumorCell]
    if len(cd8) and len(tumor):
        nb = model.lattice.neighbours[cd8["site"]]
        ok = nb >= 0
        has = np.zeros(nb.shape, dtype=bool)
        has[ok] = model.tumor_present[nb[ok]]
        engaged = has.any(axis=1) & ~cd8["exhausted"]
        if engaged.any():
            sites = cd8["site"][engaged]
            shape = (model.lattice.width, model.lattice.height)
            treg = model.populations[RegulatoryTCell]
            if len(treg):
                r = p.treg.suppression_radius_sites
                mask = np.zeros(model.lattice.n_sites, dtype=bool)
                mask[treg["site"]] = True
                near = ndimage.maximum_filter(mask.reshape(shape), size=2 * r + 1).ravel()[sites].astype(float)
            else:
                near = np.zeros(sites.size)
            cyt = hill(model.fields["cytokine"].values.ravel()[sites])
            treg_sup = p.cd8.treg_suppression_max * near
            cyt_sup = p.cd8.cytokine_suppression_max * cyt
            # expected kill probability: mean over the adjacent tumor targets of each engaged T-cell
            tnb = nb[engaged]
            thas = has[engaged]
            safe = np.where(thas, tnb, 0)
            antigen = tumor["antigenicity"][np.maximum(tumor.row_at[safe], 0)]
            antigen = np.where(cd8["car_t"][engaged][:, None], 1.0, antigen)
            pd_l1 = model.tumor_pd_l1(safe.ravel()).reshape(safe.shape) * (1.0 - model.modifiers.pd1_blockade)
            rate = (p.cd8.kill_rate_per_hour * antigen * (1.0 - p.cd8.pd1_inhibition_max * pd_l1)
                    * ((1.0 - treg_sup) * (1.0 - cyt_sup))[:, None])
            pkj = np.where(thas, rate_to_probability(rate, dt), 0.0) / thas.sum(axis=1)[:, None]
            pk = pkj.sum(axis=1)
            out.update(
                cd8_engaged=float(engaged.sum()),
                treg_exposed=float(near.sum()),
                treg_capacity_lost=float(treg_sup.sum()),
                cytokine_capacity_lost=float(((1.0 - treg_sup) * cyt_sup).sum()),
                expected_kills=float(pk.sum()),
                # antigenicity of the expected kills vs the tumor's mean (immunoediting's selection differential)
                expected_killed_antigen=float((pkj * antigen).sum()),
                expected_kills_x_mean_antigen=float(pk.sum() * tumor["antigenicity"].mean()),
            )
    tp = p.tumor
    if tp.dissemination_rate_per_hour > 0 and len(tumor):
        vs = model.vessel_sites[model.tumor_present[model.vessel_sites]]
        if vs.size:
            osm = hill(model.effective_osm(vs))
            ifn = hill(model.fields["interferon"].values.ravel()[vs])
            leave = rate_to_probability(tp.dissemination_rate_per_hour * (1.0 + tp.osm_invasion_boost_max * osm), dt)
            factor = 1.0 - tp.interferon_seeding_inhibition_max * ifn
            p_seed = np.minimum(tp.seeding_probability * (1.0 + tp.osm_seeding_boost_max * osm) * factor, 1.0)
            out.update(
                vessel_tumor=float(vs.size),
                expected_disseminated=float(leave.sum()),
                expected_seeds=float((leave * p_seed).sum()),
                ifn_seed_factor_sum=float(factor.sum()),
            )
    return out


def simulate(spec: RunSpec) -> RunResult:
    """Run one spec to its end; with ``track`` also record per-step exposures (before each step)."""
    model = build_model(spec)
    n_steps = int(round(spec.days * 24.0 / model.dt))
    tracked = {k: np.zeros(n_steps + 1) for k in EXPOSURE_KEYS} if spec.track else {}
    recruits: dict[str, list[int]] = {}
    names = ("CD8TCell", "RegulatoryTCell", "Neutrophil", "Macrophage")

    def record(i):
        for k, v in _exposures(model).items():
            tracked[k][i] = v
        for name in names:
            recruits.setdefault(name, []).append(model.counters[f"recruited_{name}"])

    for i in range(n_steps):
        if spec.track:
            record(i)
        model.step()
    if spec.track:
        record(n_steps)
    df = model.datacollector.get_model_vars_dataframe()
    series = {c: df[c].to_numpy(dtype=float) for c in df.columns}
    if spec.track:
        # the data collector records every step (collect_every_steps = 1 is assumed here)
        if len(df) != n_steps + 1:
            raise RuntimeError("tracked runs need lattice.collect_every_steps = 1")
        series.update(tracked)
        for name, vals in recruits.items():
            series[f"recruited_{name}"] = np.asarray(vals, dtype=float)
    return RunResult(spec, series, dict(model.counters))


def simulate_many(specs: Sequence[RunSpec], workers: int = 1) -> list[RunResult]:
    """Run specs serially or on a local process pool (results in input order)."""
    specs = list(specs)
    if workers <= 1 or len(specs) <= 1:
        return [simulate(s) for s in specs]
    with ProcessPoolExecutor(max_workers=min(workers, len(specs))) as pool:
        return list(pool.map(simulate, specs, chunksize=1))


def replicate_seeds(root: int, n: int, stream: int = 0) -> list[int]:
    """``n`` independent integer seeds from ``SeedSequence(root).spawn`` (stream = experiment id)."""
    ss = np.random.SeedSequence([int(root), int(stream)])
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in ss.spawn(n)]


# =========================================================================== statistics


def mean_ci(x: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student-t interval ``(mean, low, high)``."""
    a = np.asarray(list(x), dtype=float)
    a = a[np.isfinite(a)]
    m = float(a.mean()) if a.size else float("nan")
    if a.size < 2:
        return m, float("nan"), float("nan")
    se = float(a.std(ddof=1) / math.sqrt(a.size))
    if se == 0:
        return m, m, m
    lo, hi = stats.t.interval(confidence, a.size - 1, loc=m, scale=se)
    return m, float(lo), float(hi)


def paired_diff_ci(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95):
    """Mean paired difference ``treated - control`` with a t interval ``(mean, low, high)``."""
    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    return mean_ci(t - c, confidence)


def welch_diff_ci(a: Sequence[float], b: Sequence[float], confidence: float = 0.95):
    """Difference of means ``a - b`` with a Welch t interval ``(mean, low, high)`` (independent groups)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    lo, hi = stats.t.interval(confidence, dof, loc=d, scale=se)
    return d, float(lo), float(hi)


def bootstrap_ci(statistic: Callable[[np.ndarray], float], data: np.ndarray, n_resamples: int = 4000,
                 confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Percentile bootstrap over rows of ``data`` (replicates): ``(estimate, low, high)``."""
    data = np.asarray(data)
    rng = np.random.default_rng(seed)
    est = float(statistic(data))
    n = data.shape[0]
    boots = np.empty(n_resamples)
    for i in range(n_resamples):
        boots[i] = statistic(data[rng.integers(0, n, n)])
    a = (1 - confidence) / 2
    lo, hi = np.nanquantile(boots, [a, 1 - a])
    return est, float(lo), float(hi)


def ratio_ci(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95, seed: int = 0):
    """Ratio of means ``mean(treated) / mean(control)`` with a paired bootstrap interval."""
    data = np.column_stack([np.asarray(treated, float), np.asarray(control, float)])
    return bootstrap_ci(lambda d: d[:, 0].mean() / d[:, 1].mean(), data, confidence=confidence, seed=seed)
