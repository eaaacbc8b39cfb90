"""Pharmacokinetics and schedules: half-life, bolus superposition, infusions, dose times -> steps.

Concentration after step ``k`` (time ``k dt``) is the exact one-compartment
solution ``sum_i dose * 2**(-(k dt - t_i) / half_life)`` over the boluses given
at times ``t_i < k dt``; these tests hold the model to that formula at float
precision, and to the same values whatever the time step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import TREATMENTS, TumorImmuneModel, make_treatment
from model.therapy import CONTINUOUS, Treatment

from treatment_twins import quiet

DRUGS = [k for k, cls in TREATMENTS.items() if cls.allows_continuous]
ONE_OFF = [k for k, cls in TREATMENTS.items() if not cls.allows_continuous]


def concentrations(model: TumorImmuneModel, steps: int):
    for _ in range(steps):
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    return df


def analytic(hours: np.ndarray, dose_hours: list[float], dose: float, half_life: float) -> np.ndarray:
    out = np.zeros_like(hours, dtype=float)
    for t in dose_hours:
        given = hours > t + 1e-9
        out[given] += dose * 2.0 ** (-(hours[given] - t) / half_life)
    return out


# =========================================================================== half-life


@pytest.mark.parametrize("kind", list(TREATMENTS))
def test_concentration_halves_after_each_half_life(kind):
    """Every treatment's reported concentration halves every ``half_life_hours`` (to float precision)."""
    half_life, dt = 6.0, 0.5
    dose = 0.5 if kind in ("surgery", "irf7_restoration") else 3.0
    t = make_treatment({"type": kind, "dose": dose, "start_day": 0.25, "doses": 1, "half_life_hours": half_life})
    model = quiet(0, 20, {"lattice.dt_hours": dt}, [t], days=3.0, empty=False)
    df = concentrations(model, 72)
    c = df[f"{kind}_concentration"].to_numpy()
    hours = df["hours"].to_numpy()
    first = int(np.flatnonzero(c > 0)[0])
    assert hours[first] == pytest.approx(6.0 + dt), "a bolus at 6 h is in the concentration reported at 6.5 h"
    per_half_life = int(half_life / dt)
    for k in range(first, first + 3 * per_half_life):
        assert c[k + per_half_life] == pytest.approx(c[k] / 2.0, rel=1e-12, abs=0.0)
    np.testing.assert_allclose(c, analytic(hours, [6.0], dose, half_life), rtol=1e-12, atol=0.0)


def test_concentration_is_zero_before_the_first_dose_and_never_negative():
    t = make_treatment({"type": "chemotherapy", "start_day": 1.0})
    df = concentrations(quiet(0, 10, treatments=[t], days=4.0), 4 * 48)
    c = df["chemotherapy_concentration"].to_numpy()
    assert (c[df["hours"].to_numpy() <= 24.0] == 0).all()
    assert (c >= 0).all() and np.isfinite(c).all()
    assert c[-1] == pytest.approx(10.0 * 2 ** (-72 / 20), rel=1e-12), "3.6 half-lives of 20 h after the bolus"


# =========================================================================== boluses add


def test_doses_add_at_scheduled_times():
    """Four boluses every 12 h with a 24 h half-life: jumps of exactly ``dose`` on top of the residual."""
    dose, half_life, dt = 2.0, 24.0, 0.5
    spec = {"type": "checkpoint_blockade", "dose": dose, "start_day": 0.5, "interval_days": 0.5, "doses": 4,
            "half_life_hours": half_life}
    t = make_treatment(spec)
    assert t.dose_times_days() == [0.5, 1.0, 1.5, 2.0]
    model = quiet(0, 10, {"lattice.dt_hours": dt}, [t], days=4.0)
    df = concentrations(model, 4 * 48)
    c = df["checkpoint_blockade_concentration"].to_numpy()
    hours = df["hours"].to_numpy()
    np.testing.assert_allclose(c, analytic(hours, [12.0, 24.0, 36.0, 48.0], dose, half_life), rtol=1e-12)
    keep = 2.0 ** (-dt / half_life)
    for dose_hour in (12.0, 24.0, 36.0, 48.0):
        k = int(np.flatnonzero(np.isclose(hours, dose_hour))[0])
        # c[k + 1] = (c[k] + dose) * keep: the bolus lands on top of what is left
        assert c[k + 1] == pytest.approx((c[k] + dose) * keep, rel=1e-12)
    assert c.max() > dose * 2.5, "overlapping doses accumulate"


def test_two_doses_at_the_same_time_add():
    t = make_treatment({"type": "vaccine", "dose": 1.5, "start_day": 1.0, "doses": 1, "half_life_hours": 10.0})
    u = make_treatment({"type": "vaccine", "dose": 1.5, "start_day": 1.0, "doses": 1, "half_life_hours": 10.0})
    model = quiet(0, 10, treatments=[t, u], days=2.0)
    df = concentrations(model, 60)
    assert list(df.filter(like="_concentration").columns) == ["vaccine_concentration", "vaccine_2_concentration"]
    np.testing.assert_array_equal(df["vaccine_concentration"], df["vaccine_2_concentration"])


@pytest.mark.parametrize("dt", [0.5, 0.25])
def test_dose_times_convert_to_steps(dt):
    """A bolus at day t is given at the start of the step containing t (step k covers [(k-1) dt, k dt))."""
    times = [0.0, 0.3, 1.0, 1.0 + 1 / 3]
    for start in times:
        t = make_treatment({"type": "anti_osm", "start_day": start, "doses": 1})
        model = quiet(0, 10, {"lattice.dt_hours": dt}, [t], days=3.0)
        t_h = start * 24.0
        expected_step = math.floor(t_h / dt + 1e-9) + 1
        assert t._dose_steps == [expected_step]
        given_at = (expected_step - 1) * dt
        assert t_h - dt < given_at <= t_h + 1e-9


def test_time_step_halving_gives_the_same_concentrations():
    """dt 0.5 h and 0.25 h: same dose hours, same concentration at every common time point."""
    spec = {"type": "interferon_dosing", "dose": 4.0, "start_day": 0.25, "interval_days": 0.75, "doses": 4,
            "half_life_hours": 2.9}
    frames = {}
    for dt in (0.5, 0.25):
        t = make_treatment(spec)
        model = quiet(0, 10, {"lattice.dt_hours": dt}, [t], days=4.0)
        frames[dt] = concentrations(model, int(4 * 24 / dt)).set_index("hours")["interferon_dosing_concentration"]
        assert [(s - 1) * dt for s in t._dose_steps] == [6.0, 24.0, 42.0, 60.0]
    coarse, fine = frames[0.5], frames[0.25]
    common = fine.loc[coarse.index]
    np.testing.assert_allclose(common.to_numpy(), coarse.to_numpy(), rtol=1e-12, atol=1e-300)


# =========================================================================== continuous


def test_continuous_infusion_approaches_dose_then_washes_out():
    dose, half_life, dt = 5.0, 12.0, 0.5
    spec = {"type": "hormone_therapy", "dose": dose, "start_day": 1.0, "doses": CONTINUOUS, "stop_day": 4.0,
            "half_life_hours": half_life}
    t = make_treatment(spec)
    assert t.continuous and t.dose_times_days() == [1.0]
    model = quiet(0, 10, {"lattice.dt_hours": dt}, [t], days=6.0)
    df = concentrations(model, 6 * 48)
    hours = df["hours"].to_numpy()
    c = df["hormone_therapy_concentration"].to_numpy()
    on, stop = 24.0, 96.0
    expect = np.where(hours <= on, 0.0, dose * (1 - 2.0 ** (-(np.minimum(hours, stop) - on) / half_life)))
    expect = np.where(hours > stop, expect * 2.0 ** (-(hours - stop) / half_life), expect)
    np.testing.assert_allclose(c, expect, rtol=1e-10, atol=1e-12)
    assert c.max() == pytest.approx(dose * (1 - 2.0 ** (-6)), rel=1e-10)


def test_continuous_infusion_runs_to_the_end_by_default_and_is_dt_independent():
    values = {}
    for dt in (0.5, 0.25):
        t = make_treatment({"type": "chemotherapy", "dose": 2.0, "start_day": 0.5, "doses": "continuous",
                            "half_life_hours": 20.0})
        model = quiet(0, 10, {"lattice.dt_hours": dt}, [t], days=3.0)
        df = concentrations(model, int(3 * 24 / dt)).set_index("hours")
        values[dt] = df["chemotherapy_concentration"]
    np.testing.assert_allclose(values[0.25].loc[values[0.5].index], values[0.5], rtol=1e-12, atol=1e-300)
    assert values[0.5].iloc[-1] == pytest.approx(2.0 * (1 - 2 ** (-60 / 20)), rel=1e-12)


# =========================================================================== schedules


def test_schedule_lists_dose_times():
    t = make_treatment({"type": "radiotherapy", "start_day": 5, "interval_days": 1, "doses": 5})
    assert t.dose_times_days() == [5, 6, 7, 8, 9]
    assert make_treatment("chemotherapy").dose_times_days() == [3.0]


def test_every_dose_of_a_schedule_is_given_once():
    """Five fractions: the lethally-irradiated counter rises at exactly five steps."""
    t = make_treatment({"type": "radiotherapy", "dose": 2.0, "start_day": 0.5, "interval_days": 0.5, "doses": 5})
    model = quiet(1, 30, {"tumor.initial_radius_sites": 20.0}, [t], days=4.0, empty=False)
    marked = []
    for _ in range(4 * 48):
        before = model.counters["tumor_cells_lethally_irradiated"]
        model.step()
        if model.counters["tumor_cells_lethally_irradiated"] != before:
            marked.append(model.hours - model.dt)
    assert marked == [12.0, 24.0, 36.0, 48.0, 60.0]


def test_last_dose_just_before_the_end_is_allowed_and_given():
    t = make_treatment({"type": "surgery", "dose": 0.5, "start_day": 1.99}, duration_days=2.0)
    model = quiet(0, 20, {"tumor.initial_radius_sites": 5.0}, [t], days=2.0, empty=False)
    n0 = model.tumor_cell_count
    model.run_days(2.0)
    assert not model.running
    assert model.counters["tumor_deaths_surgery"] == round(0.5 * n0)


def test_whole_float_dose_count_from_toml_is_accepted():
    t = make_treatment({"type": "checkpoint_blockade", "doses": 3.0, "interval_days": 7})
    assert t.doses == 3 and isinstance(t.doses, int)


def test_bind_resets_the_pk_state_for_a_new_model():
    t = make_treatment({"type": "anti_osm", "start_day": 0.0, "doses": 1})
    m1 = quiet(0, 10, treatments=[t], days=2.0)
    m1.run_days(1.0)
    assert t.concentration > 0
    m2 = quiet(0, 10, treatments=[t], days=2.0)
    assert t.concentration == 0.0 and t._model is m2


def test_spec_rebuilds_an_equal_treatment():
    for kind in TREATMENTS:
        t = make_treatment(kind)
        again = make_treatment(t.spec())
        assert again == t and type(again) is type(t)


def test_base_class_is_not_registered():
    assert Treatment not in TREATMENTS.values()
    assert set(DRUGS) | set(ONE_OFF) == set(TREATMENTS)
