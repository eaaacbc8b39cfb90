"""The model's data collector: the same Mesa face and rows as a plain ``mesa.DataCollector``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from model import TumorImmuneModel
from model.checkpoint import summary_value
from model.collector import SummaryCollector, summary_reporters


def _model() -> TumorImmuneModel:
    return TumorImmuneModel(rng=4, lattice__width_sites=30, lattice__height_sites=30)


def test_summary_collector_gives_the_frame_of_a_plain_datacollector():
    """Rows appended straight from the summary equal what Mesa's own collect records."""
    model = _model()
    keys = list(model.summary)
    plain = DataCollector(model_reporters={k: (lambda m, k=k: m.summary[k]) for k in keys})
    plain.collect(model)
    for _ in range(30):
        model.step()
        plain.collect(model)
    assert isinstance(model.datacollector, SummaryCollector) and isinstance(model.datacollector, DataCollector)
    ours = model.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(ours, plain.get_model_vars_dataframe(), check_exact=True)
    assert model.datacollector.reads_summary_only() == tuple(keys)


def test_summary_collector_falls_back_to_mesa_when_reporters_change():
    """An added reporter (or agent reporter) is honoured: collect goes through Mesa then."""
    model = _model()
    dc = model.datacollector
    dc._new_model_reporter("n_agents", lambda m: len(m.agents))
    assert dc.reads_summary_only() is None
    model.collect()
    assert dc.model_vars["n_agents"] == [len(model.agents)]
    assert len(dc.model_vars["tumor_cells"]) == 2


def test_summary_collector_copies_mutable_values():
    """A mutable summary value is deep-copied, as Mesa does, so later edits do not leak in."""
    dc = SummaryCollector(["a", "b"])

    class Holder:
        time = 0.0
        summary = {"a": 1, "b": [1, 2]}

    holder = Holder()
    dc.collect(holder)  # first call: Mesa validates and records
    dc.collect(holder)  # then appended directly
    holder.summary["b"].append(3)
    assert dc.model_vars == {"a": [1, 1], "b": [[1, 2], [1, 2]]}
    assert dc._collection_steps == [0.0, 0.0]


def test_summary_reporters_read_one_key():
    reporters = summary_reporters(["x", "y"])
    holder = type("H", (), {"summary": {"x": 1.5, "y": np.int64(2)}})()
    assert [r(holder) for r in reporters.values()] == [1.5, 2]
    assert all(r.func is summary_value for r in reporters.values())
