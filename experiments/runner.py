"""Running many simulations: seeds, execution back-ends, restartable storage, manifest.

A run is fully described by a :class:`RunSpec` (a scenario definition, a seed
and a few output options), so it can be shipped to a process pool or a Dask
cluster. :func:`execute_run` is the only function that runs on workers; it
returns a :class:`RunResult` and writes nothing. The driver writes each result
as it arrives:

* ``runs/<run_id>.parquet`` -- the run's sampled time series, with the run's
  outcomes and spec in the Parquet schema metadata. Written to a temporary
  file and renamed into place (``os.replace``), so a file exists only when the
  run finished; it is the run's completion marker.
* ``snapshots/<run_id>.npz`` -- spatial snapshots, for the runs that take them,
  written (atomically) before the Parquet file.

Re-running the same experiment skips runs whose Parquet file exists, and
deletes stray ``*.tmp`` files left by an interrupted write.

Random streams: run ``k`` uses ``numpy.random.SeedSequence(seed, spawn_key=key)``,
exactly the stream ``SeedSequence(seed).spawn(...)[i].spawn(...)[j]`` gives for
``key = (i, j)``. The stream depends only on the spec, never on which worker
runs it or in what order, so serial, pool and Dask runs give identical tables.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import re
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from model import TherapyScenario
from model.viz.recording import RecordingWriter

from .cluster import connect_scheduler, default_workers
from .errors import ExperimentError, ExperimentInterrupted
from .files import atomic_write, environment_info, json_default, prepare_out_dir, write_json_atomic, write_table
from .outcomes import compute_outcomes

__all__ = [
    "ExperimentError",
    "ExperimentInterrupted",
    "RunSpec",
    "RunResult",
    "RunStore",
    "execute_run",
    "build_model",
    "run_all",
    "prepare_out_dir",
    "combine",
    "safe_name",
    "environment_info",
    "write_table",
    "write_json_atomic",
    "connect_scheduler",
    "default_workers",
]

_META_OUTCOMES = b"tumor_immune.outcomes"
_META_SPEC = b"tumor_immune.spec"


# =========================================================================== specs


@dataclass(frozen=True)
class RunSpec:
    """Everything one simulation needs (picklable, JSON-friendly).

    Attributes:
        run_id: unique, file-name-safe identifier within the experiment.
        labels: identity columns for the tidy tables (``scenario``, ``replicate``, ...).
        scenario: the run's full scenario definition (:meth:`TherapyScenario.to_dict`).
        seed: root seed of the experiment.
        spawn_key: this run's position in the seed tree.
        sample_hours: time-series rows kept every this many hours (plus the last).
        snapshot_days: days at which spatial snapshots are taken (empty: none).
        baseline_day: RECIST baseline for the response outcomes (see ``experiments.outcomes``).
        record_every: model steps between recorded lattice frames (0: no recording).
        record_to: the recording file (``<out>/recordings/<run_id>.h5``) when ``record_every`` > 0.
        setup: optional hook ``setup(model)`` called once on the built model before the
            first step (e.g. a different initial layout). Must be picklable (a module-level
            function or a :func:`functools.partial` of one) to run on a pool or cluster.
        probe: optional read-out ``probe(model) -> {name: number}`` called before every
            step and once after the last; each name becomes a column of the run's time
            series, aligned with the data collector's rows (the value before step ``i`` is
            the state of row ``i``). Needs ``lattice.collect_every_steps = 1``; picklable
            like ``setup``.

    With ``spawn_key=None`` the model gets the integer ``seed`` itself
    (``TumorImmuneModel(rng=seed)``, Mesa's integer-seed convention) instead of a
    ``SeedSequence`` child; the validation suite draws its seeds that way.
    """

    run_id: str
    labels: dict[str, Any]
    scenario: dict[str, Any]
    seed: int
    spawn_key: tuple[int, ...] | None
    sample_hours: float = 6.0
    snapshot_days: tuple[float, ...] = ()
    baseline_day: float = 0.0
    record_every: int = 0
    record_to: str = ""
    setup: Callable[[Any], None] | None = None
    probe: Callable[[Any], Mapping[str, float]] | None = None

    def seed_sequence(self) -> np.random.SeedSequence:
        """This run's independent random stream."""
        return np.random.SeedSequence(self.seed, spawn_key=tuple(self.spawn_key or ()))

    def model_rng(self) -> np.random.Generator | int:
        """What the model is seeded with: this run's stream, or the plain seed (``spawn_key=None``)."""
        if self.spawn_key is None:
            return int(self.seed)
        return np.random.default_rng(self.seed_sequence())

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form (stored with each run's table)."""
        out = {
            "run_id": self.run_id,
            "labels": self.labels,
            "scenario": self.scenario,
            "seed": self.seed,
            "spawn_key": None if self.spawn_key is None else list(self.spawn_key),
            "sample_hours": self.sample_hours,
            "snapshot_days": list(self.snapshot_days),
            "baseline_day": self.baseline_day,
            **({"record_every": self.record_every, "record_to": self.record_to} if self.record_every else {}),
        }
        for name, hook in (("setup", self.setup), ("probe", self.probe)):
            if hook is not None:  # recorded by name only (the code is in the repository)
                out[name] = repr(hook)
        return out


@dataclass
class RunResult:
    """What :func:`execute_run` returns: sampled time series, outcomes, snapshots."""

    run_id: str
    timeseries: pd.DataFrame
    outcomes: dict[str, Any]
    snapshots: dict[str, np.ndarray] | None = None
    wall_seconds: float = 0.0


def safe_name(name: str) -> str:
    """A file-name-safe version of ``name``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "run"


def _snapshot(model, days: float, store: dict[str, list]) -> None:
    store.setdefault("days", []).append(days)
    store.setdefault("cells", []).append(model.cell_type_image().astype(np.int8))
    for name, f in model.fields.items():
        store.setdefault(name, []).append(np.asarray(f.values, dtype=np.float32).copy())


def _with_probe_columns(full: pd.DataFrame, probed: Sequence[Mapping[str, float]], run_id: str) -> pd.DataFrame:
    """``full`` with one column per probed read-out (rows aligned with the data collector's)."""
    if len(probed) != len(full):
        raise ExperimentError(
            f"run '{run_id}': a probe needs one data-collector row per step (lattice.collect_every_steps = 1); "
            f"got {len(full)} rows for {len(probed)} probes"
        )
    extra = pd.DataFrame([dict(p) for p in probed], dtype=float)
    clash = sorted(set(extra.columns) & set(full.columns))
    if clash:
        raise ExperimentError(f"run '{run_id}': probe column(s) {', '.join(clash)} clash with the data collector's")
    return pd.concat([full, extra], axis=1)


def build_model(spec: RunSpec):
    """The :class:`~model.TumorImmuneModel` a spec describes, with its ``setup`` applied (not yet stepped)."""
    scenario = TherapyScenario.from_dict(spec.scenario, source=f"run '{spec.run_id}'")
    model = scenario.make_model(rng=spec.model_rng())
    if spec.setup is not None:
        spec.setup(model)
    return model


def execute_run(spec: RunSpec) -> RunResult:
    """Build and run one model; return its sampled time series, outcomes and snapshots.

    Pure function of ``spec``: the same spec gives bit-identical results on any worker.
    """
    t0 = time.perf_counter()
    model = build_model(spec)
    probed: list[Mapping[str, float]] = []
    snap_days = sorted(float(d) for d in spec.snapshot_days)
    snaps: dict[str, list] = {}
    eps = 1e-9
    recorder = RecordingWriter(spec.record_to, spec.record_every, labels=spec.labels) if spec.record_every else None
    with recorder or nullcontext():  # an interrupted run deletes its unfinished recording
        while snap_days and snap_days[0] <= model.days + eps:
            _snapshot(model, model.days, snaps)
            snap_days.pop(0)
        if recorder:
            recorder.capture(model)
        while model.running:
            if spec.probe is not None:
                probed.append(spec.probe(model))
            model.step()
            while snap_days and snap_days[0] <= model.days + eps:
                _snapshot(model, model.days, snaps)
                snap_days.pop(0)
            if recorder:
                recorder.capture(model)
        if recorder:
            recorder.finish(model)
    full = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    outcomes = compute_outcomes(full, baseline_day=min(spec.baseline_day, float(full["days"].iloc[-1])))
    if spec.probe is not None:
        probed.append(spec.probe(model))
        full = _with_probe_columns(full, probed, spec.run_id)

    ts = full
    if spec.sample_hours and spec.sample_hours > 0:
        # the first recorded row at or after each multiple of sample_hours, plus the last row
        hours = full["hours"].to_numpy(dtype=float)
        grid = np.arange(0.0, hours[-1] + 1e-9, spec.sample_hours)
        idx = np.unique(np.r_[np.searchsorted(hours, grid - 1e-6, side="left"), hours.size - 1])
        ts = full.iloc[idx[idx < hours.size]]
    ts = ts.reset_index(drop=True)
    for i, (k, v) in enumerate(spec.labels.items()):
        ts.insert(i, k, v)
    ts.insert(0, "run_id", spec.run_id)
    outcomes = {"run_id": spec.run_id, **spec.labels, **outcomes}
    snapshots = {k: np.asarray(v) for k, v in snaps.items()} if snaps else None
    return RunResult(spec.run_id, ts, outcomes, snapshots, time.perf_counter() - t0)


# =========================================================================== storage


class RunStore:
    """One Parquet file per finished run under ``<out>/runs`` (plus snapshots)."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.runs_dir = self.out_dir / "runs"
        self.snap_dir = self.out_dir / "snapshots"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.snap_dir.mkdir(parents=True, exist_ok=True)

    def run_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    def snapshot_path(self, run_id: str) -> Path:
        return self.snap_dir / f"{run_id}.npz"

    def clean_stray(self) -> int:
        """Delete temporary files left by interrupted writes; return how many."""
        n = 0
        for d in (self.out_dir, self.runs_dir, self.snap_dir):
            for p in d.glob(".*.tmp"):
                p.unlink(missing_ok=True)
                n += 1
        return n

    def is_done(self, spec: RunSpec) -> bool:
        """True if the run's file exists and is readable (an unreadable one is deleted)."""
        path = self.run_path(spec.run_id)
        if not path.exists():
            return False
        try:
            meta = pq.read_schema(path).metadata or {}
            ok = _META_OUTCOMES in meta
            if ok and spec.snapshot_days:
                ok = self.snapshot_path(spec.run_id).exists()
        except Exception:
            ok = False
        if not ok:
            path.unlink(missing_ok=True)
        return ok

    def write(self, spec: RunSpec, result: RunResult) -> None:
        if result.snapshots is not None:
            def _save_npz(p: Path) -> None:
                with open(p, "wb") as fh:
                    np.savez_compressed(fh, **result.snapshots)

            atomic_write(self.snapshot_path(spec.run_id), _save_npz)
        table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[_META_OUTCOMES] = json.dumps(result.outcomes, default=json_default).encode()
        meta[_META_SPEC] = json.dumps(spec.to_json(), default=json_default).encode()
        table = table.replace_schema_metadata(meta)
        atomic_write(self.run_path(spec.run_id), lambda p: pq.write_table(table, p))

    def read(self, spec: RunSpec) -> RunResult:
        table = pq.read_table(self.run_path(spec.run_id))
        outcomes = json.loads(table.schema.metadata[_META_OUTCOMES])
        return RunResult(spec.run_id, table.to_pandas(), outcomes, None)

    def read_snapshots(self, run_id: str) -> dict[str, np.ndarray] | None:
        path = self.snapshot_path(run_id)
        if not path.exists():
            return None
        with np.load(path) as data:
            return {k: data[k] for k in data.files}


# =========================================================================== execution


def _iter_serial(specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, RunResult]]:
    for s in specs:
        yield s, execute_run(s)


def _mp_context():
    """``forkserver`` with the model preloaded where available (fast, thread-safe), else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["experiments.runner", "model"])
        return ctx
    return multiprocessing.get_context("spawn")


def _iter_pool(specs: Sequence[RunSpec], workers: int, state: dict) -> Iterator[tuple[RunSpec, RunResult]]:
    ctx = _mp_context()
    ex = cf.ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=ctx)
    state["cancel"] = lambda: ex.shutdown(wait=True, cancel_futures=True)
    try:
        futs = {ex.submit(execute_run, s): s for s in specs}
        for fut in cf.as_completed(futs):
            yield futs[fut], fut.result()
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _iter_dask(specs: Sequence[RunSpec], client: Any, state: dict) -> Iterator[tuple[RunSpec, RunResult]]:
    from distributed import as_completed

    token = f"{os.getpid()}-{time.time_ns()}"
    keys = [f"tumor-immune-{s.run_id}-{token}" for s in specs]
    futures = client.map(execute_run, list(specs), key=keys, pure=False)
    by_key = {f.key: s for f, s in zip(futures, specs)}
    state["cancel"] = lambda: client.cancel(futures)
    try:
        for fut in as_completed(futures):
            yield by_key[fut.key], fut.result()
    finally:
        client.cancel(futures)


def run_all(
    specs: Sequence[RunSpec],
    store: RunStore | None = None,
    *,
    workers: int | None = None,
    client: Any = None,
    progress: bool = True,
    desc: str = "runs",
    stop_after: int | None = None,
) -> tuple[dict[str, RunResult] | None, int]:
    """Run every spec not yet finished; write each result as it arrives.

    Args:
        specs: all runs of the experiment (finished ones are skipped when ``store`` is given).
        store: where results go; ``None`` keeps them in memory and returns them.
        workers: local processes (default: all cores; 1 runs serially in this process).
        client: a Dask ``Client``; when given, runs go to its cluster instead.
        progress: show a tqdm progress bar.
        stop_after: test hook; stop (raising :class:`ExperimentInterrupted`) after this
            many new runs have been written.

    Returns:
        ``({run_id: RunResult} when store is None else None, number of runs already finished)``.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ExperimentError(f"workers = {workers} must be >= 1")
    memory: dict[str, RunResult] = {}
    if store is not None:
        store.clean_stray()
        pending = [s for s in specs if not store.is_done(s)]
    else:
        pending = list(specs)
    done_before = len(specs) - len(pending)
    bar = tqdm(total=len(specs), initial=done_before, desc=desc, unit="run", disable=not progress, dynamic_ncols=True)
    state: dict[str, Any] = {}
    if not pending:
        bar.close()
        return (memory if store is None else None), done_before
    if client is not None:
        it = _iter_dask(pending, client, state)
    elif workers == 1 or len(pending) == 1:
        it = _iter_serial(pending)
    else:
        it = _iter_pool(pending, workers, state)
    written = 0
    try:
        for spec, result in it:
            if store is not None:
                store.write(spec, result)
            else:
                memory[spec.run_id] = result
            written += 1
            bar.update(1)
            if stop_after is not None and written >= stop_after and written < len(pending):
                if "cancel" in state:
                    state["cancel"]()
                raise ExperimentInterrupted(
                    f"stopped after {written} of {len(pending)} pending runs (stop_after={stop_after}); "
                    "re-run the same command to resume",
                    completed=done_before + written,
                )
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
        bar.close()
    return (memory if store is None else None), done_before


# =========================================================================== combining


def combine(
    specs: Sequence[RunSpec], store: RunStore | None = None, memory: dict[str, RunResult] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All runs' time series and outcomes, in spec order (independent of completion order)."""
    ts_parts, rows = [], []
    for s in specs:
        r = memory[s.run_id] if memory is not None else store.read(s)  # type: ignore[union-attr]
        ts_parts.append(r.timeseries)
        rows.append(r.outcomes)
    ts = pd.concat(ts_parts, ignore_index=True, sort=False) if ts_parts else pd.DataFrame()
    conc = [c for c in ts.columns if c.endswith("_concentration")]
    if conc:
        ts[conc] = ts[conc].fillna(0.0)  # no such drug in that scenario: concentration 0
    outcomes = pd.DataFrame(rows)
    for col in ("responder", "eradicated", "progressed"):
        if col in outcomes:
            outcomes[col] = outcomes[col].astype(bool)
    return ts, outcomes
