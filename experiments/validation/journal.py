"""A resumable journal of claim runs: a claim too large for one sitting can be stopped and resumed.

The heaviest pre-registered claims need thousands of runs (the 18-day burden across windows:
18,000, about 9.5 CPU-hours). :func:`journal_runs` makes every
:func:`~experiments.validation.immunity_stats.run_jobs` call inside it append each finished run's
read-outs to a JSON Lines file, one line per run, written and flushed in chunks; a later call with
the same file runs only the jobs it does not hold yet. A verdict from a resumed run is the verdict
the uninterrupted run would give: the same jobs, seeds and read-outs, in the same order.

Safety
------
* Each line's key hashes the job (overrides, seed, days, treatments, probes) *and* the code that
  runs it: the source of the ``model`` and ``experiments`` packages, the versions of the numerical
  packages, Python and the machine type (:func:`code_fingerprint`). A journal written by other code
  is never read as this code's runs: after any change every job runs again. The fingerprint is
  taken again before every chunk, and a run whose code changes under it stops.
* One process at a time: the journal holds an exclusive lock on its file while open.
* A line cut short by a stop (power loss, kill) is dropped when the journal is opened; every whole
  line before it is kept.
* The journal records read-outs only, never a verdict; the verdict is computed from all runs at the end.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

__all__ = ["RunJournal", "journal_runs", "active_journal", "code_fingerprint", "journal_status"]

_PACKAGES = ("model", "experiments")
_NUMERICS = ("numpy", "scipy", "numba", "llvmlite", "mesa", "pandas", "pyarrow")
_ACTIVE: contextvars.ContextVar["RunJournal | None"] = contextvars.ContextVar("claim_run_journal", default=None)


def code_fingerprint(root: Path | None = None) -> str:
    """SHA-256 over every ``.py`` file of the ``model`` and ``experiments`` packages (paths and contents),
    the installed versions of the numerical packages, the Python version and the machine type."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    n = 0
    for pkg in _PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
            n += 1
    if n == 0:
        raise FileNotFoundError(f"code_fingerprint: no .py files under {root} / {_PACKAGES}")
    for dist in _NUMERICS:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"{dist}=={version}\0".encode())
    h.update(f"{sys.version}\0{platform.machine()}".encode())
    return h.hexdigest()


def _floats(outcome: dict[str, Any]) -> dict[str, float]:
    """A run's read-outs as the journal holds them (names to floats), written or read back."""
    return {str(k): float(v) for k, v in outcome.items()}


class RunJournal:
    """Finished runs' read-outs, keyed by job and code, in an append-only JSON Lines file.

    Args:
        path: the journal file (created with its folder if missing).
        chunk: runs per written chunk; a stop loses at most the chunk in flight.
    """

    def __init__(self, path: str | os.PathLike[str], chunk: int = 50) -> None:
        if int(chunk) < 1:
            raise ValueError(f"chunk = {chunk!r}: the runs per journal chunk must be a whole number >= 1")
        self.path = Path(path)
        self.chunk = int(chunk)
        self.code = code_fingerprint()
        self._done: dict[str, dict[str, float]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path, "a")  # held while the journal is open: one process at a time
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise RuntimeError(f"{self.path}: another process has this journal open; one run per journal") from None
        try:
            self._read()
        except BaseException:
            self._lock.close()
            raise

    def close(self) -> None:
        """Release the journal's lock (the file stays)."""
        if not self._lock.closed:
            self._lock.close()

    def __enter__(self) -> "RunJournal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        data = self.path.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        # every whole line must be a record before anything is cut: a file given by mistake stays intact
        for n, line in enumerate(whole.decode(errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                self._done[str(rec["key"])] = _floats(rec["outcome"])
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise ValueError(f"{self.path}: line {n} is not a journal record ({e}); "
                                 "a journal holds only lines written by RunJournal") from e
        if len(whole) != len(data):  # a line cut short by a stop: keep every whole line before it
            tail = data[len(whole):]
            if not whole and not tail.lstrip().startswith(b'{"key"'):
                raise ValueError(f"{self.path}: not a journal (its first line is not a journal record)")
            with open(self.path, "r+b") as f:
                f.truncate(len(whole))

    def key(self, job: Any) -> str:
        """The job's key under this code: a hash of its fields and of :func:`code_fingerprint`."""
        fields = {"overrides": dict(job.overrides), "seed": int(job.seed), "days": float(job.days),
                  "treatments": [dict(t) for t in job.treatments], "recruitment": bool(job.recruitment),
                  "track": bool(job.track)}
        text = json.dumps(fields, sort_keys=True, default=repr)
        return hashlib.sha256(f"{self.code}\n{text}".encode()).hexdigest()

    def __contains__(self, key: str) -> bool:
        return key in self._done

    def __len__(self) -> int:
        return len(self._done)

    def __getitem__(self, key: str) -> dict[str, float]:
        return dict(self._done[key])

    def record(self, keys: Sequence[str], outcomes: Sequence[dict[str, float]]) -> None:
        """Append finished runs (one line each), flushed to disk before returning."""
        if len(keys) != len(outcomes):
            raise ValueError(f"record: {len(keys)} keys for {len(outcomes)} outcomes")
        lines = "".join(json.dumps({"key": k, "outcome": o}, default=float) + "\n" for k, o in zip(keys, outcomes))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
        for k, o in zip(keys, outcomes):
            self._done[k] = _floats(o)

    def _check_code(self) -> None:
        if code_fingerprint() != self.code:
            raise RuntimeError(f"{self.path}: the code changed while the run was going; start it again")

    def run(self, jobs: Sequence[Any], runner: Callable[[Sequence[Any]], list[dict[str, float]]]) -> list[dict[str, float]]:
        """Every job's read-outs, running (through ``runner``, chunk by chunk) only those not yet journaled."""
        keys = [self.key(j) for j in jobs]
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)  # a job listed twice runs once
        todo = [i for k, i in first.items() if k not in self._done]
        t0 = time.monotonic()
        for start in range(0, len(todo), self.chunk):
            self._check_code()  # workers import from disk: never file new code's runs as old
            part = todo[start : start + self.chunk]
            outcomes = runner([jobs[i] for i in part])
            self._check_code()  # changed while the chunk ran: its runs are not this code's
            self.record([keys[i] for i in part], outcomes)
            done = len(first) - len(todo) + start + len(part)
            minutes = (time.monotonic() - t0) / 60.0
            print(f"journal {self.path.name}: {done} of {len(first)} runs done "
                  f"({start + len(part)} this call in {minutes:.1f} min)", file=sys.stderr, flush=True)
        return [self[k] for k in keys]


def active_journal() -> RunJournal | None:
    """The journal of the enclosing :func:`journal_runs`, or ``None``."""
    return _ACTIVE.get()


@contextlib.contextmanager
def journal_runs(path: str | os.PathLike[str] | None, chunk: int = 50) -> Iterator[RunJournal | None]:
    """Journal every claim run inside the block to ``path`` (``None``: no journal, runs as usual)."""
    journal = RunJournal(path, chunk) if path is not None else None
    token = _ACTIVE.set(journal)
    try:
        yield journal
    finally:
        _ACTIVE.reset(token)
        if journal is not None:
            journal.close()


def journal_status(path: str | os.PathLike[str]) -> str:
    """How many lines (finished runs, of whatever code wrote them) the journal at ``path`` holds (never
    their values) and whether a run is writing to it now."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such journal")
    lines = path.read_bytes().count(b"\n")
    with open(path, "a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            state = "no run is writing to it"
        except BlockingIOError:
            state = "a run is writing to it now"
    return f"{path}: finished runs {lines} (of any code version); {state}"
