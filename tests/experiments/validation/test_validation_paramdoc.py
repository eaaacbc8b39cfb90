"""docs/parameters.md is generated from the code and must stay in sync with it."""

from __future__ import annotations

import dataclasses

from model import Parameters
from model.paramdoc import default_path, main, render
from model import TREATMENTS


def test_parameter_doc_is_in_sync_with_the_code():
    path = default_path()
    assert path.exists(), f"{path} is missing: run `python -m model.paramdoc`"
    assert path.read_text(encoding="utf-8") == render(), (
        f"{path} is out of date with model/parameters.py, model/treatments.py or model/scenarios.py: "
        "run `python -m model.paramdoc` and commit the result"
    )


def test_every_leaf_is_documented_with_default_unit_range_and_source():
    text = render().split("## Treatment defaults")[0]
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    for name, value, unit, (lo, hi), source in Parameters().leaves():
        row = rows.get(f"`{name}`")
        assert row is not None, f"{name} missing from the parameter table"
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert len(cells) == 5, row
        assert cells[2] == unit.replace("|", "\\|")
        assert cells[3].startswith("[") and cells[3].endswith("]")
        assert cells[4], f"{name} has no source"


def test_every_treatment_field_is_documented():
    text = render()
    for kind, cls in TREATMENTS.items():
        assert f"### `{kind}`" in text
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in text


def test_check_mode_reports_stale_file(tmp_path, capsys):
    stale = tmp_path / "parameters.md"
    stale.write_text("old\n")
    assert main(["--out", str(stale), "--check"]) == 1
    assert main(["--out", str(stale)]) == 0
    assert main(["--out", str(stale), "--check"]) == 0
    assert stale.read_text() == render()
