"""The bone claims' power simulation judges synthetic hosts with the claims' own criteria."""

from experiments.validation.bone_claims import BONE_ARMS, BONE_SEED_OFFSET
from experiments.validation.bone_power import PILOT_RATES, RUN6_RATES, simulate_power
from experiments.validation.immunity_stats import replicate_seeds


def test_power_rises_with_hosts_and_vanishes_without_an_effect():
    small, large = simulate_power(8, repeats=150), simulate_power(40, repeats=150)
    assert large["bone_interferon"][0] > small["bone_interferon"][0] + 0.3
    assert large["bone_interferon"][0] > 0.9
    null = {arm: 0.6 for arm in BONE_ARMS}  # no arm differs: silencing and dosing change nothing
    p = simulate_power(40, rates=null, repeats=150)
    assert p["bone_silencing"][0] < 0.1 and p["bone_interferon"][0] < 0.1
    assert p["bone_deficient"][0] > 0.9  # with no protection, "protection lost" holds
    assert set(PILOT_RATES) == set(BONE_ARMS) == set(RUN6_RATES)
    assert p["bone_interferon_daily"][0] < 0.1


def test_the_judged_hosts_are_fresh_and_prefix_stable():
    judged = replicate_seeds(20261129, BONE_SEED_OFFSET)  # hosts of judged runs 2-4
    fresh = replicate_seeds(20261129, BONE_SEED_OFFSET + 48)
    assert fresh[:BONE_SEED_OFFSET] == judged  # spawn is prefix-stable, so skipping drops exactly run 2's hosts
    assert not set(fresh[BONE_SEED_OFFSET:]) & set(judged)
