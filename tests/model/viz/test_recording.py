"""Recordings: what is written is what was simulated; bad files and folders get clear messages; movies."""

from __future__ import annotations

import argparse
import json

import h5py
import numpy as np
import pytest
from PIL import Image

from model import TumorImmuneModel
from model.viz import TumorImmunePageModel, snapshot_of
from model.viz.live_recording import LiveRecorder
from model.viz.movie import write_movie
from model.viz.recording import Recording, RecordingError, RecordingWriter
from model.viz.results_folder import ResultsFolder, recording_path
from experiments.movie_cli import add_movie_parser, run_movie

SMALL = dict(lattice__width_sites=40, lattice__height_sites=40, tumor__initial_radius_sites=6)


def _record(path, days=1.5, every=6, labels=None):
    """Run a small model, recording it; return the snapshots taken at the recorded steps."""
    m = TumorImmuneModel(rng=3, **SMALL)
    expected = []
    with RecordingWriter(path, every, labels=labels or {"scenario": "untreated", "replicate": 0}) as rec:
        if rec.capture(m):
            expected.append(snapshot_of(m))
        while m.days < days:
            m.step()
            if rec.capture(m):
                expected.append(snapshot_of(m))
        rec.finish(m)
    return m, expected


def test_recording_round_trip_matches_the_simulation(tmp_path):
    path = tmp_path / "run.h5"
    m = TumorImmuneModel(rng=3, **SMALL)
    counts, fields = [], []
    with RecordingWriter(path, 6, labels={"scenario": "untreated", "replicate": 0}) as rec:
        for _ in range(3 * 6 + 2):
            if rec.capture(m):
                s = snapshot_of(m)
                counts.append((s.tumor_count, {k: len(v) for k, v in s.immune.items()}, s.step))
                fields.append({k: v.copy() for k, v in s.fields.items()})
            m.step()
        rec.finish(m)
    with Recording(path) as r:
        assert len(r) == 5  # steps 0, 6, 12, 18 and the last (20)
        assert list(r.steps) == [0, 6, 12, 18, 20]
        assert r.name == "untreated · 0"
        for i, (n_tumor, immune, step) in enumerate(counts):
            snap = r.frame(i)
            assert snap.step == step and snap.tumor_count == n_tumor
            assert {k: len(v) for k, v in snap.immune.items()} == immune
            for name, values in fields[i].items():
                assert np.abs(snap.fields[name] - values).max() <= values.max() / 255 + 1e-6
        last = r.frame(-1)
        assert last.tumor_count == m.tumor_cell_count
        live = snapshot_of(m)
        order = np.argsort(live.tumor_sites)
        assert np.array_equal(last.tumor_sites, live.tumor_sites[order])
        assert np.abs(last.tumor_values["antigenicity"] - live.tumor_values["antigenicity"][order]).max() <= 0.5 / 254 + 1e-9
        assert np.array_equal(r.history.columns["tumor_cells"], np.asarray(m.datacollector.model_vars["tumor_cells"]))
        assert r.index_at(0.13) == 1 and r.index_at(0.12) == 0 and r.index_at(-1) == 0 and r.index_at(99) == 4


def test_bad_recordings_get_one_clear_error(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        Recording(tmp_path / "nope.h5")
    (tmp_path / ".half.h5.tmp").write_bytes(b"")
    with pytest.raises(RecordingError, match="unfinished"):
        Recording(tmp_path / "half.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(RecordingError, match="not a tumor-immune recording"):
        Recording(tmp_path / "other.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(RecordingError, match="not a readable HDF5 recording"):
        Recording(tmp_path / "text.h5")
    with pytest.raises(RecordingError, match="every_steps must be a whole number >= 1"):
        RecordingWriter(tmp_path / "x.h5", 0)


def test_an_interrupted_recording_leaves_no_file(tmp_path):
    m = TumorImmuneModel(rng=1, **SMALL)
    with pytest.raises(KeyboardInterrupt):
        with RecordingWriter(tmp_path / "run.h5", 1) as rec:
            rec.capture(m)
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def _results_folder(tmp_path, runs=("untreated__r000", "checkpoint_blockade__r000")):
    folder = tmp_path / "results"
    folder.mkdir()
    listed = []
    for run_id in runs:
        scenario, rep = run_id.split("__r")
        listed.append({"run_id": run_id, "scenario": scenario, "replicate": int(rep), "seed": 1, "spawn_key": [0]})
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "runs": listed}))
    return folder, listed


def test_results_folder_messages(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        ResultsFolder(tmp_path / "missing")
    (tmp_path / "foreign").mkdir()
    with pytest.raises(RecordingError, match="not a tumor-immune results folder"):
        ResultsFolder(tmp_path / "foreign")
    folder, _ = _results_folder(tmp_path)
    with pytest.raises(RecordingError, match="no finished recording.*--record-every"):
        ResultsFolder(folder)
    path = recording_path(folder, "untreated__r000")
    path.parent.mkdir()
    path.with_name(f".{path.name}.tmp").write_bytes(b"")
    with pytest.raises(RecordingError, match="1 recording\\(s\\) are unfinished"):
        ResultsFolder(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(RecordingError, match="unreadable or not a tumor-immune manifest"):
        ResultsFolder(folder)


def test_movie_gif_has_one_frame_per_recorded_frame_and_the_cli_reports_errors(tmp_path, capsys):
    folder, _ = _results_folder(tmp_path)
    _record(recording_path(folder, "untreated__r000"), days=1.0, every=12)
    _record(recording_path(folder, "checkpoint_blockade__r000"), days=1.0, every=12,
            labels={"scenario": "checkpoint_blockade", "replicate": 0})
    results = ResultsFolder(folder)
    assert [r.run_id for r in results.recorded] == ["untreated__r000", "checkpoint_blockade__r000"]
    assert results.find("checkpoint_blockade:0").run_id == "checkpoint_blockade__r000"
    with pytest.raises(RecordingError, match="run 'anti_osm' is not recorded"):
        results.find("anti_osm")

    one, two = results.open("untreated"), results.open("checkpoint_blockade")
    n = len(one)
    gif = write_movie([one, two], tmp_path / "m.gif", fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == n
        width, height = im.size
    single = write_movie([one], tmp_path / "one.gif", every=2)
    with Image.open(single) as im:
        assert im.n_frames == len(one.days[::2])
        assert im.size == (width, height // 2)  # side by side = two panels stacked
    mp4 = write_movie([one], tmp_path / "m.mp4")
    assert mp4.stat().st_size > 1000
    with pytest.raises(RecordingError, match="must end in one of .gif, .mp4"):
        write_movie([one], tmp_path / "m.avi")
    one.close()
    two.close()



    parser = argparse.ArgumentParser()
    add_movie_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["movie", str(folder), "--run", "untreated", "--out", str(tmp_path / "cli.gif")])
    assert run_movie(args) == 0
    assert "cli.gif" in capsys.readouterr().out
    args = parser.parse_args(["movie", str(tmp_path), "--run", "untreated"])
    assert run_movie(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a tumor-immune results folder" in err and "Traceback" not in err


def test_the_live_page_recording_is_a_results_folder_the_replay_opens(tmp_path):
    m = TumorImmunePageModel(scenario_name="untreated", grid_size=40)
    recorder = LiveRecorder(m, base=tmp_path)
    for _ in range(3):
        m.step()
        recorder.capture()
        recorder.capture()  # a redraw without a step records nothing new
    folder = recorder.finish()
    assert folder.parent == tmp_path and folder.name.startswith("untreated_")
    with ResultsFolder(folder).open("untreated") as rec:
        assert list(rec.steps) == [0, 1, 2, 3]
        assert rec.frame(-1).tumor_count == m.tumor_cell_count
