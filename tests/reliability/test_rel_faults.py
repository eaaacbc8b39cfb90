"""Fault injection: kill the driver at random moments with SIGKILL, SIGTERM and SIGINT, then resume.

The final tables must equal an uninterrupted run's, and no process may outlive
any of the killed drivers. The kill moments are random; the seed is printed on
failure so a failing sequence can be replayed (``REL_FAULT_SEED=...``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pandas as pd
from pandas.testing import assert_frame_equal

from experiments import compare
from experiments.verify import verify_out_dir
from rel_settings import PYTHON, TINY, TINY_CLI, cli_env, group_members

SCENARIOS = ["untreated", "chemotherapy"]
REPLICATES = 2
CLI = ["compare", *SCENARIOS, "--replicates", str(REPLICATES), *TINY_CLI, "--workers", "2",
       "--set", "chemotherapy.start_day=1"]


def _gone(pgid: int, timeout: float = 15.0) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end and group_members(pgid):
        time.sleep(0.2)
    return group_members(pgid)


def _wait_for(cond, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not cond():
        time.sleep(0.05)


def test_random_kills_then_resume_give_the_uninterrupted_tables(tmp_path):
    seed = int(os.environ.get("REL_FAULT_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    out = tmp_path / "faulty"
    signals = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
    rng.shuffle(signals)
    log = []
    for sig in signals:
        delay = rng.uniform(0.5, 6.0)
        proc = subprocess.Popen([PYTHON, "-m", "experiments", *CLI, "--out", str(out)], env=cli_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        if sig == signal.SIGINT:
            # Ctrl-C while the package itself is imported shows Python's own traceback: count from
            # the moment the runs are under way (the fork server exists)
            _wait_for(lambda: len(group_members(proc.pid)) >= 2 or proc.poll() is not None, 60)
            delay = rng.uniform(0.0, 4.0)
        time.sleep(delay)
        try:
            if sig == signal.SIGINT:
                os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
            else:
                os.kill(proc.pid, sig)
        except ProcessLookupError:
            # a resumed run with little left can finish before the signal: nothing to interrupt
            # (seen once the warmed-up workers made the tiny runs faster); the checks below still apply
            sig_note = "finished first"
        else:
            sig_note = "sent"
        _, err = proc.communicate(timeout=120)
        left = _gone(proc.pid)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        log.append(f"{sig.name} ({sig_note}) after {delay:.1f}s -> rc {proc.returncode}")
        assert not left, f"seed {seed}: processes left after {log}: {left}"
        assert "Traceback" not in err, f"seed {seed}, {log}:\n{err}"
        if sig == signal.SIGINT and proc.returncode == 130:
            assert "runs are saved" in err or "nothing was saved" in err, err

    done = subprocess.run([PYTHON, "-m", "experiments", *CLI, "--out", str(out)], env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"seed {seed}, {log}:\n{done.stderr}"
    assert verify_out_dir(out).ok

    fresh = compare(SCENARIOS, replicates=REPLICATES, days=2, seed=7, workers=1, progress=False, figures=False,
                    overrides={**TINY, "chemotherapy.start_day": 1}, out=tmp_path / "fresh")
    for name in ("outcomes", "timeseries", "statistics"):
        assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"), getattr(fresh, name),
                           obj=f"{name} (seed {seed}, {log})")
