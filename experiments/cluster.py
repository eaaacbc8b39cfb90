"""Where runs execute: the local core count and the connection to a Dask cluster.

``distributed`` is optional (``pip install 'tumor-immune[distributed]'``), so it is
imported only when a scheduler is given.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import ExperimentError

__all__ = ["default_workers", "connect_scheduler"]


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
