"""Processes: workers end with the driver; Ctrl-C keeps finished runs; a missing __main__ guard is named."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

import experiments.runner as runner
from experiments import ExperimentError, ExperimentInterrupted
from experiments.runner import RunStore, run_all
from experiments.workers import pid_alive
from rel_settings import PYTHON, TINY, TINY_CLI, cli_env, group_members


def _wait_until(cond, timeout: float, step: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def _start_cli(out, *extra: str) -> subprocess.Popen:
    # a new session: the driver's pid is the process group of everything it starts
    return subprocess.Popen(
        [PYTHON, "-m", "experiments", "compare", "untreated", "--replicates", "4", *TINY_CLI,
         "--workers", "2", "--out", str(out), *extra],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGKILL])  # SIGTERM: test_rel_faults
def test_workers_end_with_a_killed_driver(tmp_path, sig):
    """Defect 8: after SIGKILL/SIGTERM of the driver no worker, fork server or resource tracker is left."""
    proc = _start_cli(tmp_path / "out")
    try:
        # driver + resource tracker + fork server + 2 workers
        assert _wait_until(lambda: len(group_members(proc.pid)) >= 5, 60), group_members(proc.pid)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        assert _wait_until(lambda: not group_members(proc.pid), 15), f"left behind: {group_members(proc.pid)}"
    finally:
        for pid in group_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.communicate()


def _specs(n: int):
    from experiments.api import resolve_scenarios

    (sc,), _ = resolve_scenarios(["untreated"], days=2, overrides=TINY)
    return [runner.RunSpec(f"r{i}", {"replicate": i}, sc.to_dict(), 1, (i,)) for i in range(n)]


def test_ctrl_c_keeps_runs_that_finish_during_shutdown(tmp_path, monkeypatch):
    """Defect 11: with 2 workers, Ctrl-C waits for the runs in progress and saves them."""
    store = RunStore(tmp_path)
    real_write = store.write
    calls = []

    def write_then_ctrl_c(spec, result):
        calls.append(spec.run_id)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C arriving while the first result is handled
        real_write(spec, result)

    monkeypatch.setattr(store, "write", write_then_ctrl_c)
    with pytest.raises(ExperimentInterrupted, match="runs are saved") as info:
        run_all(_specs(6), store, workers=2, progress=False)
    saved = sorted(p.stem for p in (tmp_path / "runs").glob("*.parquet"))
    # the interrupted result and the run in progress on the other worker are kept, none is lost
    assert len(saved) >= 2 and info.value.completed == len(saved) and info.value.by_user
    assert calls[0] in saved


def test_script_without_main_guard_gets_a_clear_error(tmp_path):
    """Defect 11: no `if __name__ == "__main__":` -> a named error, not a bare BrokenProcessPool."""
    script = tmp_path / "noguard.py"
    script.write_text(
        "from experiments import compare\n"
        f"compare(['untreated'], replicates=2, days=1, workers=2, overrides={TINY!r}, progress=False, figures=False)\n"
    )
    proc = subprocess.run([PYTHON, str(script)], env=cli_env(), capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, start_new_session=True)
    assert proc.returncode != 0
    assert 'ExperimentError: worker processes died while starting' in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr


def test_pid_alive_sees_the_end_of_a_process():
    proc = subprocess.Popen([PYTHON, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid) and pid_alive(os.getpid())


def test_workers_must_be_positive(tmp_path):
    with pytest.raises(ExperimentError, match="workers = 0 must be >= 1"):
        run_all(_specs(1), RunStore(tmp_path), workers=0, progress=False)
