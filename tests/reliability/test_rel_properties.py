"""Property-based: random bad inputs to the CLI, the TOML loader and the API are refused cleanly.

Every bad input must give a non-zero exit status (CLI) or the project's own
exception type (API, TOML), a message naming the offending field, no
traceback, and nothing written -- before any simulation starts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments import ExperimentError, compare
from experiments.cli import main
from experiments.limits import MAX_REPLICATES
from model import ParameterError, Parameters, TumorImmuneModel, load_scenario
from rel_settings import TINY

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BASE = ["compare", "untreated", "--lattice-size", "30", "--days", "1", "--replicates", "1", "--no-figures",
        "--no-progress", "--workers", "1"]

non_positive = st.one_of(st.integers(max_value=0), st.sampled_from(["-1", "0"]))
bad_float = st.one_of(st.floats(max_value=0.0, allow_infinity=True), st.sampled_from(["nan", "inf", "-inf"]))
too_many = st.integers(min_value=MAX_REPLICATES + 1, max_value=10**15)

# (option, bad values, words the message must contain)
CLI_CASES = st.one_of(
    st.tuples(st.just("--replicates"), st.one_of(non_positive, too_many), st.just("replicates")),
    st.tuples(st.just("--days"), bad_float, st.just("days")),
    st.tuples(st.just("--seed"), st.integers(max_value=-1), st.just("seed")),
    st.tuples(st.just("--workers"), st.integers(max_value=0), st.just("workers")),
    st.tuples(st.just("--sample-hours"), bad_float, st.just("sample")),
    st.tuples(st.just("--lattice-size"), st.integers(min_value=-10**6, max_value=7), st.just("lattice")),
    st.tuples(st.just("--replicates"), st.text(st.characters(categories=["L"]), min_size=1, max_size=5),
              st.just("--replicates")),
)


def _run_cli(argv, capsys) -> tuple[int, str]:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse: bad option syntax
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.err


@SETTINGS
@given(case=CLI_CASES)
def test_cli_refuses_bad_options(case, tmp_path_factory, capsys):
    option, value, word = case
    out = tmp_path_factory.mktemp("cli") / "out"
    argv = [*BASE, "--out", str(out), option, str(value)]
    rc, err = _run_cli(argv, capsys)
    assert rc != 0, argv
    assert word in err and "Traceback" not in err, (argv, err)
    assert not out.exists(), f"{argv} wrote {out}"


DOSE_FIELDS = st.sampled_from(["dose", "start_day", "interval_days", "half_life_hours", "max_blockade"])
BAD_FIELD_VALUES = st.one_of(
    st.floats(min_value=1e7, max_value=1e308), st.floats(max_value=-1e-3), st.sampled_from(["nan", "inf", "'x'"]),
)


@SETTINGS
@given(field=DOSE_FIELDS, value=BAD_FIELD_VALUES)
def test_cli_refuses_extreme_treatment_fields(field, value, tmp_path_factory, capsys):
    out = tmp_path_factory.mktemp("cli") / "out"
    argv = ["compare", "untreated", "checkpoint_blockade", "--lattice-size", "30", "--days", "30", "--replicates", "1",
            "--no-figures", "--no-progress", "--out", str(out), "--set", f"checkpoint_blockade.{field}={value}"]
    rc, err = _run_cli(argv, capsys)
    assert rc != 0 and f"{field} = " in err and "Traceback" not in err, (argv, err)
    assert not out.exists()


@SETTINGS
@given(key=st.text(st.characters(categories=["L", "N"], include_characters="._"), min_size=1, max_size=12))
def test_cli_refuses_unknown_parameters(key, tmp_path_factory, capsys):
    key = f"zz{key}"  # never a real parameter or treatment name
    out = tmp_path_factory.mktemp("cli") / "out"
    rc, err = _run_cli([*BASE, "--out", str(out), "--set", f"{key}=1"], capsys)
    assert rc != 0 and key.split(".")[0] in err and "Traceback" not in err, err
    assert not out.exists()


TOML_CASES = st.one_of(
    st.tuples(st.just({"duration_days": -5.0}), st.just("duration_days")),
    st.tuples(st.builds(lambda v: {"duration_days": v}, st.text(max_size=4)), st.just("duration_days")),
    st.tuples(st.builds(lambda k: {f"zz{k}": 1}, st.text(st.characters(categories=["L"]), max_size=6)),
              st.just("unknown key")),
    st.tuples(st.builds(lambda v: {"treatments": [{"type": "radiotherapy", "dose": v}]},
                        st.floats(min_value=31.0, max_value=1e300)), st.just("dose")),
    st.tuples(st.builds(lambda n: {"treatments": [{"type": "chemotherapy", "doses": n}]},
                        st.integers(min_value=1001, max_value=2**62)), st.just("doses")),
    st.tuples(st.builds(lambda v: {"parameters": {"tumor.division_rate_per_hour": v}},
                        st.floats(min_value=1e3, max_value=1e300)), st.just("tumor.division_rate_per_hour")),
    st.tuples(st.builds(lambda t: {"treatments": [t]}, st.sampled_from([5, "x", 1.5])), st.just("treatment")),
)


@SETTINGS
@given(case=TOML_CASES)
def test_toml_loader_names_the_bad_field(case, tmp_path_factory):
    extra, word = case
    path = tmp_path_factory.mktemp("toml") / "bad.toml"
    try:
        path.write_text(tomli_w.dumps({"name": "bad", **extra}))
    except TypeError:  # tomli_w cannot write this value: write it as TOML text by hand
        path.write_text(f"name = 'bad'\ntreatments = [{extra['treatments'][0]}]\n")
    with pytest.raises(ParameterError) as info:  # ScenarioError / TreatmentError are ParameterErrors
        load_scenario(path)
    assert word in str(info.value)


@SETTINGS
@given(name=st.sampled_from(["lattice.width_sites", "tumor.division_rate_per_hour", "cd8.kill_rate_per_hour"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not math.isfinite(v)),
                       st.floats(min_value=1e7, max_value=1e300), st.text(max_size=3), st.none()))
def test_parameters_replace_names_the_field(name, value):
    if name not in Parameters().names():
        name = "lattice.width_sites"
    with pytest.raises(ParameterError) as info:
        Parameters().replace({name: value})
    assert name in str(info.value)


@SETTINGS
@given(kwargs=st.one_of(
    st.fixed_dictionaries({"duration_days": st.one_of(st.text(max_size=3), st.floats(max_value=0.0),
                                                      st.just(math.inf), st.just(math.nan))}),
    st.fixed_dictionaries({"treatments": st.lists(st.one_of(st.text(max_size=3), st.integers()), min_size=1,
                                                  max_size=2)}),
    st.fixed_dictionaries({"parameters": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)}),
))
def test_model_constructor_names_the_argument(kwargs):
    (arg,) = kwargs
    with pytest.raises(ParameterError) as info:
        TumorImmuneModel(**kwargs, lattice__width_sites=30, lattice__height_sites=30)
    assert arg in str(info.value)


@SETTINGS
@given(field=st.sampled_from(["replicates", "seed", "workers", "sample_hours", "days"]),
       value=st.one_of(st.integers(max_value=-1), st.just(0), st.floats(allow_nan=True).filter(
           lambda v: not (v > 0 and math.isfinite(v))), st.text(max_size=2), st.just(np.int64(-3))))
def test_api_refuses_bad_arguments(field, value, tmp_path_factory):
    if field == "seed" and value == 0:
        value = -1  # seed 0 is valid
    out = tmp_path_factory.mktemp("api") / "out"
    kw = dict(replicates=1, days=1, seed=0, overrides=TINY, workers=1, progress=False, figures=False, out=out)
    kw[field] = value
    with pytest.raises(ExperimentError) as info:
        compare(["untreated"], **kw)
    assert field in str(info.value)
    assert not out.exists()
