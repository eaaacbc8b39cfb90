"""Find the recorded runs of a results folder (``tumor-immune compare ... --record-every K``).

A results folder holds ``manifest.json`` (the experiment and its runs),
``runs/<run_id>.parquet`` and, for recorded experiments,
``recordings/<run_id>.h5``. This module only lists and opens recordings; it
turns every way a folder can be wrong into one :class:`RecordingError` whose
message says what is wrong and what to do.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .recording import SUFFIX, Recording, RecordingError

MANIFEST = "manifest.json"
RECORDINGS = "recordings"


@dataclass(frozen=True)
class RecordedRun:
    """One run of a results folder and where its recording is (``None``: not recorded / unfinished)."""

    run_id: str
    labels: dict
    path: Path | None
    partial: bool = False


def recording_path(folder: str | os.PathLike, run_id: str) -> Path:
    """Where the recording of ``run_id`` lives in a results folder."""
    return Path(folder) / RECORDINGS / f"{run_id}{SUFFIX}"


class ResultsFolder:
    """The recorded runs of a results folder.

    Raises:
        RecordingError: the folder is missing, is not a tumor-immune results folder,
            or has no finished recording.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise RecordingError(f"results folder '{self.folder}' does not exist (or is not a folder)")
        manifest = self.folder / MANIFEST
        if not manifest.is_file():
            raise RecordingError(f"'{self.folder}' is not a tumor-immune results folder (no {MANIFEST}); "
                                 "point to the --out folder of a 'tumor-immune compare/cohort' run")
        try:
            runs = json.loads(manifest.read_text())["runs"]
            listed = [(str(r["run_id"]), {k: v for k, v in r.items() if k not in ("run_id", "seed", "spawn_key")})
                      for r in runs]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RecordingError(f"'{manifest}' is unreadable or not a tumor-immune manifest ({exc!r})") from None
        self.runs: list[RecordedRun] = []
        for run_id, labels in listed:
            path = recording_path(self.folder, run_id)
            partial = path.with_name(f".{path.name}.tmp").exists()
            self.runs.append(RecordedRun(run_id, labels, path if path.is_file() else None, partial))
        if not any(r.path for r in self.runs):
            unfinished = sum(r.partial for r in self.runs)
            hint = (f"{unfinished} recording(s) are unfinished: the experiment was interrupted; re-run it to finish"
                    if unfinished else "run the experiment with --record-every K (model steps between frames)")
            raise RecordingError(f"results folder '{self.folder}' has no finished recording ({len(self.runs)} runs "
                                 f"listed); {hint}")

    @property
    def recorded(self) -> list[RecordedRun]:
        """The runs with a finished recording, in manifest order."""
        return [r for r in self.runs if r.path]

    @property
    def missing(self) -> list[RecordedRun]:
        """Runs listed in the manifest without a finished recording."""
        return [r for r in self.runs if not r.path]

    def scenarios(self) -> list[str]:
        """Scenario names of the recorded runs, in order."""
        return list(dict.fromkeys(str(r.labels.get("scenario", "?")) for r in self.recorded))

    def find(self, run: str) -> RecordedRun:
        """A recorded run by its run id, or by ``scenario`` / ``scenario:replicate`` (the first match)."""
        for r in self.recorded:
            if r.run_id == run:
                return r
        name, _, rep = run.partition(":")
        for r in self.recorded:
            replicate = r.labels.get("replicate", r.labels.get("patient"))
            if str(r.labels.get("scenario")) == name and (not rep or str(replicate) == rep):
                return r
        known = ", ".join(r.run_id for r in self.recorded[:8])
        raise RecordingError(f"run '{run}' is not recorded in '{self.folder}'; recorded runs: {known}"
                             f"{' ...' if len(self.recorded) > 8 else ''} (or give scenario[:replicate])")

    def open(self, run: str) -> Recording:
        """The recording of a run (see :meth:`find`)."""
        return Recording(self.find(run).path)


def write_manifest(folder: str | os.PathLike, runs: list[dict], kind: str = "live") -> Path:
    """Make ``folder`` a minimal results folder listing ``runs`` (dicts with ``run_id`` and labels).

    For recordings made outside an experiment (the live page), so the Replay tab
    and ``tumor-immune movie`` can open them like any results folder.
    """
    folder = Path(folder)
    (folder / RECORDINGS).mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps({"format": 1, "kind": kind, "runs": runs}, indent=1))
    os.replace(tmp, path)
    return path
