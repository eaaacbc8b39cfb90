"""The two errors an experiment raises (shared by every module of the package)."""

from __future__ import annotations

__all__ = ["ExperimentError", "ExperimentInterrupted"]


class ExperimentError(ValueError):
    """Bad experiment input or an unusable output directory (caught before any run starts)."""


class ExperimentInterrupted(RuntimeError):
    """The experiment stopped before all runs finished; re-run the same command to resume."""

    def __init__(self, message: str, completed: int = 0, by_user: bool = False):
        super().__init__(message)
        self.completed = completed
        self.by_user = by_user  # Ctrl-C (exit status 130) rather than a test hook or a dead worker
