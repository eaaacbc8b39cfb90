"""The fork server warms the compiled kernels once for every worker it forks."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver

import pytest

from experiments import warmup, workers
from model.engine import kernels, rule_kernels


def test_warm_up_loads_the_step_kernels():
    assert warmup.WARMED
    # the kernels a default step calls (division, CD8 contact/targets/hits, walks, fields)
    for kernel in (kernels.walk_rounds, kernels.spectral_update_into, kernels.clip_into, kernels.same_values,
                   kernels.count_nonfinite, rule_kernels.division_candidates, rule_kernels.division_winners,
                   rule_kernels.contact_and_engaged, rule_kernels.sticky_choice, rule_kernels.cd8_hit_rates):
        assert kernel.signatures, kernel


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_fork_server_preloads_the_warm_up(monkeypatch):
    seen = []
    monkeypatch.setattr(multiprocessing.forkserver, "set_forkserver_preload", seen.extend)
    workers.mp_context()
    assert "experiments.warmup" in seen
