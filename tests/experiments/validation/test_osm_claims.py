"""The OSM claims (experiments/validation/osm_claims.py): criteria on synthetic paired runs, the arms,
fresh paired hosts, and a smoke run through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.validation import immunity_stats, osm_claims
from experiments.validation.immune_claims import CLAIMS
from experiments.validation.core import replicate_seeds as stream_seeds
from experiments.validation.osm_claims import OSM_CLAIMS, OSM_STREAM, claim_osm, judge_osm, osm_arms


def _runs(rng, ratios: dict[str, float], roots: int = 5, pairs: int = 40, sd: float = 0.3) -> dict:
    """Paired runs: a host effect shared by its three arms, the arms' burden and escapes scaled by ``ratios``
    (keys ``"<arm>.<read-out>"``) off the ``off`` arm."""
    out = {}
    for root in range(roots):
        host = np.exp(sd * rng.standard_normal(pairs))
        out[root] = {arm: [{k: 1000.0 * h * ratios.get(f"{arm}.{k}", 1.0) * np.exp(0.05 * rng.standard_normal())
                            for k in ("burden", "expected_escapes")} for h in host] for arm in ("on", "off", "anti")}
    return out


EFFECTS = {"on.burden": 1.4, "on.expected_escapes": 2.0, "anti.burden": 1.4 * 0.8, "anti.expected_escapes": 2.0 * 0.6}


def test_every_claim_holds_when_the_effects_are_there():
    by_root = _runs(np.random.default_rng(1), EFFECTS)
    for name in OSM_CLAIMS:
        res = judge_osm(by_root, name)
        assert res.holds and res.p_value < 1e-6 and len(res.per_root) == 5, name
        assert res.pooled["n_pairs"] == 200


@pytest.mark.parametrize("name", list(OSM_CLAIMS))
def test_a_claim_fails_without_its_effect_and_with_the_opposite_one(name):
    treated, control, read_out, sign = OSM_CLAIMS[name]
    rng = np.random.default_rng(2)
    none = {**EFFECTS, f"{treated}.{read_out}": EFFECTS.get(f"{control}.{read_out}", 1.0)}
    assert not judge_osm(_runs(rng, none), name).holds  # no difference: the CI includes 1
    base = EFFECTS.get(f"{control}.{read_out}", 1.0)
    opposite = {**EFFECTS, f"{treated}.{read_out}": base * (1.3 if sign < 0 else 1 / 1.3)}
    res = judge_osm(_runs(rng, opposite), name)
    assert not res.holds and res.p_value > 0.5  # the wrong direction fails, however significant


def test_holds_needs_80_percent_of_roots():
    rng = np.random.default_rng(3)
    by_root = _runs(rng, EFFECTS, roots=4)
    by_root[9] = _runs(rng, {}, roots=1)[0]  # one root without any effect
    res = judge_osm(by_root, "osm_growth")
    assert [r["holds"] for r in res.per_root] == [True] * 4 + [False] and res.holds
    by_root[8] = _runs(rng, {}, roots=1)[0]
    assert not judge_osm(by_root, "osm_growth").holds  # 4 of 6


def test_arms_and_paired_fresh_hosts(monkeypatch):
    arms = osm_arms(18.0, 60)
    assert arms["off"][0]["neutrophil.osm_secretion_per_hour"] == 0.0 and not arms["on"][1]
    (dose,) = arms["anti"][1]
    assert dose["type"] == "anti_osm" and dose["start_day"] == 1.0 and dose["doses"] == 3  # days 1, 8, 15
    assert all(a[0]["tumor.initial_radius_sites"] == 5.0 and a[0]["lattice.width_sites"] == 60 for a in arms.values())
    jobs_seen = []

    def fake(jobs, workers=1):
        jobs_seen.extend(jobs)
        arm_of = [next(a for a, (o, t) in arms.items() if dict(j.overrides) == o and tuple(j.treatments) == t)
                  for j in jobs]
        return [{"burden": float(j.seed % 1000), "expected_escapes": 1.0, "arm": a} for j, a in zip(jobs, arm_of)]

    monkeypatch.setattr(immunity_stats, "run_jobs", fake)  # the paired runner (immunity_stats.paired_runs)
    by_root = osm_claims.osm_runs([4], 3)
    seeds = [j.seed for j in jobs_seen]
    assert seeds == [s for s in stream_seeds(4, 3, stream=OSM_STREAM) for _ in range(3)]  # paired: 3 arms a host
    assert all(j.track for j in jobs_seen) and [len(v) for v in by_root[4].values()] == [3, 3, 3]
    for arm, outs in by_root[4].items():  # each outcome sits in its own arm, in seed order
        assert [o["arm"] for o in outs] == [arm] * 3
        assert [o["burden"] for o in outs] == [float(s % 1000) for s in stream_seeds(4, 3, stream=OSM_STREAM)]


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["osm"] is claim_osm
    results = claim_osm([5], reps=3, days=3.0, window=30)
    assert [r.name for r in results] == list(OSM_CLAIMS)
    for r in results:
        assert r.pooled["n_pairs"] == 3 and r.pooled["control_mean"] > 0 and np.isfinite(r.p_value)


def test_an_arm_without_any_tumor_is_a_clear_error():
    runs = {0: {arm: [{"burden": 0.0, "expected_escapes": 0.0}] * 3 for arm in ("on", "off", "anti")}}
    with pytest.raises(ValueError, match=r"the mean burden of an arm is 0\.0; a ratio of means needs both arms > 0"):
        judge_osm(runs, "osm_growth")
