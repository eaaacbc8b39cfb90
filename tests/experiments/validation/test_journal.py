"""The resumable journal of claim runs (experiments.validation.journal)."""

from __future__ import annotations

import json

import pytest

from experiments.validation.immunity_stats import Job, run_jobs
from experiments.validation import immunity
from experiments.validation.journal import RunJournal, active_journal, code_fingerprint, journal_runs, journal_status


def _job(seed: int, days: float = 1.0) -> Job:
    return Job({"lattice.width_sites": 30, "lattice.height_sites": 30, "tumor.initial_radius_sites": 4.0}, seed, days)


def _fake_runner(calls: list[int]):
    def runner(jobs):
        calls.append(len(jobs))
        return [{"burden": float(j.seed), "days": j.days} for j in jobs]
    return runner


def test_resume_runs_only_the_missing_jobs(tmp_path):
    path = tmp_path / "j.jsonl"
    jobs = [_job(s) for s in range(7)]
    calls: list[int] = []
    first = RunJournal(path, chunk=3).run(jobs[:5], _fake_runner(calls))
    assert calls == [3, 2]  # in chunks
    calls.clear()
    again = RunJournal(path, chunk=3).run(jobs, _fake_runner(calls))
    assert calls == [2]  # only the two new jobs ran
    assert again[:5] == first
    assert [r["burden"] for r in again] == [float(s) for s in range(7)]  # in job order


def test_a_job_listed_twice_runs_once(tmp_path):
    calls: list[int] = []
    out = RunJournal(tmp_path / "j.jsonl").run([_job(1), _job(2), _job(1)], _fake_runner(calls))
    assert calls == [2] and out[0] == out[2]


def test_a_line_cut_short_is_dropped_and_the_rest_kept(tmp_path):
    path = tmp_path / "j.jsonl"
    jobs = [_job(s) for s in range(3)]
    RunJournal(path).run(jobs, _fake_runner([]))
    with open(path, "a") as f:
        f.write('{"key": "abc", "outc')  # a stop in the middle of a write
    with RunJournal(path) as j:
        assert len(j) == 3
        assert path.read_text().endswith("\n")  # the cut line is gone, so the next append starts clean
        calls: list[int] = []
        j.run(jobs + [_job(9)], _fake_runner(calls))
        assert calls == [1]
    assert len(RunJournal(path)) == 4


def test_one_process_at_a_time(tmp_path):
    path = tmp_path / "j.jsonl"
    with RunJournal(path):
        with pytest.raises(RuntimeError, match="another process"):
            RunJournal(path)
    RunJournal(path).close()  # free again once closed


def test_a_code_change_during_a_run_stops_it(tmp_path):
    with RunJournal(tmp_path / "j.jsonl", chunk=1) as j:
        calls = []

        def runner(jobs):
            calls.append(len(jobs))
            if len(calls) == 2:
                j.code = "the code as it was when the journal opened"  # as if a source file changed on disk
            return _fake_runner([])(jobs)

        with pytest.raises(RuntimeError, match="code changed"):
            j.run([_job(1), _job(2), _job(3)], runner)
        assert len(j) == 1  # the chunk that ran under the old code is kept; the one that did not is not filed


@pytest.mark.parametrize("text", ['[{"claim": "x", "holds": true}]',  # a verdict file without a final newline
                                  '[\n {\n  "claim": "x"\n }\n]'])  # and an indented one
def test_a_file_that_is_not_a_journal_is_refused_and_left_intact(tmp_path, text):
    path = tmp_path / "verdicts.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="not a journal"):
        RunJournal(path)
    assert path.read_text() == text
    with pytest.raises(ValueError, match="not a journal"):  # not "another process": no lock left behind
        RunJournal(path)


def test_a_foreign_line_is_refused_with_its_line_number(tmp_path):
    path = tmp_path / "j.jsonl"
    text = json.dumps({"key": "a", "outcome": {"burden": 1}}) + "\nnot json\n"
    path.write_text(text)
    with pytest.raises(ValueError, match="line 2"):
        RunJournal(path)
    assert path.read_text() == text


def test_the_claims_command_refuses_out_equal_to_journal(tmp_path, capsys):
    path = tmp_path / "j.jsonl"
    with pytest.raises(SystemExit):
        immunity.main(["--claims", "window_burden", "--journal", str(path), "--out", str(path)])
    assert "--out" in capsys.readouterr().err and not path.exists()


def test_keys_depend_on_the_job_and_on_the_code(tmp_path):
    j = RunJournal(tmp_path / "j.jsonl")
    base = j.key(_job(1))
    assert j.key(_job(1)) == base
    assert j.key(_job(2)) != base
    assert j.key(_job(1, days=2.0)) != base
    assert j.key(Job(_job(1).overrides, 1, 1.0, recruitment=True)) != base
    assert j.key(Job(_job(1).overrides, 1, 1.0, track=True)) != base
    assert j.key(Job({**_job(1).overrides, "lattice.width_sites": 31}, 1, 1.0)) != base
    assert j.key(Job(_job(1).overrides, 1, 1.0, treatments=({"type": "anti_pd1"},))) != base
    j.code = "other code"
    assert j.key(_job(1)) != base  # a journal written by other code is never read as this code's


def test_the_code_fingerprint_follows_the_sources(tmp_path):
    for pkg in ("model", "experiments"):
        (tmp_path / pkg / "sub").mkdir(parents=True)
        (tmp_path / pkg / "sub" / "a.py").write_text("x = 1\n")
    before = code_fingerprint(tmp_path)
    assert code_fingerprint(tmp_path) == before
    for pkg in ("model", "experiments"):
        (tmp_path / pkg / "sub" / "a.py").write_text("x = 2\n")
        assert code_fingerprint(tmp_path) != before, pkg
        (tmp_path / pkg / "sub" / "a.py").write_text("x = 1\n")
    assert code_fingerprint(tmp_path) == before
    assert code_fingerprint() != code_fingerprint(tmp_path)  # the default root is this repository


def test_no_sources_is_an_error_not_an_empty_fingerprint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .py files"):
        code_fingerprint(tmp_path)


def test_bad_chunk_is_refused(tmp_path):
    with pytest.raises(ValueError, match="chunk"):
        RunJournal(tmp_path / "j.jsonl", chunk=0)


def test_run_jobs_inside_a_journal_reads_back_the_same_outcomes(tmp_path):
    jobs = [_job(11), _job(12)]
    plain = run_jobs(jobs)
    path = tmp_path / "runs.jsonl"
    with journal_runs(path) as journal:
        assert active_journal() is journal
        journaled = run_jobs(jobs)
    assert active_journal() is None
    assert journaled == plain
    assert len(path.read_text().splitlines()) == 2
    with journal_runs(path):  # resumed: read back, identical
        assert run_jobs(jobs) == plain
    assert len(path.read_text().splitlines()) == 2


def test_status_counts_runs_and_sees_a_run_in_progress(tmp_path):
    path = tmp_path / "j.jsonl"
    RunJournal(path).run([_job(1), _job(2)], _fake_runner([]))
    assert journal_status(path) == f"{path}: finished runs 2 (of any code version); no run is writing to it"
    with RunJournal(path):
        assert journal_status(path).endswith("a run is writing to it now")
    with pytest.raises(FileNotFoundError, match="no such journal"):
        journal_status(tmp_path / "missing.jsonl")


def test_the_claims_command_prints_the_status_and_runs_nothing(tmp_path, capsys):
    path = tmp_path / "j.jsonl"
    RunJournal(path).run([_job(1)], _fake_runner([]))
    assert immunity.main(["--journal", str(path), "--status"]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: finished runs 1 (of any code version); no run is writing to it"
    with pytest.raises(SystemExit):
        immunity.main(["--status"])
    assert "--status needs --journal" in capsys.readouterr().err
