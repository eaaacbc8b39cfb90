"""The sizing behind the suppression claims (experiments/validation/suppression_exploration.py)."""

from __future__ import annotations

import numpy as np

from experiments.validation import suppression_exploration as se
from experiments.validation.osm_exploration import power
from experiments.validation.suppression_claims import SUPPRESSION_CLAIMS


def test_pilot_reports_each_claims_ratio_and_pair_sd(monkeypatch):
    rng = np.random.default_rng(2)

    def fake_runs(roots, pairs, workers=1, stream=None):
        assert roots == [se.PILOT_ROOT] and stream == se.PILOT_STREAM
        host = 600.0 * np.exp(0.5 * rng.standard_normal(pairs))
        arms = {"default": host, "no_tregs": 0.4 * host, "treg_depletion": 0.8 * host, "no_cytokine": 0.9 * host}
        return {roots[0]: {k: [{"burden": float(b * np.exp(0.2 * rng.standard_normal()))} for b in v]
                           for k, v in arms.items()}}

    monkeypatch.setattr(se, "suppression_runs", fake_runs)
    out = se.pilot(pairs=40)
    assert list(out) == list(SUPPRESSION_CLAIMS)
    assert abs(out["tregs_raise_burden"]["ratio"] - 0.4) < 0.05
    assert 0.15 < out["cytokine_raises_burden"]["sd_log_per_pair"] < 0.45  # ~0.2 * sqrt(2)


def test_power_line_gives_each_claims_power_at_its_own_pairs():
    assert set(se.PLAN) == set(SUPPRESSION_CLAIMS)
    line = se.power_line(300)
    for name, (ratio, sd) in se.PLAN.items():
        n = 600 if name == "cytokine_raises_burden" else 300
        assert se.claim_pairs(name, 300) == n
        assert f"{name} ({n}) per-root %.2f, >= 80%% of roots %.2f" % power(n, ratio, sd) in line
    # the registered sizing: the cytokine claim at 600 pairs, per-root 1.00, 0.94 at a ratio of 0.93
    assert round(power(600, *se.PLAN["cytokine_raises_burden"])[0], 2) == 1.0
    assert round(power(600, 0.93, 0.5)[0], 2) == 0.94
