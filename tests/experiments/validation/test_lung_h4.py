"""H4 (IFN-gamma-/- lung metastasis): the odds-ratio transfer, the two-sided verdict, the run wiring."""

from __future__ import annotations

import math

import pytest

from experiments.validation import lung_h4
from experiments.validation.lung_h4 import THRESHOLD_CELLS, judge, odds_ratio, predicted_fraction
from model import TumorImmuneModel


def test_odds_ratio_and_woolf_interval_match_the_hand_computation():
    odds, lo, hi = odds_ratio(30, 100, 10, 100)
    assert odds == pytest.approx(30 * 90 / (70 * 10))
    half = 1.959964 * math.sqrt(1 / 30 + 1 / 70 + 1 / 10 + 1 / 90)
    assert (lo, hi) == pytest.approx((odds * math.exp(-half), odds * math.exp(half)), rel=1e-5)
    zero = odds_ratio(3, 10, 0, 10)  # a zero cell: 0.5 added to all four
    assert zero[0] == pytest.approx(3.5 * 10.5 / (7.5 * 0.5))


def test_an_odds_ratio_of_one_predicts_the_wild_type_fraction():
    assert predicted_fraction(1.0) == pytest.approx(5 / 17)
    assert predicted_fraction(2.0) < predicted_fraction(5.0) < 1.0


def _hosts(positive: int, n: int) -> list[float]:
    return [THRESHOLD_CELLS] * positive + [THRESHOLD_CELLS - 1] * (n - positive)


@pytest.mark.parametrize("ko_positive, hit", [(10, False), (30, True), (96, False)])
def test_the_verdict_misses_on_both_sides(ko_positive, hit):
    # wild type 10/100 positive; knockout 10 (OR 1: too small), 30 (OR 3.9: inside), 96 (OR ~216: too large)
    by_root = {r: {"wild_type": _hosts(2, 20), "knockout": _hosts(ko_positive // 5, 20)} for r in range(5)}
    v = judge(by_root)
    assert v["wild_type"] == [10, 100] and v["knockout"] == [ko_positive // 5 * 5, 100]
    assert v["hit"] is hit
    lo, hi = v["observed_ci"]
    assert (lo <= v["predicted"] <= hi) is hit
    assert len(v["per_root"]) == 5


def test_a_small_run_is_labelled_a_smoke_run_and_never_a_verdict():
    (check,) = lung_h4.run(roots=(1,), hosts=1, window=30, days=2.0)
    assert check.id == "heldout.h4_ifng_knockout_lung"
    assert not check.passed and not check.extra["full_size"]
    assert "smoke size" in check.notes
    assert check.extra["knockout"][1] == check.extra["wild_type"][1] == 1


def test_the_knockout_host_makes_no_ifn_gamma_and_changes_nothing_else():
    ko = {k.replace(".", "__"): v for k, v in lung_h4.KNOCKOUT.items()}
    wt, knock = TumorImmuneModel(rng=5, lattice__width_sites=40, lattice__height_sites=40), \
        TumorImmuneModel(rng=5, lattice__width_sites=40, lattice__height_sites=40, **ko)
    wt.run_days(3.0)
    knock.run_days(3.0)
    assert wt.fields["ifn_gamma"].values.max() > 0.0
    assert knock.fields["ifn_gamma"].values.max() == 0.0
    a, b = ({name: value for name, value, *_ in m.p.leaves()} for m in (wt, knock))
    assert {k for k in a if a[k] != b[k]} == set(lung_h4.KNOCKOUT)
