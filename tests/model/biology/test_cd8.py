"""CD8 T-cells: killing hazard, PD-1/PD-L1 and Treg suppression of killing, exhaustion.

Stochastic rules are checked statistically, as :mod:`tests.sim_builders` describes.
"""

from __future__ import annotations

import functools

import pytest

from model import CD8TCell, RegulatoryTCell

from sim_builders import assert_binomial, binomial_ci, fill_field, hill1, p_step, place, quiet_model, tumor


# =========================================================================== CD8 killing

SPACING = 6
PAIR_ORIGINS = [(x, y) for x in range(2, 38, SPACING) for y in range(2, 38, SPACING)]  # 36 pairs on 40 x 40

# The killing rule's parameters, pinned so the test checks the rule, not today's defaults.
KILL_RATE, PD1_MAX, TREG_MAX, CYTOKINE_MAX, PD_L1_INDUCED = 0.5, 0.8, 0.6, 0.5, 0.6
KILL_PARAMS = {
    "cd8.kill_rate_per_hour": KILL_RATE,
    "cd8.pd1_inhibition_max": PD1_MAX,
    "cd8.treg_suppression_max": TREG_MAX,
    "cd8.cytokine_suppression_max": CYTOKINE_MAX,
    "cd8.exhaustion_rate_per_hour": 0.0,
    "treg.suppression_radius_sites": 2,
    "tumor.pd_l1_baseline": 0.0,
    "tumor.pd_l1_induced_max": PD_L1_INDUCED,
    "tumor.pd_l1_interferon_ec50": 1.0,
}


def cd8_pairs_model(seed: int, overrides: dict, treg_offset: tuple[int, int] | None = None,
                    antigenicity: float = 1.0, exhausted: bool = False, field: tuple[str, float] | None = None):
    """36 isolated (tumor cell, adjacent T-cell) pairs, optionally a Treg near each T-cell."""
    model = quiet_model(seed, 40, 40, {**KILL_PARAMS, **overrides})
    for x, y in PAIR_ORIGINS:
        tumor(model, x, y, antigenicity=antigenicity)
        place(model, CD8TCell, x + 1, y, exhausted=exhausted)
        if treg_offset is not None:
            place(model, RegulatoryTCell, x + 1 + treg_offset[0], y + treg_offset[1])
    if field is not None:
        fill_field(model, *field)
    return model


def run_kill_trials(n_seeds: int = 30, **setup) -> tuple[int, int, float]:
    """Kills in one step over ``n_seeds`` x 36 pairs; also returns dt."""
    kills = trials = 0
    for seed in range(n_seeds):
        model = cd8_pairs_model(seed, **setup)
        before = model.tumor_cell_count
        model.step()
        k = model.counters["tumor_deaths_cd8"]
        assert before - model.tumor_cell_count == k
        assert int(model.populations[CD8TCell]["kills"].sum()) == k  # each kill is credited to one T-cell
        kills += k
        trials += len(PAIR_ORIGINS)
    return kills, trials, model.dt


KILL_CASES = {
    # name: (set-up, expected kill hazard per hour)
    "full antigen, no PD-L1": (dict(overrides={}), KILL_RATE),
    "half antigen": (dict(overrides={}, antigenicity=0.5), KILL_RATE * 0.5),
    "PD-L1 engaged (baseline 1)": (dict(overrides={"tumor.pd_l1_baseline": 1.0}), KILL_RATE * (1 - PD1_MAX)),
    "PD-L1 induced by interferon": (
        dict(overrides={}, field=("interferon", 1e6)),
        KILL_RATE * (1 - PD1_MAX * PD_L1_INDUCED * hill1(1e6)),
    ),
    "Treg within radius": (dict(overrides={}, treg_offset=(0, 2)), KILL_RATE * (1 - TREG_MAX)),
    "Treg beyond radius": (dict(overrides={}, treg_offset=(0, 3)), KILL_RATE),
    "suppressive cytokine": (dict(overrides={}, field=("cytokine", 1.0)), KILL_RATE * (1 - CYTOKINE_MAX * hill1(1.0))),
    "exhausted T-cell": (dict(overrides={}, exhausted=True), 0.0),
}


@functools.lru_cache(maxsize=None)
def kill_trials_for(case: str) -> tuple[int, int, float]:
    """Deterministic (fixed seeds), so memoising within a worker process is safe."""
    return run_kill_trials(**KILL_CASES[case][0])


@pytest.mark.parametrize("case", list(KILL_CASES))
def test_cd8_kill_probability_matches_rate(case):
    _, rate = KILL_CASES[case]
    kills, trials, dt = kill_trials_for(case)
    assert_binomial(kills, trials, p_step(rate, dt), what=case)


@pytest.mark.parametrize("suppressed", ["PD-L1 engaged (baseline 1)", "Treg within radius"])
def test_suppression_lowers_killing(suppressed):
    """Not only the right value: clearly (non-overlapping 99 % CIs) below the unsuppressed kill rate."""
    k0, n0, _ = kill_trials_for("full antigen, no PD-L1")
    k1, n1, _ = kill_trials_for(suppressed)
    assert binomial_ci(k1, n1).high < binomial_ci(k0, n0).low


def test_pd_l1_is_baseline_plus_interferon_induced():
    model = quiet_model(0, 10, 10, {"tumor.pd_l1_baseline": 0.1, "tumor.pd_l1_induced_max": 0.6,
                                    "tumor.pd_l1_interferon_ec50": 2.0})
    cell = tumor(model, 5, 5)
    assert cell.pd_l1 == pytest.approx(0.1)
    model.fields["interferon"].values[5, 5] = 2.0
    assert cell.pd_l1 == pytest.approx(0.1 + 0.6 * 0.5)


# =========================================================================== exhaustion


@pytest.mark.parametrize("pd_l1,rate", [(1.0, 1.0), (0.5, 1.0), (0.0, 10.0)])
def test_exhaustion_follows_pd_l1_engagement(pd_l1, rate):
    """Engaged T-cells exhaust at hazard exhaustion_rate * PD-L1; without PD-L1 never."""
    exhausted = trials = 0
    for seed in range(30):
        model = cd8_pairs_model(seed, {"tumor.pd_l1_baseline": pd_l1, "cd8.exhaustion_rate_per_hour": rate,
                                       "cd8.kill_rate_per_hour": 0.0})
        model.step()
        exhausted += int(model.populations[CD8TCell]["exhausted"].sum())
        trials += len(PAIR_ORIGINS)
    assert_binomial(exhausted, trials, p_step(rate * pd_l1, model.dt), what=f"exhaustion at PD-L1 {pd_l1}")
    if pd_l1 == 0:
        assert exhausted == 0
