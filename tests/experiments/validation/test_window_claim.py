"""The window_rates claim (experiments/validation/window_claim.py): its criterion on synthetic runs
(no simulations) and its fresh seeds."""

from __future__ import annotations

import numpy as np

from experiments.validation.immunity_stats import arm_seeds, replicate_seeds
from experiments.validation.immune_claims import CLAIMS, WINDOW_REPLICATES
from experiments.validation.window_claim import (
    RATE_REFERENCE,
    RATE_SKIP,
    RATE_WINDOWS,
    WINDOW_RATE_METRICS,
    claim_window_rates,
    judge_window_rates,
)


def _runs(rng, scale: dict[str, float], n: int = 30, cv: float = 0.03) -> dict:
    """Runs whose influx per tumor cell-day and CD8 kills are scaled by ``scale`` off the 100-site window."""
    out = {}
    for w in RATE_WINDOWS:
        f = (lambda k: 1.0) if w == RATE_REFERENCE else (lambda k: scale.get(k, 1.0))
        out[w] = [{"cd8_recruited": 250.0 * f("influx_per_tumor_cell_day") * (1 + cv * rng.standard_normal()),
                   "tumor_cell_days": 1.2e4, "kills_cd8": 2500.0 * f("kills_cd8") * (1 + cv * rng.standard_normal())}
                  for _ in range(n)]
    return out


def test_metrics_read_influx_per_tumor_cell_day_and_kills():
    run = {"cd8_recruited": 60.0, "tumor_cell_days": 1.2e4, "kills_cd8": 2500.0}
    assert WINDOW_RATE_METRICS["influx_per_tumor_cell_day"](run) == 0.005
    assert WINDOW_RATE_METRICS["kills_cd8"](run) == 2500.0


def test_criterion_holds_inside_the_margin_and_fails_on_either_side():
    rng = np.random.default_rng(11)
    inside = judge_window_rates({root: _runs(rng, {}) for root in range(5)})
    assert inside.name == "window_rates" and inside.holds and inside.pooled["holds"]
    assert sorted(inside.pooled["checks"]) == ["influx_per_tumor_cell_day@200", "influx_per_tumor_cell_day@60",
                                               "kills_cd8@200", "kills_cd8@60"]
    assert inside.p_value < 0.05
    for k in WINDOW_RATE_METRICS:
        for factor in (0.85, 1.15):  # below and above [0.9, 1.1]
            out = judge_window_rates({root: _runs(rng, {k: factor}) for root in range(5)})
            assert not out.holds and not out.pooled["holds"] and out.p_value > 0.05, (k, factor)


def test_criterion_needs_80_percent_of_roots():
    rng = np.random.default_rng(12)
    by_root = {root: _runs(rng, {}) for root in range(4)}
    by_root[9] = _runs(rng, {"kills_cd8": 1.3})
    assert [r["holds"] for r in judge_window_rates(by_root).per_root] == [True] * 4 + [False]
    assert judge_window_rates(by_root).holds  # 4 of 5 roots, pooled inside
    by_root[0] = _runs(rng, {"influx_per_tumor_cell_day": 0.7})
    assert not judge_window_rates(by_root).holds  # 3 of 5
    noisy = judge_window_rates({root: _runs(rng, {}, n=4, cv=0.4) for root in range(5)})
    assert not noisy.holds  # too few runs to show equivalence: fails, not "no difference"


def test_hosts_are_fresh_and_independent_per_window():
    root = 20261129
    used = set(replicate_seeds(root, WINDOW_REPLICATES))  # window_equivalence's hosts (every window)
    seeds = arm_seeds(root, 5, RATE_WINDOWS, RATE_SKIP)
    flat = [s for w in RATE_WINDOWS for s in seeds[w]]
    assert len(flat) == len(set(flat)) == 15 and not used & set(flat)
    assert arm_seeds(root, 8, RATE_WINDOWS, RATE_SKIP)[60][:5] == seeds[60]  # prefix-stable in reps


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["window_rates"] is claim_window_rates
    res = claim_window_rates([5], reps=2, days=2.0, windows=(40, 100))
    assert [len(res.pooled["checks"]), res.pooled["n_per_window"]] == [2, 2]
    c = res.pooled["checks"]["influx_per_tumor_cell_day@40"]
    assert c["ratio"] > 0 and c["ci90"][0] < c["ratio"] < c["ci90"][1]
