"""The sizing pilots' shared command line (experiments/validation/sizing_cli.py)."""

from __future__ import annotations

import json

import pytest

from experiments.validation.sizing_cli import sizing_main


def test_pilot_is_printed_and_saved_and_power_lines_follow(tmp_path, capsys):
    calls = []
    out = tmp_path / "pilot.json"
    rc = sizing_main(["--pilot", "--workers", "2", "--out", str(out), "--power", "10,20"], "d",
                     pilot=lambda w: calls.append(w) or {"cv": 0.2}, power_line=lambda n: f"power of {n}")
    assert rc == 0 and calls == [2]
    assert json.loads(out.read_text()) == {"cv": 0.2}
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith("10 power of 10\n20 power of 20")


@pytest.mark.parametrize("argv,message", [(["--power", "ten"], "--power must be comma-separated whole numbers"),
                                          (["--pilot", "--workers", "0"], "--workers must be >= 1")])
def test_bad_input_is_refused_naming_the_option(argv, message, capsys):
    with pytest.raises(SystemExit):
        sizing_main(argv, "d", pilot=lambda w: {}, power_line=str)
    assert message in capsys.readouterr().err
