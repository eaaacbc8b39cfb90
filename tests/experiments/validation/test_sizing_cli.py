"""The sizing pilots' shared command line (experiments/validation/sizing_cli.py)."""

from __future__ import annotations

import json

import pytest

from experiments.validation.sizing_cli import sizing_main, window_power_line


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


def test_window_power_line_reports_both_ratios():
    asked = []

    def simulate(n, ratio=1.0):
        asked.append((n, ratio))
        return (0.9, 0.95) if ratio == 1.0 else (0.1, 0.0)

    line = window_power_line(simulate, 50, alt=0.9)
    assert asked == [(50, 1.0), (50, 0.9)]
    assert line == "ratio 1: per-root 0.90, >= 80% of roots 0.95 | ratio 0.9 at 200 sites: 0.10, 0.00"
