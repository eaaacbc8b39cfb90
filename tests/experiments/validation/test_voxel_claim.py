"""The voxel_fields claim (experiments/validation/voxel_claim.py): its criterion on synthetic runs (no
simulations), its fresh hosts, its registration and a smoke run through the pipeline."""

from __future__ import annotations

import numpy as np

from experiments.validation.immune_claims import CLAIMS
from experiments.validation.immunity_stats import arm_seeds
from experiments.validation.voxel_claim import (
    VOXEL_ARMS,
    VOXEL_REFERENCE,
    VOXEL_STREAM,
    claim_voxel_fields,
    judge_voxel_fields,
)


def _runs(rng, scale: dict[str, float], n: int = 30, cv: float = 0.03) -> dict:
    """Runs whose influx per tumor cell-day and CD8 kills in the fast arm are scaled by ``scale``."""
    out = {}
    for arm in VOXEL_ARMS:
        f = (lambda k: 1.0) if arm == VOXEL_REFERENCE else (lambda k: scale.get(k, 1.0))
        out[arm] = [{"cd8_recruited": 250.0 * f("influx_per_tumor_cell_day") * (1 + cv * rng.standard_normal()),
                     "tumor_cell_days": 1.2e4, "kills_cd8": 2500.0 * f("kills_cd8") * (1 + cv * rng.standard_normal()),
                     "burden": 600.0 * (1 + 0.5 * rng.standard_normal()) ** 2}
                    for _ in range(n)]
    return out


def test_arms_are_the_fast_field_mode_against_per_site_fields():
    assert VOXEL_ARMS == {"per_site": {}, "fast": {"lattice.field_voxel_sites": 2, "lattice.field_precision_bits": 32}}


def test_criterion_holds_inside_the_margin_and_fails_on_either_side():
    rng = np.random.default_rng(21)
    inside = judge_voxel_fields({root: _runs(rng, {}) for root in range(5)})
    assert inside.name == "voxel_fields" and inside.holds and inside.p_value < 0.05
    assert sorted(inside.pooled["checks"]) == ["influx_per_tumor_cell_day@fast", "kills_cd8@fast"]
    burden = inside.pooled["burden_reported_not_judged"]
    assert burden["ci90"][0] < burden["ratio"] < burden["ci90"][1]
    for k in ("influx_per_tumor_cell_day", "kills_cd8"):
        for factor in (0.85, 1.15):  # below and above [0.9, 1.1]
            out = judge_voxel_fields({root: _runs(rng, {k: factor}) for root in range(5)})
            assert not out.holds and not out.pooled["holds"] and out.p_value > 0.05, (k, factor)


def test_criterion_needs_80_percent_of_roots_and_enough_runs():
    rng = np.random.default_rng(22)
    by_root = {root: _runs(rng, {}) for root in range(4)}
    by_root[9] = _runs(rng, {"kills_cd8": 1.3})
    assert judge_voxel_fields(by_root).holds  # 4 of 5 roots, pooled inside
    by_root[0] = _runs(rng, {"influx_per_tumor_cell_day": 0.7})
    assert not judge_voxel_fields(by_root).holds  # 3 of 5
    assert not judge_voxel_fields({root: _runs(rng, {}, n=4, cv=0.4) for root in range(5)}).holds


def test_hosts_come_from_a_stream_of_their_own():
    seeds = arm_seeds(20261129, 5, tuple(VOXEL_ARMS), stream=VOXEL_STREAM)
    flat = [s for arm in VOXEL_ARMS for s in seeds[arm]]
    assert len(flat) == len(set(flat)) == 10


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["voxel_fields"] is claim_voxel_fields
    res = claim_voxel_fields([5], reps=2, days=2.0, window=40)  # voxel_runs, then the judge
    c = res.pooled["checks"]["kills_cd8@fast"]
    assert res.pooled["n_per_arm"] == 2 and c["ratio"] > 0 and c["ci90"][0] < c["ratio"] < c["ci90"][1]
