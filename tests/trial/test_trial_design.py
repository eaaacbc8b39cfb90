"""Trial design files: shipped designs load; bad files fail with a named error before anything runs."""

import tomllib
from pathlib import Path

import pytest

from experiments.trial.design import SHIPPED_DESIGNS, TrialDesignError, design_from_dict, load_design


def _base() -> dict:
    return tomllib.loads((SHIPPED_DESIGNS / "impassion130_like.toml").read_text())


def test_shipped_designs_load():
    for name in ("keynote086_like", "impassion130_like", "keynote355_like"):
        d = load_design(name)
        assert d.arms and d.analyses and d.followup_months >= 12
    imp = load_design("impassion130_like")
    assert {a.role for a in imp.analyses} == {"calibration", "held_out"}
    assert all(a.population == "biomarker_positive" for a in imp.analyses)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["trial"].update(patients=0), r"trial.patients = 0 must be a whole number"),
    (lambda d: d["trial"].update(pateints=3), r"unknown field 'trial.pateints'; did you mean 'patients'"),
    (lambda d: d["population"].update(subtype="luminal"), r"population.subtype = 'luminal' must be one of"),
    (lambda d: d["population"].update(profiles=["warm"]), r"population.profiles"),
    (lambda d: d["biomarker"].update(cutoff=-1), r"biomarker.cutoff = -1"),
    (lambda d: d["scans"].update(followup_months=6), r"scans.followup_months = 6 must be .* \[12"),
    (lambda d: d["arm"][1]["treatments"][0].update(type="chemo"), r"arm\[1\].treatments\[0\]: unknown treatment type 'chemo'"),
    (lambda d: d["arm"][0].update(name="chemo arm"), r"arm\[0\].name"),
    (lambda d: d["arm"][0]["treatments"].append("chemotherapy"), r"arm\[0\].treatments\[1\]: expected a table"),
    (lambda d: d["arm"][0]["treatments"][0].update(interval_days=9.0), r"arm\[0\].treatments\[0\].*before the end"),
    (lambda d: d["analysis"][0].update(arm="placebo"), r"analysis\[0\].arm = 'placebo' is not an arm"),
    (lambda d: d["analysis"][1].update(population="pdl1"), r"analysis\[1\].population = 'pdl1'"),
    (lambda d: d["analysis"][1]["targets"].update(os=3), r"unknown field 'analysis\[1\].targets.os'"),
    (lambda d: d.update(lesion={"kill_scale": -2}), r"lesion.kill_scale = -2"),
])
def test_bad_designs_name_the_field(edit, message):
    d = _base()
    edit(d)
    with pytest.raises(TrialDesignError, match=message):
        design_from_dict(d)


def test_arm_schedules_count_from_the_fork():
    d = _base()
    del d["arm"][0]["treatments"][0]["start_day"]  # the treatment type's own default (day 3) must not apply
    arm = design_from_dict(d).arms[0]
    assert arm.treatments[0]["start_day"] == 0.0


def test_bad_files(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[trial\nname='x'")
    with pytest.raises(TrialDesignError, match="not valid TOML"):
        load_design(bad)
    with pytest.raises(TrialDesignError, match="not found .*impassion130_like"):
        load_design(tmp_path / "missing.toml")
