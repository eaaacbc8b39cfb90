"""Atomic writes, tables, git commit lookup and the manifest's environment record."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from experiments.files import atomic_write, environment_info, git_commit, write_json_atomic, write_table, \
    write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.txt"
    write_text_atomic(path, "old")

    def explode(p):
        p.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, explode)
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]


def test_json_and_tables_round_trip(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"a": np.int64(3), "b": np.array([1.5, 2.0]), "c": (1, 2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 3, "b": [1.5, 2.0], "c": [1, 2]}
    df = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    paths = write_table(df, tmp_path / "t.parquet", csv=True)
    assert [p.name for p in paths] == ["t.parquet", "t.csv"]
    pd.testing.assert_frame_equal(pd.read_parquet(paths[0]), df)
    pd.testing.assert_frame_equal(pd.read_csv(paths[1]), df)


def test_git_commit_and_environment():
    commit, dirty = git_commit()
    short, _ = git_commit(short=True, dirty_paths=("model",))
    assert re.fullmatch(r"[0-9a-f]{40}", commit) and commit.startswith(short) and isinstance(dirty, bool)
    env = environment_info()
    assert env["git_commit"] == commit and "numpy" in env["libraries"]
