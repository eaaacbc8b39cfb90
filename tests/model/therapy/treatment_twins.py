"""Shared helpers for the treatment tests: twin runs and paired statistics.

A *twin* is the same model (same seed, same parameters, same lattice) run once
untreated and once with a treatment list. Twin runs share the vessel layout and
the initial tumor exactly; after the first dose the random streams diverge, so
a single pair says little. Every directional claim is therefore tested on the
paired differences over several seeds with a one-sided test, never on one run.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from model import TumorImmuneModel, make_treatment
from model.scenarios import PROFILES
from sim_builders import QUIET

#: A 60 x 60 window (1.2 mm): ~450 tumor cells at the start, ~36 vessel sites.
SMALL = {"lattice.width_sites": 60, "lattice.height_sites": 60}


def overrides_for(profile: Sequence[str] = (), overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted overrides of the named profiles (in order), the small lattice, then ``overrides``."""
    out: dict[str, Any] = dict(SMALL)
    for name in profile:
        out.update(PROFILES[name].overrides)
    out.update(overrides or {})
    return out


def build(seed: int, treatments: Sequence[dict[str, Any]] = (), days: float = 8.0,
          profile: Sequence[str] = (), overrides: dict[str, Any] | None = None) -> TumorImmuneModel:
    """A small model with fresh treatment objects, not yet stepped."""
    flat = overrides_for(profile, overrides)
    objs = [make_treatment(dict(spec), days) for spec in treatments]
    return TumorImmuneModel(rng=seed, treatments=objs, duration_days=days,
                            **{k.replace(".", "__"): v for k, v in flat.items()})


@functools.lru_cache(maxsize=256)
def _run_cached(seed: int, treatments_json: str, days: float, profile: tuple, overrides_json: str):
    model = build(seed, json.loads(treatments_json), days, profile, json.loads(overrides_json))
    model.run_days(days)
    df = model.datacollector.get_model_vars_dataframe()
    return df, dict(model.counters)


def run(seed: int, treatments: Sequence[dict[str, Any]] = (), days: float = 8.0,
        profile: Sequence[str] = (), overrides: dict[str, Any] | None = None):
    """Run (memoised per process) and return ``(data frame, counters)``; the frame must not be mutated."""
    return _run_cached(int(seed), json.dumps(list(treatments), sort_keys=True), float(days), tuple(profile),
                       json.dumps(overrides or {}, sort_keys=True))


def twins(seeds: Iterable[int], treatments: Sequence[dict[str, Any]], **kw):
    """``[(untreated, treated), ...]`` pairs of ``(data frame, counters)`` for each seed."""
    return [(run(s, (), **kw), run(s, treatments, **kw)) for s in seeds]


def paired(pairs, metric) -> np.ndarray:
    """Treated minus untreated value of ``metric((df, counters))`` for every pair."""
    return np.array([metric(b) - metric(a) for a, b in pairs], dtype=float)


def assert_increases(diffs: np.ndarray, what: str, alpha: float = 0.01) -> None:
    """One-sided paired t-test: mean(treated - untreated) > 0 at level ``alpha``."""
    _assert_direction(diffs, what, alpha, "greater")


def assert_decreases(diffs: np.ndarray, what: str, alpha: float = 0.01) -> None:
    """One-sided paired t-test: mean(treated - untreated) < 0 at level ``alpha``."""
    _assert_direction(diffs, what, alpha, "less")


def _assert_direction(diffs, what, alpha, alternative):
    diffs = np.asarray(diffs, dtype=float)
    if np.all(diffs == diffs[0]) and diffs[0] != 0:
        ok = diffs[0] > 0 if alternative == "greater" else diffs[0] < 0
        assert ok, f"{what}: every paired difference is {diffs[0]} (expected {alternative} than 0)"
        return
    p = stats.ttest_1samp(diffs, 0.0, alternative=alternative).pvalue
    assert p < alpha, (
        f"{what}: paired differences (treated - untreated) {np.round(diffs, 4).tolist()} "
        f"(mean {diffs.mean():.4g}) are not {alternative} than 0 at one-sided p < {alpha} (p = {p:.3g})"
    )


def window_mean(df: pd.DataFrame, column: str, from_day: float, to_day: float | None = None) -> float:
    """Mean of ``column`` over collected rows with ``from_day <= days <= to_day``."""
    days = df["days"]
    sel = days >= from_day - 1e-9
    if to_day is not None:
        sel &= days <= to_day + 1e-9
    return float(df.loc[sel, column].mean())


def increase_between(df: pd.DataFrame, column: str, from_day: float, to_day: float | None = None) -> float:
    """Growth of a cumulative counter column between two days."""
    days = df["days"].to_numpy()
    col = df[column].to_numpy()
    i = int(np.searchsorted(days, from_day - 1e-9))
    j = len(days) - 1 if to_day is None else int(np.searchsorted(days, to_day - 1e-9))
    return float(col[j] - col[i])


def per_capita_division_rate(df: pd.DataFrame, from_day: float, to_day: float | None = None) -> float:
    """Divisions per tumor cell per hour over a window (a growth rate that ignores the starting size)."""
    days = df["days"].to_numpy()
    i = int(np.searchsorted(days, from_day - 1e-9))
    j = len(days) - 1 if to_day is None else int(np.searchsorted(days, to_day - 1e-9))
    divisions = df["divisions"].to_numpy()[j] - df["divisions"].to_numpy()[i]
    hours = df["hours"].to_numpy()
    cell_hours = np.trapezoid(df["tumor_cells"].to_numpy()[i : j + 1], hours[i : j + 1])
    return float(divisions / cell_hours)


# --------------------------------------------------------------------------- controlled lattices

# QUIET (background processes off) is shared with the mechanism tests


def quiet(seed: int, size: int = 20, overrides: dict[str, Any] | None = None, treatments: Sequence[Any] = (),
          days: float | None = None, empty: bool = True) -> TumorImmuneModel:
    """A ``size x size`` model with the background switched off; with ``empty`` no cells at all."""
    from model import TumorCell

    flat = {**QUIET, "lattice.width_sites": size, "lattice.height_sites": size, **(overrides or {})}
    objs = [make_treatment(dict(t), days) if isinstance(t, dict) else t for t in treatments]
    model = TumorImmuneModel(rng=seed, treatments=objs, duration_days=days,
                             **{k.replace(".", "__"): v for k, v in flat.items()})
    if empty:
        pop = model.populations[TumorCell]
        for agent in list(pop.agents[: len(pop)]):
            agent.remove()
    return model


def put_tumor(model: TumorImmuneModel, x: int, y: int, antigenicity: float = 1.0, irf7_intact: bool = True):
    """One tumor cell at ``(x, y)``."""
    from model import TumorCell

    return TumorCell(model, int(model.lattice.site(x, y)), antigenicity=antigenicity, irf7_intact=irf7_intact,
                     clone=0, born_hours=0.0)


def put(model: TumorImmuneModel, cls: type, x: int, y: int, **state):
    """One immune cell of type ``cls`` at ``(x, y)``."""
    return cls(model, int(model.lattice.site(x, y)), **state)


def binomial_consistent(successes: int, trials: int, p: float, what: str, alpha: float = 0.001) -> None:
    """Two-sided exact binomial test: ``successes`` of ``trials`` is consistent with probability ``p``."""
    res = stats.binomtest(int(successes), int(trials), p)
    assert res.pvalue > alpha, (
        f"{what}: observed {successes}/{trials} = {successes / max(trials, 1):.4f}, expected {p:.4f} "
        f"(exact binomial test p = {res.pvalue:.2g})"
    )
