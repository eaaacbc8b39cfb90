"""Shared helpers for the reliability tests: a tiny experiment and process inspection."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TINY = {"lattice.width_sites": 30, "lattice.height_sites": 30}
# one scenario, 2 replicates, 1 day on 30 x 30 sites: about a second per run
KW = dict(replicates=2, days=1, seed=3, overrides=TINY, workers=1, progress=False, figures=False,
          snapshot_days=[0, 1])
TINY_CLI = ["--lattice-size", "30", "--days", "2", "--no-figures", "--no-progress", "--seed", "7"]


def cli_env() -> dict[str, str]:
    """Environment for a CLI subprocess that imports this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def clone(src: Path, dst: Path) -> Path:
    """A copy of a finished output directory to damage."""
    shutil.copytree(src, dst)
    return dst


def flip_byte(path: Path, offset: int | None = None) -> None:
    """Invert one byte (the middle one by default)."""
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state, fields[2] the process group
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            out.append(int(entry))
    return out
