"""The runner: same command, same tables serially, on a process pool and on Dask; the setup/probe hooks."""

from __future__ import annotations

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from experiments import compare
from experiments.runner import ExperimentError, RunSpec, build_model, execute_run
from model import TherapyScenario, TumorCell
from exp_settings import SCENARIOS, SMALL

KW = dict(replicates=2, days=2, seed=11, overrides=SMALL, progress=False, figures=False, snapshot_days=[])


def _same(a, b):
    assert_frame_equal(a.timeseries, b.timeseries)
    assert_frame_equal(a.outcomes, b.outcomes)
    assert_frame_equal(a.statistics, b.statistics)


@pytest.fixture(scope="module")
def serial():
    return compare(SCENARIOS, workers=1, **KW)


def test_replicates_get_independent_streams(serial):
    ts = serial.timeseries
    r0 = ts[ts["run_id"] == "untreated__r000"].drop(columns=["run_id", "replicate"]).reset_index(drop=True)
    r1 = ts[ts["run_id"] == "untreated__r001"].drop(columns=["run_id", "replicate"]).reset_index(drop=True)
    assert not r0.equals(r1)
    lattice_only = {k: v for k, v in SMALL.items() if k.startswith("lattice.")}
    again = compare(SCENARIOS[:1], workers=1, **{**KW, "replicates": 1, "overrides": lattice_only})
    first = serial.timeseries[serial.timeseries["run_id"] == "untreated__r000"].reset_index(drop=True)
    assert_frame_equal(again.timeseries, first[again.timeseries.columns])  # a run's stream depends only on (seed, scenario index, replicate)
    other = compare(SCENARIOS[:1], workers=1, **{**KW, "replicates": 1, "seed": 12, "overrides": lattice_only})
    assert not other.timeseries.equals(again.timeseries)


def test_process_pool_equals_serial(serial):
    _same(serial, compare(SCENARIOS, workers=2, **KW))


def test_dask_local_cluster_equals_serial(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        on_client = compare(SCENARIOS, scheduler=client, **KW)
        # an address string works too, and so does writing to disk
        on_address = compare(SCENARIOS, scheduler=cluster.scheduler_address, out=tmp_path / "d", **KW)
    _same(serial, on_client)
    _same(serial, on_address)
    assert sorted(p.stem for p in (tmp_path / "d" / "runs").glob("*.parquet")) == sorted(serial.outcomes["run_id"])


# --------------------------------------------------------------------------- hooks: setup, probe, plain seeds

TINY_SCENARIO = {"name": "tiny", "duration_days": 0.5, "parameters": {k: v for k, v in SMALL.items()
                                                                    if k.startswith("lattice.")}}


def count_tumor(model) -> dict[str, float]:
    """A probe: live tumor cells and the step counter before each step."""
    return {"probed_tumor": float(model.tumor_cell_count), "probed_steps": float(model.steps)}


def halve_tumor(model) -> None:
    """A setup: remove every second tumor cell before the first step."""
    pop = model.populations[TumorCell]
    for agent in list(pop.agents[: len(pop)])[::2]:
        agent.remove()


def test_probe_columns_are_aligned_with_the_collector_rows():
    spec = RunSpec("p", {}, TINY_SCENARIO, seed=3, spawn_key=(0, 0), sample_hours=0.0, probe=count_tumor)
    ts = execute_run(spec).timeseries
    plain = execute_run(RunSpec("p", {}, TINY_SCENARIO, seed=3, spawn_key=(0, 0), sample_hours=0.0)).timeseries
    # the probe reads without changing the run, and row i is the state before step i+1
    assert_frame_equal(ts.drop(columns=["probed_tumor", "probed_steps"]), plain)
    np.testing.assert_array_equal(ts["probed_steps"], np.arange(len(ts)))
    np.testing.assert_array_equal(ts["probed_tumor"], ts["tumor_cells"])
    assert "probe" in spec.to_json() and "probe" not in RunSpec("p", {}, TINY_SCENARIO, 3, (0, 0)).to_json()


def test_setup_changes_the_initial_state_and_probe_sees_it():
    spec = RunSpec("s", {}, TINY_SCENARIO, seed=3, spawn_key=(0, 0), sample_hours=0.0,
                   setup=halve_tumor, probe=count_tumor)
    built = build_model(RunSpec("s", {}, TINY_SCENARIO, seed=3, spawn_key=(0, 0)))
    ts = execute_run(spec).timeseries
    assert ts["probed_tumor"].iloc[0] == built.tumor_cell_count - (built.tumor_cell_count + 1) // 2


def test_probe_needs_a_row_per_step():
    scenario = {**TINY_SCENARIO, "parameters": {**TINY_SCENARIO["parameters"], "lattice.collect_every_steps": 2}}
    with pytest.raises(ExperimentError, match="collect_every_steps"):
        execute_run(RunSpec("c", {}, scenario, seed=3, spawn_key=(0, 0), sample_hours=0.0, probe=count_tumor))


def test_no_spawn_key_seeds_the_model_with_the_plain_integer():
    spec = RunSpec("i", {}, TINY_SCENARIO, seed=42, spawn_key=None, sample_hours=0.0)
    model = TherapyScenario.from_dict(TINY_SCENARIO).make_model(rng=42)
    while model.running:
        model.step()
    expected = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    got = execute_run(spec).timeseries.drop(columns=["run_id"])
    assert_frame_equal(got, expected)
    other = execute_run(RunSpec("i", {}, TINY_SCENARIO, seed=42, spawn_key=(), sample_hours=0.0)).timeseries
    assert not other.drop(columns=["run_id"]).equals(expected)  # a SeedSequence child is another stream
