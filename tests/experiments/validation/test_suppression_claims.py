"""The suppression claims (experiments/validation/suppression_claims.py): arms, paired fresh hosts, the
criterion on synthetic runs, and a smoke run through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.validation import immunity_stats
from experiments.validation.biology_arms import NO_CYTOKINE
from experiments.validation.core import replicate_seeds as stream_seeds
from experiments.validation.immune_claims import CLAIMS
from experiments.validation.suppression_claims import (
    SUPPRESSION_CLAIMS,
    SUPPRESSION_STREAM,
    claim_suppression,
    judge_suppression,
    suppression_arms,
    suppression_runs,
)


def test_arms_are_the_default_tissue_with_one_change_each():
    arms = suppression_arms(18.0, 60)
    base, none = arms["default"]
    assert none == () and base["lattice.width_sites"] == 60 and base["tumor.initial_radius_sites"] == 5.0
    assert arms["no_tregs"][0] == {**base, "treg.recruitment_per_vessel_per_hour": 0.0}
    assert arms["no_cytokine"][0] == {**base, **NO_CYTOKINE}
    (dose,) = arms["treg_depletion"][1]
    assert arms["treg_depletion"][0] == base
    assert dose["type"] == "treg_depletion" and (dose["start_day"], dose["interval_days"], dose["doses"]) == (3.0, 6.0, 3)


def test_hosts_are_paired_and_drawn_from_the_claims_stream(monkeypatch):
    arms = suppression_arms()
    seen = []

    def fake(jobs, workers=1):
        seen.extend(jobs)
        arm_of = [next(a for a, (o, t) in arms.items() if dict(j.overrides) == o and tuple(j.treatments) == t)
                  for j in jobs]
        return [{"burden": float(j.seed % 1000), "arm": a} for j, a in zip(jobs, arm_of)]

    monkeypatch.setattr(immunity_stats, "run_jobs", fake)
    by_root = suppression_runs([2], 3, cytokine_pairs=6)
    seeds = stream_seeds(2, 6, stream=SUPPRESSION_STREAM)
    assert [j.seed for j in seen] == [s for s in seeds[:3] for _ in range(4)] + [s for s in seeds[3:] for _ in range(2)]
    assert {j.days for j in seen} == {18.0}
    runs = by_root[2]
    assert [len(runs[a]) for a in ("default", "no_tregs", "treg_depletion", "no_cytokine")] == [6, 3, 3, 6]
    for arm, outs in runs.items():  # each outcome sits in its own arm, in seed order
        assert [o["arm"] for o in outs] == [arm] * len(outs)
        assert [o["burden"] for o in outs] == [float(s % 1000) for s in seeds[: len(outs)]]


def test_treg_claims_pair_with_the_default_arms_first_hosts():
    shared = [{"burden": 100.0 * (i + 1)} for i in range(4)]
    by_root = {r: {"default": shared + [{"burden": 1e6}] * 4, "no_tregs": [{"burden": 0.5 * o["burden"]} for o in shared],
                   "treg_depletion": shared, "no_cytokine": shared * 2} for r in range(5)}
    res = judge_suppression(by_root, "tregs_raise_burden")
    assert res.pooled["ratio"] == 0.5 and res.pooled["n_pairs"] == 20  # the extra default hosts are left out
    assert judge_suppression(by_root, "cytokine_raises_burden").pooled["n_pairs"] == 40


def _runs(rng, factors: dict[str, float], pairs: int = 60, sd: float = 0.3) -> dict[str, list[dict[str, float]]]:
    host = 600.0 * np.exp(sd * rng.standard_normal(pairs))  # pairing: each host's own level
    out = {"default": [{"burden": float(b)} for b in host]}
    for arm in SUPPRESSION_CLAIMS.values():
        noise = np.exp(0.1 * rng.standard_normal(pairs))
        out[arm] = [{"burden": float(b * factors.get(arm, 1.0) * e)} for b, e in zip(host, noise)]
    return out


def test_criterion_needs_the_ratio_below_one_in_80_percent_of_roots():
    rng = np.random.default_rng(5)
    lower = {arm: 0.7 for arm in SUPPRESSION_CLAIMS.values()}
    for name in SUPPRESSION_CLAIMS:
        res = judge_suppression({root: _runs(rng, lower) for root in range(5)}, name)
        assert res.holds and res.pooled["holds"] and res.p_value < 1e-6 and res.pooled["n_pairs"] == 300, name
        for factor in (1.0, 1.3):  # no effect, or the wrong side
            arm = SUPPRESSION_CLAIMS[name]
            res = judge_suppression({root: _runs(rng, {**lower, arm: factor}) for root in range(5)}, name)
            assert not res.holds and res.p_value > 0.05, (name, factor)
    by_root = {root: _runs(rng, lower) for root in range(3)}
    by_root.update({7: _runs(rng, {}), 8: _runs(rng, {})})
    assert not judge_suppression(by_root, "tregs_raise_burden").holds  # 3 of 5 roots


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["suppression"] is claim_suppression
    results = claim_suppression([5], reps=2, days=4.0, window=40)
    assert [r.name for r in results] == list(SUPPRESSION_CLAIMS)
    assert [r.pooled["n_pairs"] for r in results] == [2, 2, 4]  # the cytokine claim on twice the hosts
    for r in results:
        assert r.pooled["ratio"] > 0 and "95% CI high < 1" in r.criterion


def test_fewer_cytokine_hosts_than_shared_hosts_is_refused():
    with pytest.raises(ValueError, match="cytokine_pairs = 2"):
        suppression_runs([2], 3, cytokine_pairs=2)
