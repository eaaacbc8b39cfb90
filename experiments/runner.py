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
import datetime as _dt
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from model.viz.recording import RecordingWriter

from .outcomes import compute_outcomes

__all__ = [
    "ExperimentError",
    "ExperimentInterrupted",
    "RunSpec",
    "RunResult",
    "RunStore",
    "execute_run",
    "run_all",
    "prepare_out_dir",
    "combine",
    "safe_name",
    "environment_info",
]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
_META_OUTCOMES = b"tumor_immune.outcomes"
_META_SPEC = b"tumor_immune.spec"


class ExperimentError(ValueError):
    """Bad experiment input (caught before any run starts)."""


class ExperimentInterrupted(RuntimeError):
    """The experiment stopped before all runs finished; re-run the same command to resume."""

    def __init__(self, message: str, completed: int = 0):
        super().__init__(message)
        self.completed = completed


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
    """

    run_id: str
    labels: dict[str, Any]
    scenario: dict[str, Any]
    seed: int
    spawn_key: tuple[int, ...]
    sample_hours: float = 6.0
    snapshot_days: tuple[float, ...] = ()
    baseline_day: float = 0.0
    record_every: int = 0
    record_to: str = ""

    def seed_sequence(self) -> np.random.SeedSequence:
        """This run's independent random stream."""
        return np.random.SeedSequence(self.seed, spawn_key=tuple(self.spawn_key))

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "labels": self.labels,
            "scenario": self.scenario,
            "seed": self.seed,
            "spawn_key": list(self.spawn_key),
            "sample_hours": self.sample_hours,
            "snapshot_days": list(self.snapshot_days),
            "baseline_day": self.baseline_day,
            **({"record_every": self.record_every, "record_to": self.record_to} if self.record_every else {}),
        }


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


def execute_run(spec: RunSpec) -> RunResult:
    """Build and run one model; return its sampled time series, outcomes and snapshots.

    Pure function of ``spec``: the same spec gives bit-identical results on any worker.
    """
    from model import TherapyScenario

    t0 = time.perf_counter()
    scenario = TherapyScenario.from_dict(spec.scenario, source=f"run '{spec.run_id}'")
    rng = np.random.default_rng(spec.seed_sequence())
    model = scenario.make_model(rng=rng)
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


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
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


def write_json_atomic(path: Path, data: Any) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, sort_keys=False, default=_json_default)))


def write_table(df: pd.DataFrame, path: Path, csv: bool = False) -> list[Path]:
    """Write ``df`` as Parquet (and CSV) atomically; return the paths."""
    _atomic_write(path, lambda p: df.to_parquet(p, index=False))
    out = [path]
    if csv:
        cpath = path.with_suffix(".csv")
        _atomic_write(cpath, lambda p: df.to_csv(p, index=False))
        out.append(cpath)
    return out


def _json_default(o: Any) -> Any:
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
        import pyarrow.parquet as pq

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
        import pyarrow as pa
        import pyarrow.parquet as pq

        if result.snapshots is not None:
            def _save_npz(p: Path) -> None:
                with open(p, "wb") as fh:
                    np.savez_compressed(fh, **result.snapshots)

            _atomic_write(self.snapshot_path(spec.run_id), _save_npz)
        table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[_META_OUTCOMES] = json.dumps(result.outcomes, default=_json_default).encode()
        meta[_META_SPEC] = json.dumps(spec.to_json(), default=_json_default).encode()
        table = table.replace_schema_metadata(meta)
        _atomic_write(self.run_path(spec.run_id), lambda p: pq.write_table(table, p))

    def read(self, spec: RunSpec) -> RunResult:
        import pyarrow.parquet as pq

        table = pq.read_table(self.run_path(spec.run_id))
        outcomes = json.loads(table.schema.metadata[_META_OUTCOMES])
        return RunResult(spec.run_id, table.to_pandas(), outcomes, None)

    def read_snapshots(self, run_id: str) -> dict[str, np.ndarray] | None:
        path = self.snapshot_path(run_id)
        if not path.exists():
            return None
        with np.load(path) as data:
            return {k: data[k] for k in data.files}


# =========================================================================== output directory / manifest


def _git_commit() -> tuple[str | None, bool | None]:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, timeout=5
        )
        return commit.stdout.strip(), bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def environment_info() -> dict[str, Any]:
    """Package version, git commit and library versions for the manifest."""
    import importlib.metadata as md

    try:
        version = md.version("tumor-immune")
    except md.PackageNotFoundError:
        from model import __version__ as version
    commit, dirty = _git_commit()
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
    return json.loads(json.dumps(obj, default=_json_default, sort_keys=True))


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


def prepare_out_dir(out: str | os.PathLike, experiment: dict[str, Any], runs: Sequence[RunSpec]) -> Path:
    """Check ``out`` can hold this experiment; write (or keep) its manifest; return the path.

    Raises :class:`ExperimentError` when the directory cannot be written, holds a
    different experiment, or holds unrelated files -- before any run starts.
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
            {"run_id": s.run_id, **s.labels, "seed": s.seed, "spawn_key": list(s.spawn_key)} for s in runs
        ],
    }
    write_json_atomic(manifest_path, manifest)
    return out


# =========================================================================== execution


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def connect_scheduler(scheduler: Any) -> tuple[Any, bool]:
    """A Dask ``Client`` for ``scheduler`` (address string or Client); ``(client, we_own_it)``."""
    if scheduler is None:
        return None, False
    if not isinstance(scheduler, str):
        if not hasattr(scheduler, "submit") or not hasattr(scheduler, "map"):
            raise ExperimentError(f"scheduler must be an address like 'tcp://host:8786' or a dask Client, not {scheduler!r}")
        return scheduler, False
    try:
        from distributed import Client
    except ImportError:
        raise ExperimentError(
            "--scheduler needs dask.distributed: pip install 'tumor-immune[distributed]'"
        ) from None
    try:
        return Client(scheduler, timeout="15s"), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(f"cannot connect to the Dask scheduler at '{scheduler}': {exc}") from None


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
    from tqdm.auto import tqdm

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
