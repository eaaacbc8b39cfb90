"""Parameter tree: metadata on every leaf, and readable errors for bad values."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from model import ParameterError, Parameters, TumorImmuneModel, rate_to_probability
from model.engine.parameters import hill, hill_of_float, step_probabilities, step_probability


def _range_text(lo, hi) -> str:
    return f"[{lo}, {hi}]"


def _meta(name: str):
    for path, value, unit, rng, source in Parameters().leaves():
        if path == name:
            return value, unit, rng, source
    raise KeyError(name)


# --------------------------------------------------------------------------- metadata


def test_every_leaf_has_unit_range_and_source():
    leaves = list(Parameters().leaves())
    assert len(leaves) > 50
    for path, value, unit, (lo, hi), source in leaves:
        assert isinstance(unit, str) and unit.strip(), f"{path}: no unit"
        assert isinstance(source, str) and source.strip(), f"{path}: no source"
        assert lo is not None and hi is not None and lo <= hi, f"{path}: bad range {(lo, hi)}"
        assert lo <= value <= hi, f"{path}: default {value} outside [{lo}, {hi}]"


def test_defaults_validate_and_round_trip():
    p = Parameters().validate()
    flat = p.to_dict()
    assert set(flat) == set(p.names())
    assert Parameters.from_dict(flat) == p
    assert all("." in name for name in flat)


def test_replace_returns_validated_copy():
    p = Parameters()
    q = p.replace({"tumor.division_rate_per_hour": 0.05}, cd8__kill_rate_per_hour=1.0)
    assert q.tumor.division_rate_per_hour == 0.05 and q.cd8.kill_rate_per_hour == 1.0
    assert p.tumor.division_rate_per_hour != 0.05, "replace must not modify the original"


def test_integer_leaf_accepts_whole_float_and_normalises():
    q = Parameters().replace({"lattice.width_sites": 64.0})
    assert q.lattice.width_sites == 64 and isinstance(q.lattice.width_sites, int)


# --------------------------------------------------------------------------- bad values


BAD_VALUES = [
    # (case, dotted name, bad value, words the message must contain)
    ("negative rate", "tumor.division_rate_per_hour", -0.1, ["outside the allowed range"]),
    ("negative kill rate", "cd8.kill_rate_per_hour", -1.0, ["outside the allowed range"]),
    ("zero grid", "lattice.width_sites", 0, ["outside the allowed range"]),
    ("too-small grid", "lattice.height_sites", 4, ["outside the allowed range"]),
    ("probability > 1", "tumor.mutation_probability", 1.5, ["outside the allowed range"]),
    ("fraction > 1", "cd8.pd1_inhibition_max", 1.01, ["outside the allowed range"]),
    ("non-number", "tumor.division_rate_per_hour", "fast", ["not a number"]),
    ("bool is not a number", "cd8.speed_um_per_min", True, ["not a number"]),
    ("nan", "neutrophil.half_life_hours", float("nan"), ["not finite"]),
    ("field decay", "fields.osm.decay_per_hour", -0.5, ["outside the allowed range"]),
]


@pytest.mark.parametrize("case,name,value,words", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_replace_rejects_bad_value_naming_field_and_range(case, name, value, words):
    _, unit, (lo, hi), _ = _meta(name)
    with pytest.raises(ParameterError) as err:
        Parameters().replace({name: value})
    msg = str(err.value)
    assert name in msg, msg
    assert _range_text(lo, hi) in msg, f"range {_range_text(lo, hi)} missing from: {msg}"
    assert unit in msg, msg
    for w in words:
        assert w in msg, msg


def test_voxels_that_do_not_divide_the_lattice_are_refused_in_validation():
    # checked with the ranges (not only where the tissue is built), so a command refuses before it writes
    with pytest.raises(ParameterError, match=r"lattice.field_voxel_sites = 3 must divide lattice.width_sites \(200\)"
                                             r".*allowed here: \[1, 2, 4, 5, 8, 10\]"):
        Parameters().replace({"lattice.field_voxel_sites": 3})
    with pytest.raises(ParameterError, match="lattice.field_precision_bits = 48 must be 32 or 64"):
        Parameters().replace({"lattice.field_precision_bits": 48})
    ok = Parameters().replace({"lattice.field_voxel_sites": 4, "lattice.width_sites": 60, "lattice.height_sites": 40})
    assert ok.lattice.field_voxel_sites == 4


@pytest.mark.parametrize("case,name,value,words", BAD_VALUES[:6], ids=[c[0] for c in BAD_VALUES[:6]])
def test_validate_catches_values_set_by_attribute(case, name, value, words):
    p = Parameters()
    group, leaf = name.rsplit(".", 1)
    owner = p
    for part in group.split("."):
        owner = getattr(owner, part)
    setattr(owner, leaf, value)
    with pytest.raises(ParameterError, match=re.escape(name)):
        p.validate()


def test_fractional_grid_size_is_rejected():
    with pytest.raises(ParameterError, match=r"lattice\.width_sites = 50\.5 must be a whole number"):
        Parameters().replace({"lattice.width_sites": 50.5})


def test_one_error_lists_every_bad_field():
    with pytest.raises(ParameterError) as err:
        Parameters().replace({"tumor.division_rate_per_hour": -1.0, "lattice.width_sites": 0})
    msg = str(err.value)
    assert "tumor.division_rate_per_hour" in msg and "lattice.width_sites" in msg


@pytest.mark.parametrize(
    "typo,suggestion",
    [
        ("tumor.divison_rate_per_hour", "tumor.division_rate_per_hour"),
        ("cd8.kill_rate", "cd8.kill_rate_per_hour"),
        ("lattice.widht_sites", "lattice.width_sites"),
    ],
)
def test_unknown_name_suggests_close_match(typo, suggestion):
    with pytest.raises(ParameterError) as err:
        Parameters().replace({typo: 1.0})
    msg = str(err.value)
    assert f"unknown parameter '{typo}'" in msg
    assert f"did you mean '{suggestion}'" in msg


def test_unknown_name_without_close_match_still_names_it():
    with pytest.raises(ParameterError, match="unknown parameter 'zzz'"):
        Parameters().replace({"zzz": 1})


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


# --------------------------------------------------------------------------- through the model


def test_model_rejects_bad_override_with_same_message():
    with pytest.raises(ParameterError, match=r"lattice\.width_sites = 0 is outside the allowed range \[8, 4000\]"):
        TumorImmuneModel(rng=1, lattice__width_sites=0)
    with pytest.raises(ParameterError, match="did you mean 'tumor.division_rate_per_hour'"):
        TumorImmuneModel(rng=1, tumor__divison_rate_per_hour=0.1)


def test_model_validates_a_parameters_object_passed_in():
    p = Parameters()
    p.tumor.mutation_probability = 2.0
    with pytest.raises(ParameterError, match=re.escape("tumor.mutation_probability = 2.0 is outside the allowed range [0.0, 1.0]")):
        TumorImmuneModel(p, rng=1)


def test_model_rejects_nonpositive_duration():
    with pytest.raises(ParameterError, match="duration_days"):
        TumorImmuneModel(rng=1, duration_days=0, lattice__width_sites=10, lattice__height_sites=10)


# --------------------------------------------------------------------------- rate conversion


def test_rate_to_probability_composes_over_halved_steps():
    """1 - exp(-r dt): surviving two steps of dt/2 equals surviving one step of dt."""
    for rate in (0.0, 0.01, 0.5, 3.0, 60.0):
        p_full = float(rate_to_probability(rate, 0.5))
        p_half = float(rate_to_probability(rate, 0.25))
        assert 1 - p_full == pytest.approx((1 - p_half) ** 2, rel=1e-12)
        assert 0.0 <= p_full <= 1.0
    assert float(rate_to_probability(1e-12, 1.0)) == pytest.approx(1e-12, rel=1e-6)  # no cancellation
    assert math.isclose(float(rate_to_probability(math.log(2), 1.0)), 0.5)


def test_step_probability_is_the_remembered_scalar_rate_to_probability():
    for rate in (0.0, 1e-12, 0.0173, 0.5, math.log(2), 3.0, 40.0):
        for dt in (0.125, 0.5, 1.0):
            want = float(rate_to_probability(rate, dt))
            assert step_probability(rate, dt) == want and step_probability(rate, dt) == want  # miss, then hit
            assert type(step_probability(rate, dt)) is float


def test_step_probabilities_are_the_remembered_array_rate_to_probability():
    for rates in ((0.01, 0.1), (0.0, 1e-12, 3.0), (math.log(2),)):
        for dt in (0.125, 0.5):
            want = rate_to_probability(np.array(rates, dtype=float), dt)
            for _ in range(2):  # miss, then hit
                got = step_probabilities(rates, dt)
                assert all(type(p) is float for p in got)
                assert np.array_equal(np.array(got), want)


def test_hill_of_float_is_numpy_hill_bit_for_bit():
    values = (0.0, -0.0, 1e-300, 0.3, 1.0, 7.5, 1e300, -2.0, float("nan"), float("inf"))
    for c in values:
        for ec50 in (1.0, 0.25, 3.0):
            with np.errstate(invalid="ignore"):
                want = np.float64(hill(c, ec50))
            got = hill_of_float(c, ec50)
            assert type(got) is float and np.float64(got).tobytes() == want.tobytes()
