"""The output folder is trustworthy on its own: checksums, stored specs, rebuildable manifest, umask."""

from __future__ import annotations

import json
import os
import stat

import pytest
from pandas.testing import assert_frame_equal

import experiments.runner as runner
from experiments import ExperimentError, compare, load_results
from experiments.cli import main
from experiments.outlock import OutDirLock
from rel_settings import KW, clone, flip_byte


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished tiny experiment, written under umask 002 (group-writable shared folder)."""
    out = tmp_path_factory.mktemp("rel") / "done"
    old = os.umask(0o002)
    try:
        res = compare(["untreated"], out=out, **KW)
    finally:
        os.umask(old)
    return out, res


def _no_runs(*_a, **_k):
    raise AssertionError("a finished, intact run was simulated again")


def _same(a, b) -> None:
    assert_frame_equal(a.outcomes, b.outcomes)
    assert_frame_equal(a.timeseries, b.timeseries)


def test_files_honour_the_umask(finished):
    """Defect 9: mkstemp's 0600 made shared results unreadable; files get 0666 & ~umask."""
    out, _ = finished
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert {p.name for p in files} >= {"manifest.json", "outcomes.parquet", "report.txt", "untreated__r000.npz"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o664, p


def test_damaged_files_are_detected_and_redone(finished, tmp_path, capsys):
    """Defect 6: a flipped bit in a run file and a truncated snapshot are caught by checksum and redone."""
    src, first = finished
    out = clone(src, tmp_path / "x")
    flip_byte(out / "runs" / "untreated__r001.parquet")
    snap = out / "snapshots" / "untreated__r000.npz"
    snap.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])

    assert main(["verify", str(out)]) == 1
    said = capsys.readouterr().out
    assert "problem: runs/untreated__r001.parquet: checksum mismatch" in said
    assert "problem: snapshots/untreated__r000.npz: checksum mismatch" in said

    again = compare(["untreated"], out=out, **KW)
    assert "0 already finished" in again.report
    assert "checksum mismatch" in capsys.readouterr().err
    _same(first, again)
    assert main(["verify", str(out)]) == 0


def test_run_file_with_another_spec_is_redone(finished, tmp_path, monkeypatch, capsys):
    """Defect 5: a run file copied over another is not trusted, even without a recorded checksum."""
    src, first = finished
    out = clone(src, tmp_path / "y")
    runs = out / "runs"
    (runs / "untreated__r001.parquet").write_bytes((runs / "untreated__r000.parquet").read_bytes())
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["files"]["runs/untreated__r001.parquet"]  # as if killed before the checksum was saved
    (out / "manifest.json").write_text(json.dumps(manifest))

    assert main(["verify", str(out)]) == 1
    assert "runs/untreated__r001.parquet: holds run 'untreated__r000'" in capsys.readouterr().out
    again = compare(["untreated"], out=out, **KW)
    assert "holds a different run's spec" in capsys.readouterr().err
    assert "1 already finished" in again.report
    assert again.outcomes["run_id"].is_unique
    _same(first, again)


@pytest.mark.parametrize("damage", ["delete", "garbage"])
def test_damaged_manifest_never_strands_finished_runs(finished, tmp_path, monkeypatch, damage):
    """Defect 7: a deleted or unreadable manifest is rebuilt from the run files; nothing is re-simulated."""
    src, first = finished
    out = clone(src, tmp_path / damage)
    if damage == "delete":
        (out / "manifest.json").unlink()
    else:
        (out / "manifest.json").write_text('{"format": 2, "experim')
    monkeypatch.setattr(runner, "execute_run", _no_runs)
    again = compare(["untreated"], out=out, **KW)
    assert "2 already finished" in again.report
    _same(first, again)
    assert (damage == "garbage") == bool(list(out.glob("manifest.json.damaged-*")))
    assert main(["verify", str(out)]) == 0


def test_verify_names_foreign_and_missing_files(finished, tmp_path, capsys):
    """`tumor-immune verify` says exactly which file is wrong and how."""
    src, _ = finished
    out = clone(src, tmp_path / "z")
    (out / "runs" / "stray__r009.parquet").write_bytes(b"x")
    (out / "outcomes.parquet").unlink()
    assert main(["verify", str(out)]) == 1
    said = capsys.readouterr().out.splitlines()
    assert "problem: runs/stray__r009.parquet: not a run of this experiment" in said
    assert "problem: outcomes.parquet: missing (recorded in the manifest)" in said
    assert said[-1].startswith("FAILED (2 problems)")


def test_two_commands_cannot_share_an_output_directory(tmp_path):
    """Defect 11: an exclusive lock on --out; the second command fails at once, naming the holder."""
    out = tmp_path / "busy"
    other = OutDirLock(out).acquire()  # another command holding the directory
    try:
        with pytest.raises(ExperimentError, match=f"in use by another tumor-immune command \\(pid {os.getpid()}\\)"):
            compare(["untreated"], out=out, **KW)
        assert not (out / "manifest.json").exists()
    finally:
        other.release()
    compare(["untreated"], out=out, **{**KW, "replicates": 1, "snapshot_days": []})
    assert OutDirLock(out).acquire().held  # released when the experiment finished


def test_load_results_refuses_a_changed_table(finished, tmp_path):
    """Defect 6 on load: a table whose checksum does not match is named, not silently read."""
    src, first = finished
    out = clone(src, tmp_path / "load")
    assert_frame_equal(load_results(out).outcomes, first.outcomes)
    flip_byte(out / "outcomes.parquet", offset=100)
    with pytest.raises(ExperimentError, match="outcomes.parquet changed after it was written"):
        load_results(out)
