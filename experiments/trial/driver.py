"""Running a trial: patients on a process pool or Dask, one atomic file per finished patient, resume.

``out/patients/p<index>.json`` is written (temp file + rename) when a patient's
windows are all done; re-running the same command skips those patients. The
lesion scale and the read-outs are cheap and recomputed from these files.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..runner import ExperimentError, connect_scheduler, default_workers, prepare_out_dir, write_json_atomic
from .design import TrialDesign
from .patient import simulate_patient

__all__ = ["run_patients", "patient_path", "read_patients"]


def patient_path(out: Path, index: int) -> Path:
    """Where patient ``index``'s record lives."""
    return out / "patients" / f"p{index:05d}.json"


def read_patients(out: Path, design: TrialDesign) -> list[dict]:
    """Records of every finished patient ``0..design.patients-1`` (in index order)."""
    recs = []
    for i in range(design.patients):
        p = patient_path(out, i)
        if p.exists():
            recs.append(json.loads(p.read_text()))
    return recs


def _pool_iter(design: TrialDesign, todo: Sequence[int], workers: int) -> Iterator[dict]:
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with cf.ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as ex:
        futs = [ex.submit(simulate_patient, design, i) for i in todo]
        try:
            for fut in cf.as_completed(futs):
                yield fut.result()
        finally:
            for f in futs:
                f.cancel()


def _dask_iter(design: TrialDesign, todo: Sequence[int], client: Any) -> Iterator[dict]:
    from distributed import as_completed  # optional dependency, only with --scheduler

    futs = [client.submit(simulate_patient, design, i, pure=False) for i in todo]
    try:
        for fut in as_completed(futs):
            yield fut.result()
    finally:
        client.cancel(futs)


def run_patients(design: TrialDesign, out: str | Path, workers: int | None = None, scheduler: Any = None,
                 progress: bool = False) -> Path:
    """Simulate every unfinished patient of ``design`` into ``out``; return the output folder.

    Raises:
        ExperimentError: ``out`` holds another experiment or cannot be written (before anything runs).
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ExperimentError(f"workers = {workers!r} must be a whole number >= 1")
    # The folder's identity is what the patient files depend on: not the patient count (patient i
    # is the same in any trial size, so a trial can grow) nor the lesion scale (applied afterwards).
    identity = {k: v for k, v in design.to_dict().items() if k not in ("patients", "lesion")}
    out_dir = prepare_out_dir(out, {"kind": "trial", "design": identity}, [])
    (out_dir / "patients").mkdir(exist_ok=True)
    for stray in (out_dir / "patients").glob(".*.tmp"):
        stray.unlink()  # an interrupted atomic write
    todo = [i for i in range(design.patients) if not patient_path(out_dir, i).exists()]
    if not todo:
        return out_dir
    client, owned = connect_scheduler(scheduler)
    workers = workers or default_workers()
    try:
        if client is not None:
            results = _dask_iter(design, todo, client)
        elif workers == 1 or len(todo) == 1:
            results = (simulate_patient(design, i) for i in todo)
        else:
            results = _pool_iter(design, todo, workers)
        for k, rec in enumerate(results, 1):
            write_json_atomic(patient_path(out_dir, rec["index"]), rec)
            if progress:
                print(f"\rpatients {k}/{len(todo)}", end="", file=sys.stderr, flush=True)
    finally:
        if progress:
            print(file=sys.stderr)
        if owned:
            client.close()
    return out_dir
