"""experiments.safeio: print_json prints and saves the same figures, whole or not at all."""

from __future__ import annotations

import json

import pytest

from experiments.safeio import print_json


def test_print_json_prints_and_writes_the_same_text(tmp_path, capsys):
    out = tmp_path / "figures.json"
    text = print_json({"a": [1, 2.5]}, out)
    assert capsys.readouterr().out == text + "\n" and out.read_text() == text + "\n"
    assert json.loads(out.read_text()) == {"a": [1, 2.5]}
    assert print_json({"b": 1}) == json.dumps({"b": 1}, indent=1)  # no file without out


def test_print_json_leaves_no_half_written_file(tmp_path):
    out = tmp_path / "figures.json"
    with pytest.raises(TypeError):
        print_json({"x": object()}, out)  # not serialisable: fails before anything is written
    assert list(tmp_path.iterdir()) == []
