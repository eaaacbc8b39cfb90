"""Scenario registry, TOML round trips, the user example and the documentation."""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import tomllib
from pathlib import Path

import numpy as np
import pytest

from model import (
    PROFILES,
    TREATMENTS,
    TherapyScenario,
    TumorImmuneModel,
    get_scenario,
    list_profiles,
    list_scenarios,
    load_scenario,
)
from model.scenarios import registered_names
from model.scenarios import scenario as scenario_module

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "my_scenario.toml"
DOC = ROOT / "docs" / "scenarios.md"

REQUIRED = [
    "untreated",
    "checkpoint_blockade",
    "interferon_dosing",
    "anti_osm",
    "treg_depletion",
    "chemotherapy",
    "chemo_plus_checkpoint",
    "radiotherapy_plus_checkpoint",
    "irf7_silenced",
    "irf7_silenced_plus_interferon",
    "adoptive_transfer",
    "vaccine_plus_checkpoint",
]
SMALL = {"lattice__width_sites": 20, "lattice__height_sites": 20}


# =========================================================================== registry


def test_list_scenarios_has_the_required_names_with_descriptions():
    listed = list_scenarios()
    for name in REQUIRED:
        assert name in listed, name
    for name, description in listed.items():
        assert isinstance(description, str) and 10 <= len(description) <= 120, (name, description)
        assert "\n" not in description


def test_list_profiles_covers_the_issue():
    profiles = list_profiles()
    for name in ["hot", "cold", "irf7_silenced", "immunocompromised", "triple_negative", "er_positive",
                 "her2_positive"]:
        assert name in profiles and profiles[name]


@pytest.mark.parametrize("name", registered_names())
def test_every_registered_scenario_builds_a_model_with_its_treatments(name):
    sc = get_scenario(name)
    model = sc.make_model(rng=0, **SMALL)
    assert model.duration_days == sc.duration_days
    assert [t.kind for t in model.treatments] == [t["type"] for t in sc.treatments]
    cols = model.datacollector.get_model_vars_dataframe().columns
    for t in model.treatments:
        assert f"{t.name}_concentration" in cols


def test_get_scenario_returns_an_independent_copy():
    a = get_scenario("chemo_plus_checkpoint")
    a.treatments[0]["dose"] = 1.0
    a.overrides["tumor.division_rate_per_hour"] = 0.5
    b = get_scenario("chemo_plus_checkpoint")
    assert "dose" not in b.treatments[0]
    assert b.overrides == {}


def test_scenarios_and_profiles_do_what_their_names_say():
    p = get_scenario("irf7_silenced_plus_interferon").parameters()
    assert p.tumor.irf7_silenced_fraction == 1.0
    assert get_scenario("irf7_silenced_plus_interferon").treatments[0]["type"] == "interferon_dosing"
    assert get_scenario("hot_untreated").parameters().tumor.pd_l1_baseline > Parameters_default().tumor.pd_l1_baseline
    assert get_scenario("immunocompromised_untreated").parameters().host.immune_health < 1.0
    for name, profile in PROFILES.items():
        TherapyScenario("p", profile=(name,)).validate()


def Parameters_default():
    from model import Parameters

    return Parameters()


def test_profiles_apply_in_order_then_overrides():
    sc = TherapyScenario("x", profile=("triple_negative", "her2_positive"),
                         overrides={"tumor.division_rate_per_hour": 0.01})
    p = sc.parameters()
    assert p.tumor.her2_expression == 0.9  # the later profile wins
    assert p.tumor.division_rate_per_hour == 0.01  # overrides win over profiles


# =========================================================================== TOML


def rich_scenario() -> TherapyScenario:
    return TherapyScenario(
        name="rich",
        description="every kind of field",
        profile=("er_positive", "immunocompromised"),
        duration_days=21.5,
        overrides={"tumor.division_rate_per_hour": 0.025, "lattice.width_sites": 50, "fields.osm.decay_per_hour": 0.7},
        treatments=(
            {"type": "hormone_therapy", "doses": "continuous", "start_day": 0, "stop_day": 14.0, "dose": 5.0},
            {"type": "adoptive_transfer", "car_t": True, "dose": 40, "start_day": 3},
            {"type": "radiotherapy", "dose": 8.0, "doses": 3, "interval_days": 2.0, "start_day": 1.5},
            {"type": "checkpoint_blockade"},
        ),
    )


@pytest.mark.parametrize("name", registered_names())
def test_builtin_scenarios_round_trip_through_toml(tmp_path, name):
    sc = get_scenario(name)
    path = tmp_path / f"{name}.toml"
    path.write_text(sc.to_toml())
    assert load_scenario(path) == sc


def test_rich_scenario_round_trips_through_save_and_get_scenario(tmp_path):
    sc = rich_scenario().validate()
    path = sc.save(tmp_path / "rich.toml")
    again = get_scenario(str(path))
    assert again == sc
    assert get_scenario(path) == sc  # a Path works too
    assert TherapyScenario.from_dict(tomllib.loads(sc.to_toml())) == sc
    # the same models: parameters and treatments
    assert again.parameters() == sc.parameters()
    assert [t.spec() for t in again.build_treatments()] == [t.spec() for t in sc.build_treatments()]


def test_saved_toml_is_readable_with_array_of_tables(tmp_path):
    text = rich_scenario().to_toml()
    assert text.count("[[treatments]]") == 4
    assert "[parameters]" in text
    assert '"tumor.division_rate_per_hour" = 0.025' in text


def test_save_gives_ordinary_file_permissions(tmp_path):
    path = get_scenario("untreated").save(tmp_path / "u.toml")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_get_scenario_by_relative_toml_path(tmp_path, monkeypatch):
    get_scenario("anti_osm").save(tmp_path / "mine.toml")
    monkeypatch.chdir(tmp_path)
    assert get_scenario("mine.toml") == get_scenario("anti_osm")


def test_model_accepts_a_toml_path_as_scenario_name(tmp_path):
    path = rich_scenario().save(tmp_path / "rich.toml")
    model = TumorImmuneModel(scenario_name=str(path), rng=1, lattice__width_sites=20, lattice__height_sites=20)
    assert model.scenario_definition.name == "rich"
    assert model.p.host.immune_health == PROFILES["immunocompromised"].overrides["host.immune_health"]
    assert [t.name for t in model.treatments][:2] == ["hormone_therapy", "adoptive_transfer"]


def test_unquoted_dotted_parameter_keys_mean_the_same(tmp_path):
    quoted = tmp_path / "q.toml"
    quoted.write_text('name = "x"\n[parameters]\n"tumor.division_rate_per_hour" = 0.02\n'
                      '"fields.osm.decay_per_hour" = 0.4\n')
    bare = tmp_path / "b.toml"
    bare.write_text('name = "x"\n[parameters]\ntumor.division_rate_per_hour = 0.02\nfields.osm.decay_per_hour = 0.4\n')
    assert load_scenario(quoted) == load_scenario(bare)
    assert load_scenario(bare).parameters().fields.osm.decay_per_hour == 0.4


def test_minimal_toml_uses_documented_defaults(tmp_path):
    path = tmp_path / "min.toml"
    path.write_text('name = "minimal"\n')
    sc = load_scenario(path)
    assert sc.profile == ("default",) and sc.treatments == () and sc.duration_days == 30.0 and sc.overrides == {}
    path.write_text('name = "one"\nprofile = "hot"\ntreatments = ["vaccine"]\n')
    sc = load_scenario(path)
    assert sc.profile == ("hot",) and sc.treatments == ({"type": "vaccine"},)


def test_module_docstring_example_loads(tmp_path):
    text = scenario_module.__doc__.split("User scenarios live in TOML files::", 1)[1].split('"""')[0]
    lines = [line[4:] if line.startswith("    ") else line for line in text.strip("\n").splitlines()]
    path = tmp_path / "doc.toml"
    path.write_text("\n".join(lines).split("\n\n\n")[0] + "\n")
    sc = load_scenario(path)
    assert sc.name == "my_combo" and len(sc.treatments) == 2


# =========================================================================== the user example and the doc


def test_example_file_loads_and_runs():
    sc = get_scenario(str(EXAMPLE))
    assert sc.name == "tnbc_chemo_then_pd1"
    assert [t["type"] for t in sc.treatments] == ["chemotherapy", "checkpoint_blockade", "hormone_therapy"]
    model = sc.make_model(rng=2, lattice__width_sites=30, lattice__height_sites=30)
    model.run_days(3)
    df = model.datacollector.get_model_vars_dataframe()
    for col in ["chemotherapy_concentration", "checkpoint_blockade_concentration", "hormone_therapy_concentration"]:
        assert col in df.columns
    assert df["chemotherapy_concentration"].max() > 5
    assert model.p.tumor.er_expression == 0.0


def test_doc_describes_every_treatment_field_profile_and_scenario_key():
    text = DOC.read_text()
    for kind, cls in TREATMENTS.items():
        assert f"`{kind}`" in text, f"docs/scenarios.md does not describe treatment '{kind}'"
        for f in dataclasses.fields(cls):
            assert f"`{f.name}`" in text, f"docs/scenarios.md does not mention field '{f.name}' ({kind})"
    for name in PROFILES:
        assert f"`{name}`" in text, f"docs/scenarios.md does not describe profile '{name}'"
    for key in ["name", "description", "profile", "duration_days", "parameters", "treatments"]:
        assert f"`{key}`" in text
    for name in REQUIRED:
        assert f"`{name}`" in text
    assert "examples/my_scenario.toml" in text


def test_doc_defaults_match_the_code():
    """Every `field` | default row in the doc's treatment tables matches the dataclass default."""
    import re

    text = DOC.read_text()
    for kind, cls in TREATMENTS.items():
        section = text.split(f"### `{kind}`", 1)[1].split("\n### ", 1)[0]
        for f in dataclasses.fields(cls):
            m = re.search(rf"^\| `{f.name}` \| ([^|]+) \|", section, flags=re.M)
            assert m, f"{kind}: no table row for `{f.name}`"
            doc_default = m.group(1).strip().strip("`")
            value = f.default
            if isinstance(value, bool):
                expected = "true" if value else "false"
                assert doc_default == expected, (kind, f.name, doc_default, value)
            elif isinstance(value, float) and math.isinf(value):
                assert doc_default in ("inf", "end of run"), (kind, f.name, doc_default)
            else:
                assert float(doc_default) == pytest.approx(float(value)), (kind, f.name, doc_default, value)


# =========================================================================== data collection


def test_data_collector_records_each_treatment_concentration():
    sc = get_scenario("radiotherapy_plus_checkpoint")
    model = sc.make_model(rng=0, **SMALL)
    model.run_days(7)
    df = model.datacollector.get_model_vars_dataframe()
    rt, cpb = df["radiotherapy_concentration"], df["checkpoint_blockade_concentration"]
    assert (rt[df["days"] <= 5.0] == 0).all() and rt.max() > 2.0
    assert (cpb[df["days"] <= 5.0] == 0).all() and cpb.iloc[-1] > 9.0
    assert np.isfinite(df.filter(like="_concentration").to_numpy()).all()
