"""Fixtures shared by the experiments tests (settings shared as constants live in exp_settings.py)."""

from __future__ import annotations

import pytest

import experiments.runner as runner


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if any simulation starts."""

    def boom(*_a, **_k):
        raise AssertionError("a run started despite bad input")

    monkeypatch.setattr(runner, "execute_run", boom)
