"""Safe file writes: atomic (temporary file + rename), umask-respecting, checksummed.

Every output file of an experiment is written through :func:`atomic_write`, so a
file either exists complete or not at all (an interrupted write leaves only a
hidden ``.*.tmp`` file that the next run deletes). ``tempfile.mkstemp`` creates
files with mode 0600; a shared results folder would then be unreadable by
colleagues, so the file gets the mode an ordinary ``open()`` would give
(``0o666 & ~umask``) before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = [
    "current_umask", "atomic_write", "sha256_file", "json_default", "write_json_atomic", "print_json", "normalize_json",
    "json_digest",
]

CHUNK = 1 << 20
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """This process's umask, read without changing it where the OS allows."""
    try:
        # Linux: reading /proc avoids the set-and-restore race between threads
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Write ``path`` via ``write(tmp)`` to a temporary file beside it, then rename it into place.

    The file gets mode ``0o666 & ~umask`` (as ``open()`` would give) and its data is
    flushed to disk before the rename, so a crash never leaves a half-written file
    under the final name. Returns ``path``.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~current_umask())
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def json_default(o: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars/arrays, sets, tuples and paths."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically (see :func:`atomic_write`)."""
    text = json.dumps(data, indent=2, sort_keys=False, default=json_default)
    return atomic_write(path, lambda p: p.write_text(text))


def print_json(data: Any, out: str | os.PathLike | None = None) -> str:
    """Print ``data`` as JSON (indent 1) and, if ``out`` is given, write the same text there atomically:
    the figures a sizing or exploration command prints are the figures it saves."""
    text = json.dumps(data, indent=1)
    if out:
        atomic_write(out, lambda p: p.write_text(text + "\n"))
    print(text)
    return text


def normalize_json(obj: Any) -> Any:
    """``obj`` as plain JSON types (keys sorted), for comparing stored and current definitions."""
    return json.loads(json.dumps(obj, default=json_default, sort_keys=True))


def json_digest(obj: Any) -> str:
    """SHA-256 of ``obj``'s canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(obj, default=json_default, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
