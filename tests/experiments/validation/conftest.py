"""Shared, cached simulation results for the validation tests.

The validation experiments are the expensive part of the test suite, and one
experiment (e.g. the default-tissue arm) feeds several tests. Under
``pytest -n auto`` those tests may land on different xdist workers, so results
are cached per experiment in the session's shared temporary directory, behind a
file lock: the first worker to need an experiment computes it, a second one
waits and reads it. Without xdist a plain in-process cache does the same.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, Callable

import pytest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-worker cache, each worker computes
    fcntl = None

_MEMO: dict[str, Any] = {}


@pytest.fixture(scope="session")
def shared(tmp_path_factory) -> Callable[[str, Callable[[], Any]], Any]:
    """``shared(key, compute)``: the value of ``compute()``, computed once per test session."""
    cache_dir: Path | None = None
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        # workers' base temp dirs are siblings inside one per-session directory
        cache_dir = tmp_path_factory.getbasetemp().parent / "validation-cache"
        cache_dir.mkdir(exist_ok=True)

    def get(key: str, compute: Callable[[], Any]) -> Any:
        if key in _MEMO:
            return _MEMO[key]
        if cache_dir is None:
            _MEMO[key] = compute()
            return _MEMO[key]
        path = cache_dir / f"{key}.pkl"
        with open(cache_dir / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if path.exists():
                    value = pickle.loads(path.read_bytes())
                else:
                    value = compute()
                    tmp = path.with_suffix(".tmp")
                    tmp.write_bytes(pickle.dumps(value))
                    os.replace(tmp, path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        _MEMO[key] = value
        return value

    return get
