"""The sizing behind the suppression claims (experiments/validation/suppression_exploration.py)."""

from __future__ import annotations

import numpy as np

from experiments.validation import suppression_exploration as se
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


def test_power_line_covers_every_planned_claim():
    line = se.power_line(150)
    assert line.startswith("pairs: ") and all(name in line for name in se.PLAN)
    assert set(se.PLAN) == set(SUPPRESSION_CLAIMS)
