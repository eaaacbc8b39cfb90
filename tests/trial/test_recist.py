"""Lesion scale + RECIST 1.1 on hand-made lesions (no lattice): each rule can fail."""

import math

import numpy as np
import pytest

from experiments.trial.design import LesionScale, load_design
from experiments.trial.lesion import LesionDraws, recist_course, window_effect

DESIGN = load_design("impassion130_like")  # scans every 8 weeks, confirmation 4 weeks, 18 months


def _draws(diam=(30.0,), noise=0.0, new_e=math.inf) -> LesionDraws:
    d = np.array(diam)
    return LesionDraws(d, 0.0, new_e, np.full((20, d.size), noise))


def _course(eps, draws=None, kill=1.0, rho=0.0, new=0.0, diss=1.0, td=103.0):
    lesion = LesionScale(kill_scale=kill, effect_sd=0.0, resistance_per_month=rho, new_lesion_per_month=new)
    return recist_course(DESIGN, lesion, draws or _draws(), td, eps, diss)


def test_untreated_lesion_grows_at_its_doubling_time_and_progresses():
    c = _course(0.0)
    assert c["best_response"] == "SD" or c["best_response"] == "PD"
    # 30 mm, Td 103 d: +20% diameter (1.2^3 = 1.73x volume) takes 103*log2(1.728) = 81 d -> 2nd 8-week scan (112 d)
    assert c["responses"] == "SD" and c["pfs_event"]
    assert c["pfs_months"] == pytest.approx(112 / 30.4375)


def test_strong_durable_kill_gives_confirmed_complete_response():
    c = _course(eps=20.0)
    assert c["best_response"] == "CR" and not c["pfs_event"]
    assert c["responses"].startswith("CC") or c["responses"].startswith("RC")


def test_moderate_kill_gives_partial_response_not_complete():
    c = _course(eps=6.0, rho=0.5)  # nadir ~0.65 x baseline diameter near day 110, then regrowth
    assert c["best_response"] == "PR" and c["responses"].startswith("RR")
    assert -100 < c["best_change_pct"] <= -30


def test_unconfirmed_response_is_not_a_response():
    # fast tumor, fast resistance: PR at week 8, PD at week 16 -> best response SD (PR unconfirmed)
    c = _course(eps=12.0, rho=3.0, td=30.0)
    assert c["responses"] == "RD"
    assert c["best_response"] == "SD" and c["pfs_event"]


def test_new_lesion_is_progression_even_when_targets_shrink():
    c = _course(eps=3.0, new=2.0, draws=_draws(new_e=0.5))
    assert c["new_lesion"] and c["pfs_event"] and c["responses"][-1] == "D"
    assert c["pfs_months"] < _course(eps=3.0)["pfs_months"]


def test_progression_needs_five_mm_absolute_increase():
    # 10 mm lesion growing +20-40%: +2-4 mm, not PD by RECIST until +5 mm
    small = _course(0.0, draws=_draws((10.0,)), td=300.0)
    big = _course(0.0, draws=_draws((60.0,)), td=300.0)
    assert small["pfs_months"] > big["pfs_months"]


def test_window_effect_is_log_kill_in_twin_growths():
    twin = {"n_start": 100.0, "n_end": 400.0}
    assert window_effect({"n_end": 400.0}, twin) == pytest.approx(0.0)
    assert window_effect({"n_end": 100.0}, twin) == pytest.approx(1.0)  # kill cancels growth
    assert window_effect({"n_end": 25.0}, twin) == pytest.approx(2.0)
