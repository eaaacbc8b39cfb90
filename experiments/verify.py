"""``tumor-immune verify RESULTS``: check an output directory against its manifest.

Every file recorded in the manifest must exist with the recorded SHA-256; every
run listed must have a run file whose stored spec has the recorded digest (or,
for manifests written before digests, the recorded run id, seed, seed key and
labels); no unexpected run or snapshot file may lie beside them. Each problem is
reported with the file it concerns and what is wrong, so a damaged folder can be
repaired by re-running its command (which redoes exactly the damaged runs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ExperimentError
from .manifest import MANIFEST, read_manifest, read_run_spec, spec_digest
from .safeio import sha256_file

__all__ = ["VerifyReport", "verify_out_dir", "format_report"]

_IDENTITY = ("seed", "spawn_key")


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_out_dir`: files checked and the problems found (``path: what``)."""

    out_dir: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_run(out: Path, entry: dict[str, Any], files: dict[str, str], rep: VerifyReport) -> None:
    run_id = str(entry.get("run_id"))
    rel = f"runs/{run_id}.parquet"
    path = out / rel
    if not path.exists():
        rep.notes.append(f"{rel}: not finished yet (re-run the experiment's command to finish it)")
        return
    spec = read_run_spec(path)
    if spec is None:
        rep.problems.append(f"{rel}: unreadable run file (damaged or not a run file)")
        return
    if spec.get("run_id") != run_id:
        rep.problems.append(f"{rel}: holds run '{spec.get('run_id')}', not '{run_id}' (copied over?)")
        return
    if "spec_sha256" in entry:
        if spec_digest(spec) != entry["spec_sha256"]:
            rep.problems.append(f"{rel}: its stored spec differs from the manifest's (another experiment's run?)")
    else:
        labels = {k: v for k, v in entry.items() if k not in ("run_id", *_IDENTITY)}
        wrong = [k for k in _IDENTITY if spec.get(k) != entry.get(k)]
        wrong += [f"labels.{k}" for k, v in labels.items() if spec.get("labels", {}).get(k) != v]
        if wrong:
            rep.problems.append(f"{rel}: its stored spec differs from the manifest in {', '.join(wrong)}")
    if rel not in files:
        rep.notes.append(f"{rel}: no checksum recorded (written just before an interruption?); "
                         "resuming the experiment checks and records it")


def verify_out_dir(out: str | os.PathLike) -> VerifyReport:
    """Check every file of an experiment's output directory against its manifest."""
    out = Path(out)
    if not out.is_dir():
        raise ExperimentError(f"'{out}' is not a directory")
    rep = VerifyReport(out)
    try:
        manifest = read_manifest(out)
    except ExperimentError as exc:
        rep.problems.append(f"{MANIFEST}: {exc}; re-running the experiment's command rebuilds it from the run files")
        return rep
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    if "files" not in manifest:
        rep.notes.append(f"{MANIFEST}: written by an older version without checksums; only specs are checked")
    for rel, want in sorted(files.items()):
        path = out / rel
        rep.checked += 1
        if not path.exists():
            rep.problems.append(f"{rel}: missing (recorded in the manifest)")
            continue
        try:
            got = sha256_file(path)
        except OSError as exc:
            rep.problems.append(f"{rel}: unreadable ({exc.strerror or exc})")
            continue
        if got != want:
            rep.problems.append(f"{rel}: checksum mismatch (sha256 {got[:12]}..., manifest says {str(want)[:12]}...)")
    runs = [e for e in manifest.get("runs", []) if isinstance(e, dict)]
    for entry in runs:
        _check_run(out, entry, files, rep)
    ids = {str(e.get("run_id")) for e in runs}
    for sub, suffix in (("runs", ".parquet"), ("snapshots", ".npz")):
        d = out / sub
        for p in sorted(d.glob(f"*{suffix}")) if d.is_dir() else []:
            if p.stem not in ids:
                rep.problems.append(f"{sub}/{p.name}: not a run of this experiment")
    return rep


def format_report(rep: VerifyReport) -> str:
    """Human-readable verdict: one line per problem and note, then a summary line."""
    lines = [f"problem: {p}" for p in rep.problems] + [f"note: {n}" for n in rep.notes]
    verdict = "OK" if rep.ok else f"FAILED ({len(rep.problems)} problem{'s' if len(rep.problems) != 1 else ''})"
    lines.append(f"{verdict}: {rep.checked} file checksums checked in '{rep.out_dir}'")
    return "\n".join(lines)
