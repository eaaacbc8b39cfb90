"""Combinations are plain lists; commuting treatments give bit-identical runs in any order.

Continuous effects combine order-free (blocking fractions as independent events,
multipliers multiply, rates add), so list order cannot matter for drugs. One-off
actions (depletion, irradiation, transfer, resection) consume random numbers at
their dose step; on different steps they commute too. On the same step they
follow list order, which is deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import TREATMENTS, TumorImmuneModel, make_treatment
from model.therapy import Chemotherapy, CheckpointBlockade, RuleModifiers

from treatment_twins import overrides_for


def run(specs, seed=3, days=3.0, size=40, profile=()):
    flat = overrides_for(profile, {"lattice.width_sites": size, "lattice.height_sites": size})
    model = TumorImmuneModel(rng=seed, treatments=[make_treatment(s, days) for s in specs], duration_days=days,
                             **{k.replace(".", "__"): v for k, v in flat.items()})
    model.run_days(days)
    df = model.datacollector.get_model_vars_dataframe()
    return model, df[sorted(df.columns)]


def assert_bit_identical(a, b):
    (ma, da), (mb, db) = a, b
    pd.testing.assert_frame_equal(da, db, check_exact=True)
    np.testing.assert_array_equal(ma.cell_type_image(), mb.cell_type_image())
    for name in ma.fields:
        np.testing.assert_array_equal(ma.fields[name].values, mb.fields[name].values)


CPB = {"type": "checkpoint_blockade", "start_day": 0.5, "doses": 1}
CHEMO = {"type": "chemotherapy", "start_day": 1.0}

PAIRS = {
    "checkpoint + chemotherapy": [CPB, CHEMO],
    "hormone + HER2 (both brake proliferation)": [
        {"type": "hormone_therapy", "start_day": 0.5, "doses": 2},
        {"type": "her2_targeted", "start_day": 0.5, "doses": 1},
    ],
    "radiotherapy day 1 + Treg depletion day 2 (one-off actions on different steps)": [
        {"type": "radiotherapy", "start_day": 1.0, "doses": 1},
        {"type": "treg_depletion", "start_day": 2.0, "doses": 1},
    ],
    "vaccine + adoptive transfer day 1.5": [
        {"type": "vaccine", "start_day": 0.5, "doses": 1},
        {"type": "adoptive_transfer", "start_day": 1.5, "dose": 20},
    ],
}


@pytest.mark.parametrize("case", list(PAIRS))
def test_a_b_and_b_a_are_bit_identical(case):
    a, b = PAIRS[case]
    profile = ("er_positive", "her2_positive") if "HER2" in case else ()
    ab = run([a, b], profile=profile)
    assert_bit_identical(ab, run([b, a], profile=profile))
    _, untreated = run([], profile=profile)
    assert not ab[1]["tumor_cells"].equals(untreated["tumor_cells"]), "the combination must change the run"


def test_all_drugs_together_in_reverse_order_are_bit_identical():
    drugs = [
        CPB,
        CHEMO,
        {"type": "interferon_dosing", "start_day": 0.5, "interval_days": 1, "doses": 2},
        {"type": "anti_osm", "start_day": 0.5, "doses": 1},
        {"type": "vaccine", "start_day": 0.5, "doses": 1},
        {"type": "hormone_therapy", "start_day": 0.0, "doses": 2},
        {"type": "her2_targeted", "start_day": 0.0, "doses": 1},
    ]
    profile = ("er_positive", "her2_positive")
    assert_bit_identical(run(drugs, profile=profile, days=2.5), run(drugs[::-1], profile=profile, days=2.5))


def test_combined_effects_are_order_free_and_as_documented():
    """Blocking fractions combine as independent events, multipliers multiply."""
    model, _ = run([], days=0.5, size=20)
    a = make_treatment({"type": "checkpoint_blockade", "max_blockade": 0.6})
    b = make_treatment({"type": "checkpoint_blockade", "max_blockade": 0.3})
    m_ab, m_ba = RuleModifiers(), RuleModifiers()
    a.effect(model, m_ab, 1.0)
    b.effect(model, m_ab, 1.0)
    b.effect(model, m_ba, 1.0)
    a.effect(model, m_ba, 1.0)
    assert m_ab == m_ba
    assert m_ab.pd1_blockade == pytest.approx(1 - (1 - 0.3) * (1 - 0.15))
    assert m_ab.exhaustion_factor == pytest.approx((1 - 0.25) * (1 - 0.25))


def test_same_step_one_off_actions_follow_list_order():
    """Surgery then radiotherapy on one step: the fraction irradiates only the cells left after resection."""
    surgery = {"type": "surgery", "dose": 0.5, "start_day": 1.0}
    radio = {"type": "radiotherapy", "dose": 2.0, "start_day": 1.0, "doses": 1}
    ms, _ = run([surgery, radio], days=1.5, size=30)
    mr, _ = run([radio, surgery], days=1.5, size=30)
    # resection after irradiation removes irradiated cells too, so fewer marked cells remain alive
    n_s = ms.counters["tumor_cells_lethally_irradiated"]
    n_r = mr.counters["tumor_cells_lethally_irradiated"]
    assert n_s < n_r
    again, _ = run([surgery, radio], days=1.5, size=30)
    assert again.counters == ms.counters


def test_same_type_twice_gets_two_columns_and_two_pk_states():
    specs = [{"type": "chemotherapy", "start_day": 0.5, "dose": 2.0},
             {"type": "chemotherapy", "start_day": 1.5, "dose": 8.0}]
    model, df = run(specs, days=2.5, size=20)
    assert [t.name for t in model.treatments] == ["chemotherapy", "chemotherapy_2"]
    first, second = df["chemotherapy_concentration"], df["chemotherapy_2_concentration"]
    assert first.max() == pytest.approx(2.0 * 2 ** (-0.5 / 20))
    assert second.max() == pytest.approx(8.0 * 2 ** (-0.5 / 20))
    assert (second[df["hours"] <= 36.0] == 0).all()


def test_every_treatment_type_in_one_list_runs():
    specs = [{"type": k, "start_day": 0.5, "doses": 1, **({"dose": 0.3} if k == "surgery" else {})}
             for k in TREATMENTS]
    model, df = run(specs, days=1.5, size=30)
    for k in TREATMENTS:
        assert df[f"{k}_concentration"].max() > 0, k
