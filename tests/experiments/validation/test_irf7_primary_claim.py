"""The irf7_primary_growth claim (experiments/validation/irf7_primary_claim.py): its equivalence criterion on
synthetic paired runs (no simulations), its arms and a smoke run through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.validation.immune_claims import CLAIMS
from experiments.validation.irf7_primary_claim import (
    IRF7_ARMS,
    claim_irf7_primary_growth,
    judge_irf7_primary,
)


def _runs(rng, ratio: float = 1.0, n: int = 60, sd: float = 0.05) -> dict:
    intact = 600.0 * np.exp(rng.normal(0, 0.3, n))
    silenced = intact * ratio * np.exp(rng.normal(0, sd, n))
    return {"intact": [{"burden": x} for x in intact], "silenced": [{"burden": x} for x in silenced]}


def test_arms_silence_irf7_in_every_tumor_cell():
    assert IRF7_ARMS == {"intact": {}, "silenced": {"tumor.irf7_silenced_fraction": 1.0}}


def test_criterion_holds_inside_the_margin_and_fails_on_either_side():
    rng = np.random.default_rng(31)
    inside = judge_irf7_primary({root: _runs(rng) for root in range(5)})
    assert inside.name == "irf7_primary_growth" and inside.holds and inside.p_value < 0.05
    assert inside.pooled["ci95"][0] < inside.pooled["ratio"] < inside.pooled["ci95"][1]
    for ratio in (0.75, 1.3):  # slower and faster than the +-20% margin
        out = judge_irf7_primary({root: _runs(rng, ratio) for root in range(5)})
        assert not out.holds and not out.pooled["holds"] and out.p_value > 0.05, ratio


def test_criterion_needs_80_percent_of_roots_and_enough_pairs():
    rng = np.random.default_rng(32)
    by_root = {root: _runs(rng) for root in range(4)}
    by_root[9] = _runs(rng, 1.4)
    assert judge_irf7_primary(by_root).per_root[-1]["holds"] is False
    by_root[0] = _runs(rng, 0.6)
    assert not judge_irf7_primary(by_root).holds  # 3 of 5 roots
    assert not judge_irf7_primary({root: _runs(rng, n=5, sd=0.8) for root in range(5)}).holds


def test_an_arm_without_tumor_is_a_clear_error():
    runs = {"intact": [{"burden": 0.0}] * 3, "silenced": [{"burden": 5.0}] * 3}
    with pytest.raises(ValueError, match="mean burden of an arm is 0.0"):
        judge_irf7_primary({1: runs})


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["irf7_primary_growth"] is claim_irf7_primary_growth
    res = claim_irf7_primary_growth([5], reps=2, days=2.0, window=40)
    assert res.pooled["n_pairs"] == 2 and res.pooled["ratio"] > 0
