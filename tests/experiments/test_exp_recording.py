"""compare/cohort --record-every: bad values are refused before anything runs; the CLI knows the option."""

from __future__ import annotations

import pytest

from experiments import api
from experiments.cli import build_parser
from experiments.runner import ExperimentError


@pytest.mark.parametrize("value", [-1, 1.5, True, "12"])
def test_record_every_must_be_a_whole_number(tmp_path, value):
    with pytest.raises(ExperimentError, match="record_every must be a whole number of model steps >= 0"):
        api.compare(["untreated"], replicates=1, days=1, out=tmp_path / "o", record_every=value, progress=False)
    assert not (tmp_path / "o").exists()


def test_record_every_needs_an_output_folder():
    with pytest.raises(ExperimentError, match="record_every needs an output directory"):
        api.cohort(["untreated"], patients=1, days=1, out=None, record_every=12, progress=False)


def test_cli_has_record_every_and_movie():
    parser = build_parser()
    assert parser.parse_args(["compare", "untreated", "--record-every", "12"]).record_every == 12
    assert parser.parse_args(["cohort", "untreated"]).record_every == 0
    args = parser.parse_args(["movie", "results/x", "--run", "a", "--run", "b", "--out", "m.mp4"])
    assert args.run == ["a", "b"] and str(args.out) == "m.mp4"
