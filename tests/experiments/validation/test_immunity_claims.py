"""The issue-12 claims (experiments/validation/immunity.py): statistics and criteria (no simulations), read-outs,
and the validate section at smoke size."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.validation import immunity_section
from experiments.validation.bone_claims import (
    BONE_HOSTS,
    BONE_SEED_OFFSET,
    DEFICIENT_SEED_OFFSET,
    bone_arm,
    judge_bone_deficient,
    judge_bone_reduction,
    judge_bone_silencing,
)
from experiments.validation.core import TEST, Series, validation_spec
from experiments.validation.immunity_stats import outcomes
from experiments.validation.report import SECTIONS

from experiments.validation.immunity import (
    BONE_ARMS,
    holm,
    ratio_ci_paired,
    replicate_seeds,
    risk_difference_ci,
    risk_ratio_ci,
)


def test_risk_ratio_interval_excludes_one_only_for_a_clear_reduction():
    r, lo, hi, _ = risk_ratio_ci(2, 20, 12, 20)
    assert r < 0.5 and hi < 1.0
    r, lo, hi, _ = risk_ratio_ci(10, 20, 12, 20)
    assert lo < 1.0 < hi


def test_risk_difference_interval_can_fail_on_both_sides():
    assert risk_difference_ci(15, 20, 2, 20)[1] > 0
    assert risk_difference_ci(2, 20, 15, 20)[2] < 0
    d, lo, hi = risk_difference_ci(5, 20, 5, 20)
    assert d == 0 and lo < 0 < hi


def test_paired_ratio_of_a_known_ratio():
    b = np.array([100.0, 200.0, 150.0, 120.0])
    r, lo, hi, _ = ratio_ci_paired(2 * b * np.array([1.01, 0.99, 1.0, 1.0]), b)
    assert lo < 2.0 < hi and abs(r - 2.0) < 0.02


def test_holm_and_seeds():
    assert holm([0.001, 0.04, 0.03]) == [True, False, False]
    assert holm([0.001, 0.02, 0.03]) == [True, True, True]
    assert len(set(replicate_seeds(1, 6))) == 6 and replicate_seeds(1, 3) == replicate_seeds(1, 6)[:3]
    assert {"intact", "silenced", "silenced_interferon", "silenced_restoration"} <= set(BONE_ARMS)


# ---------------------------------------------------------------- read-outs and arms of the shared pipeline


def test_outcomes_read_the_recorded_series():
    h = np.arange(5) * 0.5
    series = {"hours": h, "tumor_cells": np.array([10.0, 12, 14, 16, 18]), "kills_cd8": np.array([0.0, 1, 1, 2, 3]),
              "cd8_t_cells": np.array([0.0, 2, 2, 2, 2]), "bone_metastasis": np.array([0.0, 0, 0, 1, 1]),
              "bone_metastasis_day": np.array([np.inf, np.inf, np.inf, 0.0625, 0.0625]),
              "metastatic_seeds": np.zeros(5), "recruited_CD8TCell": np.array([0.0, 2, 2, 3, 3])}
    out = outcomes(Series(validation_spec({}, 1, 2.0 / 24), series), 2.0 / 24)
    assert out["burden"] == 18 and out["kills_cd8"] == 3 and out["cd8_recruited"] == 3
    assert out["tumor_cell_days"] == pytest.approx((12 + 14 + 16 + 18) * 0.5 / 24)  # after each step x dt
    assert out["cd8_mean"] == pytest.approx(np.trapezoid(series["cd8_t_cells"], h) / 2.0)
    assert out["metastasis"] == 1.0 and out["free_days"] == pytest.approx(0.0625)


def test_bone_arms_come_from_the_builtin_scenarios():
    overrides, treatments = bone_arm("deficient_silenced_interferon", 30)
    assert overrides["tumor.irf7_silenced_fraction"] == 1.0 and overrides["host.immune_health"] == 0.0
    assert overrides["lattice.width_sites"] == 30 and [t["type"] for t in treatments] == ["interferon_dosing"]
    assert bone_arm("intact")[1] == ()


# ---------------------------------------------------------------- the validate section at smoke size (~30 s CPU)


def test_immunity_section_smoke_size_gives_checks(shared):
    checks = shared("immunity_section_smoke", lambda: immunity_section.run(TEST, None, quick=True))
    assert [c.id for c in checks] == ["imm.immune_control", "imm.window_equivalence", "imm.window_rates",
                                      "imm.window_burden", "imm.bone_silencing",
                                      "imm.bone_interferon", "imm.bone_restoration", "imm.bone_interferon_daily",
                                      "imm.bone_deficient", "imm.bone_deficient_daily", "imm.bone_deficient_restoration",
                                      "imm.dt_immune_outcomes", "imm.dt_immune_rates",
                                      "imm.dt_immune_rates_replication", "imm.osm_growth", "imm.osm_spread",
                                      "imm.anti_osm_growth", "imm.anti_osm_spread", "imm.tregs_raise_burden",
                                      "imm.treg_depletion_lowers_burden", "imm.cytokine_raises_burden",
                                      "imm.voxel_fields",
                                      "imm.irf7_primary_growth"]
    for c in checks:
        assert c.section == immunity_section.SECTION
        assert math.isfinite(c.value) and c.ci is not None and all(math.isfinite(x) for x in c.ci), c.id
        assert "Smoke size" in c.notes and c.extra["smoke_size"] is True
        assert len(c.extra["holds_in_roots"]) == immunity_section.SMOKE_ROOTS
        assert isinstance(c.passed, bool)
    assert immunity_section.SECTION in SECTIONS


def _hosts(n_met: int, n: int, free_met: float = 10.0, days: float = 30.0) -> list[dict[str, float]]:
    # n hosts of which the first n_met metastasised on day free_met (the others stay free to the end)
    return [{"metastasis": float(i < n_met), "free_days": free_met + 0.5 * i if i < n_met else days} for i in range(n)]


def test_bone_judges_apply_the_per_root_rule_both_ways():
    # 12 hosts per root: silencing 10/12 vs 0/12 in every root holds; 4 hosts per root cannot (CI crosses 0)
    strong = {root: {"silenced": _hosts(10, 12), "intact": _hosts(0, 12)} for root in range(5)}
    res = judge_bone_silencing(strong)
    assert res.holds and len(res.per_root) == 5 and res.pooled["ci95"][0] > 0 and res.pooled["rmst_ci95"][1] < 0
    weak = {root: {"silenced": _hosts(2, 4), "intact": _hosts(0, 4)} for root in range(5)}
    assert not judge_bone_silencing(weak).holds
    # interferon: 1/12 vs 10/12 holds (ratio 0.1, CI < 1); 9/12 vs 10/12 does not
    arms = "silenced_interferon", "silenced"
    good = {root: {arms[0]: _hosts(1, 12), arms[1]: _hosts(10, 12)} for root in range(5)}
    assert judge_bone_reduction(good, "bone_interferon", *arms).holds
    bad = {root: {arms[0]: _hosts(9, 12), arms[1]: _hosts(10, 12)} for root in range(5)}
    assert not judge_bone_reduction(bad, "bone_interferon", *arms).holds
    # immunodeficient host: protection lost (10/12 vs 10/12) holds; kept (1/12 vs 10/12) does not
    lost = {root: {"deficient_silenced_interferon": _hosts(10, 12), "deficient_silenced": _hosts(10, 12)}
            for root in range(5)}
    assert judge_bone_deficient(lost).holds
    kept = {root: {"deficient_silenced_interferon": _hosts(1, 12), "deficient_silenced": _hosts(10, 12)}
            for root in range(5)}
    assert not judge_bone_deficient(kept).holds


def test_the_more_immunodeficient_claims_judge_their_own_arm_on_fresh_hosts():
    assert DEFICIENT_SEED_OFFSET >= BONE_SEED_OFFSET + BONE_HOSTS  # after judged run 6's hosts
    overrides, treatments = bone_arm("deficient_silenced_interferon_daily")
    assert overrides["host.immune_health"] == 0.0 and treatments[0]["interval_days"] == 1.0
    arms = {"deficient_silenced": [{"metastasis": 1.0}] * 40 + [{"metastasis": 0.0}] * 10,
            "deficient_silenced_restoration": [{"metastasis": 1.0}] * 10 + [{"metastasis": 0.0}] * 40}
    kept = judge_bone_deficient({0: arms}, "bone_deficient_restoration", "deficient_silenced_restoration")
    assert kept.name == "bone_deficient_restoration" and not kept.holds  # restoration still protects: fails
    arms["deficient_silenced_restoration"] = arms["deficient_silenced"]
    assert judge_bone_deficient({0: arms}, "bone_deficient_restoration", "deficient_silenced_restoration").holds
