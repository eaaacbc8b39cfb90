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
import os
import sys
import time
from contextlib import nullcontext
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from model import TherapyScenario, TumorImmuneModel
from model.collector import SummaryCollector
from model.viz.recording import RecordingWriter

from .cluster import connect_scheduler, default_workers
from .errors import ExperimentError, ExperimentInterrupted
from .files import environment_info, write_table
from .manifest import prepare_out_dir
from .outcome_trace import OutcomeTrace, sampled_rows
from .outcomes import compute_outcomes, outcomes_from_series
from .runspec import RunResult, RunSpec, safe_name
from .runstore import RunStore
from .safeio import atomic_write, write_json_atomic
from .workers import make_pool, sigint_deferred

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
    "atomic_write",
    "connect_scheduler",
    "default_workers",
]

# =========================================================================== specs


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


def _traceable(spec: RunSpec, model) -> bool:
    """Whether the run may record full rows at its sampled steps only (:class:`OutcomeTrace`): it
    keeps a sampled series of at least two steps, the model collects every step into its own summary
    collector and holds only its initial row, and no hook (setup, probe, recording) may read rows.
    A registered model class that overrides ``summarize`` collects every step: the trace computes its
    few values as :meth:`TumorImmuneModel.summarize` does, not as the override might."""
    if spec.setup is not None or spec.probe is not None or spec.record_every:
        return False
    if type(model).summarize is not TumorImmuneModel.summarize:
        return False
    if not (spec.sample_hours and spec.sample_hours >= 2 * model.dt) or model.p.lattice.collect_every_steps != 1:
        return False
    dc = model.datacollector
    keys = dc.reads_summary_only() if isinstance(dc, SummaryCollector) else None
    return keys == tuple(model.summary) and model.steps == 0 and len(dc.model_vars[keys[0]]) == 1


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
    # a run that keeps only sampled rows records its outcome columns every step and a full row only
    # where the sample needs one (experiments.outcome_trace: same outcomes and rows, bit for bit)
    trace = OutcomeTrace(model, spec.sample_hours) if _traceable(spec, model) else None
    model.collect_filter = trace
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
    if trace is not None:
        model.collect_filter = None
        series, ts = trace.finish(model, full)
        outcomes = outcomes_from_series(series, ts.iloc[-1],
                                        baseline_day=min(spec.baseline_day, float(series["days"].iloc[-1])))
    else:
        outcomes = compute_outcomes(full, baseline_day=min(spec.baseline_day, float(full["days"].iloc[-1])))
        if spec.probe is not None:
            probed.append(spec.probe(model))
            full = _with_probe_columns(full, probed, spec.run_id)
        ts = full
        if spec.sample_hours and spec.sample_hours > 0:
            # the first recorded row at or after each multiple of sample_hours, plus the last row
            ts = full.iloc[sampled_rows(full["hours"].to_numpy(dtype=float), spec.sample_hours)]
    ts = ts.reset_index(drop=True)
    for i, (k, v) in enumerate(spec.labels.items()):
        ts.insert(i, k, v)
    ts.insert(0, "run_id", spec.run_id)
    outcomes = {"run_id": spec.run_id, **spec.labels, **outcomes}
    snapshots = {k: np.asarray(v) for k, v in snaps.items()} if snaps else None
    return RunResult(spec.run_id, ts, outcomes, snapshots, time.perf_counter() - t0)


# =========================================================================== execution


NO_MAIN_GUARD = (
    "worker processes died while starting. A script that calls compare()/sweep()/cohort() must do so "
    "under `if __name__ == \"__main__\":` (each worker re-imports the script), or pass workers=1"
)


def _iter_serial(specs: Sequence[RunSpec], state: dict) -> Iterator[tuple[RunSpec, RunResult]]:
    for s in specs:
        yield s, execute_run(s)


def _iter_pool(specs: Sequence[RunSpec], workers: int, state: dict) -> Iterator[tuple[RunSpec, RunResult]]:
    with sigint_deferred():  # Ctrl-C is acted on once every worker has started
        ex = make_pool(min(workers, len(specs)))
        state["cancel"] = lambda: ex.shutdown(wait=True, cancel_futures=True)
        futs = {ex.submit(execute_run, s): s for s in specs}
        state["futures"] = futs
    got = 0
    try:
        for fut in cf.as_completed(futs):
            try:
                result = fut.result()
            except cf.process.BrokenProcessPool:
                if got == 0:
                    raise ExperimentError(NO_MAIN_GUARD) from None
                raise ExperimentInterrupted(
                    "a worker process died unexpectedly (killed by the system, e.g. out of memory?); "
                    "finished runs are saved; re-run the same command to resume", completed=got) from None
            got += 1
            yield futs[fut], result
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


def _drain(state: dict, handled: set[str]) -> list[tuple[RunSpec, RunResult]]:
    """After Ctrl-C: let the pool's runs in progress finish; return the finished, unwritten ones."""
    futs = state.get("futures")
    if not futs:
        return []
    print("\ninterrupted: letting the runs in progress finish and saving them "
          "(press Ctrl-C again to abandon them)", file=sys.stderr)
    state["cancel"]()
    out = []
    for fut, spec in futs.items():
        if spec.run_id in handled or fut.cancelled() or not fut.done() or fut.exception() is not None:
            continue
        out.append((spec, fut.result()))
    return out


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
        specs: all runs of the experiment (finished ones are skipped when ``store`` is given;
            a run whose files fail :meth:`RunStore.check` is redone, with a note on stderr).
        store: where results go; ``None`` keeps them in memory and returns them.
        workers: local processes (default: all cores; 1 runs serially in this process).
        client: a Dask ``Client``; when given, runs go to its cluster instead.
        progress: show a tqdm progress bar.
        stop_after: test hook; stop (raising :class:`ExperimentInterrupted`) after this
            many new runs have been written.

    Ctrl-C stops submitting runs, lets the pool's runs in progress finish, saves
    them and raises :class:`ExperimentInterrupted` saying how many runs are saved.

    Returns:
        ``({run_id: RunResult} when store is None else None, number of runs already finished)``.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ExperimentError(f"workers = {workers} must be >= 1")
    memory: dict[str, RunResult] = {}
    pending = list(specs)
    if store is not None:
        store.clean_stray()
        pending = []
        for s in specs:
            problem = store.check(s)
            if problem is not None and problem != "missing":
                print(f"note: redoing run {s.run_id}: its file {problem}", file=sys.stderr)
            if problem is not None:
                store.discard(s)
                pending.append(s)
        store.flush()
    done_before = len(specs) - len(pending)
    bar = tqdm(total=len(specs), initial=done_before, desc=desc, unit="run", disable=not progress, dynamic_ncols=True)
    state: dict[str, Any] = {}
    if not pending:
        bar.close()
        return (memory if store is None else None), done_before
    if client is not None:
        it = _iter_dask(pending, client, state)
    elif workers == 1 or len(pending) == 1:
        it = _iter_serial(pending, state)
    else:
        it = _iter_pool(pending, workers, state)
    written: list[str] = []

    def keep(spec: RunSpec, result: RunResult) -> None:
        if store is not None:
            store.write(spec, result)
        else:
            memory[spec.run_id] = result
        written.append(spec.run_id)
        bar.update(1)

    try:
        for spec, result in it:
            keep(spec, result)
            if stop_after is not None and len(written) >= stop_after and len(written) < len(pending):
                if "cancel" in state:
                    state["cancel"]()
                raise ExperimentInterrupted(
                    f"stopped after {len(written)} of {len(pending)} pending runs (stop_after={stop_after}); "
                    "re-run the same command to resume",
                    completed=done_before + len(written),
                )
    except KeyboardInterrupt:
        for spec, result in _drain(state, set(written)):
            keep(spec, result)
        total = done_before + len(written)
        raise ExperimentInterrupted(
            f"{total} of {len(specs)} runs are saved ({len(written)} finished in this session)"
            + ("; re-run the same command to resume" if store is not None else ""),
            completed=total,
            by_user=True,
        ) from None
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
        bar.close()
        if store is not None:
            store.flush()
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
