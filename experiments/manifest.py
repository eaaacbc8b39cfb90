"""The output directory's ``manifest.json``: experiment definition, run list, file checksums.

The manifest is written before any run starts and names the experiment, its runs
(each with a digest of its full spec) and, as files are written, the SHA-256 of
every file under the directory (``files``: relative path -> checksum). It is
only a record: each run file carries its own spec, so a damaged or deleted
manifest is rebuilt from the run files that match the current experiment
instead of stranding them (:func:`prepare_out_dir`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import pyarrow.parquet as pq

from .errors import ExperimentError
from .files import environment_info
from .outlock import OutDirBusy, OutDirLock
from .safeio import json_digest, normalize_json, sha256_file, write_json_atomic

__all__ = [
    "MANIFEST", "MANIFEST_FORMAT", "META_OUTCOMES", "META_SPEC", "OUTPUT_NAMES",
    "environment_info", "flat_diff", "read_manifest", "read_run_spec", "spec_digest",
    "prepare_out_dir", "ChecksumBook", "record_outputs", "verify_outputs", "lock_out_dir", "release_out_dir",
]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 2  # 2: "files" checksums and per-run "spec_sha256"
META_OUTCOMES = b"tumor_immune.outcomes"
META_SPEC = b"tumor_immune.spec"
#: names an experiment writes at the top of its output directory (others mean "not ours")
OUTPUT_NAMES = ("runs", "snapshots", "figures", "recordings", "report.txt", MANIFEST)
OUTPUT_SUFFIXES = (".parquet", ".csv")


def flat_diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON-like values differ (short values shown as ``old -> new``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(dict.fromkeys([*a.keys(), *b.keys()])):
            p = f"{prefix}.{k}" if prefix else str(k)
            if k not in a:
                out.append(f"{p} (new)")
            elif k not in b:
                out.append(f"{p} (missing now)")
            else:
                out.extend(flat_diff(a[k], b[k], p))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(flat_diff(x, y, f"{prefix}[{i}]"))
        return out
    if a != b:
        sa, sb = json.dumps(a), json.dumps(b)
        return [prefix] if len(sa) > 40 or len(sb) > 40 else [f"{prefix}: {sa} -> {sb}"]
    return []


def spec_digest(spec: Any) -> str:
    """Digest of a run spec (a ``RunSpec`` or its JSON dict), as stored in the manifest."""
    data = spec.to_json() if hasattr(spec, "to_json") else spec
    return json_digest(normalize_json(data))


def read_manifest(out: str | os.PathLike) -> dict[str, Any]:
    """The manifest of ``out``; :class:`ExperimentError` naming the problem when missing or unreadable."""
    path = Path(out) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ExperimentError(f"'{out}' holds no {MANIFEST}: not an experiment output directory") from None
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"'{out}' holds an unreadable {MANIFEST} ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiment"), dict):
        raise ExperimentError(f"'{out}' holds a {MANIFEST} without an experiment record")
    return data


def read_run_spec(path: str | os.PathLike) -> dict[str, Any] | None:
    """The spec stored in a run file's Parquet metadata (None when unreadable or absent)."""
    try:
        meta = pq.read_schema(path).metadata or {}
        spec = json.loads(meta[META_SPEC])
    except Exception:  # any damage: the caller treats the file as not a finished run
        return None
    return spec if isinstance(spec, dict) else None


def _probe_writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"output directory '{out}' exists and is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".write-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExperimentError(f"output directory '{out}' is not writable: {exc.strerror or exc}") from None


def _new_manifest(experiment: dict[str, Any], runs: Sequence[Any]) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **environment_info(),
        "experiment": experiment,
        "runs": [{"run_id": s.run_id, **s.labels, "seed": s.seed,
                  "spawn_key": None if s.spawn_key is None else list(s.spawn_key),
                  "spec_sha256": spec_digest(s)} for s in runs],
        "checksum_algorithm": "sha256",
        "files": {},
    }


def _rebuild(out: Path, experiment: dict[str, Any], runs: Sequence[Any], problem: str) -> bool:
    """Write a fresh manifest when ``out`` holds only this experiment's outputs; True if done."""
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    foreign = [p.name for p in entries
               if p.name not in OUTPUT_NAMES and not p.name.endswith(OUTPUT_SUFFIXES)
               and not p.name.startswith(MANIFEST)]
    if foreign:
        return False
    wanted = {s.run_id: spec_digest(s) for s in runs}
    run_files = sorted((out / "runs").glob("*.parquet")) if (out / "runs").is_dir() else []
    matching = 0
    for p in run_files:
        spec = read_run_spec(p)
        if spec is not None and wanted.get(spec.get("run_id")) == spec_digest(spec) and p.stem == spec["run_id"]:
            matching += 1
    if run_files and not matching:
        return False  # another experiment's runs: do not adopt them
    old = out / MANIFEST
    if old.exists():
        os.replace(old, out / f"{MANIFEST}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    write_json_atomic(old, _new_manifest(experiment, runs))
    print(f"note: {problem}; rebuilt it from the current experiment ({matching} of {len(run_files)} "
          "run files match and are kept, the others will be redone)", file=sys.stderr)
    return True


#: output directories this process holds the lock of (re-entrant within the process)
_HELD: dict[Path, OutDirLock] = {}


def lock_out_dir(out: str | os.PathLike) -> None:
    """Take ``out``'s exclusive lock for this process; :class:`ExperimentError` if another process holds it."""
    key = Path(out).resolve()
    if key in _HELD:
        return
    try:
        _HELD[key] = OutDirLock(out).acquire()
    except OutDirBusy as exc:
        raise ExperimentError(str(exc)) from None


def release_out_dir(out: str | os.PathLike | None) -> None:
    """Release ``out``'s lock when the experiment is done (no-op if not held)."""
    if out is None:
        return
    lock = _HELD.pop(Path(out).resolve(), None)
    if lock is not None:
        lock.release()


def prepare_out_dir(out: str | os.PathLike, experiment: dict[str, Any], runs: Sequence[Any]) -> Path:
    """Check ``out`` can hold this experiment; write (keep, or rebuild) its manifest; return the path.

    Raises :class:`ExperimentError` when the directory cannot be written, is in use
    by another command (its lock), holds a different experiment, or holds
    unrelated files -- before any run starts. A
    missing or unreadable manifest beside this experiment's own run files is
    rebuilt (the damaged one is kept as ``manifest.json.damaged-<time>``).
    """
    out = Path(out)
    _probe_writable(out)
    lock_out_dir(out)  # held until the driver's release_out_dir (or this process's end)
    experiment = normalize_json(experiment)
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        try:
            old = read_manifest(out)
        except ExperimentError as exc:
            if _rebuild(out, experiment, runs, f"{MANIFEST} was unreadable"):
                return out
            raise ExperimentError(f"{exc}; choose another --out or delete it") from None
        old_exp = old.get("experiment")
        if old_exp != experiment:
            diffs = flat_diff(old_exp if isinstance(old_exp, dict) else {}, experiment)
            shown = "; ".join(diffs[:6]) + (f"; ... ({len(diffs) - 6} more)" if len(diffs) > 6 else "")
            raise ExperimentError(
                f"output directory '{out}' holds a different experiment "
                f"(differs in: {shown or 'experiment definition'}). "
                "Re-run the original command to resume it, or choose a new --out."
            )
        env = environment_info()
        if old.get("git_commit") and env["git_commit"] and old["git_commit"] != env["git_commit"]:
            print(f"note: resuming an experiment started at commit {old['git_commit'][:10]} "
                  f"with code at {env['git_commit'][:10]}", file=sys.stderr)
        return out
    leftovers = [p for p in out.iterdir() if not p.name.startswith(".")]
    if leftovers and not _rebuild(out, experiment, runs, f"{MANIFEST} was missing"):
        raise ExperimentError(
            f"output directory '{out}' is not empty and holds no {MANIFEST} "
            f"(found {', '.join(sorted(p.name for p in leftovers)[:5])}); choose a new or empty --out"
        )
    if not leftovers:
        write_json_atomic(manifest_path, _new_manifest(experiment, runs))
    return out


class ChecksumBook:
    """The manifest's ``files`` checksums, kept in memory and written back now and then.

    Rewriting the manifest after every run would cost O(runs^2) for big
    experiments, so :meth:`flush` writes at most every ``interval`` seconds
    (always when forced). A file written just before a SIGKILL may therefore
    lack a checksum; resume then checks it by reading it in full instead.
    """

    def __init__(self, out_dir: str | os.PathLike, interval: float = 2.0):
        self.out_dir = Path(out_dir)
        self.interval = float(interval)
        self.manifest = read_manifest(self.out_dir)
        files = self.manifest.get("files")
        self.files: dict[str, str] = dict(files) if isinstance(files, dict) else {}
        self._dirty = False
        self._last = time.monotonic()

    def key(self, path: str | os.PathLike) -> str:
        return Path(path).resolve().relative_to(self.out_dir.resolve()).as_posix()

    def expected(self, path: str | os.PathLike) -> str | None:
        """The recorded checksum of ``path`` (None if none was recorded)."""
        return self.files.get(self.key(path))

    def record(self, path: str | os.PathLike, digest: str | None = None) -> str:
        """Record ``path``'s checksum (computed unless given); return it."""
        digest = digest or sha256_file(path)
        self.files[self.key(path)] = digest
        self._dirty = True
        return digest

    def forget(self, path: str | os.PathLike) -> None:
        if self.files.pop(self.key(path), None) is not None:
            self._dirty = True

    def matches(self, path: str | os.PathLike) -> bool | None:
        """True/False when a checksum is recorded and the file (mis)matches; None when none is recorded."""
        want = self.expected(path)
        if want is None:
            return None
        try:
            return sha256_file(path) == want
        except OSError:
            return False

    def flush(self, force: bool = False) -> None:
        """Write the checksums into the manifest (atomically), at most every ``interval`` s unless forced."""
        if not self._dirty or (not force and time.monotonic() - self._last < self.interval):
            return
        self.manifest["files"] = dict(sorted(self.files.items()))
        self.manifest["format"] = MANIFEST_FORMAT
        self.manifest.setdefault("checksum_algorithm", "sha256")
        write_json_atomic(self.out_dir / MANIFEST, self.manifest)
        self._dirty = False
        self._last = time.monotonic()


def record_outputs(out_dir: str | os.PathLike, paths: Sequence[str | os.PathLike]) -> None:
    """Record the checksums of an experiment's final outputs (tables, figures, report) in its manifest."""
    book = ChecksumBook(out_dir)
    for p in paths:
        if Path(p).is_file():
            book.record(p)
    book.flush(force=True)


def verify_outputs(out_dir: str | os.PathLike, paths: Sequence[str | os.PathLike]) -> None:
    """Raise :class:`ExperimentError` naming each of ``paths`` whose checksum does not match the manifest."""
    book = ChecksumBook(out_dir)
    bad = [book.key(p) for p in paths if book.matches(p) is False]
    if bad:
        raise ExperimentError(
            f"'{out_dir}': {', '.join(bad)} changed after it was written (checksum mismatch); "
            f"run `tumor-immune verify {out_dir}` for details, or re-run the experiment's command to rewrite it"
        )
