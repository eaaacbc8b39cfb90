"""Files written by experiments, written once: text, tables, git commit, environment record.

Every file is written through :func:`experiments.safeio.atomic_write` (a temporary
file beside its destination, renamed into place, with the umask's permissions), so
a reader never sees half a file and an interrupted write leaves only a ``.*.tmp``
file that the next run deletes. The manifest lives in :mod:`experiments.manifest`.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from model import __version__ as MODEL_VERSION

from .safeio import atomic_write, json_default, write_json_atomic

__all__ = [
    "atomic_write",
    "write_text_atomic",
    "write_json_atomic",
    "write_table",
    "json_default",
    "git_commit",
    "environment_info",
]

REPO_ROOT = Path(__file__).resolve().parents[1]


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating the parent folder; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


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
