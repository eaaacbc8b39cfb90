"""Files written by experiments, written once: atomic writes, JSON, tables, manifest, git commit.

Every file is written to a temporary file next to its destination and renamed into
place (``os.replace``), so a reader never sees half a file and an interrupted write
leaves only a ``.*.tmp`` file that the next run deletes.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as md
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from model import __version__ as MODEL_VERSION

from .errors import ExperimentError

__all__ = [
    "MANIFEST",
    "atomic_write",
    "write_text_atomic",
    "write_json_atomic",
    "write_table",
    "json_default",
    "git_commit",
    "environment_info",
    "prepare_out_dir",
]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
REPO_ROOT = Path(__file__).resolve().parents[1]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via ``write(tmp)`` to a temporary file next to ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def json_default(o: Any) -> Any:
    """JSON for numpy scalars and arrays, sets, tuples and paths."""
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, sort_keys=False, default=json_default)))


def write_table(df: pd.DataFrame, path: Path, csv: bool = False) -> list[Path]:
    """Write ``df`` as Parquet (and CSV) atomically; return the paths."""
    atomic_write(path, lambda p: df.to_parquet(p, index=False))
    out = [path]
    if csv:
        cpath = path.with_suffix(".csv")
        atomic_write(cpath, lambda p: df.to_csv(p, index=False))
        out.append(cpath)
    return out


def git_commit(short: bool = False, dirty_paths: Sequence[str] = ()) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the checkout holding this package; ``(None, None)`` outside git.

    ``dirty`` is True when tracked files (only those under ``dirty_paths`` when given) have
    uncommitted changes.
    """
    args = ["git", "rev-parse", "--short", "HEAD"] if short else ["git", "rev-parse", "HEAD"]
    try:
        commit = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None, None
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        if dirty_paths:
            status += ["--", *dirty_paths]
        dirty = subprocess.run(status, cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        return commit.stdout.strip(), bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def environment_info() -> dict[str, Any]:
    """Package version, git commit and library versions for the manifest."""
    try:
        version = md.version("tumor-immune")
    except md.PackageNotFoundError:
        version = MODEL_VERSION
    commit, dirty = git_commit()
    libs = {}
    for lib in ("mesa", "numpy", "scipy", "pandas", "pyarrow"):
        try:
            libs[lib] = md.version(lib)
        except md.PackageNotFoundError:
            pass
    return {
        "package_version": version,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": libs,
    }


def _normalize(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=json_default, sort_keys=True))


def _flat_diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(dict.fromkeys([*a.keys(), *b.keys()])):
            p = f"{prefix}.{k}" if prefix else str(k)
            if k not in a:
                out.append(f"{p} (new)")
            elif k not in b:
                out.append(f"{p} (missing now)")
            else:
                out.extend(_flat_diff(a[k], b[k], p))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(_flat_diff(x, y, f"{prefix}[{i}]"))
        return out
    if a != b:
        sa, sb = json.dumps(a), json.dumps(b)
        if len(sa) > 40 or len(sb) > 40:
            return [prefix]
        return [f"{prefix}: {sa} -> {sb}"]
    return []


def prepare_out_dir(out: str | os.PathLike, experiment: dict[str, Any], runs: Sequence[Any]) -> Path:
    """Check ``out`` can hold this experiment; write (or keep) its manifest; return the path.

    ``runs`` are the experiment's :class:`~experiments.runner.RunSpec` objects. Raises
    :class:`ExperimentError` when the directory cannot be written, holds a different
    experiment, or holds unrelated files -- before any run starts.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"output directory '{out}' exists and is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".write-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExperimentError(f"output directory '{out}' is not writable: {exc.strerror or exc}") from None

    experiment = _normalize(experiment)
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise ExperimentError(f"output directory '{out}' holds an unreadable {MANIFEST} ({exc}); "
                                  "choose another --out or delete it") from None
        old_exp = old.get("experiment")
        if old_exp != experiment:
            diffs = _flat_diff(old_exp if isinstance(old_exp, dict) else {}, experiment)
            shown = "; ".join(diffs[:6]) + (f"; ... ({len(diffs) - 6} more)" if len(diffs) > 6 else "")
            raise ExperimentError(
                f"output directory '{out}' holds a different experiment "
                f"(differs in: {shown or 'experiment definition'}). "
                "Re-run the original command to resume it, or choose a new --out."
            )
        env = environment_info()
        if old.get("git_commit") and env["git_commit"] and old["git_commit"] != env["git_commit"]:
            print(
                f"note: resuming an experiment started at commit {old['git_commit'][:10]} "
                f"with code at {env['git_commit'][:10]}",
                file=sys.stderr,
            )
        return out
    leftovers = [p for p in out.iterdir() if not p.name.startswith(".")]
    if leftovers:
        raise ExperimentError(
            f"output directory '{out}' is not empty and holds no {MANIFEST} "
            f"(found {', '.join(sorted(p.name for p in leftovers)[:5])}); choose a new or empty --out"
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **environment_info(),
        "experiment": experiment,
        "runs": [
            {"run_id": s.run_id, **s.labels, "seed": s.seed, "spawn_key": list(s.spawn_key or ())} for s in runs
        ],
    }
    write_json_atomic(manifest_path, manifest)
    return out
