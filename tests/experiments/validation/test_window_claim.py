"""The window_rates and window_burden claims (experiments/validation/window_claim.py): their criteria on
synthetic runs (no simulations) and their fresh seeds."""

from __future__ import annotations

import inspect

import numpy as np

from experiments.validation import window_claim

from experiments.validation.bone_claims import BONE_HOSTS, BONE_SEED_OFFSET, DEFICIENT_HOSTS, DEFICIENT_SEED_OFFSET
from experiments.validation.core import replicate_seeds as stream_seeds
from experiments.validation.course_4t1 import STREAM as COURSE_STREAM
from experiments.validation.dt_claim import DT_RATE_REPLICATES, DT_RATE_REPLICATES_2, DT_REPLICATES, DT_VALUES
from experiments.validation.dt_claim import DT_REPLICATION_STREAM, dt_arm_seeds
from experiments.validation.immunity_stats import arm_seeds, replicate_seeds
from experiments.validation.immune_claims import CLAIMS, CONTROL_REPLICATES, WINDOW_REPLICATES
from experiments.validation.lung_h4 import STREAM as LUNG_STREAM
from experiments.validation.osm_claims import OSM_PAIRS, OSM_STREAM
from experiments.validation.irf7_primary_claim import IRF7_PAIRS, IRF7_STREAM
from experiments.validation.suppression_claims import CYTOKINE_PAIRS, SUPPRESSION_STREAM
from experiments.validation.voxel_claim import VOXEL_ARMS, VOXEL_HOSTS, VOXEL_STREAM
from experiments.validation.window_claim import (
    BURDEN_STREAM,
    RATE_REFERENCE,
    RATE_STREAM,
    RATE_WINDOWS,
    WINDOW_RATE_REPLICATES,
    WINDOW_BURDEN_REPLICATES,
    WINDOW_RATE_METRICS,
    claim_window_burden,
    claim_window_rates,
    judge_window_burden,
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


def test_hosts_are_independent_per_window_and_prefix_stable():
    seeds = arm_seeds(20261129, 5, RATE_WINDOWS, stream=RATE_STREAM)
    flat = [s for w in RATE_WINDOWS for s in seeds[w]]
    assert len(flat) == len(set(flat)) == 15
    assert arm_seeds(20261129, 8, RATE_WINDOWS, stream=RATE_STREAM)[60][:5] == seeds[60]
    assert arm_seeds(20261129, 5, RATE_WINDOWS) != seeds  # not the root's own sequence


def _seed_sets(root: int) -> dict[str, set[int]]:
    """Every judged claim's hosts of one root, at its registered size (seeds only: no runs)."""
    own = replicate_seeds(root, 1000)  # the root's own sequence, shared by the first claims
    flat = lambda arms: {s for seeds in arms.values() for s in seeds}  # noqa: E731
    return {
        "immune_control": set(own[:CONTROL_REPLICATES]),
        "window_equivalence": set(own[:WINDOW_REPLICATES]),
        "dt_immune_outcomes": flat(dt_arm_seeds(root, DT_REPLICATES)),
        "dt_immune_rates": flat(dt_arm_seeds(root, DT_RATE_REPLICATES, skip=DT_REPLICATES)),
        "bone": set(own[BONE_SEED_OFFSET:BONE_SEED_OFFSET + BONE_HOSTS]),
        "bone_deficient_more": set(own[DEFICIENT_SEED_OFFSET:DEFICIENT_SEED_OFFSET + DEFICIENT_HOSTS]),
        "course_4t1": set(stream_seeds(root, 200, stream=COURSE_STREAM)),
        "lung_h4": set(stream_seeds(root, 200, stream=LUNG_STREAM)),
        "window_rates": flat(arm_seeds(root, WINDOW_RATE_REPLICATES, RATE_WINDOWS, stream=RATE_STREAM)),
        "osm": set(stream_seeds(root, OSM_PAIRS, stream=OSM_STREAM)),
        "dt_immune_rates_replication": flat(dt_arm_seeds(root, DT_RATE_REPLICATES_2, stream=DT_REPLICATION_STREAM)),
        "voxel_fields": flat(arm_seeds(root, VOXEL_HOSTS, tuple(VOXEL_ARMS), stream=VOXEL_STREAM)),
        "irf7_primary_growth": set(stream_seeds(root, IRF7_PAIRS, stream=IRF7_STREAM)),
        "window_burden": flat(arm_seeds(root, WINDOW_BURDEN_REPLICATES, RATE_WINDOWS, stream=BURDEN_STREAM)),
        "suppression": set(stream_seeds(root, CYTOKINE_PAIRS, stream=SUPPRESSION_STREAM)),
    }


def test_the_claims_with_own_streams_share_no_host_with_any_other_claim():
    # a review found the first registrations of these claims reusing earlier claims' hosts (the 60-site
    # window arm reran the dt claims' dt-0.5 runs exactly); each now has a seed stream of its own
    for root in (20261129, 1, 2, 3, 4):
        sets = _seed_sets(root)
        for new in ("window_rates", "osm", "dt_immune_rates_replication", "voxel_fields", "irf7_primary_growth",
                    "window_burden", "suppression"):
            for other, seeds in sets.items():
                if other != new:
                    assert not sets[new] & seeds, (root, new, other)
    assert len(sets["window_rates"]) == 3 * WINDOW_RATE_REPLICATES and len(sets["osm"]) == OSM_PAIRS
    assert len(DT_VALUES) * DT_RATE_REPLICATES_2 == len(sets["dt_immune_rates_replication"])
    assert len(sets["voxel_fields"]) == 2 * VOXEL_HOSTS and len(sets["irf7_primary_growth"]) == IRF7_PAIRS
    assert len(sets["window_burden"]) == 3 * WINDOW_BURDEN_REPLICATES
    assert len(sets["suppression"]) == CYTOKINE_PAIRS


def test_smoke_run_goes_through_the_pipeline_and_is_registered():
    assert CLAIMS["window_rates"] is claim_window_rates
    res = claim_window_rates([5], reps=2, days=2.0, windows=(40, 100))
    assert [len(res.pooled["checks"]), res.pooled["n_per_window"]] == [2, 2]
    c = res.pooled["checks"]["influx_per_tumor_cell_day@40"]
    assert c["ratio"] > 0 and c["ci90"][0] < c["ratio"] < c["ci90"][1]


def _burden_runs(rng, factor: float = 1.0, n: int = 400, cv: float = 0.1) -> dict:
    """Burden runs, the 200-site window's scaled by ``factor`` off the others."""
    return {w: [{"burden": 600.0 * (factor if w == 200 else 1.0) * (1 + cv * rng.standard_normal())}
                for _ in range(n)] for w in RATE_WINDOWS}


def test_burden_criterion_holds_inside_the_margin_and_fails_on_either_side():
    rng = np.random.default_rng(21)
    inside = judge_window_burden({root: _burden_runs(rng) for root in range(5)})
    assert inside.name == "window_burden" and inside.holds and inside.p_value < 0.05
    assert sorted(inside.pooled["checks"]) == ["burden@200", "burden@60"]
    for factor in (0.85, 1.15):
        out = judge_window_burden({root: _burden_runs(rng, factor) for root in range(5)})
        assert not out.holds and not out.pooled["holds"], factor
    noisy = judge_window_burden({root: _burden_runs(rng, n=20, cv=0.6) for root in range(5)})
    assert not noisy.holds  # a burden CV of 0.6 at 20 runs cannot show equivalence


def test_burden_claim_runs_its_registered_hosts(monkeypatch):
    seen = []

    def fake_run_jobs(jobs, workers=1):
        seen.extend(jobs)
        return [{"burden": 600.0 + (j.seed % 7)} for j in jobs]

    monkeypatch.setattr(window_claim, "run_jobs", fake_run_jobs)
    assert inspect.signature(claim_window_burden).parameters["reps"].default == WINDOW_BURDEN_REPLICATES == 1200
    claim_window_burden([1, 4], reps=3)
    want = [(w, s) for root in (1, 4) for w, seeds in arm_seeds(root, 3, RATE_WINDOWS, stream=BURDEN_STREAM).items()
            for s in seeds]
    assert [(j.overrides["lattice.width_sites"], j.seed) for j in seen] == want
    assert {j.days for j in seen} == {18.0}


def test_burden_smoke_run_is_registered_on_its_own_stream():
    assert CLAIMS["window_burden"] is claim_window_burden
    assert BURDEN_STREAM not in (RATE_STREAM, OSM_STREAM, VOXEL_STREAM, IRF7_STREAM, DT_REPLICATION_STREAM)
    res = claim_window_burden([5], reps=2, days=1.0, windows=(40, 100))
    assert list(res.pooled["checks"]) == ["burden@40"] and res.pooled["n_per_window"] == 2


def test_burden_hosts_are_fresh_across_all_roots():
    roots = (20261129, 1, 2, 3, 4)
    sets = {root: _seed_sets(root) for root in roots}
    burden = set().union(*(sets[r]["window_burden"] for r in roots))
    others = set().union(*(s for r in roots for name, s in sets[r].items() if name != "window_burden"))
    assert len(burden) == len(roots) * 3 * WINDOW_BURDEN_REPLICATES
    assert not burden & others
