"""Bad input: one readable error per class, naming the key, the value and what is allowed.

Nothing half-written is left on disk when saving fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from model import (
    ParameterError,
    ScenarioError,
    TherapyScenario,
    TreatmentError,
    TumorImmuneModel,
    get_scenario,
    load_scenario,
    make_treatment,
)
import model.scenarios as scenarios_module


def message(exc_info) -> str:
    return str(exc_info.value)


def assert_names(msg: str, *parts: str) -> None:
    for part in parts:
        assert part in msg, f"expected {part!r} in the error message: {msg}"


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# =========================================================================== treatments


def test_unknown_treatment_suggests_close_match():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "chemoterapy"})
    assert_names(message(e), "unknown treatment type 'chemoterapy'", "did you mean 'chemotherapy'?", "allowed:",
                 "checkpoint_blockade", "her2_targeted")


def test_unknown_treatment_without_close_match_lists_all():
    with pytest.raises(TreatmentError) as e:
        make_treatment("homeopathy")
    msg = message(e)
    assert_names(msg, "'homeopathy'", "allowed:", "radiotherapy")
    assert "did you mean" not in msg


def test_missing_treatment_type():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"dose": 3})
    assert_names(message(e), "missing 'type'", "chemotherapy")


def test_unknown_treatment_field_suggests_close_match():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "checkpoint_blockade", "half_life_hour": 3})
    assert_names(message(e), "checkpoint_blockade", "unknown field 'half_life_hour'",
                 "did you mean 'half_life_hours'?", "allowed:", "max_blockade")


@pytest.mark.parametrize("dose", [-1, -0.5, float("nan"), float("inf")])
def test_negative_or_non_finite_dose(dose):
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "chemotherapy", "dose": dose})
    assert_names(message(e), "treatment 'chemotherapy'", f"dose = {dose!r}", "must be a number >= 0")


def test_dose_that_is_not_a_number():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "vaccine", "dose": "lots"})
    assert_names(message(e), "vaccine", "dose = 'lots'", "must be a number")


@pytest.mark.parametrize("interval", [0, -7])
def test_interval_not_positive_with_several_doses(interval):
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "checkpoint_blockade", "doses": 3, "interval_days": interval})
    assert_names(message(e), "checkpoint_blockade", f"interval_days = {interval!r}", "must be > 0", "doses = 3")


def test_negative_interval_for_a_single_dose():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "chemotherapy", "doses": 1, "interval_days": -1})
    assert_names(message(e), "interval_days = -1", ">= 0")


@pytest.mark.parametrize("doses", [0, -2, 2.5, True, "sometimes"])
def test_bad_number_of_doses(doses):
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "chemotherapy", "doses": doses, "interval_days": 7})
    assert_names(message(e), f"doses = {doses!r}", "whole number >= 1", '"continuous"')


def test_negative_start_day():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "anti_osm", "start_day": -1})
    assert_names(message(e), "anti_osm", "start_day = -1", ">= 0")


@pytest.mark.parametrize("half_life", [0, -3])
def test_non_positive_half_life(half_life):
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "anti_osm", "half_life_hours": half_life})
    assert_names(message(e), f"half_life_hours = {half_life!r}", "must be > 0")


def test_schedule_beyond_the_run():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "checkpoint_blockade", "start_day": 5, "interval_days": 7, "doses": 4},
                       duration_days=20)
    assert_names(message(e), "checkpoint_blockade", "last dose at day 26", "start_day 5 + 3 x interval_days 7",
                 "duration_days = 20", "before day 20")


def test_schedule_beyond_the_run_is_caught_when_the_model_is_built():
    t = make_treatment({"type": "surgery", "start_day": 12})
    with pytest.raises(TreatmentError) as e:
        TumorImmuneModel(rng=0, treatments=[t], duration_days=10, lattice__width_sites=10, lattice__height_sites=10)
    assert_names(message(e), "surgery", "day 12", "duration_days = 10")


def test_continuous_start_beyond_the_run():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "hormone_therapy", "doses": "continuous", "start_day": 40}, duration_days=30)
    assert_names(message(e), "hormone_therapy", "infusion starts at day 40", "duration_days = 30")


def test_continuous_is_refused_for_one_off_treatments():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "surgery", "doses": "continuous"})
    assert_names(message(e), "surgery", 'doses = "continuous" is not allowed', "whole number of doses")


def test_continuous_stop_before_start():
    with pytest.raises(TreatmentError) as e:
        make_treatment({"type": "chemotherapy", "doses": "continuous", "start_day": 5, "stop_day": 2})
    assert_names(message(e), "stop_day = 2", "after start_day = 5")


@pytest.mark.parametrize("spec,words", [
    ({"type": "surgery", "dose": 1.5}, ["surgery", "dose = 1.5", "[0.0, 1.0]"]),
    ({"type": "irf7_restoration", "dose": 2}, ["irf7_restoration", "dose = 2", "[0.0, 1.0]"]),
    ({"type": "checkpoint_blockade", "max_blockade": 1.2}, ["max_blockade = 1.2", "[0.0, 1.0]"]),
    ({"type": "radiotherapy", "lymphocyte_d0_gy": 0}, ["lymphocyte_d0_gy = 0", "[0.001, 100.0]"]),
    ({"type": "adoptive_transfer", "dose": 10.5}, ["adoptive_transfer", "dose = 10.5", "whole number of cells"]),
    ({"type": "adoptive_transfer", "car_t": "yes"}, ["car_t = 'yes'", "true or false"]),
])
def test_treatment_specific_fields_are_range_checked(spec, words):
    with pytest.raises(TreatmentError) as e:
        make_treatment(spec)
    assert_names(message(e), *words)


def test_errors_are_value_errors():
    assert issubclass(TreatmentError, ParameterError) and issubclass(ScenarioError, ParameterError)
    assert issubclass(ParameterError, ValueError)


# =========================================================================== scenarios


def test_unknown_scenario_suggests_close_match():
    with pytest.raises(ScenarioError) as e:
        get_scenario("checkpoint_blokade")
    assert_names(message(e), "unknown scenario 'checkpoint_blokade'", "did you mean 'checkpoint_blockade'?",
                 "available:", "untreated")


def test_unknown_scenario_name_in_the_model():
    with pytest.raises(ScenarioError) as e:
        TumorImmuneModel(scenario_name="chemo_plus_checkpont")
    assert_names(message(e), "'chemo_plus_checkpont'", "did you mean 'chemo_plus_checkpoint'?")


def test_missing_scenario_file():
    with pytest.raises(ScenarioError) as e:
        get_scenario("no/such/file.toml")
    assert_names(message(e), "no/such/file.toml", "does not exist")


def test_unknown_parameter_override(tmp_path):
    path = write(tmp_path, 'name = "x"\n[parameters]\n"tumor.divison_rate_per_hour" = 0.05\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), str(path), "unknown parameter 'tumor.divison_rate_per_hour'",
                 "did you mean 'tumor.division_rate_per_hour'?")


def test_parameter_override_out_of_range(tmp_path):
    path = write(tmp_path, 'name = "x"\n[parameters]\n"host.immune_health" = 7\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "host.immune_health = 7", "[0.0, 2.0]")


def test_unknown_profile(tmp_path):
    path = write(tmp_path, 'name = "x"\nprofile = ["hot", "triple_negativ"]\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "unknown profile 'triple_negativ'", "did you mean 'triple_negative'?", "available:",
                 "er_positive")


def test_profile_of_the_wrong_type(tmp_path):
    path = write(tmp_path, 'name = "x"\nprofile = 3\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "profile = 3", "profile name", "hot")


def test_malformed_toml(tmp_path):
    path = write(tmp_path, 'name = "x"\n[[treatments]]\ntype = "chemotherapy\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    msg = message(e)
    assert_names(msg, str(path), "not valid TOML")
    assert re.search(r"line 3", msg), msg


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "not UTF-8")


def test_unknown_toml_key_suggests_close_match(tmp_path):
    path = write(tmp_path, 'name = "x"\nduration = 20\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), str(path), "unknown key 'duration'", "did you mean 'duration_days'?", "allowed:",
                 "treatments")


def test_unknown_treatment_in_toml_names_file_and_suggests(tmp_path):
    path = write(tmp_path, 'name = "x"\n[[treatments]]\ntype = "anti_osn"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), str(path), "scenario 'x'", "unknown treatment type 'anti_osn'", "did you mean 'anti_osm'?")


def test_treatment_schedule_beyond_scenario_duration(tmp_path):
    path = write(tmp_path, 'name = "x"\nduration_days = 10\n[[treatments]]\ntype = "chemotherapy"\nstart_day = 10\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "chemotherapy", "day 10", "duration_days = 10")


def test_negative_dose_in_toml(tmp_path):
    path = write(tmp_path, 'name = "x"\n[[treatments]]\ntype = "radiotherapy"\ndose = -2\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert_names(message(e), "radiotherapy", "dose = -2", ">= 0", "Gy per fraction")


@pytest.mark.parametrize("text,words", [
    ('description = "no name"\n', ["missing required key 'name'"]),
    ('name = "x"\ntreatments = "chemotherapy"\n', ["'treatments' must be an array of tables"]),
    ('name = "x"\nparameters = 3\n', ["'parameters' must be a table"]),
    ('name = "x"\nduration_days = -5\n', ["duration_days = -5", "> 0"]),
    ('name = "x"\nduration_days = "30"\n', ["duration_days = '30'", "must be a number"]),
    ('name = ""\n', ["'name' must be a non-empty string"]),
])
def test_other_malformed_scenarios(tmp_path, text, words):
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, text))
    assert_names(message(e), *words)


def test_registering_a_name_twice():
    with pytest.raises(ScenarioError) as e:
        scenarios_module.register_scenario(TherapyScenario("untreated"))
    assert_names(message(e), "'untreated'", "already registered", "replace=True")


# =========================================================================== atomic save


def test_save_leaves_no_partial_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "s.toml"
    sc = get_scenario("chemo_plus_checkpoint")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        sc.save(target)
    assert list(tmp_path.iterdir()) == [], "neither the target nor a temporary file may remain"


def test_save_keeps_the_old_file_when_replacing_fails(tmp_path, monkeypatch):
    target = tmp_path / "s.toml"
    get_scenario("untreated").save(target)
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="rename refused"):
        get_scenario("chemotherapy").save(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def test_save_refuses_an_invalid_scenario_and_writes_nothing(tmp_path):
    bad = TherapyScenario("bad", treatments=[{"type": "chemotherapy", "dose": -1}])
    with pytest.raises(ScenarioError, match="dose = -1"):
        bad.save(tmp_path / "bad.toml")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_values_toml_cannot_hold(tmp_path):
    bad = TherapyScenario("bad", overrides={"tumor.division_rate_per_hour": None})
    with pytest.raises((ScenarioError, TypeError)):
        bad.save(tmp_path / "bad.toml")
    assert list(tmp_path.iterdir()) == []
