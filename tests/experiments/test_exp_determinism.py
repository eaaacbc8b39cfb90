"""Same command, same tables: serially, on a local process pool and on a Dask LocalCluster."""

from __future__ import annotations

import pytest
from pandas.testing import assert_frame_equal

from experiments import compare
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
