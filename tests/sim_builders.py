"""Helpers that build small, controlled models for mechanism tests.

A *quiet* model has no vessels (so no recruitment and no dissemination), no
background death of T-cells, Tregs or macrophages, no tumor division, and no
cells at all: the test places exactly the cells it needs by hand. Everything
else keeps its default value, so a test only overrides the parameters of the
mechanism it checks.

How the mechanism tests check stochastic rules: many independent trials (several
fixed seeds, and several isolated copies of the set-up per model), where the
expected per-step probability ``1 - exp(-rate * dt)`` must lie inside the exact
99 % binomial confidence interval of the observed fraction. Each set-up is
isolated from the others on the lattice (no shared neighbours), so the trials
are independent Bernoulli draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from model import TumorCell, TumorImmuneModel

QUIET = {
    "lattice.vessel_fraction": 0.0,
    "cd8.recruitment_per_vessel_per_hour": 0.0,
    "treg.recruitment_per_vessel_per_hour": 0.0,
    "neutrophil.recruitment_per_vessel_per_hour": 0.0,
    "macrophage.recruitment_per_vessel_per_hour": 0.0,
    "tumor.dissemination_rate_per_hour": 0.0,
    "tumor.division_rate_per_hour": 0.0,
    "tumor.initial_radius_sites": 0.0,
    "cd8.death_rate_per_hour": 0.0,
    "cd8.exhausted_death_rate_per_hour": 0.0,
    "treg.death_rate_per_hour": 0.0,
    "macrophage.death_rate_per_hour": 0.0,
    # one hit kills, so a step's kill probability is the hit hazard (multi-hit: tests/model/biology/test_cd8.py)
    "cd8.hits_to_kill": 1,
}


def quiet_model(seed: int, width: int = 20, height: int = 20, overrides: dict[str, Any] | None = None,
                keep_tumor: bool = False) -> TumorImmuneModel:
    """A model with the background processes switched off and (unless ``keep_tumor``) no cells."""
    params = {**QUIET, "lattice.width_sites": width, "lattice.height_sites": height, **(overrides or {})}
    model = TumorImmuneModel(rng=seed, **{k.replace(".", "__"): v for k, v in params.items()})
    if not keep_tumor:
        clear_tumor(model)
    return model


def clear_tumor(model: TumorImmuneModel) -> None:
    """Remove every tumor cell without counting it as a death."""
    pop = model.populations[TumorCell]
    for agent in list(pop.agents[: len(pop)]):
        agent.remove()


def tumor(model: TumorImmuneModel, x: int, y: int, antigenicity: float = 1.0, irf7_intact: bool = True) -> TumorCell:
    """Place one tumor cell at ``(x, y)``."""
    return TumorCell(model, int(model.lattice.site(x, y)), antigenicity=antigenicity,
                     irf7_intact=irf7_intact, clone=0, born_hours=0.0)


def place(model: TumorImmuneModel, cls: type, x: int, y: int, **state):
    """Place one immune cell of type ``cls`` at ``(x, y)``."""
    return cls(model, int(model.lattice.site(x, y)), **state)


def p_step(rate_per_hour: float, dt_hours: float) -> float:
    """Per-step event probability of a Poisson hazard."""
    return float(-np.expm1(-rate_per_hour * dt_hours))


def assert_binomial(successes: int, trials: int, expected: float, confidence: float = 0.99, what: str = "") -> None:
    """``expected`` must lie inside the exact (Clopper-Pearson) binomial CI of ``successes / trials``."""
    ci = stats.binomtest(int(successes), int(trials), expected).proportion_ci(confidence_level=confidence, method="exact")
    assert ci.low <= expected <= ci.high, (
        f"{what}: observed {successes}/{trials} = {successes / trials:.4f}, expected {expected:.4f} "
        f"outside the {confidence:.0%} CI [{ci.low:.4f}, {ci.high:.4f}]"
    )


def binomial_ci(successes: int, trials: int, confidence: float = 0.99):
    """Exact binomial CI of the observed proportion."""
    return stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="exact")


def hill1(c: float) -> float:
    """Hill function with EC50 = 1 (field units are EC50s)."""
    return c / (c + 1.0)


def fill_field(model: TumorImmuneModel, name: str, value: float) -> None:
    """Set field ``name`` to ``value`` everywhere."""
    model.fields[name].values[...] = value
