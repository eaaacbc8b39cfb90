"""The fork server warms the compiled kernels once for every worker it forks."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver

import pytest

from experiments import warmup, workers
from model.engine import kernels, map_kernels, move_kernels, rule_kernels


def test_warm_up_loads_the_step_kernels():
    assert warmup.WARMED
    # the kernels a default step calls from Python (division, CD8 contact/targets/hits, walks, contact
    # map, fields); kernels.walk_rounds is now called inside move_kernels.walk_rows, compiled with it
    for kernel in (move_kernels.walk_rows, kernels.spectral_update_into, kernels.clip_into, kernels.same_values,
                   kernels.count_nonfinite, rule_kernels.division_candidates, rule_kernels.division_winners,
                   rule_kernels.division_rates, rule_kernels.contact_and_engaged, rule_kernels.sticky_choice,
                   rule_kernels.cd8_hit_rates, map_kernels.dilate_moore):
        assert kernel.signatures, kernel


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_fork_server_preloads_the_warm_up(monkeypatch):
    seen = []
    monkeypatch.setattr(multiprocessing.forkserver, "set_forkserver_preload", seen.extend)
    workers.mp_context()
    assert "experiments.warmup" in seen
