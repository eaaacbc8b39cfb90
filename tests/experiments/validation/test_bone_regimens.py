"""The interferon-regimen exploration: each regimen edits only the interferon treatment."""

from __future__ import annotations

from experiments.validation.bone_claims import BONE_SEED_OFFSET, bone_arm
from experiments.validation.bone_regimens import EXPLORATION_HOSTS, FRESH_OFFSET, REGIMENS, explore, regimen_job


def test_each_regimen_edits_only_the_interferon_schedule():
    base_overrides, base_treatments = bone_arm("silenced_interferon")
    assert regimen_job("silenced", 7).treatments == ()
    assert regimen_job("registered", 7).treatments == base_treatments
    for name, change in REGIMENS.items():
        job = regimen_job(name, 7)
        assert dict(job.overrides) == base_overrides and job.seed == 7
        if change:
            (t,) = job.treatments
            assert t == {**base_treatments[0], **change}


def test_the_exploration_uses_fresh_hosts_and_reports_every_regimen():
    # after judged run 5's hosts (76-123), before judged run 6's: no judged host is explored
    assert FRESH_OFFSET >= 76 + 48 and FRESH_OFFSET + EXPLORATION_HOSTS <= BONE_SEED_OFFSET
    out = explore((1,), hosts=1, days=22.0)  # the daily schedule doses until day 21
    assert set(out["regimens"]) == set(REGIMENS) - {"silenced"}
    for r in out["regimens"].values():
        assert len(r["per_root"]) == 1 and len(r["risk_ratio"]) == 3
    assert 0.0 <= out["silenced_fraction"] <= 1.0
