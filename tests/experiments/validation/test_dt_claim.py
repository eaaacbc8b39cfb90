"""The dt-halving claims (experiments/validation/dt_claim.py): criteria on synthetic runs (no simulations)
and the rate claim's fresh seeds."""

from __future__ import annotations

import numpy as np

from experiments.validation import dt_claim
from experiments.validation.dt_claim import (
    DT_RATE_METRICS,
    DT_RATE_REPLICATES,
    DT_REFERENCE,
    DT_REPLICATES,
    DT_VALUES,
    dt_arm_seeds,
    judge_dt,
    claim_dt_immune_rates_replication,
    judge_dt_rates,
)

# ---------------------------------------------------------------- dt_immune_outcomes criterion


def _dt_runs(rng, scale: dict[str, float], n: int = 12, cv: float = 0.03) -> dict:
    means = {"burden": 2500.0, "kills_cd8": 4000.0, "cd8_mean": 180.0}
    return {dt: [{k: m * (scale.get(k, 1.0) if dt != DT_REFERENCE else 1.0) * (1 + cv * rng.standard_normal())
                  for k, m in means.items()} for _ in range(n)] for dt in DT_VALUES}


def test_dt_criterion_holds_inside_the_margin_and_fails_on_either_side():
    rng = np.random.default_rng(3)
    inside = judge_dt({root: _dt_runs(rng, {}) for root in range(5)})
    assert inside.holds and inside.pooled["holds"] and len(inside.pooled["checks"]) == 6
    for k in ("burden", "kills_cd8", "cd8_mean"):
        for factor in (0.8, 1.2):  # below and above [0.85, 1.15]
            out = judge_dt({root: _dt_runs(rng, {k: factor}) for root in range(5)})
            assert not out.holds and not out.pooled["holds"], (k, factor)
            assert out.p_value > 0.05


def test_dt_criterion_needs_the_pooled_check_and_80_percent_of_roots():
    rng = np.random.default_rng(4)
    # noisy runs: the point estimate is 1 but the intervals straddle the margin -> does not hold
    wide = judge_dt({root: _dt_runs(rng, {}, n=3, cv=0.4) for root in range(5)})
    assert not wide.holds
    # one root in five fails (80% hold) and the pooled CIs are inside: holds
    by_root = {root: _dt_runs(rng, {}) for root in range(4)}
    by_root[99] = _dt_runs(rng, {"burden": 1.2})
    mixed = judge_dt(by_root)
    assert [r["holds"] for r in mixed.per_root] == [True] * 4 + [False]
    assert mixed.pooled["holds"] and mixed.holds
    # three in six fail (50%): does not hold although the pooled CIs are inside
    by_root[98] = _dt_runs(rng, {"kills_cd8": 0.8})
    by_root[0] = _dt_runs(rng, {"kills_cd8": 1.2})
    two = judge_dt(by_root)
    assert sum(r["holds"] for r in two.per_root) == 3 and two.pooled["holds"] and not two.holds


def test_dt_arm_seeds_are_independent_and_prefix_stable():
    a, b = dt_arm_seeds(7, 4), dt_arm_seeds(7, 6)
    assert all(b[dt][:4] == a[dt] for dt in DT_VALUES)
    flat = [s for dt in DT_VALUES for s in b[dt]]
    assert len(set(flat)) == len(flat)


# ---------------------------------------------------------------- dt_immune_rates


def _rate_runs(rng, scale: dict[str, float], n: int = 20, cv: float = 0.03) -> dict:
    """Runs whose kills per CD8-day and influx per tumor cell-day are scaled by ``scale`` off the reference."""
    out = {}
    for dt in DT_VALUES:
        f = (lambda k: 1.0) if dt == DT_REFERENCE else (lambda k: scale.get(k, 1.0))
        out[dt] = [{"kills_cd8": 4000.0 * f("kills_per_cd8_day") * (1 + cv * rng.standard_normal()),
                    "cd8_mean": 180.0, "days": 30.0, "tumor_cell_days": 5e4,
                    "cd8_recruited": 900.0 * f("influx_per_tumor_cell_day") * (1 + cv * rng.standard_normal())}
                   for _ in range(n)]
    return out


def test_dt_rate_metrics_read_the_rates():
    run = {"kills_cd8": 300.0, "cd8_mean": 10.0, "days": 30.0, "cd8_recruited": 50.0, "tumor_cell_days": 1e4}
    assert DT_RATE_METRICS["kills_per_cd8_day"](run) == 1.0
    assert DT_RATE_METRICS["influx_per_tumor_cell_day"](run) == 0.005


def test_dt_rate_criterion_fails_on_either_side_of_the_margin():
    rng = np.random.default_rng(5)
    inside = judge_dt_rates({root: _rate_runs(rng, {}) for root in range(5)})
    assert inside.name == "dt_immune_rates" and inside.holds and len(inside.pooled["checks"]) == 4
    for k in DT_RATE_METRICS:
        for factor in (0.8, 1.2):
            out = judge_dt_rates({root: _rate_runs(rng, {k: factor}) for root in range(5)})
            assert not out.holds and not out.pooled["holds"], (k, factor)


def test_the_rate_claim_takes_seeds_no_earlier_dt_run_used():
    first = dt_arm_seeds(20261129, DT_REPLICATES)
    fresh = dt_arm_seeds(20261129, 5, skip=DT_REPLICATES)
    longer = dt_arm_seeds(20261129, DT_REPLICATES + 5)
    used = {s for seeds in first.values() for s in seeds}
    for dt in DT_VALUES:
        assert fresh[dt] == longer[dt][DT_REPLICATES:]  # the same interleaving, continued
        assert not set(fresh[dt]) & used


def test_the_replication_takes_hosts_neither_earlier_dt_claim_used_and_is_judged_alike(monkeypatch):
    earlier = dt_arm_seeds(1, DT_REPLICATES + DT_RATE_REPLICATES)
    used = {s for seeds in earlier.values() for s in seeds}
    own = dt_arm_seeds(1, 4, stream=dt_claim.DT_REPLICATION_STREAM)
    seen: list[int] = []
    rng = np.random.default_rng(6)

    def fake_runs(jobs, workers=1):
        seen.extend(j.seed for j in jobs)
        assert all(j.recruitment for j in jobs)
        return [{"kills_cd8": 3000.0 * (1 + 0.02 * rng.standard_normal()), "cd8_mean": 100.0, "tumor_cell_days": 4e4,
                 "cd8_recruited": 500.0 * (1 + 0.02 * rng.standard_normal())} for _ in jobs]

    monkeypatch.setattr(dt_claim, "run_jobs", fake_runs)
    res = claim_dt_immune_rates_replication([1], reps=4)
    assert len(seen) == 12 and not used & set(seen)
    assert seen[:4] == own[0.5] and seen[4:8] == own[0.25]  # its own stream, interleaved by dt
    assert res.name == "dt_immune_rates_replication" and len(res.pooled["checks"]) == 4
