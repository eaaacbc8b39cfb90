"""Restartable, checksummed storage of finished runs under an output directory.

* ``runs/<run_id>.parquet`` -- the run's sampled time series, with the run's
  outcomes and spec in the Parquet schema metadata. Written to a temporary
  file and renamed into place, so a file exists only when the run finished.
* ``snapshots/<run_id>.npz`` -- spatial snapshots, written before the Parquet file.

Each file's SHA-256 goes into the manifest as it is written. Resume trusts a run
only when its file matches that checksum (or, written just before an interruption
and so not yet recorded, decodes in full) and holds exactly the current spec.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from .manifest import MANIFEST, META_OUTCOMES, META_SPEC, ChecksumBook, flat_diff
from .runspec import RunResult, RunSpec
from .safeio import atomic_write, json_default, normalize_json

__all__ = ["RunStore", "read_npz"]



class RunStore:
    """One Parquet file per finished run under ``<out>/runs`` (plus snapshots), checksummed.

    With a manifest in ``out_dir`` every written file's SHA-256 goes into it
    (:class:`ChecksumBook`); :meth:`check` verifies a run's files against those
    checksums and against the run's spec before resume trusts them.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.runs_dir = self.out_dir / "runs"
        self.snap_dir = self.out_dir / "snapshots"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.snap_dir.mkdir(parents=True, exist_ok=True)
        self.book = ChecksumBook(self.out_dir) if (self.out_dir / MANIFEST).exists() else None

    def run_path(self, run_id: str) -> Path:
        """Where a run's Parquet file lives."""
        return self.runs_dir / f"{run_id}.parquet"

    def snapshot_path(self, run_id: str) -> Path:
        """Where a run's snapshot ``.npz`` lives."""
        return self.snap_dir / f"{run_id}.npz"

    def clean_stray(self) -> int:
        """Delete temporary files left by interrupted writes; return how many."""
        n = 0
        for d in (self.out_dir, self.runs_dir, self.snap_dir):
            for p in d.glob(".*.tmp"):
                p.unlink(missing_ok=True)
                n += 1
        return n

    def _intact(self, path: Path, full_read) -> str | None:
        """None if ``path`` is intact, else why not (checksum when recorded, else a full read)."""
        if not path.exists():
            return "missing"
        ok = self.book.matches(path) if self.book is not None else None
        if ok is False:
            return "checksum mismatch (the file changed after it was written)"
        if ok is None:  # written just before an interruption: read it all instead
            try:
                full_read(path)
            except Exception as exc:  # any decoding error means damage
                return f"unreadable ({type(exc).__name__}: {exc})"
            if self.book is not None:
                self.book.record(path)
        return None

    def check(self, spec: RunSpec) -> str | None:
        """None when the run's files are complete, intact and hold this spec; else the reason to redo it."""
        path = self.run_path(spec.run_id)
        if not path.exists():
            return "missing"
        problem = self._intact(path, pq.read_table)
        if problem is None:
            try:
                meta = pq.read_schema(path).metadata or {}
                stored = normalize_json(json.loads(meta[META_SPEC]))
                json.loads(meta[META_OUTCOMES])
            except Exception:
                problem = "holds no run spec/outcomes"
            else:
                diffs = flat_diff(stored, normalize_json(spec.to_json()))
                if diffs:
                    problem = f"holds a different run's spec (differs in: {'; '.join(diffs[:4])})"
        if problem is None and spec.snapshot_days:
            problem = self._intact(self.snapshot_path(spec.run_id), read_npz)
            problem = None if problem is None else f"snapshot file {problem}"
        return problem

    def discard(self, spec: RunSpec) -> None:
        """Delete a run's files (before redoing it)."""
        for p in (self.run_path(spec.run_id), self.snapshot_path(spec.run_id)):
            p.unlink(missing_ok=True)
            if self.book is not None:
                self.book.forget(p)

    def is_done(self, spec: RunSpec) -> bool:
        """True if the run's files pass :meth:`check` (otherwise they are deleted)."""
        problem = self.check(spec)
        if problem is not None:
            self.discard(spec)
        return problem is None

    def write(self, spec: RunSpec, result: RunResult) -> None:
        """Write a finished run (snapshots first, then the run file) atomically and record checksums."""
        if result.snapshots is not None:
            def _save_npz(p: Path) -> None:
                with open(p, "wb") as fh:
                    np.savez_compressed(fh, **result.snapshots)

            atomic_write(self.snapshot_path(spec.run_id), _save_npz)
            if self.book is not None:
                self.book.record(self.snapshot_path(spec.run_id))
        table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[META_OUTCOMES] = json.dumps(result.outcomes, default=json_default).encode()
        meta[META_SPEC] = json.dumps(spec.to_json(), default=json_default).encode()
        table = table.replace_schema_metadata(meta)
        atomic_write(self.run_path(spec.run_id), lambda p: pq.write_table(table, p))
        if self.book is not None:
            self.book.record(self.run_path(spec.run_id))
            self.book.flush()

    def flush(self) -> None:
        """Write pending checksums into the manifest now."""
        if self.book is not None:
            self.book.flush(force=True)

    def read(self, spec: RunSpec) -> RunResult:
        """A finished run's time series and outcomes."""
        table = pq.read_table(self.run_path(spec.run_id))
        outcomes = json.loads(table.schema.metadata[META_OUTCOMES])
        return RunResult(spec.run_id, table.to_pandas(), outcomes, None)

    def read_snapshots(self, run_id: str) -> dict[str, np.ndarray] | None:
        """A run's snapshots (None if it took none)."""
        path = self.snapshot_path(run_id)
        if not path.exists():
            return None
        return read_npz(path)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded (decoding it in full)."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


